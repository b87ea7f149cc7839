// Several channels on one SSH connection (what ControlMaster does) with the real core: each shell
// channel is judged as its own shell, so what one channel's lines did cannot change how another's
// are read.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, type ClientChannel } from 'ssh2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { type Sshd, startSshd } from '../support/sshd.js';

let sshd: Sshd;
let gw: TestGateway;
let work: string;

beforeAll(async () => {
  sshd = await startSshd();
  gw = await startGateway(
    (ctx) => `${ctx.preamble}
connections:
  - name: build-vm
    protocol: ssh
    listen: 127.0.0.1:0
    host_key_file: ${ctx.dir}/gw/ssh_host_ed25519
    upstream:
      host: 127.0.0.1
      port: ${sshd.port}
      user: ${sshd.user}
      private_key_file: ${sshd.clientKeyFile}
      host_key: "${sshd.hostKey}"
    policy: shell-guardrails
policies:
  shell-guardrails:
    allow_groups: [ai-agents]
    default: allow
    interactive: allow
    interactive_unknown: deny
    rules:
      - name: no-secret-files
        when: { shell: { paths: ["${ctx.dir}/vault/*.txt"] } }
        action: deny
`,
  );
  work = gw.dir;
  mkdirSync(join(work, 'vault'));
  writeFileSync(join(work, 'vault', 'key.txt'), 'VAULT-CONTENT');
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await sshd?.stop();
});

/** A shell channel without a pty: the gateway judges each stdin line. */
function shellChannel(c: Client): Promise<{ ch: ClientChannel; out: () => string }> {
  return new Promise((resolve, reject) =>
    c.shell(false, (err, ch) => {
      if (err) return reject(err);
      let out = '';
      ch.on('data', (d: Buffer) => {
        out += d.toString();
      });
      ch.stderr.on('data', (d: Buffer) => {
        out += d.toString();
      });
      resolve({ ch, out: () => out });
    }),
  );
}

const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms));

it("a cd on one channel does not change what a relative path means on another channel's shell", async () => {
  const token = await gw.token();
  const conn = new Client();
  await new Promise<void>((resolve, reject) => {
    conn.once('ready', () => resolve());
    conn.once('error', reject);
    conn.connect({ host: '127.0.0.1', port: gw.port('build-vm'), username: 'agent', password: token });
  });
  const a = await shellChannel(conn);
  const b = await shellChannel(conn);
  a.ch.write(`cd ${work}/vault\n`);
  await settle();
  b.ch.write(`cd ${work}\n`);
  await settle();
  // channel a's shell stands in the vault: this is a read of vault/key.txt
  a.ch.write('cat key.txt; echo a-done\n');
  await settle();
  b.ch.write('cat vault/key.txt; echo b-done\n');
  await settle(800);
  conn.end();
  expect(a.out()).toContain('portcullis: denied by rule no-secret-files');
  expect(a.out()).not.toContain('VAULT-CONTENT');
  expect(b.out()).toContain('portcullis: denied by rule no-secret-files');
  expect(b.out()).not.toContain('VAULT-CONTENT');
});
