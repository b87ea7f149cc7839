// Prepared-statement names are one namespace upstream: SQL PREPARE and the extended protocol's Parse
// share it, and a PREPARE of a name that already exists fails while the old statement stays. These
// sequences try to make the gateway judge one statement while the upstream runs another, with a
// policy that reviews writes (a review at Parse is deferred to Bind, so the Parse reaches the upstream).
import net from 'node:net';
import { serialize } from 'pg-protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { createTestDatabase, mainQuery } from '../support/postgres.js';

let gw: TestGateway;
let db: { name: string; drop(): Promise<void> };
let token: string;

beforeAll(async () => {
  db = await createTestDatabase('portcullis_e2e_names');
  await mainQuery('CREATE TABLE victim (v int); INSERT INTO victim VALUES (1), (2);', db.name);
  gw = await startGateway(
    (c) => `${c.preamble}
connections:
  - name: names
    protocol: postgres
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: 5432, database: ${db.name}, user: postgres, tls: disable }
    policy: reviewed-writes
policies:
  reviewed-writes:
    allow_groups: [ai-agents]
    default: deny
    rules:
      - name: reads
        when: { sql: { category: [read, session] } }
        action: allow
      - name: writes-reviewed
        when: { sql: { category: [write] } }
        action: review
        approvers: [dba]
        timeout: 1s
`,
  );
  token = await gw.token();
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

const victimRows = async () =>
  (await mainQuery('SELECT count(*)::int AS n FROM victim', db.name)).rows[0].n as number;

interface Reply {
  /** Message types in order (one letter each). */
  types: string;
  /** ErrorResponse and NoticeResponse messages: SQLSTATE and text. */
  errors: { code: string; message: string }[];
  notices: string[];
}

/** A raw frontend: sends messages, reads until the next ReadyForQuery. */
async function connect() {
  const s = net.connect(gw.port('names'), '127.0.0.1');
  let buf = Buffer.alloc(0);
  s.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
  });
  const untilReady = async (): Promise<Reply> => {
    const reply: Reply = { types: '', errors: [], notices: [] };
    for (let waited = 0; waited < 10_000; waited += 10) {
      while (buf.length >= 5 && buf.length >= 1 + buf.readInt32BE(1)) {
        const type = String.fromCharCode(buf[0]);
        const body = buf.subarray(5, 1 + buf.readInt32BE(1));
        buf = buf.subarray(1 + buf.readInt32BE(1));
        reply.types += type;
        if (type === 'E' || type === 'N') {
          const fields = new Map<string, string>();
          for (const f of body.toString('utf8').split('\0')) if (f) fields.set(f[0], f.slice(1));
          if (type === 'E')
            reply.errors.push({ code: fields.get('C') ?? '', message: fields.get('M') ?? '' });
          else reply.notices.push(fields.get('M') ?? '');
        }
        if (type === 'Z') return reply;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ReadyForQuery; got ${reply.types}`);
  };
  s.write(serialize.startup({ user: 'agent', database: 'x' }));
  await new Promise((r) => setTimeout(r, 50));
  buf = Buffer.alloc(0);
  s.write(serialize.password(token));
  await untilReady();
  return {
    send: (...messages: Buffer[]) => {
      s.write(Buffer.concat(messages));
      return untilReady();
    },
    query: (text: string) => {
      s.write(serialize.query(text));
      return untilReady();
    },
    close: () => s.end(serialize.end()),
  };
}

it('a protocol statement held for review, then a SQL PREPARE of its name, never lets EXECUTE run it unreviewed', async () => {
  const c = await connect();
  try {
    // The Parse is forwarded (review happens per Bind): the upstream now holds "p" = DELETE.
    const parsed = await c.send(serialize.parse({ name: 'p', text: 'DELETE FROM victim' }), serialize.sync());
    expect(parsed.types).toContain('1');
    // A harmless PREPARE of the same name fails upstream ("already exists"): "p" is still the DELETE.
    const prep = await c.query('PREPARE p AS SELECT 1');
    expect(prep.errors.map((e) => e.code)).toEqual(['42P05']);
    const run = await c.query('EXECUTE p');
    expect(run.errors[0]?.code).toBe('42501');
    expect(run.notices.join('\n')).toMatch(/waiting for approval/);
  } finally {
    c.close();
  }
  expect(await victimRows()).toBe(2);
});

it('a statement prepared with SQL and approved once is judged again when bound over the extended protocol', async () => {
  const c = await connect();
  try {
    const pending = c.query('PREPARE q AS DELETE FROM victim');
    let id: string | undefined;
    await expect
      .poll(async () => {
        id = (await gw.gateway.approvals.list({ status: 'pending' }))[0]?.id;
        return id;
      })
      .toBeDefined();
    await gw.gateway.approvals.resolve(
      id!,
      { subject: 'dba-1', groups: ['dba'], issuer: gw.issuer, method: 'jwt' },
      'approve',
      'prepare only',
    );
    expect((await pending).errors).toEqual([]);
    // Preparing ran nothing; running it is another write to review (it expires after 1 s: denied).
    const bound = await c.send(
      serialize.bind({ statement: 'q', portal: '' }),
      serialize.execute({ portal: '' }),
      serialize.sync(),
    );
    expect(bound.errors[0]?.code).toBe('42501');
    expect(bound.notices.join('\n')).toMatch(/waiting for approval/);
  } finally {
    c.close();
  }
  expect(await victimRows()).toBe(2);
});
