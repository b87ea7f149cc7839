// A stand-in for core's Gateway for wire-level unit tests of this package only (the e2e suite
// uses the real Gateway). Judges by a list of regexes, masks nothing but a fixed token, records frames.
import type {
  Command,
  Decision,
  Gateway,
  Identity,
  Masker,
  Session,
  SshConnection,
  StreamMasker,
} from '@portcullis/core';

export interface FakeFrame {
  kind: string;
  data: unknown;
}

export interface FakeOptions {
  deny?: RegExp[];
  interactive?: 'allow' | 'deny';
  interactiveUnknown?: 'allow' | 'deny';
  portForwarding?: 'allow' | 'deny';
  envAllow?: string[];
  /** An agent public key blob accepted as agent-1. */
  sshKey?: Buffer;
}

const SECRET = 'AKIAABCDEFGHIJKLMNOP';

function streamMasker(): StreamMasker {
  let tail = Buffer.alloc(0);
  const keep = SECRET.length - 1;
  const mask = (b: Buffer) =>
    Buffer.from(b.toString('latin1').split(SECRET).join('[MASKED:aws_access_key]'), 'latin1');
  return {
    write(chunk) {
      const all = Buffer.concat([tail, Buffer.from(chunk)]);
      const cut = Math.max(0, all.length - keep);
      const safe = all.subarray(0, cut);
      tail = Buffer.from(all.subarray(cut));
      const idx = all.toString('latin1').indexOf(SECRET);
      if (idx >= 0 && idx < cut && idx + SECRET.length > cut) {
        tail = Buffer.alloc(0);
        return mask(all);
      }
      return mask(safe);
    },
    flush() {
      const out = mask(tail);
      tail = Buffer.alloc(0);
      return out;
    },
    get pending() {
      return tail.length;
    },
  };
}

export function fakeGateway(connection: SshConnection, opts: FakeOptions = {}) {
  const frames: FakeFrame[] = [];
  const commands: Command[] = [];
  const judge = (c: Command): Decision => {
    commands.push(c);
    if (c.kind === 'forward') {
      const a = opts.portForwarding ?? 'deny';
      return { action: a, rules: ['port_forwarding'], reason: `${c.type} is not allowed by this policy` };
    }
    if (c.kind === 'shell' && c.context === 'start') {
      const a = opts.interactive ?? 'allow';
      return {
        action: a,
        rules: ['interactive'],
        reason: a === 'deny' ? 'an interactive (pty) shell is not allowed by this policy' : 'ok',
      };
    }
    const text = c.kind === 'shell' ? c.text : c.kind === 'file' ? c.paths.join(' ') : '';
    if (c.kind === 'shell' && c.context === 'unknown' && (opts.interactiveUnknown ?? 'deny') === 'deny') {
      return {
        action: 'deny',
        rules: ['interactive_unknown'],
        reason: 'a line typed away from the shell prompt is not allowed by this policy',
      };
    }
    for (const re of opts.deny ?? []) {
      if (re.test(text)) return { action: 'deny', rules: ['fake-rule'], reason: `matches ${re}` };
    }
    return { action: 'allow', rules: [], reason: 'ok' };
  };
  const masker: Masker = { value: (t) => t, stream: streamMasker, json: (d) => d, counts: {} };
  const session: Session = {
    id: 'fake-session',
    connection,
    identity: { subject: 'agent-1', groups: ['ai-agents'], issuer: 'test', method: 'jwt' },
    async judge(c) {
      const d = judge(c);
      frames.push({ kind: 'command', data: c }, { kind: 'decision', data: d });
      return d;
    },
    masker: () => masker,
    allowEnv: (name: string) =>
      !/^(LD_|PATH$|BASH_ENV$)/.test(name) &&
      (opts.envAllow ?? ['LANG', 'LC_*']).some((g) => new RegExp(`^${g.replace(/\*/g, '.*')}$`).test(name)),
    record(kind, data) {
      frames.push({ kind, data });
    },
    shutdown: new Promise(() => {}),
    async close() {
      frames.push({ kind: 'close', data: null });
    },
  };
  const log = { debug() {}, info() {}, warn() {}, error: (m: string, f?: unknown) => console.error(m, f) };
  const gateway = {
    config: { limits: { handshakeTimeoutMs: 10_000 } },
    log,
    connection: () => connection,
    async authenticateToken(token: string): Promise<Identity> {
      if (token !== 'good-token') throw Object.assign(new Error('bad token'), { reason: 'bad token' });
      return session.identity;
    },
    authenticateSshKey: (_algo: string, data: Buffer) =>
      opts.sshKey?.equals(data) ? session.identity : undefined,
    async open() {
      return session;
    },
  } as unknown as Gateway;
  return { gateway, frames, commands };
}
