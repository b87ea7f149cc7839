// CPU per small frame (the Postgres shapes: query, decision, result of one pgbench statement) from
// record() to Redis, in one process: what recording costs a short transaction. Usage:
// node bench/lib/run-ts.mjs bench/record/small-frames.ts [redis-url] — prints µs of this process's CPU per frame and redis-server's per frame.
import { Redis } from 'ioredis';
import { openStore, type SessionMeta, storeConfigFromUrl } from '../../packages/core/src/record/index.js';

const url = process.argv[2] ?? 'redis://127.0.0.1:6379/0';
const SESSIONS = 8;
const TX = Number(process.env.TX ?? 60_000);
const prefix = `bench:small:${process.pid}`;
const store = await openStore(storeConfigFromUrl(url, { keyPrefix: prefix, retentionMs: 3_600_000 }), {
  log: (m) => console.error(m),
});
const redisCpu = async () => {
  const r = new Redis(url, { protocol: 2 });
  const info = await r.info('cpu');
  r.disconnect();
  const g = (k: string) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return g('used_cpu_user') + g('used_cpu_sys');
};
const recs = Array.from({ length: SESSIONS }, (_, i) =>
  store.startSession({
    id: `s${Date.now().toString(36)}-${i}`,
    connection: 'db',
    protocol: 'postgres',
    subject: 'bench',
    groups: ['ai-agents'],
    client: '127.0.0.1',
    started_at: Date.now(),
    status: 'active',
  } as SessionMeta),
);
const r0 = await redisCpu();
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < TX; i++) {
  const rec = recs[i % SESSIONS];
  const aid = (i * 7919) % 500000;
  rec.record('query', { kind: 'sql', text: `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};` });
  rec.record('decision', { action: 'allow', rules: ['reads'], reason: 'rule reads: allow', ms: 0.012 });
  rec.record('result', {
    tag: 'SELECT 1',
    columns: ['abalance'],
    rows: 1,
    masked: {},
    sample: [['0']],
  });
  if (i % 50 === 49) await new Promise((r) => setImmediate(r));
}
await Promise.all(recs.map((r) => r.end('closed')));
const c1 = process.cpuUsage(c0);
const wall = performance.now() - t0;
const r1 = await redisCpu();
const frames = TX * 3 + SESSIONS * 1;
console.log(
  `${frames} frames in ${wall.toFixed(0)} ms: CPU per frame ${((c1.user + c1.system) / frames).toFixed(2)} µs here (user ${(c1.user / frames).toFixed(2)}), redis-server ${(((r1 - r0) * 1e6) / frames).toFixed(2)} µs`,
);
const r = new Redis(url, { protocol: 2 });
const keys = await r.keys(`${prefix}*`);
if (keys.length) await r.del(...keys);
r.disconnect();
await store.close();
process.exit(0);
