// One agent "session" channel (of possibly many on a multiplexed connection): collects pty and
// env requests, then hands the exec/shell/sftp request to its handler. Closing it touches no other.
import { denialMessage, type Logger, type Session } from '@portcullis/core';
import type { Client, PseudoTtyInfo, ServerChannel, Session as SshSession, WindowChangeInfo } from 'ssh2';
import type { ChannelContext } from './channel-context.js';
import { runExec } from './exec.js';
import { startShell } from './pty-shell.js';
import { runSftp } from './sftp.js';

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

export function handleSessionChannel(owner: ChannelOwner, ssh: SshSession): void {
  const controller = new AbortController();
  const resizeHandlers: ((s: WindowChangeInfo) => void)[] = [];
  const signalHandlers: ((n: string) => void)[] = [];
  const abortHandlers: ((m: string) => void)[] = [];
  const ctx: ChannelContext = {
    session: owner.session,
    upstream: owner.upstream,
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

  ssh.on('pty', (accept, _reject, info: PseudoTtyInfo) => {
    ctx.pty = info;
    accept?.();
  });
  ssh.on('env', (accept, reject, info: { key: string; val: string }) => {
    if (ctx.session.allowEnv(info.key)) {
      ctx.env[info.key] = info.val;
      accept?.();
    } else {
      // Not judged (no command yet) but visible in the record.
      owner.session.record('error', { message: `env ${info.key} not forwarded (not in envAllow)` });
      reject?.();
    }
  });
  ssh.on('window-change', (accept, _reject, info: WindowChangeInfo) => {
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
  // Side-door requests come before exec/shell; their decisions are awaited so the upstream
  // channel is opened with agent forwarding when it was allowed. Refusals are told on stderr.
  const sideDoors: Promise<void>[] = [];
  const notices: string[] = [];
  ssh.on('x11', (accept, reject) => {
    sideDoors.push(sideDoor(owner, ctx, 'x11', accept, reject, notices));
  });
  ssh.on('auth-agent', (accept, reject) => {
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
    if (!channel) return reject?.();
    start(channel, () => runExec(ctx, channel, info.command)).catch((err: Error) =>
      fail(owner, channel, err),
    );
  });
  ssh.on('shell', (accept, reject) => {
    const channel = accept?.();
    if (!channel) return reject?.();
    start(channel, () => startShell(ctx, channel)).catch((err: Error) => fail(owner, channel, err));
  });
  ssh.on('sftp', (accept, reject) => {
    const sftp = accept?.();
    if (!sftp) return reject?.();
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

function fail(owner: ChannelOwner, channel: import('ssh2').ServerChannel, err: Error): void {
  owner.log.error('channel failed', { session: owner.session.id, error: err.message });
  owner.session.record('error', { message: err.message });
  if (channel.writable) {
    channel.stderr.write(`portcullis: internal error: ${err.message}\n`);
    channel.exit(255);
    channel.end();
  }
}
