// Interactive pty judging through a real remote bash, with the stand-in core (regex rules).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SshConnection } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SshListener, startSshListener } from '../../packages/ssh/src/index.js';
import { fakeGateway } from '../../packages/ssh/src/testing/fake-gateway.js';
import { type Sshd, startSshd } from '../support/sshd.js';
import { askpass, PtyDriver, type Target } from './client.js';

let sshd: Sshd;
let listener: SshListener;
let dir: string;
let target: Target;
let ask: string;

beforeAll(async () => {
  sshd = await startSshd();
  dir = mkdtempSync(join(tmpdir(), 'portcullis-ssh-pty-'));
  ask = askpass(dir);
  mkdirSync(join(dir, 'files'));
  writeFileSync(join(dir, 'files', 'secretfile'), 'x');
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
  const fake = fakeGateway(connection, { deny: [/rm -rf/, /secret/] });
  listener = await startSshListener(fake.gateway, connection);
  target = { host: '127.0.0.1', port: listener.address.port, user: 'agent', token: 'good-token' };
});

afterAll(async () => {
  await listener?.close();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const m = (name: string) => join(dir, name);

describe('pty line judging', () => {
  it('runs allowed lines and never runs denied ones (typed, edited, recalled, completed, pasted)', async () => {
    const p = new PtyDriver(target, ask);
    await p.waitFor(/[$#] $/);
    await p.typeSlowly(`cd ${dir}; touch ok1\r`);
    await p.waitFor(/ok1\r?\n.*[$#] $/s);
    expect(existsSync(m('ok1'))).toBe(true);

    // typed
    await p.typeSlowly('touch bad1; rm -rf /nonexistent\r');
    await p.waitFor('denied by rule fake-rule');
    // backspace edit: "rm -rx" + backspace + "f"
    await p.typeSlowly('touch bad2; rm -rx\x7ff /nonexistent\r');
    await p.waitFor(/denied by rule fake-rule[\s\S]*denied by rule fake-rule/);
    // history recall of a command the gateway never saw typed
    await p.typeSlowly('history -s "touch bad3; rm -r""f /nonexistent"\r');
    await new Promise((r) => setTimeout(r, 200));
    const before = p.output.length;
    p.type('\x1b[A');
    await new Promise((r) => setTimeout(r, 100));
    p.type('\r');
    await p.waitFor('denied by rule', 5_000, before);
    // tab completion into a denied path
    const before2 = p.output.length;
    await p.typeSlowly('touch bad4; cat files/sec\t');
    await new Promise((r) => setTimeout(r, 200));
    p.type('\r');
    await p.waitFor('denied by rule', 5_000, before2);
    // a pasted burst: judged line by line
    const before3 = p.output.length;
    p.type('touch ok2\rtouch bad5; rm -rf /nonexistent\rtouch ok3\r');
    await p.waitFor('denied by rule', 5_000, before3);
    // The held lines run one after another once each is judged; under load that can take a while.
    for (let i = 0; i < 100 && !(existsSync(m('ok2')) && existsSync(m('ok3'))); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(existsSync(m('ok2'))).toBe(true);
    expect(existsSync(m('ok3'))).toBe(true);
    for (const bad of ['bad1', 'bad2', 'bad3', 'bad4', 'bad5']) expect(existsSync(m(bad)), bad).toBe(false);
    await p.close();
  }, 60_000);

  // Found in review: with ixon (the pty default) Ctrl-S froze the output, so the line was judged as it
  // showed before the key while the shell received the rest.
  it('Ctrl-S (XOFF) cannot freeze the screen under a line: the rest of it is still judged', async () => {
    const p = new PtyDriver(target, ask);
    await p.waitFor(/[$#] $/);
    await p.typeSlowly(`cd ${dir}; touch ok4\r`);
    await p.waitFor(/ok4\r?\n.*[$#] $/s);
    const before = p.output.length;
    await p.typeSlowly('echo hi\x13; touch bad7; rm -rf /nonexistent\r');
    await p.waitFor('denied by rule', 5_000, before);
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(m('bad7'))).toBe(false);
    await p.close();
  }, 30_000);

  it('judges blind input after stty -echo as away from the prompt', async () => {
    const p = new PtyDriver(target, ask);
    await p.waitFor(/[$#] $/);
    await p.typeSlowly(`cd ${dir}; stty -echo\r`);
    await new Promise((r) => setTimeout(r, 300));
    const before = p.output.length;
    await p.typeSlowly('touch bad6\r');
    await p.waitFor('interactive_unknown', 5_000, before);
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(m('bad6'))).toBe(false);
    p.child.kill();
    await p.exited;
  }, 30_000);
});
