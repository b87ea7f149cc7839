// The Postgres listener end to end: real psql, the pg driver and pgbench through a real gateway to
// the machine's PostgreSQL, with policy, masking and Redis recording on.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { createTestDatabase, MAIN_PG, mainQuery, psqlArgs, run } from '../support/postgres.js';

let gw: TestGateway;
let db: { name: string; drop(): Promise<void> };
let token: string;

const policy = `
policies:
  db:
    allow_groups: [ai-agents]
    default: deny
    rules:
      - name: reads
        when: { sql: { category: [read, session, transaction] } }
        action: allow
      - name: writes
        when: { sql: { category: [write] } }
        action: allow
      - name: delete-needs-where
        when: { sql: { statements: [DeleteStmt, UpdateStmt], where: absent } }
        action: deny
      - name: no-drop
        when: { sql: { category: [ddl] } }
        action: deny
    masking:
      detectors: [email, credit_card, us_ssn, iban, aws_access_key, jwt]
      columns: [ { match: "users.password_hash", with: redact }, { match: "users.api_token", with: "null" } ]
`;

beforeAll(async () => {
  db = await createTestDatabase();
  await mainQuery(
    `CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE, card text, password_hash text, api_token text);
     INSERT INTO users VALUES (1, 'alice@example.com', '4111111111111111', 'hash-1', 'tok-1'),
                              (2, 'bob', '4111111111111112', 'hash-2', 'tok-2');
     CREATE TABLE items (id serial PRIMARY KEY, note text);`,
    db.name,
  );
  gw = await startGateway(
    (c) => `${c.preamble}
connections:
  - name: gw
    protocol: postgres
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: 5432, database: ${db.name}, user: postgres, password: "upstream-secret-pw", tls: disable }
    policy: db
${policy}`,
  );
  token = await gw.token();
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

const psql = (args: string[], input?: string) =>
  run('psql', [...psqlArgs(gw.port('gw')), ...args], {
    input,
    env: { PGPASSWORD: token, PGSSLMODE: 'disable' },
  });

function client(extra: Partial<pg.ClientConfig> = {}): pg.Client {
  return new pg.Client({
    host: '127.0.0.1',
    port: gw.port('gw'),
    user: 'agent',
    database: 'x',
    password: token,
    ...extra,
  });
}

describe('psql through the gateway', () => {
  it('runs reads with masking, denies a bare DELETE with 42501 and stays usable', async () => {
    const r = await psql([
      '-At',
      '-P',
      'null=(null)',
      '-c',
      'select id, email, card, password_hash, api_token from users order by id',
      '-c',
      'delete from users',
      '-c',
      'select count(*) from users',
    ]);
    expect(r.stdout.split('\n')).toEqual([
      '1|[MASKED:email]|[MASKED:credit_card]|[MASKED:column]|(null)',
      '2|bob|4111111111111112|[MASKED:column]|(null)',
      '2',
      '',
    ]);
    expect(r.stderr).toContain('ERROR:  portcullis: denied by rule delete-needs-where');
    expect((await mainQuery('select count(*)::int n from users', db.name)).rows[0].n).toBe(2);
  });

  it('refuses a client encoding whose characters can hide quotes or backslashes, accepts LATIN1', async () => {
    const sjis = await run('psql', [...psqlArgs(gw.port('gw')), '-c', 'select 1'], {
      env: { PGPASSWORD: token, PGSSLMODE: 'disable', PGCLIENTENCODING: 'SJIS' },
    });
    expect(sjis.stderr).toContain('client_encoding SJIS is not supported');
    const latin1 = await run('psql', [...psqlArgs(gw.port('gw')), '-tAc', 'select 41 + 1'], {
      env: { PGPASSWORD: token, PGSSLMODE: 'disable', PGCLIENTENCODING: 'LATIN1' },
    });
    expect(latin1.stdout.trim()).toBe('42');
  });

  it('multi-statement query with one denied part sends nothing', async () => {
    const r = await psql(['-c', "insert into items(note) values ('a'); drop table items"]);
    expect(r.stderr).toContain('portcullis: denied by rule no-drop');
    expect((await mainQuery('select count(*)::int n from items', db.name)).rows[0].n).toBe(0);
  });

  it('a script with a denial inside a transaction leaves it aborted, like Postgres', async () => {
    const r = await psql(
      [],
      [
        'begin;',
        "insert into items(note) values ('in-tx');",
        'delete from items;',
        'select 1;',
        'rollback;',
        "select 'after' as x;",
      ].join('\n'),
    );
    expect(r.stderr).toContain('portcullis: denied by rule delete-needs-where');
    expect(r.stderr).toContain('current transaction is aborted');
    expect(r.stdout).toContain('ROLLBACK');
    expect(r.stdout).toContain('after');
    expect(
      (await mainQuery(`select count(*)::int n from items where note = 'in-tx'`, db.name)).rows[0].n,
    ).toBe(0);
  });

  it('\\copy in and out; COPY TO STDOUT rows are masked', async () => {
    const file = join(gw.dir, 'in.tsv');
    writeFileSync(file, 'copied one\ncarol@example.com\n');
    const r = await psql([
      '-c',
      `\\copy items(note) from '${file}'`,
      '-c',
      `\\copy (select note from items order by id) to stdout`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('COPY 2');
    expect(r.stdout).toContain('copied one\n[MASKED:email]\n');
    expect(
      (await mainQuery(`select count(*)::int n from items where note = 'carol@example.com'`, db.name)).rows[0]
        .n,
    ).toBe(1);
    await mainQuery('truncate items', db.name);
  });

  it('Ctrl-C cancels a running pg_sleep', async () => {
    const child = spawn('psql', [...psqlArgs(gw.port('gw')), '-c', 'select pg_sleep(30)'], {
      env: { ...process.env, PGPASSWORD: token, PGSSLMODE: 'disable' },
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 1200));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(code).not.toBe(0);
    expect(stderr).toContain('canceling statement due to user request');
  });

  it('refuses a bad token (28P01), a group outside allow_groups (28000) and replication', async () => {
    const bad = await run('psql', [...psqlArgs(gw.port('gw')), '-c', 'select 1'], {
      env: { PGPASSWORD: 'not-a-jwt' },
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/portcullis: authentication failed/);
    const other = await gw.token({ groups: ['interns'] });
    const forb = await run('psql', [...psqlArgs(gw.port('gw')), '-c', 'select 1'], {
      env: { PGPASSWORD: other },
    });
    expect(forb.stderr).toMatch(/not in a group allowed/);
    const repl = await run(
      'psql',
      [
        `host=127.0.0.1 port=${gw.port('gw')} user=agent dbname=x replication=database`,
        '-c',
        'IDENTIFY_SYSTEM',
      ],
      {
        env: { PGPASSWORD: token },
      },
    );
    expect(repl.stderr).toMatch(/replication connections are not allowed/);
  });
});

describe('pg driver through the gateway', () => {
  it('simple and extended protocol, named prepared statements, masked rows', async () => {
    const c = client();
    await c.connect();
    try {
      const simple = await c.query('select email from users where id = 1');
      expect(simple.rows).toEqual([{ email: '[MASKED:email]' }]);
      const ext = await c.query('select id, email, card from users where id = $1', [1]);
      expect(ext.rows).toEqual([{ id: 1, email: '[MASKED:email]', card: '[MASKED:credit_card]' }]);
      for (const id of [1, 2, 1]) {
        const named = await c.query({
          name: 'by-id',
          text: 'select password_hash, email from users where id = $1',
          values: [id],
        });
        expect(named.rows[0].password_hash).toBe('[MASKED:column]');
      }
      // denied at Parse: 42501, and the connection keeps working
      const denied = await c.query({ name: 'wipe', text: 'delete from users', values: [] }).catch((e) => e);
      expect(denied.code).toBe('42501');
      expect(denied.message).toMatch(/^portcullis: denied by rule delete-needs-where/);
      // a later Bind/Execute of the denied name fails too (pg re-uses the name without a new Parse)
      const again = await c.query({ name: 'wipe', text: 'delete from users', values: [] }).catch((e) => e);
      expect(again.code).toBe('42501');
      expect((await c.query('select count(*)::int n from users')).rows[0].n).toBe(2);
    } finally {
      await c.end();
    }
  });

  it('a pool of clients works concurrently', async () => {
    const pool = new pg.Pool({
      host: '127.0.0.1',
      port: gw.port('gw'),
      user: 'agent',
      database: 'x',
      password: token,
      max: 5,
    });
    try {
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          pool.query('select $1::int as i, email from users where id = 1', [i]),
        ),
      );
      expect(results.map((r) => r.rows[0].i)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(results.every((r) => r.rows[0].email === '[MASKED:email]')).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('masks error details and NOTIFY payloads', async () => {
    const c = client();
    await c.connect();
    try {
      const dup = await c
        .query(`insert into users(id, email) values (9, 'alice@example.com')`)
        .catch((e) => e);
      expect(dup.code).toBe('23505');
      expect(dup.detail).toBe('Key (email)=([MASKED:email]) already exists.');
      await c.query('listen chan');
      const got = new Promise<string | undefined>((r) => c.once('notification', (n) => r(n.payload)));
      await c.query(`select pg_notify('chan', 'card 4111111111111111 here')`);
      expect(await got).toBe('card [MASKED:credit_card] here');
    } finally {
      await c.end();
    }
  });

  it('records statements, decisions and masked results in Redis, never the upstream password', async () => {
    const c = client({ application_name: 'recording-test' });
    await c.connect();
    await c.query('select email from users where id = 1');
    await c.query('delete from users').catch(() => {});
    await c.end();
    await new Promise((r) => setTimeout(r, 500));
    const store = gw.gateway.store;
    const sessions = await store.listSessions({ connection: 'gw' });
    let frames: { kind: string; data: string }[] = [];
    for (const s of sessions) {
      const f = await store.readFrames(s.id);
      if (f.some((x) => x.data.includes('recording-test'))) frames = f;
    }
    expect(frames.length).toBeGreaterThan(0);
    const kinds = frames.map((f) => f.kind);
    expect(kinds).toContain('query');
    expect(kinds).toContain('decision');
    const result = frames.find((f) => f.kind === 'result' && f.data.includes('MASKED'));
    expect(JSON.parse(result!.data)).toMatchObject({
      tag: 'SELECT 1',
      rows: 1,
      columns: ['email'],
      sample: [['[MASKED:email]']],
    });
    const all = frames.map((f) => f.data).join('\n');
    expect(all).not.toContain('alice@example.com');
    expect(all).not.toContain('upstream-secret-pw');
    expect(all).toContain('delete-needs-where');
    expect((await store.verify(sessions[0].id)).ok ?? true).toBeTruthy();
  });
});

describe('pgbench through the gateway', () => {
  beforeAll(async () => {
    const init = await run('pgbench', ['-i', '-s', '1', '-q', '-h', MAIN_PG.host, '-U', 'postgres', db.name]);
    expect(init.code).toBe(0);
  }, 60_000);

  it.each(['simple', 'extended', 'prepared'])('pgbench -S -M %s', async (mode) => {
    const r = await run(
      'pgbench',
      [
        '-S',
        '-n',
        '-M',
        mode,
        '-c',
        '2',
        '-j',
        '1',
        '-T',
        '2',
        '-h',
        '127.0.0.1',
        '-p',
        String(gw.port('gw')),
        '-U',
        'agent',
        'x',
      ],
      { env: { PGPASSWORD: token } },
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/number of failed transactions: 0/);
    expect(Number(/tps = ([\d.]+)/.exec(r.stdout)?.[1])).toBeGreaterThan(50);
  });
});
