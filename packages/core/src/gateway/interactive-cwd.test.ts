// A pty shell's directory carries from one judged line to the next: `cd /etc` then `cat shadow` is a
// read of /etc/shadow. Exec commands start at home every time.
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
  dir = mkdtempSync(join(tmpdir(), 'portcullis-cwd-'));
  const keys = await generateDevKeys(join(dir, 'keys'));
  const hostKey = readFileSync(keys.sshHostKeyPub, 'utf8').split(' ').slice(0, 2).join(' ');
  const yaml = `version: 1
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
      - name: no-secret-files
        when: { shell: { paths: ["/etc/shadow", "~/.ssh/**"] } }
        action: deny
`;
  const parsed = parseConfig(yaml, { file: join(dir, 'p.yaml'), env: {} });
  if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
  gateway = await Gateway.create(parsed.config, { analyzers: { sql: false, shell: true } });
});

afterAll(async () => {
  await gateway?.close();
  rmSync(dir, { recursive: true, force: true });
});

const line = (s: Session, text: string) =>
  s.judge({ kind: 'shell', text, source: 'interactive', context: 'prompt' });

it('a cd on one line decides what a relative path means on the next', async () => {
  const s = await gateway.open({ connection: 'vm', identity: agent, client: { address: '127.0.0.1' } });
  expect((await line(s, 'cat shadow')).action).toBe('allow'); // /home/deploy/shadow
  expect((await line(s, 'cd /etc')).action).toBe('allow');
  expect(await line(s, 'cat shadow')).toMatchObject({ action: 'deny', rules: ['no-secret-files'] });
  expect((await line(s, 'cd')).action).toBe('allow');
  expect((await line(s, 'cat .ssh/id_ed25519')).action).toBe('deny');
  expect((await line(s, 'cd "$(mktemp -d)"')).action).toBe('allow');
  expect((await line(s, 'cat shadow')).action).toBe('deny'); // directory unknown: fail closed
  expect((await line(s, 'cd /tmp')).action).toBe('allow');
  expect((await line(s, 'cat shadow')).action).toBe('allow');
  // exec commands are separate shells: they start at home whatever the pty did
  expect((await s.judge({ kind: 'shell', text: 'cat shadow', source: 'exec' })).action).toBe('allow');
  await s.close();
});
