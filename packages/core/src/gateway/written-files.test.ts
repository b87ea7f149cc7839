// Two-step evasion: one command writes a script (or an SFTP upload does), a later command runs it. The
// session remembers what its allowed commands wrote, so the second step is judged as dynamic code.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { DEV_AUDIENCE, DEV_ISSUER, generateDevKeys } from '../identity/index.js';
import type { Identity, Session } from '../types.js';
import { Gateway } from './gateway.js';

let dir: string;
let gateway: Gateway;
const agent: Identity = { subject: 'agent-1', groups: ['ai-agents'], issuer: DEV_ISSUER, method: 'jwt' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-written-'));
  const keys = await generateDevKeys(join(dir, 'keys'));
  const hostKey = readFileSync(keys.sshHostKeyPub, 'utf8').split(' ').slice(0, 2).join(' ');
  const parsed = parseConfig(
    `version: 1
identity:
  issuers: [{ issuer: ${DEV_ISSUER}, audience: ${DEV_AUDIENCE}, jwks_file: ${keys.jwks} }]
store: { url: "file:${join(dir, 'sessions')}" }
connections:
  - name: vm
    protocol: ssh
    listen: "127.0.0.1:0"
    host_key_file: ${keys.sshHostKey}
    upstream: { host: 127.0.0.1, port: 22, user: deploy, private_key_file: ${keys.sshHostKey}, host_key: "${hostKey}" }
    policy: shell
policies:
  shell:
    allow_groups: [ai-agents]
    default: allow
    rules:
      - name: no-unknown-code
        when: { shell: { dynamic: true } }
        action: deny
`,
    { file: join(dir, 'p.yaml'), env: {} },
  );
  if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
  gateway = await Gateway.create(parsed.config, { analyzers: { sql: false, shell: true } });
});

afterAll(async () => {
  await gateway?.close();
  rmSync(dir, { recursive: true, force: true });
});

const open = () => gateway.open({ connection: 'vm', identity: agent, client: { address: '127.0.0.1' } });
const exec = (s: Session, text: string) => s.judge({ kind: 'shell', text, source: 'exec' });

it('a script written by one exec and run by the next is denied as unknown code', async () => {
  const s = await open();
  expect((await exec(s, 'bash /tmp/job.sh')).action).toBe('allow');
  expect((await exec(s, "printf 'rm -rf /srv\\n' > /tmp/job.sh")).action).toBe('allow');
  const d = await exec(s, 'bash /tmp/job.sh');
  expect(d).toMatchObject({ action: 'deny', rules: ['no-unknown-code'] });
  expect(d.reason).toMatch(/earlier command of this session/);
  expect((await exec(s, 'chmod +x /tmp/job.sh && /tmp/job.sh')).action).toBe('deny');
  // Another session did not write it.
  const other = await open();
  expect((await exec(other, 'bash /tmp/job.sh')).action).toBe('allow');
  await s.close('done');
  await other.close('done');
});

it('an SFTP upload counts as writing the file', async () => {
  const s = await open();
  await s.judge({ kind: 'file', op: 'open-write', paths: ['deploy.sh'], via: 'sftp' });
  expect((await exec(s, 'sh /home/deploy/deploy.sh')).action).toBe('deny');
  expect((await exec(s, 'sh ~/deploy.sh')).action).toBe('deny');
  expect((await exec(s, 'sh /home/deploy/other.sh')).action).toBe('allow');
  await s.close('done');
});
