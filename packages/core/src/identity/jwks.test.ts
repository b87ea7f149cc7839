// jwks_uri against a real local HTTP server: caching, key rotation, refetch rate limit, timeouts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { AuthError } from '../errors.js';
import { DEV_AUDIENCE, DEV_ISSUER, mintToken } from './dev-keys.js';
import { IdentityVerifier } from './verifier.js';

interface KeyPair {
  priv: JWK;
  pub: JWK;
}

async function keyPair(kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return {
    priv: { ...(await exportJWK(privateKey)), kid, alg: 'ES256' },
    pub: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' },
  };
}

let server: Server;
let url: string;
let hits = 0;
let published: JWK[] = [];
let delayMs = 0;
let status = 200;
let k1: KeyPair;
let k2: KeyPair;
let clock = Date.now();

beforeAll(async () => {
  k1 = await keyPair('k1');
  k2 = await keyPair('k2');
  server = createServer((_req, res) => {
    hits++;
    const send = () => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: published }));
    };
    if (delayMs > 0) setTimeout(send, delayMs).unref();
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  hits = 0;
  published = [k1.pub];
  delayMs = 0;
  status = 200;
  clock = Date.now();
});

function verifier(opts: { cooldownMs?: number; timeoutMs?: number; maxAgeMs?: number } = {}) {
  return new IdentityVerifier(
    {
      issuers: [
        {
          issuer: DEV_ISSUER,
          audience: DEV_AUDIENCE,
          jwksUri: url,
          groupsClaim: 'groups',
          clockToleranceMs: 30_000,
        },
      ],
      sshKeys: [],
    },
    { now: () => clock, cooldownMs: 30_000, ...opts },
  );
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    return (err as AuthError).reason;
  }
  throw new Error('expected a rejection');
}

describe('jwks_uri', () => {
  test('keys are fetched once and cached', async () => {
    const v = verifier();
    for (let i = 0; i < 5; i++) {
      const id = await v.verifyToken(await mintToken({ jwk: k1.priv, sub: `agent-${i}` }));
      expect(id.subject).toBe(`agent-${i}`);
    }
    expect(hits).toBe(1);
  });

  test('key rotation: a token with a new kid triggers one refetch and then verifies', async () => {
    const v = verifier();
    await v.verifyToken(await mintToken({ jwk: k1.priv, sub: 'before' }));
    expect(hits).toBe(1);
    published = [k1.pub, k2.pub]; // the issuer rotates
    clock += 31_000; // past the refetch cooldown
    const id = await v.verifyToken(await mintToken({ jwk: k2.priv, sub: 'after' }));
    expect(id.subject).toBe('after');
    expect(hits).toBe(2);
    // Both keys are now cached: no more fetches.
    await v.verifyToken(await mintToken({ jwk: k1.priv, sub: 'old-key' }));
    await v.verifyToken(await mintToken({ jwk: k2.priv, sub: 'new-key' }));
    expect(hits).toBe(2);
  });

  test('unknown kids are rate-limited: at most one refetch per cooldown', async () => {
    const v = verifier();
    await v.verifyToken(await mintToken({ jwk: k1.priv, sub: 'warm' }));
    clock += 31_000;
    const stranger = await keyPair('made-up');
    const token = await mintToken({ jwk: stranger.priv, sub: 'x' });
    for (let i = 0; i < 20; i++) expect(await reason(v.verifyToken(token))).toBe('unknown kid');
    expect(hits).toBe(2); // the initial fetch and a single refetch
    clock += 31_000;
    expect(await reason(v.verifyToken(token))).toBe('unknown kid');
    expect(hits).toBe(3);
  });

  test('a rotation inside the cooldown is picked up after it', async () => {
    const v = verifier();
    await v.verifyToken(await mintToken({ jwk: k1.priv, sub: 'warm' }));
    published = [k2.pub];
    const t2 = await mintToken({ jwk: k2.priv, sub: 'new' });
    expect(await reason(v.verifyToken(t2))).toBe('unknown kid');
    expect(hits).toBe(1);
    clock += 30_000;
    expect((await v.verifyToken(t2)).subject).toBe('new');
    expect(hits).toBe(2);
  });

  test('stale keys are refreshed after maxAge', async () => {
    const v = verifier({ maxAgeMs: 60_000 });
    await v.verifyToken(await mintToken({ jwk: k1.priv, sub: 'a' }));
    clock += 61_000;
    published = [k2.pub]; // k1 revoked
    expect(await reason(v.verifyToken(await mintToken({ jwk: k1.priv, sub: 'a' })))).toBe('unknown kid');
    expect(hits).toBe(2);
  });

  test('a fetch that times out fails closed, quickly', async () => {
    delayMs = 5_000;
    const v = verifier({ timeoutMs: 200 });
    const started = performance.now();
    expect(await reason(v.verifyToken(await mintToken({ jwk: k1.priv, sub: 'a' })))).toBe('jwks unavailable');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  test('an HTTP error or a non-JWKS body fails closed, and failed fetches are rate-limited too', async () => {
    status = 500;
    const v = verifier();
    const token = await mintToken({ jwk: k1.priv, sub: 'a' });
    expect(await reason(v.verifyToken(token))).toBe('jwks unavailable');
    expect(await reason(v.verifyToken(token))).toBe('jwks unavailable');
    expect(hits).toBe(1);
    status = 200;
    clock += 31_000;
    expect((await v.verifyToken(token)).subject).toBe('a');
    expect(hits).toBe(2);
  });

  test('concurrent verifications share one fetch', async () => {
    const v = verifier();
    const tokens = await Promise.all(
      Array.from({ length: 10 }, (_, i) => mintToken({ jwk: k1.priv, sub: `c${i}` })),
    );
    const ids = await Promise.all(tokens.map((t) => v.verifyToken(t)));
    expect(ids.map((i) => i.subject)).toEqual(tokens.map((_, i) => `c${i}`));
    expect(hits).toBe(1);
  });
});
