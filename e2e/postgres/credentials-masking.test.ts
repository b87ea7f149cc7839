// Credentials the agent reads through the Postgres listener: a connection-string column, a config
// blob with password assignments, and a jsonb document with a password key — masked by `api_key`
// in DataRows (text and binary) and in COPY rows, with the names, users and hosts left readable.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { createTestDatabase, mainQuery, psqlArgs, run } from '../support/postgres.js';

let gw: TestGateway;
let db: { name: string; drop(): Promise<void> };
let token: string;

// [stored value, what the agent must see]
const ROWS: [string, string][] = [
  ['postgres://app:S3cr3t!@db:5432/prod', 'postgres://app:[MASKED:api_key]@db:5432/prod'],
  ['redis://:hunter2@cache:6379/0', 'redis://:[MASKED:api_key]@cache:6379/0'],
  ['DB_PASSWORD=Pa55w0rd!x', 'DB_PASSWORD=[MASKED:api_key]'],
  ['password: ${DB_PASSWORD}', 'password: ${DB_PASSWORD}'],
  ['postgres://app@db:5432/prod', 'postgres://app@db:5432/prod'],
];

beforeAll(async () => {
  db = await createTestDatabase();
  const values = ROWS.map(([v], i) => `(${i + 1}, '${v}')`).join(',');
  await mainQuery(
    `CREATE TABLE services (id int, dsn text);
     INSERT INTO services VALUES ${values};
     CREATE TABLE settings (id int, doc jsonb);
     INSERT INTO settings VALUES (1, '{"user": "app", "password": "Pa55w0rd!x", "pool": 5}');`,
    db.name,
  );
  gw = await startGateway((c) => {
    const upstream = `{ host: 127.0.0.1, port: 5432, database: ${db.name}, user: postgres, tls: prefer }`;
    return `${c.preamble}
connections:
  - name: plain
    protocol: postgres
    listen: 127.0.0.1:0
    upstream: ${upstream}
    policy: db
policies:
  db:
    allow_groups: [ai-agents]
    default: deny
    rules:
      - name: reads
        when: { sql: { category: [read] } }
        action: allow
    masking:
      detectors: [email, credit_card, api_key]
`;
  });
  token = await gw.token();
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

describe('credentials in query results', () => {
  it.each([false, true])('masks passwords in text values (binary format: %s)', async (binary) => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: gw.port('plain'),
      user: 'agent',
      database: 'x',
      password: token,
    });
    await c.connect();
    try {
      const r = await c.query({ text: 'SELECT dsn FROM services ORDER BY id', binary });
      const got = r.rows.map((x) => (Buffer.isBuffer(x.dsn) ? x.dsn.toString() : x.dsn));
      expect(got).toEqual(ROWS.map(([, want]) => want));
      const j = await c.query('SELECT doc FROM settings');
      expect(j.rows[0].doc).toEqual({ user: 'app', password: '[MASKED:api_key]', pool: 5 });
    } finally {
      await c.end();
    }
  });

  it('masks them in COPY TO STDOUT rows', async () => {
    const r = await run(
      'psql',
      [...psqlArgs(gw.port('plain')), '-c', '\\copy (SELECT id, dsn FROM services ORDER BY id) to stdout'],
      { env: { PGPASSWORD: token, PGSSLMODE: 'disable' } },
    );
    expect(r.stdout.trim().split('\n')).toEqual(ROWS.map(([, want], i) => `${i + 1}\t${want}`));
  });
});
