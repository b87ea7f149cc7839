// Masking of what the agent reads (text and binary protocol, COPY), the agent-side TLS leg, and a
// 1,000,000-row result with the gateway's memory staying flat.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { createTestDatabase, mainQuery, makeCert, psqlArgs, run } from '../support/postgres.js';

let gw: TestGateway;
let db: { name: string; drop(): Promise<void> };
let token: string;
let cert: { certFile: string; keyFile: string };

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLWJ5dGVz';
// [detector, valid value (must be masked), look-alike (must pass untouched)]
const SEED: [string, string, string][] = [
  ['email', 'alice@example.com', 'alice at example dot com'],
  ['credit_card', '4111111111111111', '4111111111111112'],
  ['credit_card', '5500 0000 0000 0004', '5500 0000 0000 0005'],
  ['us_ssn', '536-22-8726', '666-22-8726'],
  ['iban', 'GB82WEST12345698765432', 'GB82WEST12345698765433'],
  ['aws_access_key', 'AKIAZ7Q3R5T2Y8U4W6E1', 'AKIAz7q3r5t2y8u4w6e1'],
  ['jwt', JWT, 'eyJub3Rqc29u.eyJzdWIiOiIxIn0.abc'],
];

beforeAll(async () => {
  db = await createTestDatabase();
  const values = SEED.map(
    ([k, v, l], i) => `(${i + 1}, '${k}', '${v}', '${l}', '{"note": "value ${v} and ${l}"}')`,
  ).join(',');
  await mainQuery(
    `CREATE TABLE pii (id int, kind text, valid text, lookalike text, doc jsonb);
     INSERT INTO pii VALUES ${values};`,
    db.name,
  );
  gw = await startGateway((c) => {
    cert = makeCert(c.dir, 'listener');
    const upstream = `{ host: 127.0.0.1, port: 5432, database: ${db.name}, user: postgres, tls: prefer }`;
    return `${c.preamble}
connections:
  - name: plain
    protocol: postgres
    listen: 127.0.0.1:0
    upstream: ${upstream}
    policy: db
  - name: tls
    protocol: postgres
    listen: 127.0.0.1:0
    tls: { cert_file: ${cert.certFile}, key_file: ${cert.keyFile}, required: true }
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
      detectors: [email, credit_card, us_ssn, iban, aws_access_key, jwt]
`;
  });
  token = await gw.token();
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

function expectMasked(rows: { kind: string; valid: string; lookalike: string; doc: unknown }[]) {
  expect(rows).toHaveLength(SEED.length);
  for (const [i, [kind, , lookalike]] of SEED.entries()) {
    expect(rows[i].valid, kind).toBe(`[MASKED:${kind}]`);
    expect(rows[i].lookalike, kind).toBe(lookalike);
    const note = (typeof rows[i].doc === 'string' ? JSON.parse(rows[i].doc as string) : rows[i].doc) as {
      note: string;
    };
    expect(note.note).toBe(`value [MASKED:${kind}] and ${lookalike}`);
  }
}

describe('masking', () => {
  it.each([false, true])('masks valid values and leaves look-alikes (binary format: %s)', async (binary) => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: gw.port('plain'),
      user: 'agent',
      database: 'x',
      password: token,
    });
    await c.connect();
    try {
      const r = await c.query({ text: 'SELECT kind, valid, lookalike, doc FROM pii ORDER BY id', binary });
      if (binary) {
        // pg decodes binary text itself; binary jsonb it leaves as bytes (a version byte, then JSON text).
        const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString() : v);
        const rows = r.rows.map((x) => ({
          kind: text(x.kind) as string,
          valid: text(x.valid) as string,
          lookalike: text(x.lookalike) as string,
          doc: Buffer.isBuffer(x.doc) ? x.doc.subarray(1).toString() : x.doc,
        }));
        expectMasked(rows);
      } else expectMasked(r.rows);
    } finally {
      await c.end();
    }
  });

  it('masks COPY TO STDOUT rows', async () => {
    const r = await run(
      'psql',
      [
        ...psqlArgs(gw.port('plain')),
        '-c',
        '\\copy (SELECT valid, lookalike FROM pii ORDER BY id) to stdout',
      ],
      {
        env: { PGPASSWORD: token, PGSSLMODE: 'disable' },
      },
    );
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual(SEED.map(([k, , l]) => `[MASKED:${k}]\t${l}`));
  });
});

describe('agent-side TLS', () => {
  it('serves TLS to a verifying client and refuses plain connections when required', async () => {
    const c = new pg.Client({
      host: '127.0.0.1',
      port: gw.port('tls'),
      user: 'agent',
      database: 'x',
      password: token,
      ssl: { ca: readFileSync(cert.certFile), rejectUnauthorized: true },
    });
    await c.connect();
    expect((await c.query('SELECT valid FROM pii WHERE id = 1')).rows[0].valid).toBe('[MASKED:email]');
    await c.end();
    const plain = await run('psql', [...psqlArgs(gw.port('tls')), '-c', 'select 1'], {
      env: { PGPASSWORD: token, PGSSLMODE: 'disable' },
    });
    expect(plain.stderr).toMatch(/requires TLS/);
    const viaPsql = await run('psql', [...psqlArgs(gw.port('tls')), '-Atc', 'select 42'], {
      env: { PGPASSWORD: token, PGSSLMODE: 'verify-full', PGSSLROOTCERT: cert.certFile },
    });
    expect(viaPsql.stdout.trim()).toBe('42');
  });
});

describe('large results', () => {
  it('relays and masks 1,000,000 rows with flat memory', async () => {
    let peak = 0;
    const base = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 25);
    const sql = `SELECT g AS id, 'user' || g || '@example.com' AS email, 'some free text ' || g AS note FROM generate_series(1, 1000000) g`;
    const r = await run(
      'sh',
      ['-c', `psql ${psqlArgs(gw.port('plain')).join(' ')} -At -c "${sql}" | grep -c '|\\[MASKED:email\\]|'`],
      { env: { PGPASSWORD: token, PGSSLMODE: 'disable' }, timeoutMs: 120_000 },
    );
    clearInterval(sampler);
    expect(r.stdout.trim()).toBe('1000000');
    // The whole result is ~60 MB on the wire; the gateway must not hold it.
    expect((peak - base) / 2 ** 20).toBeLessThan(150);
  }, 120_000);
});
