// One agent "session" channel (of possibly many on a multiplexed connection): collects pty and
// env requests, then hands the exec/shell/sftp request to its handler. Closing it touches no other.
import { denialMessage, type Logger, type Session } from '@portcullis/core';
import type {
  Client,
  ClientChannel,
  PseudoTtyInfo,
  ServerChannel,
  Session as SshSession,
  WindowChangeInfo,
} from 'ssh2';
import type { ChannelContext } from './channel-context.js';
import { runExec } from './exec.js';
import { startShell } from './pty-shell.js';
import { runSftp } from './sftp.js';
import { envRefusal, MAX_ENV, safePtyModes, terminalName, terminalSize } from './wire-guards.js';

export interface ChannelOwner {
  readonly session: Session;
  readonly upstream: Client;
  readonly log: Logger;
  /** Keeps limits.idle_timeout from firing while the gateway works (judging, opening upstream). */
  hold(): () => void;
  /** The policy allowed agent forwarding: answer the upstream's agent channel opens. */
  allowAgentForwarding(): void;
  /** Registers an abort hook for the connection's lifetime; returns an unregister function. */
  track(abort: (message: string) => void): () => void;
}

let channelCount = 0;

/**
 * The session as one channel's handlers see it: its interactive lines are judged as one shell's
 * (`opts.shell`), so a `cd` typed on another channel of the connection does not move this one's directory.
 */
function channelSession(session: Session, shell: string): Session {
  return new Proxy(session, {
    get(target, prop) {
      if (prop === 'judge') {
        return (command: Parameters<Session['judge']>[0], opts?: Parameters<Session['judge']>[1]) =>
          target.judge(command, { ...opts, shell });
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export function handleSessionChannel(owner: ChannelOwner, ssh: SshSession): void {
  const controller = new AbortController();
  const resizeHandlers: ((s: WindowChangeInfo) => void)[] = [];
  const signalHandlers: ((n: string) => void)[] = [];
  const abortHandlers: ((m: string) => void)[] = [];
  const ctx: ChannelContext = {
    session: channelSession(owner.session, `ch${++channelCount}`),
    upstream: resizingUpstream(owner.upstream, (up) => {
      // window-change reaches the upstream pty too, not only the gateway's terminal model: a model
      // resized alone draws readline's cursor moves on another width than the shell's.
      // A window-change that came while the channel was being opened is applied at once.
      const p = ctx.pty;
      if (!p) return;
      up.setWindow(p.rows, p.cols, p.height, p.width);
      resizeHandlers.push((s) => up.setWindow(s.rows, s.cols, s.height, s.width));
    }),
    log: owner.log,
    env: {},
    signal: controller.signal,
    onResize: (h) => resizeHandlers.push(h),
    onSignal: (h) => signalHandlers.push(h),
    onAbort: (h) => abortHandlers.push(h),
  };
  const untrack = owner.track((message) => {
    for (const h of abortHandlers) h(message);
    controller.abort();
  });
  ssh.once('close', () => {
    controller.abort();
    untrack();
  });

  // Side-door requests come before exec/shell; their decisions are awaited so the upstream
  // channel is opened with agent forwarding when it was allowed. Refusals are told on stderr.
  const sideDoors: Promise<void>[] = [];
  const notices: string[] = [];
  // Once exec, shell or sftp was asked for, the channel's setup is fixed: a later pty-req, env,
  // x11-req or auth-agent-req would change a command already judged (ssh2 answers none of them then).
  let started = false;
  const late = (what: string, reject: (() => void) | undefined) => {
    if (!started) return false;
    owner.session.record('error', {
      message: `${what} after the channel's command started: ignored`,
      code: 'side_door',
    });
    reject?.();
    return true;
  };

  ssh.on('pty', (accept, reject, info: PseudoTtyInfo) => {
    if (late('pty-req', reject)) return;
    // Only a few terminal modes reach the upstream tty: remapped erase/kill/eol keys or echo off
    // would make the line the shell runs differ from the line the gateway's terminal model judges.
    const { modes, dropped } = safePtyModes(info.modes);
    if (dropped.length > 0)
      owner.session.record('error', { message: `pty modes not forwarded: ${dropped.join(' ')}` });
    const term = terminalName(info.term);
    if (term !== info.term)
      owner.session.record('error', { message: `pty TERM ${JSON.stringify(info.term)} sent as xterm` });
    ctx.pty = {
      ...info,
      term,
      ...terminalSize(info.cols, info.rows),
      modes: modes as PseudoTtyInfo['modes'],
    };
    accept?.();
  });
  ssh.on('env', (accept, reject, info: { key: string; val: string }) => {
    if (late(`env ${info.key}`, reject)) return;
    const why = !ctx.session.allowEnv(info.key)
      ? 'not in env_allow'
      : Object.keys(ctx.env).length >= MAX_ENV && !(info.key in ctx.env)
        ? `more than ${MAX_ENV} names`
        : envRefusal(info.key, info.val);
    if (why === undefined) {
      ctx.env[info.key] = info.val;
      accept?.();
      return;
    }
    // Not judged (no command yet): recorded; a name or value that would run code is also told on
    // stderr when the command starts (a name outside env_allow is not: clients send SendEnv names).
    const notice = `portcullis: env ${info.key} not forwarded: ${why}`;
    owner.session.record('error', { message: notice, code: 'env' });
    if (why !== 'not in env_allow') notices.push(notice);
    reject?.();
  });
  ssh.on('window-change', (accept, _reject, raw: WindowChangeInfo) => {
    const info = { ...raw, ...terminalSize(raw.cols, raw.rows) };
    if (ctx.pty)
      ctx.pty = { ...ctx.pty, cols: info.cols, rows: info.rows, width: info.width, height: info.height };
    owner.session.record('resize', { cols: info.cols, rows: info.rows });
    for (const h of resizeHandlers) h(info);
    accept?.();
  });
  ssh.on('signal', (accept, _reject, info: { name: string }) => {
    for (const h of signalHandlers) h(info.name);
    accept?.();
  });
  ssh.on('x11', (accept, reject) => {
    if (late('x11-req', reject)) return;
    sideDoors.push(sideDoor(owner, ctx, 'x11', accept, reject, notices));
  });
  ssh.on('auth-agent', (accept, reject) => {
    if (late('auth-agent-req', reject)) return;
    sideDoors.push(sideDoor(owner, ctx, 'agent', accept, reject, notices));
  });
  const start = async (channel: ServerChannel, run: () => Promise<void>) => {
    const release = owner.hold();
    try {
      await Promise.all(sideDoors);
      const eol = ctx.pty ? '\r\n' : '\n';
      for (const n of notices.splice(0)) if (channel.writable) channel.stderr.write(`${n}${eol}`);
      await run();
    } finally {
      release();
    }
  };

  ssh.on('exec', (accept, reject, info: { command: string }) => {
    const channel = accept?.();
    if (!channel) return refuseSecond(owner, 'exec', reject);
    started = true;
    start(channel, () => runExec(ctx, channel, info.command)).catch((err: Error) =>
      fail(owner, channel, err),
    );
  });
  ssh.on('shell', (accept, reject) => {
    const channel = accept?.();
    if (!channel) return refuseSecond(owner, 'shell', reject);
    started = true;
    start(channel, () => startShell(ctx, channel)).catch((err: Error) => fail(owner, channel, err));
  });
  ssh.on('sftp', (accept, reject) => {
    const sftp = accept?.();
    if (!sftp) return refuseSecond(owner, 'sftp', reject);
    started = true;
    runSftp(ctx, sftp).catch((err: Error) => {
      owner.log.error('sftp failed', { session: owner.session.id, error: err.message });
      sftp.end();
    });
  });
  ssh.on('subsystem', (_accept, reject, info: { name: string }) => {
    owner.session.record('error', { message: `subsystem ${info.name} refused (only sftp is proxied)` });
    reject?.();
  });
}

// Agent forwarding is judged (agent_forwarding) and relayed when allowed. X11 is judged
// (port_forwarding) and always refused: the gateway does not relay X11 channels.
async function sideDoor(
  owner: ChannelOwner,
  ctx: ChannelContext,
  type: 'x11' | 'agent',
  accept: (() => void) | undefined,
  reject: (() => void) | undefined,
  notices: string[],
): Promise<void> {
  const what = type === 'agent' ? 'agent forwarding' : 'X11 forwarding';
  let notice: string;
  try {
    const decision = await owner.session.judge({ kind: 'forward', type });
    if (decision.action === 'allow' && type === 'agent') {
      owner.allowAgentForwarding();
      ctx.agentForward = true;
      accept?.();
      return;
    }
    notice =
      decision.action === 'allow'
        ? `portcullis: ${what} refused: allowed by policy, but the gateway does not relay X11`
        : `portcullis: ${what} refused: ${denialMessage(decision).replace(/^portcullis: /, '')}`;
  } catch (err) {
    notice = `portcullis: ${what} refused: ${(err as Error).message}`;
  }
  owner.session.record('error', { message: notice, code: 'side_door', type });
  owner.log.info('side door refused', { session: owner.session.id, type, reason: notice });
  notices.push(notice);
  reject?.();
}

/**
 * The upstream connection as the channel's handlers see it: the channel its exec()/shell() opens is
 * handed to `opened` (pty-shell.ts opens the shell itself; this is where its resizes are attached).
 */
function resizingUpstream(upstream: Client, opened: (channel: ClientChannel) => void): Client {
  return new Proxy(upstream, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop !== 'exec' && prop !== 'shell') return value.bind(target);
      return (...args: unknown[]) => {
        const cb = args[args.length - 1] as (err: Error | undefined, ch: ClientChannel) => void;
        args[args.length - 1] = (err: Error | undefined, ch: ClientChannel) => {
          if (!err && ch) opened(ch);
          cb(err, ch);
        };
        return value.apply(target, args);
      };
    },
  });
}

/** A second exec/shell/subsystem on a channel that already runs one: ssh2 has refused it; recorded. */
function refuseSecond(owner: ChannelOwner, what: string, reject: (() => void) | undefined): void {
  owner.session.record('error', {
    message: `${what} refused: the channel already runs a command`,
    code: 'side_door',
  });
  reject?.();
}

function fail(owner: ChannelOwner, channel: import('ssh2').ServerChannel, err: Error): void {
  owner.log.error('channel failed', { session: owner.session.id, error: err.message });
  owner.session.record('error', { message: err.message });
  if (channel.writable) {
    channel.stderr.write(`portcullis: internal error: ${err.message}\n`);
    channel.exit(255);
    channel.end();
  }
}
