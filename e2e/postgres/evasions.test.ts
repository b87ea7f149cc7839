// Every family of SQL evasion, over the wire in both protocols, against a private Postgres that logs
// every statement it receives (log_statement = all): a denied statement must never reach it —
// checked in the server's own log and by a trigger-audited table, not only by the client's error.
import net from 'node:net';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { type PrivatePostgres, startPrivatePostgres } from '../support/postgres.js';

let pgx: PrivatePostgres;
let gw: TestGateway;
let token: string;

/** One line per family; each would delete, change or read something it must not if it ran. */
const EVASIONS: { family: string; sql: string }[] = [
  { family: 'plain write', sql: 'DELETE FROM victim' },
  { family: 'case and comments', sql: '/* select */ DeLeTe -- x\n FROM "victim"' },
  { family: 'unicode escapes', sql: 'DELETE FROM U&"\\0076ictim"' },
  { family: 'multi-statement', sql: 'SELECT 1; DELETE FROM victim' },
  { family: 'transaction wrapper', sql: 'BEGIN; UPDATE victim SET v = 0; COMMIT' },
  { family: 'CTE write', sql: 'WITH d AS (DELETE FROM victim RETURNING *) SELECT * FROM d' },
  {
    family: 'nested CTE',
    sql: 'SELECT * FROM (WITH u AS (UPDATE victim SET v = 0 RETURNING v) SELECT * FROM u) s',
  },
  { family: 'EXPLAIN ANALYZE', sql: 'EXPLAIN ANALYZE DELETE FROM victim' },
  { family: 'DO block', sql: 'DO $$ BEGIN DELETE FROM victim; END $$' },
  { family: 'DO dynamic EXECUTE', sql: "DO $$ BEGIN EXECUTE 'DEL' || 'ETE FROM victim'; END $$" },
  { family: 'PREPARE', sql: 'PREPARE p1 AS DELETE FROM victim' },
  { family: 'EXECUTE unknown', sql: 'EXECUTE p1' },
  { family: 'SELECT INTO', sql: 'SELECT * INTO victim_copy FROM victim' },
  { family: 'CREATE TABLE AS', sql: 'CREATE TABLE victim_copy2 AS SELECT * FROM victim' },
  { family: 'COPY FROM', sql: 'COPY victim FROM STDIN' },
  { family: 'COPY PROGRAM', sql: "COPY victim TO PROGRAM 'cat > /tmp/portcullis-evasion'" },
  { family: 'file function', sql: "SELECT pg_catalog.pg_read_file('/etc/hostname') AS victim" },
  { family: 'large object import', sql: "SELECT lo_import('/etc/hostname') AS victim" },
  { family: 'DDL', sql: 'DROP TABLE victim' },
  { family: 'TRUNCATE', sql: 'TRUNCATE victim' },
  {
    family: 'function with side effect',
    sql: "SELECT set_config('session_replication_role', 'replica', false) AS victim",
  },
  { family: 'ALTER SYSTEM', sql: "ALTER SYSTEM SET log_statement = 'none'" },
  { family: 'CALL', sql: 'CALL victim_proc()' },
  { family: 'unparsable', sql: 'DELETE FROM victim WHERE (' },
];

beforeAll(async () => {
  pgx = await startPrivatePostgres();
  await pgx.query(`CREATE DATABASE ev`);
  await pgx.query(
    `CREATE TABLE victim (v int);
     INSERT INTO victim VALUES (1), (2);
     CREATE TABLE audit (op text, at timestamptz DEFAULT now());
     CREATE FUNCTION victim_audit() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN INSERT INTO audit(op) VALUES (TG_OP); RETURN NULL; END $$;
     CREATE TRIGGER victim_rows AFTER INSERT OR UPDATE OR DELETE ON victim FOR EACH ROW EXECUTE FUNCTION victim_audit();
     CREATE TRIGGER victim_truncate AFTER TRUNCATE ON victim FOR EACH STATEMENT EXECUTE FUNCTION victim_audit();
     CREATE PROCEDURE victim_proc() LANGUAGE sql AS $$ DELETE FROM victim $$;`,
    'postgres',
    'ev',
  );
  gw = await startGateway(
    (c) => `${c.preamble}
connections:
  - name: ev
    protocol: postgres
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: ${pgx.port}, database: ev, user: scram_user, password: "s3cret!", tls: verify-full, ca_file: ${pgx.certFile} }
    policy: reads-only
policies:
  reads-only:
    allow_groups: [ai-agents]
    default: deny
    rules:
      - name: reads
        when: { sql: { category: [read] } }
        action: allow
      - name: no-file-or-side-effect-functions
        when: { sql: { functions: [pg_read_file, lo_import, set_config] } }
        action: deny
`,
  );
  token = await gw.token();
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await pgx?.stop();
});

async function upstreamState() {
  const rows = (await pgx.query('SELECT count(*)::int AS n, sum(v)::int AS s FROM victim', 'postgres', 'ev'))
    .rows[0];
  const audit = (await pgx.query('SELECT count(*)::int AS n FROM audit', 'postgres', 'ev')).rows[0].n;
  const copies = (
    await pgx.query(
      `SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'victim_copy%'`,
      'postgres',
      'ev',
    )
  ).rows[0].n;
  const los = (await pgx.query('SELECT count(*)::int AS n FROM pg_largeobject_metadata', 'postgres', 'ev'))
    .rows[0].n;
  return { rows, audit, copies, los };
}

/** The statements the upstream logged since `from` for the gateway's user (catalog lookups aside). */
function loggedSince(from: number): string {
  return pgx
    .log()
    .slice(from)
    .split('\n')
    .filter((l) => l.startsWith('scram_user') && l.includes('statement:'))
    .join('\n');
}

describe.each(['simple', 'extended'] as const)('SQL evasions over the %s protocol', (protocol) => {
  it('none reaches the upstream; each gets 42501 and the connection stays usable', async () => {
    const before = await upstreamState();
    const logFrom = pgx.log().length;
    const c = new pg.Client({
      host: '127.0.0.1',
      port: gw.port('ev'),
      user: 'agent',
      database: 'x',
      password: token,
    });
    await c.connect();
    try {
      for (const e of EVASIONS) {
        const q = protocol === 'simple' ? c.query(e.sql) : c.query({ text: e.sql, values: [] });
        const err = await q.then(
          () => undefined,
          (x: pg.DatabaseError) => x,
        );
        expect(err, `${e.family}: ${e.sql}`).toBeDefined();
        expect(err?.code, `${e.family}: ${err?.message}`).toBe('42501');
        expect(err?.message).toMatch(/^portcullis: denied by rule /);
      }
      expect((await c.query('SELECT count(*)::int AS n FROM victim')).rows[0].n).toBe(2);
    } finally {
      await c.end();
    }
    expect(await upstreamState()).toEqual(before);
    const logged = loggedSince(logFrom);
    expect(logged).not.toMatch(
      /victim_proc|DELETE|UPDATE|TRUNCATE|DROP|COPY|pg_read_file|lo_import|set_config|ALTER SYSTEM/i,
    );
    expect(logged).toContain('SELECT count(*)::int AS n FROM victim');
  });
});

it('a FunctionCall protocol message is denied (function_call: deny) and never reaches the upstream', async () => {
  const before = await upstreamState();
  const s = net.connect(gw.port('ev'), '127.0.0.1');
  const received: Buffer[] = [];
  s.on('data', (d) => received.push(d));
  const until = async (re: RegExp) => {
    for (let i = 0; i < 100 && !re.test(Buffer.concat(received).toString('latin1')); i++)
      await new Promise((r) => setTimeout(r, 20));
  };
  s.write(serialize.startup({ user: 'agent', database: 'x' }));
  await until(/R\0\0\0\x08\0\0\0\x03/);
  s.write(serialize.password(token));
  await until(/Z\0\0\0\x05I/);
  received.length = 0;
  // FunctionCall: lo_creat(-1) (OID 957) would create a large object.
  const body = Buffer.from([0, 0, 0x03, 0xbd, 0, 0, 0, 1, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff, 0, 0]);
  const f = Buffer.concat([Buffer.from('F'), Buffer.from([0, 0, 0, body.length + 4]), body]);
  s.write(f);
  await until(/Z\0\0\0\x05I/);
  const text = Buffer.concat(received).toString('utf8');
  expect(text).toContain('C42501');
  expect(text).toContain('portcullis: denied by rule function_call');
  s.end(serialize.end());
  expect(await upstreamState()).toEqual(before);
});
