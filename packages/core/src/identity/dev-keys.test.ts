import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEV_AUDIENCE, DEV_ISSUER, type DevKeyFiles, generateDevKeys, mintToken } from './dev-keys.js';
import { IdentityVerifier } from './verifier.js';

let dir: string;
let files: DevKeyFiles;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-devkeys-'));
  files = await generateDevKeys(join(dir, 'keys'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('generateDevKeys', () => {
  test('writes a private signing JWK (0600) and a public-only JWKS with the same kid', async () => {
    expect((await stat(files.signingJwk)).mode & 0o777).toBe(0o600);
    expect((await stat(files.sshHostKey)).mode & 0o777).toBe(0o600);
    const priv = JSON.parse(await readFile(files.signingJwk, 'utf8'));
    expect(priv).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: files.kid });
    expect(typeof priv.d).toBe('string');
    const jwks = JSON.parse(await readFile(files.jwks, 'utf8'));
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kid: files.kid, x: priv.x });
    expect(jwks.keys[0].d).toBeUndefined();
  });

  test('refuses to overwrite existing keys unless forced', async () => {
    await expect(generateDevKeys(join(dir, 'keys'))).rejects.toThrow(/already exists/);
    const before = await readFile(files.signingJwk, 'utf8');
    expect(await readFile(files.signingJwk, 'utf8')).toBe(before);
    const again = await generateDevKeys(join(dir, 'keys2'));
    const forced = await generateDevKeys(join(dir, 'keys2'), { force: true });
    expect(forced.kid).not.toBe(again.kid);
  });

  test('the SSH host key is OpenSSH format that ssh2 parses, matching the .pub line', async () => {
    const text = await readFile(files.sshHostKey, 'utf8');
    expect(text.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----\n')).toBe(true);
    const key = ssh2.utils.parseKey(text);
    if (key instanceof Error) throw key;
    const parsed = Array.isArray(key) ? key[0] : key;
    expect(parsed.type).toBe('ssh-ed25519');
    const pubLine = (await readFile(files.sshHostKeyPub, 'utf8')).trim().split(' ');
    expect(pubLine[0]).toBe('ssh-ed25519');
    expect(parsed.getPublicSSH().toString('base64')).toBe(pubLine[1]);
    // It signs, and the signature verifies with the public half.
    const data = Buffer.from('portcullis');
    expect(parsed.verify(data, parsed.sign(data) as Buffer)).toBe(true);
  });

  test('ssh2 serves with it as a host key; a client sees exactly the .pub key', async () => {
    const hostKey = await readFile(files.sshHostKey);
    const pubBlob = Buffer.from((await readFile(files.sshHostKeyPub, 'utf8')).split(' ')[1], 'base64');
    const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
      client.on('authentication', (ctx) => ctx.reject());
      client.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const seen = await new Promise<Buffer>((resolve, reject) => {
      const c = new ssh2.Client();
      c.on('error', () => undefined);
      c.connect({
        host: '127.0.0.1',
        port,
        username: 'x',
        password: 'y',
        hostVerifier: (key: Buffer) => {
          resolve(key);
          return false;
        },
      });
      setTimeout(() => reject(new Error('no host key seen')), 5_000).unref();
    });
    server.close();
    expect(seen.equals(pubBlob)).toBe(true);
  });
});

describe('mintToken', () => {
  test('defaults: dev issuer and audience, 1h ttl, kid in the header; verifies against jwks.json', async () => {
    const token = await mintToken({ keyFile: files.signingJwk, sub: 'agent-1', groups: ['ai-agents', 'x'] });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', kid: files.kid, typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: DEV_ISSUER,
      aud: DEV_AUDIENCE,
      sub: 'agent-1',
      groups: ['ai-agents', 'x'],
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    const v = new IdentityVerifier({
      issuers: [
        {
          issuer: DEV_ISSUER,
          audience: DEV_AUDIENCE,
          jwksFile: files.jwks,
          groupsClaim: 'groups',
          clockToleranceMs: 0,
        },
      ],
      sshKeys: [],
    });
    expect(await v.verifyToken(token)).toMatchObject({ subject: 'agent-1', groups: ['ai-agents', 'x'] });
  });

  test('ttl, aud and iss are honoured', async () => {
    const token = await mintToken({
      keyFile: files.signingJwk,
      sub: 's',
      ttl: '15m',
      aud: 'api',
      iss: 'https://idp/',
    });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: 'https://idp/', aud: 'api' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);
  });

  test('clear errors for a bad key file or ttl', async () => {
    await expect(mintToken({ keyFile: join(dir, 'nope.jwk'), sub: 's' })).rejects.toThrow(/cannot read key/);
    await expect(mintToken({ keyFile: files.jwks, sub: 's' })).rejects.toThrow(/not a private JWK/);
    await expect(mintToken({ keyFile: files.signingJwk, sub: 's', ttl: 'forever' })).rejects.toThrow(
      /invalid ttl/,
    );
  });
});
