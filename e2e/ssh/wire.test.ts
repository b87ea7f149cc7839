// Wire-level checks of the SSH listener with real OpenSSH on both sides and a stand-in core
// (packages/ssh/src/testing/fake-gateway.ts); the policy-driven suite is in listener.e2e.test.ts.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SshConnection } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SshListener, startSshListener } from '../../packages/ssh/src/index.js';
import { fakeGateway } from '../../packages/ssh/src/testing/fake-gateway.js';
import { type Sshd, sshKeygen, startSshd } from '../support/sshd.js';
import { askpass, clientEnv, commonOptions, run, spawnSsh, ssh, type Target } from './client.js';

let sshd: Sshd;
let listener: SshListener;
let dir: string;
let target: Target;
let ask: string;
let fake: ReturnType<typeof fakeGateway>;
let agentKey: string;

beforeAll(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'portcullis-ssh-wire-'));
  ask = askpass(dir);
  const connection: SshConnection = {
    name: 'build-vm',
    protocol: 'ssh',
    listen: '127.0.0.1:0',
    policy: 'p',
    hostKeyFile: join(dir, 'keys', 'host_ed25519'),
    upstream: {
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      privateKeyFile: sshd.clientKeyFile,
      hostKey: sshd.hostKey,
    },
  };
  agentKey = join(dir, 'agent_key');
  const pub = sshKeygen(agentKey);
  fake = fakeGateway(connection, {
    deny: [/rm -rf/, /secret/],
    sshKey: Buffer.from(pub.split(' ')[1], 'base64'),
  });
  listener = await startSshListener(fake.gateway, connection);
  target = { host: '127.0.0.1', port: listener.address.port, user: 'agent', token: 'good-token' };
});

afterAll(async () => {
  await listener?.close();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('ssh wire', () => {
  it('runs an allowed exec and relays stdout, stderr and exit status', async () => {
    const r = await ssh(target, ['echo out; echo err >&2; exit 7'], { askpass: ask });
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toContain('err\n');
    expect(r.code).toBe(7);
  });

  it('refuses a denied exec with 126 and runs nothing upstream', async () => {
    const marker = join(dir, 'denied-marker');
    const r = await ssh(target, [`touch ${marker}; rm -rf /nonexistent`], { askpass: ask });
    expect(r.code).toBe(126);
    expect(r.stderr).toContain('portcullis: denied by rule fake-rule');
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses a bad token', async () => {
    const r = await ssh({ ...target, token: 'bad' }, ['true'], { askpass: ask });
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/Permission denied/);
  });
});

describe('ssh wire: channels, files, side doors', () => {
  let keyTarget: Target;
  beforeAll(() => {
    // the gateway accepts the sshd test key as agent-1 (identity.ssh_keys in the real config)
    keyTarget = { host: '127.0.0.1', port: listener.address.port, user: 'agent', identityFile: agentKey };
  });

  it('authenticates by public key and relays exit signals like sshd does', async () => {
    const viaGateway = await ssh(keyTarget, ['kill -TERM $$']);
    const direct = await ssh(
      { host: sshd.host, port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyFile },
      ['kill -TERM $$'],
    );
    expect(viaGateway.code).toBe(direct.code);
    expect(viaGateway.stderr).toBe(direct.stderr);
  });

  it('multiplexes channels over one connection (ControlMaster); closing one leaves the others', async () => {
    const cp = join(dir, 'cm.sock');
    const master = spawnSsh(keyTarget, ['-N'], undefined, [
      '-o',
      'ControlMaster=yes',
      '-o',
      `ControlPath=${cp}`,
    ]);
    const mux = ['-o', 'ControlMaster=no', '-o', `ControlPath=${cp}`];
    try {
      for (let i = 0; i < 100 && !existsSync(cp); i++) await new Promise((r) => setTimeout(r, 50));
      const long = ssh(keyTarget, ['sleep 1; echo long'], { extra: mux });
      const [a, b, c] = await Promise.all([
        ssh(keyTarget, ['echo a'], { extra: mux }),
        ssh(keyTarget, ['exit 3'], { extra: mux }),
        ssh(keyTarget, ['touch mux-bad; rm -rf /nonexistent'], { extra: mux }),
      ]);
      expect(a.stdout).toBe('a\n');
      expect(b.code).toBe(3);
      expect(c.code).toBe(126);
      expect((await long).stdout).toBe('long\n');
    } finally {
      master.kill();
    }
  });

  it('forwards only allowed env names', async () => {
    const r = await ssh(keyTarget, ['echo "$LANG/$LD_PRELOAD/$FOO"'], {
      extra: ['-o', 'SetEnv=LANG=C.UTF-8 LD_PRELOAD=/tmp/evil.so FOO=bar'],
    });
    expect(r.stdout).toBe('C.UTF-8//\n');
  });

  it('proxies sftp and refuses denied paths with permission denied', async () => {
    const src = join(dir, 'up.bin');
    writeFileSync(src, randomBytes(300_000));
    writeFileSync(join(dir, 'secret.txt'), 'top secret');
    const batch = join(dir, 'batch');
    writeFileSync(
      batch,
      [
        `put ${src} ${dir}/copied.bin`,
        `get ${dir}/copied.bin ${dir}/back.bin`,
        `-get ${dir}/secret.txt ${dir}/leak.txt`,
        `ls ${dir}`,
      ].join('\n'),
    );
    const r = await run(
      'sftp',
      [...commonOptions(keyTarget), '-P', String(keyTarget.port), '-b', batch, `agent@127.0.0.1`],
      clientEnv(keyTarget),
    );
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'back.bin')).equals(readFileSync(src))).toBe(true);
    expect(existsSync(join(dir, 'leak.txt'))).toBe(false);
    expect(r.stderr).toMatch(/[Pp]ermission denied|not found/);
  });

  it('judges scp (legacy protocol) by path', async () => {
    writeFileSync(join(dir, 'plain.txt'), 'plain');
    const env = clientEnv(keyTarget);
    const opts = [...commonOptions(keyTarget), '-O', '-P', String(keyTarget.port)];
    const ok = await run(
      'scp',
      [...opts, `agent@127.0.0.1:${dir}/plain.txt`, join(dir, 'plain-copy.txt')],
      env,
    );
    expect(ok.code).toBe(0);
    expect(readFileSync(join(dir, 'plain-copy.txt'), 'utf8')).toBe('plain');
    const bad = await run(
      'scp',
      [...opts, `agent@127.0.0.1:${dir}/secret.txt`, join(dir, 'scp-leak.txt')],
      env,
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('portcullis: denied');
    expect(existsSync(join(dir, 'scp-leak.txt'))).toBe(false);
  });

  it('refuses local port forwarding to the Postgres port', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const fwd = spawnSsh(keyTarget, ['-N'], undefined, [
      '-o',
      'ExitOnForwardFailure=yes',
      '-L',
      `${port}:127.0.0.1:5432`,
    ]);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const r = await run(
        'bash',
        [
          '-c',
          `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'x' >&3 && timeout 2 cat <&3 | head -c 10 | wc -c`,
        ],
        process.env,
      );
      expect(r.stdout.trim()).toBe('0');
      expect(
        fake.commands.some((c) => c.kind === 'forward' && c.type === 'direct-tcpip' && c.port === 5432),
      ).toBe(true);
    } finally {
      fwd.kill();
    }
  });

  it('refuses an upstream whose host key does not match the pin, saying why', async () => {
    const other = startSshd();
    const s2 = await other;
    try {
      const connection: SshConnection = {
        name: 'build-vm',
        protocol: 'ssh',
        listen: '127.0.0.1:0',
        policy: 'p',
        hostKeyFile: join(dir, 'keys', 'host_ed25519'),
        upstream: {
          host: s2.host,
          port: s2.port,
          user: s2.user,
          privateKeyFile: s2.clientKeyFile,
          hostKey: sshd.hostKey,
        },
      };
      const l2 = await startSshListener(fakeGateway(connection).gateway, connection);
      try {
        const r = await ssh({ ...target, port: l2.address.port }, ['true'], { askpass: ask });
        expect(r.code).toBe(255);
        expect(r.stderr).toContain('upstream host key mismatch');
        expect(l2.hostKey).toBe(listener.hostKey); // same host_key_file: the gateway's key persists
      } finally {
        await l2.close();
      }
    } finally {
      await s2.stop();
    }
  });
});
