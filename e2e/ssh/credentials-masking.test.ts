// `cat .env` over SSH: the agent sees the names, users and hosts, never the passwords. Real sshd,
// OpenSSH client, the shell policy's detector set; the file is written in chunks that split a
// password and a URL password across the writes the gateway receives.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { type Sshd, startSshd } from '../support/sshd.js';
import { askpass, ssh, type Target } from './client.js';

let sshd: Sshd;
let gw: TestGateway;
let target: Target;
let ask: string;
let work: string;

const ENV = [
  'APP_ENV=production',
  'DB_PASSWORD=Pa55w0rd!x',
  'DATABASE_URL=postgres://app:S3cr3t!@db:5432/prod',
  'REDIS_URL=redis://:hunter2@cache:6379/0',
  'SMTP_PASSWORD="correct horse battery"',
  'PLACEHOLDER_PASSWORD=${FROM_VAULT}',
  'spring.datasource.password: Tr0ub4dor&3',
  '',
].join('\n');
const MASKED = [
  'APP_ENV=production',
  'DB_PASSWORD=[MASKED:api_key]',
  'DATABASE_URL=postgres://app:[MASKED:api_key]@db:5432/prod',
  'REDIS_URL=redis://:[MASKED:api_key]@cache:6379/0',
  'SMTP_PASSWORD="[MASKED:api_key]"',
  'PLACEHOLDER_PASSWORD=${FROM_VAULT}',
  'spring.datasource.password: [MASKED:api_key]',
  '',
].join('\n');

beforeAll(async () => {
  sshd = await startSshd();
  gw = await startGateway(
    (ctx) => `${ctx.preamble}
connections:
  - name: vm
    protocol: ssh
    listen: 127.0.0.1:0
    host_key_file: ${ctx.dir}/gw/ssh_host_ed25519
    upstream:
      host: 127.0.0.1
      port: ${sshd.port}
      user: ${sshd.user}
      private_key_file: ${sshd.clientKeyFile}
      host_key: "${sshd.hostKey}"
    policy: shell
policies:
  shell:
    allow_groups: [ai-agents]
    default: allow
    masking: { detectors: [aws_access_key, private_key, jwt, api_key] }
`,
  );
  work = join(gw.dir, 'work');
  mkdirSync(work);
  writeFileSync(join(work, 'app.env'), ENV);
  ask = askpass(gw.dir);
  target = { host: '127.0.0.1', port: gw.port('vm'), user: 'agent', token: await gw.token() };
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await sshd?.stop();
});

describe('credentials in shell output', () => {
  it('cat of a .env file shows the names and hosts, masks the passwords', async () => {
    const r = await ssh(target, [`cat ${join(work, 'app.env')}`], { askpass: ask });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(MASKED);
  });

  it('a password and a URL password split across the upstream writes are still masked', async () => {
    // each printf is its own write, 10 ms apart (under the listener's 40 ms hold, MAX_HOLD_MS: a
    // secret whose halves arrive further apart than that is flushed unmasked, as documented)
    const r = await ssh(
      target,
      [
        "printf 'DB_PASSWORD=Pa55'; sleep 0.01; printf 'w0rd!x\\nDATABASE_URL=postgres://app:S3c'; sleep 0.01; printf 'r3t!@db:5432/prod\\n'",
      ],
      { askpass: ask },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'DB_PASSWORD=[MASKED:api_key]\nDATABASE_URL=postgres://app:[MASKED:api_key]@db:5432/prod\n',
    );
  });
});
