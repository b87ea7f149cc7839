import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { IdentityConfig, IssuerConfig } from '../config/types.js';
import { AuthError } from '../errors.js';
import { DEV_AUDIENCE, DEV_ISSUER, generateDevKeys, mintToken } from './dev-keys.js';
import { generateOpenSshEd25519 } from './openssh-key.js';
import { AUTH_REASONS, IdentityVerifier } from './verifier.js';

let dir: string;
let signing: JWK;
let jwksFile: string;
let second: { jwk: JWK; jwksFile: string };
const ISSUER_B = 'https://login.other.example/';

function issuer(over: Partial<IssuerConfig> = {}): IssuerConfig {
  return {
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    jwksFile,
    groupsClaim: 'groups',
    clockToleranceMs: 30_000,
    ...over,
  };
}

function verifier(issuers: IssuerConfig[] = [issuer()], sshKeys: IdentityConfig['sshKeys'] = []) {
  return new IdentityVerifier({ issuers, sshKeys });
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    return (err as AuthError).reason;
  }
  throw new Error('expected the token to be rejected');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-identity-'));
  const files = await generateDevKeys(join(dir, 'a'));
  const { readFile } = await import('node:fs/promises');
  signing = JSON.parse(await readFile(files.signingJwk, 'utf8')) as JWK;
  jwksFile = files.jwks;
  // A second issuer with an ES256 key.
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const pub = { ...(await exportJWK(publicKey)), kid: 'b-1', alg: 'ES256' };
  second = {
    jwk: { ...(await exportJWK(privateKey)), kid: 'b-1', alg: 'ES256' },
    jwksFile: join(dir, 'b.json'),
  };
  await writeFile(second.jwksFile, JSON.stringify({ keys: [pub] }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('verifyToken accepts', () => {
  test('a valid token, with groups as a list', async () => {
    const token = await mintToken({ jwk: signing, sub: 'agent-1', groups: ['ai-agents', 'x'] });
    const id = await verifier().verifyToken(token);
    expect(id).toMatchObject({
      subject: 'agent-1',
      groups: ['ai-agents', 'x'],
      issuer: DEV_ISSUER,
      method: 'jwt',
    });
    expect(id.expiresAt).toBeGreaterThan(Date.now() + 3_500_000);
  });

  test('groups as a space-separated string, from a configured claim', async () => {
    const token = await mintToken({ jwk: signing, sub: 'agent-2', claims: { roles: 'ai-agents  dba ' } });
    const id = await verifier([issuer({ groupsClaim: 'roles' })]).verifyToken(token);
    expect(id.groups).toEqual(['ai-agents', 'dba']);
  });

  test('groups from a nested claim path', async () => {
    const token = await mintToken({ jwk: signing, sub: 'a', claims: { realm_access: { roles: ['sre'] } } });
    expect(
      (await verifier([issuer({ groupsClaim: 'realm_access.roles' })]).verifyToken(token)).groups,
    ).toEqual(['sre']);
  });

  test('two issuers at once: each token is checked against its own issuer keys', async () => {
    const v = verifier([
      issuer(),
      issuer({ issuer: ISSUER_B, audience: ['api', 'portcullis-b'], jwksFile: second.jwksFile }),
    ]);
    const a = await mintToken({ jwk: signing, sub: 'from-a' });
    const b = await mintToken({ jwk: second.jwk, sub: 'from-b', iss: ISSUER_B, aud: 'portcullis-b' });
    expect(await v.verifyToken(a)).toMatchObject({ subject: 'from-a', issuer: DEV_ISSUER });
    expect(await v.verifyToken(b)).toMatchObject({ subject: 'from-b', issuer: ISSUER_B });
    // Issuer B's key cannot sign for issuer A: the kid is unknown in A's JWKS.
    const forged = await mintToken({ jwk: second.jwk, sub: 'x', iss: DEV_ISSUER });
    expect(await reason(v.verifyToken(forged))).toBe('unknown kid');
  });

  test('a token just past exp within the clock tolerance', async () => {
    const token = await mintToken({ jwk: signing, sub: 'a', ttl: '1m', now: Date.now() - 80_000 });
    expect((await verifier().verifyToken(token)).subject).toBe('a');
    expect(await reason(verifier([issuer({ clockToleranceMs: 0 })]).verifyToken(token))).toBe('expired');
  });
});

describe('verifyToken rejects, each with its own reason', () => {
  test('expired', async () => {
    const token = await mintToken({ jwk: signing, sub: 'a', ttl: '1m', now: Date.now() - 3_600_000 });
    expect(await reason(verifier().verifyToken(token))).toBe('expired');
  });

  test('not yet valid (nbf in the future)', async () => {
    const token = await mintToken({ jwk: signing, sub: 'a', notBeforeMs: 600_000 });
    expect(await reason(verifier().verifyToken(token))).toBe('not yet valid');
  });

  test('wrong issuer (not a configured issuer)', async () => {
    const token = await mintToken({ jwk: signing, sub: 'a', iss: 'https://evil.example/' });
    expect(await reason(verifier().verifyToken(token))).toBe('wrong issuer');
  });

  test('wrong audience', async () => {
    const token = await mintToken({ jwk: signing, sub: 'a', aud: 'someone-else' });
    expect(await reason(verifier().verifyToken(token))).toBe('wrong audience');
  });

  test('unknown kid (signed by a key not in the JWKS)', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
    const other = { ...(await exportJWK(privateKey)), kid: 'not-published', alg: 'EdDSA' };
    const token = await mintToken({ jwk: other, sub: 'a' });
    expect(await reason(verifier().verifyToken(token))).toBe('unknown kid');
  });

  test('alg none', async () => {
    const good = await mintToken({ jwk: signing, sub: 'a', groups: ['ai-agents'] });
    const payload = good.split('.')[1];
    for (const alg of ['none', 'None', 'NONE']) {
      const header = base64url.encode(JSON.stringify({ alg, typ: 'JWT' }));
      expect(await reason(verifier().verifyToken(`${header}.${payload}.`))).toBe('alg none');
    }
  });

  test('HS256 signed with the public key bytes (algorithm confusion)', async () => {
    const { readFile } = await import('node:fs/promises');
    const jwksText = await readFile(jwksFile, 'utf8');
    const pubJwk = (JSON.parse(jwksText) as { keys: JWK[] }).keys[0];
    for (const secret of [jwksText, JSON.stringify(pubJwk), Buffer.from(pubJwk.x as string, 'base64url')]) {
      const token = await new SignJWT({ groups: ['ai-agents'] })
        .setProtectedHeader({ alg: 'HS256', kid: pubJwk.kid })
        .setSubject('a')
        .setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE)
        .setExpirationTime('1h')
        .sign(typeof secret === 'string' ? new TextEncoder().encode(secret) : new Uint8Array(secret));
      expect(await reason(verifier().verifyToken(token))).toBe('disallowed alg');
    }
  });

  test('an allowed algorithm the issuer did not list', async () => {
    const token = await mintToken({ jwk: signing, sub: 'a' });
    expect(await reason(verifier([issuer({ algorithms: ['RS256'] })]).verifyToken(token))).toBe(
      'disallowed alg',
    );
  });

  test('tampered payload (signature no longer matches)', async () => {
    const token = await mintToken({ jwk: signing, sub: 'agent-1', groups: ['ai-agents'] });
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
    claims.groups = ['ai-agents', 'dba'];
    const tampered = `${h}.${base64url.encode(JSON.stringify(claims))}.${s}`;
    expect(await reason(verifier().verifyToken(tampered))).toBe('bad signature');
    // A flipped signature byte too.
    const sig = base64url.decode(s);
    sig[0] ^= 1;
    expect(await reason(verifier().verifyToken(`${h}.${p}.${base64url.encode(sig)}`))).toBe('bad signature');
  });

  test('missing sub', async () => {
    const { importJWK } = await import('jose');
    const key = await importJWK(signing, 'EdDSA');
    const noSub = await new SignJWT({ groups: [] })
      .setProtectedHeader({ alg: 'EdDSA', kid: signing.kid })
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setExpirationTime('1h')
      .sign(key);
    expect(await reason(verifier().verifyToken(noSub))).toBe('missing sub');
  });

  test('malformed tokens', async () => {
    const v = verifier();
    for (const bad of [
      '',
      'abc',
      'a.b',
      'a.b.c',
      '....',
      `${'x'.repeat(20_000)}.a.b`,
      'eyJhbGciOiJFZERTQSJ9.!!!.x',
    ]) {
      expect(await reason(v.verifyToken(bad))).toBe('malformed token');
    }
  });

  test('a groups claim of the wrong type', async () => {
    const token = await mintToken({ jwk: signing, sub: 'a', claims: { roles: { admin: true } } });
    expect(await reason(verifier([issuer({ groupsClaim: 'roles' })]).verifyToken(token))).toBe(
      'bad groups claim',
    );
  });

  test('the reasons are distinct, and the message never contains the token', async () => {
    expect(new Set(Object.values(AUTH_REASONS)).size).toBe(Object.values(AUTH_REASONS).length);
    const token = await mintToken({ jwk: signing, sub: 'a', aud: 'x' });
    try {
      await verifier().verifyToken(token);
    } catch (err) {
      expect(String((err as Error).message)).not.toContain(token.split('.')[1]);
    }
  });
});

describe('identifySshKey', () => {
  test('maps a listed public key to its identity, and nothing else', () => {
    const a = generateOpenSshEd25519('agent-1');
    const b = generateOpenSshEd25519('stranger');
    const v = verifier(
      [],
      [
        { publicKey: a.publicKey, subject: 'agent-1', groups: ['ai-agents'] },
        { publicKey: 'ssh-ed25519 AAAA... placeholder', subject: 'never', groups: [] },
      ],
    );
    const blobA = Buffer.from(a.publicKey.split(' ')[1], 'base64');
    const blobB = Buffer.from(b.publicKey.split(' ')[1], 'base64');
    expect(v.identifySshKey('ssh-ed25519', blobA)).toEqual({
      subject: 'agent-1',
      groups: ['ai-agents'],
      issuer: 'ssh-key',
      method: 'ssh_key',
    });
    expect(v.identifySshKey('ssh-ed25519', blobB)).toBeUndefined();
    expect(v.identifySshKey('ssh-rsa', blobA)).toBeUndefined();
    expect(v.identifySshKey('ssh-ed25519', Buffer.alloc(0))).toBeUndefined();
    expect(v.identifySshKey('ssh-ed25519', blobA.subarray(0, blobA.length - 1))).toBeUndefined();
  });
});
