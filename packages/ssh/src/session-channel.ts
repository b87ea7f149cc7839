// One agent "session" channel (of possibly many on a multiplexed connection): collects pty and
// env requests, then hands the exec/shell/sftp request to its handler. Closing it touches no other.
import { denialMessage, type Logger, type Session } from '@portcullis/core';
import type { Client, PseudoTtyInfo, Session as SshSession, WindowChangeInfo } from 'ssh2';
import type { ChannelContext } from './channel-context.js';
import { runExec } from './exec.js';
import { startShell } from './pty-shell.js';
import { runSftp } from './sftp.js';

export interface ChannelOwner {
  readonly session: Session;
  readonly upstream: Client;
  readonly log: Logger;
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
  ssh.on('x11', (accept, reject) => {
    void sideDoor(owner, 'x11', accept, reject);
  });
  ssh.on('auth-agent', (accept, reject) => {
    void sideDoor(owner, 'agent', accept, reject);
  });

  ssh.on('exec', (accept, reject, info: { command: string }) => {
    const channel = accept?.();
    if (!channel) return reject?.();
    runExec(ctx, channel, info.command).catch((err: Error) => fail(owner, channel, err));
  });
  ssh.on('shell', (accept, reject) => {
    const channel = accept?.();
    if (!channel) return reject?.();
    startShell(ctx, channel).catch((err: Error) => fail(owner, channel, err));
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

// Agent forwarding and X11 are judged (and recorded); even when a policy allows them the
// gateway does not relay them yet, so they are refused either way.
async function sideDoor(
  owner: ChannelOwner,
  type: 'x11' | 'agent',
  _accept: (() => void) | undefined,
  reject: (() => void) | undefined,
): Promise<void> {
  const decision = await owner.session.judge({ kind: 'forward', type });
  if (decision.action === 'allow') {
    owner.session.record('error', {
      message: `${type} forwarding is allowed by policy but not relayed by the gateway`,
    });
  } else {
    owner.log.info('side door refused', { session: owner.session.id, type, reason: denialMessage(decision) });
  }
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
