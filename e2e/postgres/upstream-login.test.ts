// The gateway's own login to a real Postgres: every auth method and TLS mode against a private
// cluster that has TLS on, and the machine's server (TLS off) for the plain/prefer/require cases.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PostgresUpstream } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginUpstream, UpstreamError } from '../../packages/postgres/src/upstream-auth.js';
import { MAIN_PG, makeCert, type PrivatePostgres, startPrivatePostgres } from '../support/postgres.js';

let pgx: PrivatePostgres;
beforeAll(async () => {
  pgx = await startPrivatePostgres();
}, 60_000);
afterAll(async () => {
  await pgx?.stop();
});

const opts = { timeoutMs: 5000, maxMessageBytes: 1 << 20, database: 'postgres' };
const up = (over: Partial<PostgresUpstream>): PostgresUpstream => ({
  host: '127.0.0.1',
  port: pgx.port,
  user: 'postgres',
  tls: 'disable',
  ...over,
});

async function login(u: PostgresUpstream) {
  const c = await loginUpstream(u, opts);
  c.socket.destroy();
  return c;
}

describe('upstream login', () => {
  it.each(['scram_user', 'md5_user', 'pw_user'])(
    'logs in as %s with the configured password',
    async (user) => {
      const c = await login(up({ user, password: 's3cret!' }));
      expect(c.txStatus).toBe('I');
      expect(c.backendKey.pid).toBeGreaterThan(0);
      expect(c.parameters.get('session_authorization')).toBe(user);
    },
  );

  it('reports a wrong password with the upstream SQLSTATE', async () => {
    const e = await loginUpstream(up({ user: 'scram_user', password: 'wrong' }), opts).catch((x) => x);
    expect(e).toBeInstanceOf(UpstreamError);
    expect(e.code).toBe('28P01');
    const m = await loginUpstream(up({ user: 'md5_user' }), opts).catch((x) => x);
    expect(m.message).toMatch(/none is configured/);
  });

  it('negotiates TLS per mode', async () => {
    expect((await login(up({ tls: 'disable' }))).tls).toBe(false);
    expect((await login(up({ tls: 'prefer' }))).tls).toBe(true);
    expect((await login(up({ tls: 'require', user: 'tls_only' }))).tls).toBe(true);
    expect(
      (await login(up({ tls: 'verify-full', caFile: pgx.certFile, user: 'scram_user', password: 's3cret!' })))
        .tls,
    ).toBe(true);
    // hostssl-only user over plain TCP: refused by the server's pg_hba.
    const plain = await loginUpstream(up({ tls: 'disable', user: 'tls_only' }), opts).catch((x) => x);
    expect(plain.code).toBe('28000');
  });

  it('verify-full refuses a certificate from another CA, require accepts it', async () => {
    const other = makeCert(mkdtempSync(join(tmpdir(), 'portcullis-ca-')), 'other');
    const e = await loginUpstream(up({ tls: 'verify-full', caFile: other.certFile }), opts).catch((x) => x);
    expect(e).toBeInstanceOf(UpstreamError);
    expect(e.message).toMatch(/TLS \(verify-full\)/);
    expect((await login(up({ tls: 'require', caFile: undefined }))).tls).toBe(true);
  });

  it('against a server without TLS: prefer falls back to plain, require refuses', async () => {
    const main = { ...MAIN_PG, tls: 'prefer' as const };
    expect((await login(main)).tls).toBe(false);
    const e = await loginUpstream({ ...main, tls: 'require' }, opts).catch((x) => x);
    expect(e.message).toMatch(/does not support TLS/);
  });
});
