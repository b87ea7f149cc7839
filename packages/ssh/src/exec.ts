// exec requests: the command is judged before any upstream channel exists. Denied → stderr
// notice + exit 126, nothing runs upstream. scp -t/-f is judged by its paths too.
import { type Decision, denialMessage, type FileCommand } from '@portcullis/core';
import type { ClientChannel, ExecOptions, ServerChannel } from 'ssh2';
import type { ChannelContext } from './channel-context.js';
import { relayChannel } from './channel-relay.js';
import { startPtyJudge } from './pty-shell.js';

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
  const scp = parseScp(command);
  if (!scp) return decision;
  const file: FileCommand = { kind: 'file', op: scp.op, paths: scp.paths, via: 'scp' };
  return ctx.session.judge(file, opts);
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
export function parseScp(command: string): { op: 'open-read' | 'open-write'; paths: string[] } | undefined {
  const words = splitWords(command.trim());
  if (!words || words.length < 2) return undefined;
  if (words[0].split('/').pop() !== 'scp') return undefined;
  let op: 'open-read' | 'open-write' | undefined;
  const paths: string[] = [];
  let optionsDone = false;
  for (const w of words.slice(1)) {
    if (!optionsDone && w === '--') {
      optionsDone = true;
    } else if (!optionsDone && w.startsWith('-') && w.length > 1) {
      if (w.includes('t')) op = 'open-write';
      if (w.includes('f')) op = 'open-read';
    } else {
      paths.push(w);
    }
  }
  return op && paths.length > 0 ? { op, paths } : undefined;
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
