// The demo policy's case table (configs/cases/demo-policy-cases.yaml: SQL, shell and HTTP evasions)
// through `portcullis policy test` and `policy explain`, as a user runs them.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { generateDevKeys } from '@portcullis/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../packages/cli/src/main.js';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-cases-'));
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const keys = await generateDevKeys(path.join(dir, 'keys'));
  env = {
    DEMO_DIR: dir,
    DEMO_PG_HOST: '127.0.0.1',
    DEMO_PG_PORT: '5432',
    DEMO_PG_DATABASE: 'x',
    DEMO_PG_USER: 'postgres',
    DEMO_API_URL: 'http://127.0.0.1:1',
    DEMO_API_TOKEN: 't',
    DEMO_SSH_PORT: '22',
    DEMO_SSH_USER: 'root',
    DEMO_SSH_KEY_FILE: keys.sshHostKey,
    DEMO_SSH_HOST_KEY: readFileSync(keys.sshHostKeyPub, 'utf8').split(' ').slice(0, 2).join(' '),
  };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => {
    out += d;
  });
  stderr.on('data', (d) => {
    err += d;
  });
  const code = await main(args, { stdout, stderr, env, cwd: root });
  return { code, out, err };
}

it('every case of the demo policy table passes', async () => {
  const r = await cli(['policy', 'test', '-c', 'configs/demo.yaml', 'configs/cases/demo-policy-cases.yaml']);
  const cases = readFileSync(path.join(root, 'configs/cases/demo-policy-cases.yaml'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('- '));
  expect(r.out.trim().split('\n').at(-1)).toBe(`${cases.length} passed, 0 failed`);
  expect(r.code).toBe(0);
}, 60_000);

it('a failing expectation is reported with the decision that was made, and exits 1', async () => {
  const file = path.join(dir, 'wrong.yaml');
  (await import('node:fs')).writeFileSync(
    file,
    '- { connection: customers-db, sql: "DELETE FROM customers", expect: allow }\n',
  );
  const r = await cli(['policy', 'test', '-c', 'configs/demo.yaml', file]);
  expect(r.out).toContain(
    'FAIL case 1 (DELETE FROM customers): expected allow, got deny by rule delete-needs-where',
  );
  expect(r.out.trim().split('\n').at(-1)).toBe('0 passed, 1 failed');
  expect(r.code).toBe(1);
}, 60_000);

it('policy explain names the rule and reason, as text and JSON', async () => {
  const r = await cli([
    'policy',
    'explain',
    '-c',
    'configs/demo.yaml',
    '--connection',
    'build-vm',
    '--command',
    'echo cm0gLXJmIC8= | base64 -d | sh',
  ]);
  expect(r.out).toMatch(/^decision: deny\nrules: {4}no-dynamic-exec\nreason: {3}dynamic execution/);
  const j = await cli([
    'policy',
    'explain',
    '-c',
    'configs/demo.yaml',
    '--connection',
    'customers-db',
    '--sql',
    'DELETE FROM orders WHERE id = 1',
    '--json',
  ]);
  const doc = JSON.parse(j.out);
  expect(doc.decision).toMatchObject({ action: 'review', rules: ['writes-reviewed'] });
  expect(doc.approvers).toEqual(['dba']);
}, 60_000);
