// exec requests: the command is judged before any upstream channel exists. Denied → stderr
// notice + exit 126, nothing runs upstream. scp -t/-f is judged by its paths too.
import { type Decision, denialMessage, type FileCommand } from '@portcullis/core';
import type { ClientChannel, ExecOptions, ServerChannel } from 'ssh2';
import type { ChannelContext } from './channel-context.js';
import { type Relay, relayChannel } from './channel-relay.js';
import { startPtyJudge } from './pty-shell.js';
import { ScpSinkAnswers, ScpSinkParser } from './scp-sink.js';
import { relayLineShell } from './shell-stdin.js';
import { startsFileServer } from './wire-guards.js';

/** Exit status a denied exec returns (the shell's "found but cannot execute"). */
export const DENIED_EXIT_STATUS = 126;

export async function runExec(ctx: ChannelContext, agent: ServerChannel, command: string): Promise<void> {
  // Hold the agent's stdin until the decision: nothing may reach the upstream before it.
  agent.pause();
  const decision = await judgeExec(ctx, agent, command);
  if (decision.action !== 'allow') {
    refuse(agent, denialMessage(decision));
    return;
  }
  if (agent.destroyed || ctx.signal.aborted) return;
  if (ctx.pty) {
    const interactive = await ctx.session.judge({
      kind: 'shell',
      text: '',
      source: 'interactive',
      context: 'start',
    });
    if (interactive.action !== 'allow') {
      refuse(agent, `${denialMessage(interactive)} (run without -t)`);
      return;
    }
  }
  let up: ClientChannel;
  try {
    up = await new Promise<ClientChannel>((resolve, reject) => {
      // ssh2 takes agentForward on exec/shell options; its typings omit it.
      const options: ExecOptions & { agentForward?: boolean } = {
        env: ctx.env,
        pty: ctx.pty ? ptyOptions(ctx) : undefined,
        agentForward: ctx.agentForward,
      };
      ctx.upstream.exec(command, options, (err, ch) => (err ? reject(err) : resolve(ch)));
    });
  } catch (err) {
    ctx.session.record('error', { message: `upstream exec failed: ${(err as Error).message}` });
    refuse(agent, `portcullis: upstream refused the command: ${(err as Error).message}`, 255);
    return;
  }
  if (ctx.pty) {
    startPtyJudge(ctx, agent, up, { atPromptFromStart: false });
  } else if (readsCommandsFromStdin(command)) {
    // `ssh host bash` is a shell without a pty under another name: each stdin line is judged.
    relayLineShell(ctx, agent, up);
  } else if (parseScp(command)?.op === 'open-write') {
    // Legacy scp sink (`scp -t DIR`): each name in the upload stream is judged before it goes on.
    guardScpSink(ctx, agent, up, (parseScp(command) as ScpCall).paths[0]);
  } else {
    // Legacy scp source (`scp -f`): its stream announces each file's length, so a masked value
    // would corrupt the copy; the transfer is cut before any masked byte instead.
    const source = parseScp(command)?.op === 'open-read' ? parseScp(command)?.paths.join(' ') : undefined;
    const onMasked = source
      ? (detectors: string[]) => {
          const message = `portcullis: ${source} holds data masking would hide (${detectors.join(', ')}); scp cannot carry masked data — read it with a command, whose output is masked`;
          ctx.session.record('error', { message, code: 'scp_masking', path: source, detectors });
          relay.abort(message);
        }
      : undefined;
    const relay = relayChannel(ctx.session, agent, up, { onMasked });
    ctx.onAbort((message) => relay.abort(message));
  }
  ctx.onSignal((name) => up.signal(name));
  agent.resume();
}

/** The agent's upload stream to `scp -t`, parsed as the sink reads it: each C/D entry judged by path. */
function guardScpSink(ctx: ChannelContext, agent: ServerChannel, up: ClientChannel, target: string): void {
  const sink = new ScpSinkParser(target);
  const answers = new ScpSinkAnswers();
  let ended = false;
  let pumping = false;
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      for (let item = sink.next(); item; item = sink.next()) {
        if (item.kind === 'bytes') {
          if (item.answered) answers.expect();
          relay.toUpstream(item.bytes);
          continue;
        }
        if (item.kind === 'invalid') {
          const message = `portcullis: scp upload refused: ${item.reason}`;
          ctx.session.record('error', { message, code: 'scp_stream' });
          relay.abort(message);
          return;
        }
        const decision = await ctx.session.judge(
          { kind: 'file', op: item.dir ? 'mkdir' : 'open-write', paths: item.paths, via: 'scp' },
          { signal: ctx.signal },
        );
        if (decision.action === 'allow') {
          // The sink may still refuse it (cannot create the file): then its data never comes, and
          // the bytes after it are records again — read on only once the sink has answered.
          const answered = answers.next();
          relay.toUpstream(item.bytes);
          sink.entryDone(await answered);
        } else {
          // The scp error record: the client prints it, skips this entry and goes on with the next.
          relay.toAgent(Buffer.from(`\x01${denialMessage(decision)} (${item.name})\n`));
          sink.entryDone(false);
        }
      }
      if (ended) relay.endUpstream();
    } finally {
      pumping = false;
    }
  };
  const fail = (err: Error) => relay.abort(`portcullis: scp upload refused: ${err.message}`);
  const relay: Relay = relayChannel(ctx.session, agent, up, {
    onUpstreamOutput: (chunk) => answers.feed(chunk),
    input: (chunk) => {
      sink.push(chunk);
      pump().catch(fail);
    },
    onAgentEnd: () => {
      ended = true;
      pump().catch(fail);
    },
  });
  ctx.onAbort((message) => relay.abort(message));
}

async function judgeExec(ctx: ChannelContext, agent: ServerChannel, command: string): Promise<Decision> {
  const opts = {
    signal: ctx.signal,
    onPending: (a: { id: string; expiresAt: number; approvers: string[] }) => {
      if (agent.writable) {
        agent.stderr.write(
          `portcullis: waiting for approval ${a.id} (approvers: ${a.approvers.join(', ') || 'any'}; expires ${new Date(a.expiresAt).toISOString()})\n`,
        );
      }
    },
  };
  const decision = await ctx.session.judge({ kind: 'shell', text: command, source: 'exec' }, opts);
  if (decision.action !== 'allow') return decision;
  const wire = wireRefusal(command);
  if (wire) {
    ctx.session.record('error', { message: denialMessage(wire), code: 'side_door', rule: wire.rules[0] });
    return wire;
  }
  const scp = parseScp(command);
  if (!scp) return decision;
  if (ctx.pty) {
    // scp never asks for a pty; through one, its stream would be judged as typed lines, not by name.
    const pty: Decision = {
      action: 'deny',
      rules: ['ssh_scp_pty'],
      reason: 'scp -t/-f on a pty cannot be judged by path; run it without a pty',
    };
    ctx.session.record('error', { message: denialMessage(pty), code: 'side_door', rule: 'ssh_scp_pty' });
    return pty;
  }
  const file: FileCommand = { kind: 'file', op: scp.op, paths: scp.paths, via: 'scp' };
  return ctx.session.judge(file, opts);
}

/** What the SSH wire refuses whatever the policy says: the gateway could not judge what would follow. */
export function wireRefusal(command: string): Decision | undefined {
  const server = startsFileServer(command);
  if (server) {
    // Its SFTP requests would be plain stdin, never judged by path: only the sftp subsystem is proxied.
    return {
      action: 'deny',
      rules: ['ssh_file_server'],
      reason: `${server} started by exec would serve files unjudged; use the sftp subsystem (plain sftp/scp), where each path is judged`,
    };
  }
  const scp = parseScp(command);
  if (scp?.op === 'open-read' && scp.recursive) {
    return {
      action: 'deny',
      rules: ['ssh_scp_recursive'],
      reason:
        'a legacy recursive scp download (scp -O -r) names its files only in the stream; use scp without -O (SFTP), where each path is judged',
    };
  }
  if (scp?.op === 'open-write' && scp.paths.length !== 1) {
    return { action: 'deny', rules: ['ssh_scp_target'], reason: 'scp -t takes exactly one target' };
  }
  return undefined;
}

function refuse(agent: ServerChannel, message: string, status = DENIED_EXIT_STATUS): void {
  if (!agent.writable) return;
  agent.stderr.write(`${message}\n`);
  agent.exit(status);
  agent.end();
}

export function ptyOptions(ctx: ChannelContext) {
  const p = ctx.pty;
  return p
    ? { rows: p.rows, cols: p.cols, height: p.height, width: p.width, term: p.term, modes: p.modes }
    : undefined;
}

/** `scp [-options] -t|-f [--] path…` (what an scp client runs remotely) → its file operation. */
export interface ScpCall {
  op: 'open-read' | 'open-write';
  paths: string[];
  recursive: boolean;
}

export function parseScp(command: string): ScpCall | undefined {
  const words = splitWords(command.trim());
  if (!words || words.length < 2) return undefined;
  if (words[0].split('/').pop() !== 'scp') return undefined;
  let op: 'open-read' | 'open-write' | undefined;
  const paths: string[] = [];
  let optionsDone = false;
  let recursive = false;
  for (const w of words.slice(1)) {
    if (!optionsDone && w === '--') {
      optionsDone = true;
    } else if (!optionsDone && w.startsWith('-') && w.length > 1) {
      if (w.includes('t')) op = 'open-write';
      if (w.includes('f')) op = 'open-read';
      if (w.includes('r')) recursive = true;
    } else {
      paths.push(w);
    }
  }
  return op && paths.length > 0 ? { op, paths, recursive } : undefined;
}

const STDIN_SHELLS = new Set(['bash', 'sh', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'fish', 'rbash']);

/**
 * Does this exec start a shell that reads its commands from stdin (`bash`, `sh -s`, `exec bash -l`)?
 * Only options may follow the shell's name, and none of them `-c` (a command string) — a script file
 * argument makes it read the file instead.
 */
export function readsCommandsFromStdin(command: string): boolean {
  const words = splitWords(command.trim());
  if (!words || words.length === 0) return false;
  let i = words[0] === 'exec' ? 1 : 0;
  const name = words[i]?.split('/').pop() ?? '';
  if (!STDIN_SHELLS.has(name)) return false;
  for (i++; i < words.length; i++) {
    const w = words[i];
    if (w === '-s' || w === '--') return true;
    if (!/^[-+]/.test(w)) return false;
    if (/^-[a-zA-Z]*c/.test(w) || w === '--command') return false;
    if (/^[-+]o$/.test(w)) i++; // -o option / +o option
  }
  return true;
}

/** A small POSIX word splitter for scp's arguments (quotes and backslashes); undefined when unsure. */
function splitWords(text: string): string[] | undefined {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return undefined;
      cur += text.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        cur += text[j];
      }
      if (j >= text.length) return undefined;
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (/[;&|<>`$()]/.test(c)) {
      // Anything beyond plain words is not a bare scp: the shell judge already covers it.
      return undefined;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}
