// The demo's database: the local PostgreSQL when one answers on 127.0.0.1:5432 (a database of its own,
// `portcullis_demo`), otherwise an embedded Postgres (PGlite over a socket). Seeded with fake customers.
import pg from 'pg';
import { CUSTOMERS_DDL, customers, customersInsertSql } from './seed-data.js';

export interface PostgresTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  kind: 'local PostgreSQL' | 'embedded PGlite';
  stop(): Promise<void>;
}

const DEMO_DB = 'portcullis_demo';

/** `embedded: true` (or DEMO_EMBEDDED_PG=1 for `make demo`) skips the local server. */
export async function startPostgresTarget(opts: { embedded?: boolean } = {}): Promise<PostgresTarget> {
  const local = opts.embedded ? undefined : await tryLocal();
  if (local) return local;
  return startPglite();
}

async function tryLocal(): Promise<PostgresTarget | undefined> {
  const admin = new pg.Client({
    host: '127.0.0.1',
    port: 5432,
    user: 'postgres',
    database: 'postgres',
    connectionTimeoutMillis: 1500,
  });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DEMO_DB]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DEMO_DB}`);
  } finally {
    await admin.end();
  }
  const db = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: DEMO_DB });
  await db.connect();
  try {
    await db.query(CUSTOMERS_DDL);
    await db.query(customersInsertSql(customers()));
  } finally {
    await db.end();
  }
  return {
    host: '127.0.0.1',
    port: 5432,
    database: DEMO_DB,
    user: 'postgres',
    kind: 'local PostgreSQL',
    stop: async () => {},
  };
}

async function startPglite(): Promise<PostgresTarget> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create();
  await db.exec(CUSTOMERS_DDL);
  await db.exec(customersInsertSql(customers()));
  // One backend session for everyone (PGlite's model); the gateway is the only client anyway.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 8 });
  await server.start();
  const conn = server.getServerConn();
  const port = Number(conn.slice(conn.lastIndexOf(':') + 1));
  return {
    host: '127.0.0.1',
    port,
    database: 'postgres',
    user: 'postgres',
    kind: 'embedded PGlite',
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
