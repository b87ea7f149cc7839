// Bad input over the wire: random bytes and mutated valid frames, before and after login. Each
// session must end (no hang), the gateway must not crash, and it must keep serving afterwards.
import net from 'node:net';
import fc from 'fast-check';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { createTestDatabase } from '../support/postgres.js';

let gw: TestGateway;
let db: { name: string; drop(): Promise<void> };
let token: string;

beforeAll(async () => {
  db = await createTestDatabase();
  gw = await startGateway(
    (c) => `${c.preamble}
limits: { handshake_timeout: 3s, max_message_bytes: 64KiB }
connections:
  - name: fz
    protocol: postgres
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: 5432, database: ${db.name}, user: postgres, tls: disable }
    policy: db
policies:
  db:
    allow_groups: [ai-agents]
    default: deny
    rules:
      - { name: reads, when: { sql: { category: [read] } }, action: allow }
`,
  );
  token = await gw.token();
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

/** Sends bytes in the given chunks, half-closes, and resolves once the gateway closed the socket. */
function session(chunks: Buffer[]): Promise<{ closed: boolean; bytes: number }> {
  return new Promise((resolve) => {
    const s = net.connect(gw.port('fz'), '127.0.0.1');
    let bytes = 0;
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ closed: false, bytes });
    }, 8000);
    s.on('data', (d) => {
      bytes += d.length;
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, bytes });
    });
    s.on('connect', async () => {
      for (const c of chunks) {
        if (s.destroyed) break;
        s.write(c);
        await new Promise((r) => setImmediate(r));
      }
      if (!s.destroyed) s.end();
    });
  });
}

const frame = (type: string, body: Buffer) => {
  const b = Buffer.alloc(body.length + 5);
  b.write(type, 0, 'latin1');
  b.writeInt32BE(body.length + 4, 1);
  body.copy(b, 5);
  return b;
};

const validMessage = fc.oneof(
  fc
    .constantFrom('select 1', 'select * from pg_class limit 3', 'delete from x', '', 'select $1')
    .map((q) => serialize.query(q)),
  fc.string({ maxLength: 40 }).map((q) => serialize.query(q)),
  fc
    .record({
      name: fc.constantFrom('', 's1'),
      text: fc.constantFrom('select 1', 'select $1::int', 'drop table x'),
    })
    .map((p) => serialize.parse(p)),
  fc.constantFrom('', 's1').map((statement) => serialize.bind({ statement, values: ['1'] })),
  fc.constant(serialize.describe({ type: 'P', name: '' })),
  fc.constant(serialize.execute({ portal: '' })),
  fc.constant(serialize.sync()),
  fc.constant(serialize.flush()),
  fc.constant(serialize.close({ type: 'S', name: 's1' })),
  fc.constant(serialize.copyData(Buffer.from('x'))),
  fc.uint8Array({ maxLength: 30 }).map((b) => frame('F', Buffer.from(b))),
  fc
    .tuple(fc.constantFrom(...'QPBEDSHCdcfFpXZz?'), fc.uint8Array({ maxLength: 30 }))
    .map(([t, b]) => frame(t, Buffer.from(b))),
);

/** Flips, truncates or rewrites the length of a valid frame. */
const mutate = (b: Buffer) =>
  fc.oneof(
    fc.constant(b),
    fc.tuple(fc.nat(b.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
      const c = Buffer.from(b);
      c[i] = v;
      return c;
    }),
    fc.nat(b.length).map((n) => b.subarray(0, n)),
    fc.integer({ min: -10, max: 1 << 24 }).map((len) => {
      const c = Buffer.from(b);
      if (c.length >= 5) c.writeInt32BE(len, 1);
      return c;
    }),
  );

const afterLogin = fc.array(validMessage.chain(mutate), { minLength: 1, maxLength: 12 });

function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    if (p > prev) out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

it('random bytes and mutated frames end each session cleanly, and the gateway keeps serving', async () => {
  const login = () => [serialize.startup({ user: 'agent', database: 'x' }), serialize.password(token)];
  const cases = fc.oneof(
    // before login: garbage or a mutated startup packet
    fc.uint8Array({ maxLength: 200 }).map((b) => [Buffer.from(b)]),
    fc
      .constantFrom(...login(), serialize.requestSsl(), serialize.cancel(1, 2))
      .chain(mutate)
      .map((b) => [b]),
    // after login: valid and mutated messages
    afterLogin.map((msgs) => [...login(), ...msgs]),
  );
  await fc.assert(
    fc.asyncProperty(cases, fc.array(fc.nat(), { maxLength: 6 }), async (parts, cuts) => {
      const r = await session(split(Buffer.concat(parts), cuts));
      expect(r.closed).toBe(true);
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
  );
  // Every session is gone and a normal client still works.
  for (
    let i = 0;
    i < 50 && (gw.listeners.get('fz') as unknown as { activeSessions: number }).activeSessions > 0;
    i++
  )
    await new Promise((r) => setTimeout(r, 100));
  expect((gw.listeners.get('fz') as unknown as { activeSessions: number }).activeSessions).toBe(0);
  const c = new pg.Client({
    host: '127.0.0.1',
    port: gw.port('fz'),
    user: 'agent',
    database: 'x',
    password: token,
  });
  await c.connect();
  expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  await c.end();
}, 120_000);

it('an oversized message ends the session with an error naming the limit', async () => {
  const s = net.connect(gw.port('fz'), '127.0.0.1');
  const got: Buffer[] = [];
  s.on('data', (d) => got.push(d));
  s.write(Buffer.concat([serialize.startup({ user: 'agent', database: 'x' }), serialize.password(token)]));
  await new Promise((r) => setTimeout(r, 300));
  s.write(serialize.query('x'.repeat(100_000)));
  await new Promise((r) => s.on('close', r));
  const text = Buffer.concat(got).toString('latin1');
  expect(text).toContain('C54000');
  expect(text).toContain('max_message_bytes');
});
