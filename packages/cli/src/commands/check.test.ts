import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../main.js';

const repo = new URL('../../../../', import.meta.url).pathname;
let dir: string;

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return {
    stream,
    get text() {
      return text;
    },
  };
}

async function run(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const out = capture();
  const err = capture();
  const code = await main(args, {
    stdout: out.stream,
    stderr: err.stream,
    env: opts.env ?? {},
    cwd: opts.cwd ?? dir,
  });
  return { code, stdout: out.text, stderr: err.text };
}

const ENV = { ORDERS_DB_PASSWORD: 'pw', PAYMENTS_API_TOKEN: 'tok' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-check-'));
  await mkdir(join(dir, 'tls'));
  await mkdir(join(dir, 'keys'));
  await writeFile(join(dir, 'tls/cert.pem'), 'x');
  await writeFile(join(dir, 'tls/key.pem'), 'x');
  await writeFile(join(dir, 'keys/deploy_ed25519'), 'x');
  await copyFile(join(repo, 'configs/example.yaml'), join(dir, 'portcullis.yaml'));
  await copyFile(join(repo, 'configs/broken-example.yaml'), join(dir, 'broken.yaml'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('portcullis check', () => {
  test('the SPEC example passes: exit 0, "FILE: ok (N connections, M policies)"', async () => {
    const r = await run(['check', '-c', 'portcullis.yaml'], { env: ENV });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('portcullis.yaml: ok (3 connections, 3 policies)\n');
    // The SPEC's elided keys ("AAAA...") are warned about, not refused.
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^portcullis\.yaml:10:\d+: identity\.ssh_keys\[0\]\.public_key: warning: /),
      expect.stringMatching(/^portcullis\.yaml:53:\d+: connections\[1\]\.upstream\.host_key: warning: /),
    ]);
    expect((await run(['check', '-c', 'portcullis.yaml', '--quiet'], { env: ENV })).stderr).toBe('');
  });

  test('-c defaults to $PORTCULLIS_CONFIG, then ./portcullis.yaml', async () => {
    const byEnv = await run(['check'], { env: { ...ENV, PORTCULLIS_CONFIG: 'broken.yaml' } });
    expect(byEnv.code).toBe(1);
    expect(byEnv.stderr).toMatch(/^broken\.yaml:3:10: version: /);
    const byDefault = await run(['check'], { env: ENV });
    expect(byDefault.code).toBe(0);
    expect(byDefault.stdout).toBe('portcullis.yaml: ok (3 connections, 3 policies)\n');
    const elsewhere = await run(['check'], { env: ENV, cwd: join(dir, 'tls') });
    expect(elsewhere).toMatchObject({ code: 1, stdout: '' });
    expect(elsewhere.stderr).toBe('portcullis.yaml:1:1: (document): cannot read config: file not found\n');
  });

  test('a broken file: exit 1, every problem as FILE:LINE:COL: <key path>: <what is wrong>', async () => {
    const r = await run(['check', '-c', 'broken.yaml'], { env: {} });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines.at(-1)).toBe('broken.yaml: 22 problems');
    const problems = lines.slice(0, -1);
    expect(problems).toHaveLength(22);
    for (const l of problems) expect(l).toMatch(/^broken\.yaml:\d+:\d+: [^:\s]+: \S.*$/);
    const lineNumbers = problems.map((l) => Number(l.split(':')[1]));
    expect(lineNumbers).toEqual([...lineNumbers].sort((a, b) => a - b));
    expect(problems).toContain(
      'broken.yaml:18:3: admin.auditor: unknown key "auditor" (did you mean "auditors"?)',
    );
    expect(problems).toContain(
      'broken.yaml:29:17: connections[0].upstream.password: environment variable BROKEN_EXAMPLE_UNSET_PASSWORD is not set',
    );
    expect(problems).toContain(
      'broken.yaml:37:13: connections[1].policy: unknown policy "db-guardrail" (defined: db-guardrails)',
    );
  });

  test('the example without its env vars names each missing variable', async () => {
    const r = await run(['check', '-c', 'portcullis.yaml'], { env: {} });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^portcullis\.yaml:41:\d+: connections\[0\]\.upstream\.password: environment variable ORDERS_DB_PASSWORD is not set$/m,
    );
    expect(r.stderr).toMatch(/environment variable PAYMENTS_API_TOKEN is not set$/m);
  });

  test('bad arguments print one line with the usage; --help prints help', async () => {
    const bad = await run(['check', '--nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^portcullis check: .*nope.* \(usage: portcullis check .*\)\n$/);
    const help = await run(['check', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^portcullis check \[-c portcullis\.yaml\]/);
  });
});
