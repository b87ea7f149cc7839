// Wire-level checks of the SSH listener with real OpenSSH on both sides and a stand-in core
// (packages/ssh/src/testing/fake-gateway.ts); the policy-driven suite is in listener.e2e.test.ts.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SshConnection } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshListener, type SshListener } from '../../packages/ssh/src/index.js';
import { fakeGateway } from '../../packages/ssh/src/testing/fake-gateway.js';
import { type Sshd, startSshd } from '../support/sshd.js';
import { askpass, ssh, type Target } from './client.js';

let sshd: Sshd;
let listener: SshListener;
let dir: string;
let target: Target;
let ask: string;
let fake: ReturnType<typeof fakeGateway>;

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
    upstream: { host: sshd.host, port: sshd.port, user: sshd.user, privateKeyFile: sshd.clientKeyFile, hostKey: sshd.hostKey },
  };
  fake = fakeGateway(connection, { deny: [/rm -rf/, /secret/] });
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
