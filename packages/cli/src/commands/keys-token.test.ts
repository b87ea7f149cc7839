import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { IdentityVerifier, loadConfig } from '@portcullis/core';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { main } from '../main.js';

let dir: string;

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const chunks = { out: '', err: '' };
  const sink = (k: 'out' | 'err') =>
    new Writable({
      write(c, _e, cb) {
        chunks[k] += c.toString();
        cb();
      },
    });
  const code = await main(args, { stdout: sink('out'), stderr: sink('err'), env, cwd: dir });
  return { code, stdout: chunks.out, stderr: chunks.err };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-keys-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('portcullis keys generate / token mint', () => {
  test('generate, mint, and the token verifies against a config that uses the generated files', async () => {
    const gen = await run(['keys', 'generate', '--out', 'keys']);
    expect(gen.code).toBe(0);
    expect(gen.stdout).toContain('wrote keys/signing.jwk');
    expect(gen.stdout).toContain('jwks_file: keys/jwks.json');
    expect((await stat(join(dir, 'keys/signing.jwk'))).mode & 0o777).toBe(0o600);

    const mint = await run([
      'token',
      'mint',
      '--key',
      'keys/signing.jwk',
      '--sub',
      'agent-1',
      '--groups',
      'ai-agents,x',
      '--ttl',
      '10m',
    ]);
    expect(mint.code).toBe(0);
    expect(mint.stderr).toBe('');
    const token = mint.stdout.trim();
    expect(mint.stdout).toBe(`${token}\n`);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      sub: 'agent-1',
      groups: ['ai-agents', 'x'],
      iss: 'https://portcullis.dev.local/',
      aud: 'portcullis',
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(600);

    // A dev config built from the printed snippet accepts the token; check passes on it.
    await writeFile(
      join(dir, 'portcullis.yaml'),
      `version: 1
identity:
  issuers:
    - issuer: https://portcullis.dev.local/
      audience: portcullis
      jwks_file: keys/jwks.json
connections:
  - name: vm
    protocol: ssh
    listen: 127.0.0.1:0
    host_key_file: keys/ssh_host_ed25519
    upstream: { host: 127.0.0.1, port: 22, user: deploy, private_key_file: keys/ssh_host_ed25519, host_key: "${(await readFile(join(dir, 'keys/ssh_host_ed25519.pub'), 'utf8')).trim()}" }
    policy: p
policies:
  p: { allow_groups: [ai-agents] }
`,
    );
    const check = await run(['check']);
    expect(check).toEqual({
      code: 0,
      stdout: 'portcullis.yaml: ok (1 connections, 1 policies)\n',
      stderr: '',
    });
    const config = await loadConfig(join(dir, 'portcullis.yaml'), {});
    const id = await new IdentityVerifier(config.identity).verifyToken(token);
    expect(id).toMatchObject({ subject: 'agent-1', groups: ['ai-agents', 'x'], method: 'jwt' });
  });

  test('without --iss, the issuer, audience and groups claim come from the config issuer publishing the key', async () => {
    await run(['keys', 'generate', '--out', 'k3']);
    await run(['keys', 'generate', '--out', 'k4']);
    await writeFile(
      join(dir, 'idp.yaml'),
      `version: 1
identity:
  issuers:
    - { issuer: "https://other.example/", audience: x, jwks_file: k4/jwks.json }
    - { issuer: "https://login.example.com/", audience: [portcullis-prod, y], jwks_file: "\${KEYS}/jwks.json", groups_claim: roles }
policies:
  p: { allow_groups: [ai-agents] }
`,
    );
    const r = await run(
      [
        'token',
        'mint',
        '--key',
        'k3/signing.jwk',
        '--sub',
        'agent-9',
        '--groups',
        'ai-agents',
        '-c',
        'idp.yaml',
      ],
      { KEYS: 'k3' },
    );
    expect(r.code, r.stderr).toBe(0);
    const claims = decodeJwt(r.stdout.trim());
    expect(claims).toMatchObject({
      iss: 'https://login.example.com/',
      aud: 'portcullis-prod',
      roles: ['ai-agents'],
    });
    expect(claims.groups).toBeUndefined();
    const config = await loadConfig(join(dir, 'idp.yaml'), { KEYS: 'k3' });
    const id = await new IdentityVerifier(config.identity).verifyToken(r.stdout.trim());
    expect(id).toMatchObject({ subject: 'agent-9', groups: ['ai-agents'] });
    // A key no issuer of the config publishes: the development defaults.
    const k2 = await run(['keys', 'generate', '--out', 'k5']);
    expect(k2.code).toBe(0);
    const dev = await run(['token', 'mint', '--key', 'k5/signing.jwk', '--sub', 's', '-c', 'idp.yaml'], {
      KEYS: 'k3',
    });
    expect(decodeJwt(dev.stdout.trim())).toMatchObject({
      iss: 'https://portcullis.dev.local/',
      aud: 'portcullis',
    });
  });

  test('--aud and --iss override the defaults', async () => {
    await run(['keys', 'generate', '--out', 'k2']);
    const r = await run([
      'token',
      'mint',
      '--key',
      'k2/signing.jwk',
      '--sub',
      's',
      '--aud',
      'api',
      '--iss',
      'https://idp.example/',
    ]);
    expect(decodeJwt(r.stdout.trim())).toMatchObject({ aud: 'api', iss: 'https://idp.example/', groups: [] });
  });

  test('errors are one line on stderr with exit 1', async () => {
    const again = await run(['keys', 'generate', '--out', 'keys']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists \(refusing to overwrite a key; use --force\)\n$/);
    expect((await run(['keys', 'generate', '--out', 'keys', '--force'])).code).toBe(0);

    const noOut = await run(['keys', 'generate']);
    expect(noOut.code).toBe(1);
    expect(noOut.stderr).toMatch(/--out DIR is required \(usage: portcullis keys generate .*\)\n$/);

    const noSub = await run(['token', 'mint', '--key', 'keys/signing.jwk']);
    expect(noSub.code).toBe(1);
    expect(noSub.stderr).toMatch(/--sub SUBJECT is required/);

    const noKey = await run(['token', 'mint', '--key', 'missing.jwk', '--sub', 'a']);
    expect(noKey).toMatchObject({ code: 1, stdout: '' });
    expect(noKey.stderr).toBe(`portcullis token mint: cannot read key ${join(dir, 'missing.jwk')}: ENOENT\n`);

    const publicKey = await run(['token', 'mint', '--key', 'keys/jwks.json', '--sub', 'a']);
    expect(publicKey.stderr).toBe('portcullis token mint: the key is not a private JWK (no "d")\n');

    const badTtl = await run(['token', 'mint', '--key', 'keys/signing.jwk', '--sub', 'a', '--ttl', 'ages']);
    expect(badTtl.stderr).toBe('portcullis token mint: invalid ttl "ages" (e.g. 15m, 1h, 1d)\n');
  });
});
