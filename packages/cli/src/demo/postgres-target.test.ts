// The demo's embedded database (PGlite over a socket), used when no local PostgreSQL answers.
import pg from 'pg';
import { expect, it } from 'vitest';
import { startPostgresTarget } from './postgres-target.js';

it('serves the seeded customers over the Postgres wire protocol', async () => {
  const target = await startPostgresTarget({ embedded: true });
  try {
    expect(target.kind).toBe('embedded PGlite');
    const c = new pg.Client({
      host: target.host,
      port: target.port,
      user: target.user,
      database: target.database,
    });
    await c.connect();
    const r = await c.query('SELECT count(*)::int AS n, count(DISTINCT email)::int AS emails FROM customers');
    expect(r.rows[0]).toEqual({ n: 200, emails: 200 });
    await c.end();
  } finally {
    await target.stop();
  }
}, 60_000);
