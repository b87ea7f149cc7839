// Recording benchmark: frames/s into Redis from one process, the cost of record() on a hot loop, and an
// echo server's round trips with recording on vs off. Run with bench/record/run.sh.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  openStore,
  type RecordStore,
  type SessionMeta,
  storeConfigFromUrl,
} from '../../packages/core/src/record/index.js';

// A private redis-server by default, so its CPU use can be read without other clients mixed in.
let REDIS = process.env.PORTCULLIS_BENCH_REDIS ?? '';
const SESSIONS = Number(process.env.SESSIONS ?? 100);
const FRAMES = Number(process.env.FRAMES ?? 300_000);
const SECONDS = Number(process.env.SECONDS ?? 2);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const prefix = `bench:rec:${process.pid}`;

function meta(i: number): SessionMeta {
  return {
    id: `b${Date.now().toString(36)}-${i}`,
    connection: 'bench',
    protocol: 'ssh',
    subject: 'bench',
    groups: [],
    client: '127.0.0.1',
    started_at: Date.now(),
    status: 'active',
  };
}

const yieldNow = () => new Promise((r) => setImmediate(r));

async function redisCpu(): Promise<number> {
  const r = new Redis(REDIS, { protocol: 2 });
  const info = await r.info('cpu');
  r.disconnect();
  const get = (k: string) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  return get('used_cpu_user') + get('used_cpu_sys');
}

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function startRedis(): Promise<{ proc: ChildProcess; dir: string }> {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-redis-'));
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    {
      stdio: 'ignore',
    },
  );
  REDIS = `redis://127.0.0.1:${port}/0`;
  for (let i = 0; i < 100; i++) {
    const r = new Redis(REDIS, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    r.on('error', () => undefined);
    try {
      await r.connect();
      r.disconnect();
      return { proc, dir };
    } catch {
      r.disconnect();
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  throw new Error('redis-server did not start');
}

async function throughput(
  store: RecordStore,
): Promise<{ fps: number; mbps: number; seconds: number; clientUs: number; serverUs: number }> {
  const payload = Buffer.alloc(1024, 'x');
  const recs = Array.from({ length: SESSIONS }, (_, i) => store.startSession(meta(i)));
  const t0 = performance.now();
  const c0 = cpu();
  const s0 = await redisCpu();
  let sent = 0;
  while (sent < FRAMES) {
    for (const r of recs) {
      for (let k = 0; k < 10; k++) r.record('output', payload);
    }
    sent += recs.length * 10;
    // Keep the producer just ahead of the store, as a busy gateway would be (measures the sustained rate).
    while (store.backlog() > Number(process.env.BACKLOG ?? 5000)) await new Promise((r) => setTimeout(r, 1));
    await yieldNow();
  }
  await Promise.all(recs.map((r) => r.end()));
  if (!(await store.flush(60_000))) throw new Error('frames not stored');
  const seconds = (performance.now() - t0) / 1000;
  const frames = sent + recs.length;
  const clientUs = ((cpu() - c0) * 1e6) / frames;
  const serverUs = (((await redisCpu()) - s0) * 1e6) / frames;
  return { fps: frames / seconds, mbps: (sent * 1024) / seconds / 1e6, seconds, clientUs, serverUs };
}

/** record() on a hot loop: best of several rounds, in CPU time (the machine is shared) and wall time. */
async function hotLoop(store: RecordStore): Promise<{ bytesNs: number; jsonNs: number }> {
  const rec = store.startSession(meta(9999));
  const payload = Buffer.alloc(1024, 'y');
  const obj = { kind: 'sql', text: 'select * from orders where id = $1', protocol: 'extended' };
  const N = 2000;
  let bytes = Number.POSITIVE_INFINITY;
  let json = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 30; r++) {
    let c = process.cpuUsage();
    for (let i = 0; i < N; i++) rec.record('output', payload);
    let d = process.cpuUsage(c);
    bytes = Math.min(bytes, ((d.user + d.system) * 1000) / N);
    c = process.cpuUsage();
    for (let i = 0; i < N; i++) rec.record('query', obj);
    d = process.cpuUsage(c);
    json = Math.min(json, ((d.user + d.system) * 1000) / N);
    while (store.backlog() > 2000) await new Promise((res) => setTimeout(res, 1));
  }
  await rec.end();
  return { bytesNs: bytes, jsonNs: json };
}

/** The file store (embedded default) with a terminal session's large output chunks. */
async function fileStore(): Promise<{ mbps: number; failed: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-files-'));
  const store = await openStore(storeConfigFromUrl(`file:${dir}/sessions`), {
    spoolDir: `${dir}/spool`,
    log: () => undefined,
  });
  const rec = store.startSession(meta(77));
  let failed = false;
  rec.failed.then(() => {
    failed = true;
  });
  const chunk = Buffer.alloc(32 * 1024, 'q');
  const n = 4096; // 128 MiB
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    rec.record('output', chunk);
    if (i % 32 === 0) await yieldNow();
  }
  await rec.end();
  await store.flush(120_000);
  const seconds = (performance.now() - t) / 1000;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { mbps: (n * chunk.length) / seconds / 1e6, failed };
}

type Echo = { rtps: number; p50: number; p99: number };

/**
 * An echo server as a stand-in for a listener. `bytes`: 1 KiB messages, recorded as input + output frames
 * (a terminal session's worst case). `statements`: 100-byte messages, recorded as the gateway records a
 * SQL statement (query + decision + result JSON frames).
 */
async function echo(store: RecordStore | undefined, mode: 'bytes' | 'statements'): Promise<Echo> {
  const size = mode === 'bytes' ? 1024 : 100;
  const server = createServer((sock: Socket) => {
    const rec = store?.startSession(meta(Math.floor(Math.random() * 1e9)));
    sock.on('data', (chunk) => {
      if (mode === 'bytes') {
        rec?.record('input', chunk);
        sock.write(chunk);
        rec?.record('output', chunk);
      } else {
        rec?.record('query', {
          kind: 'sql',
          text: 'select * from pgbench_accounts where aid = $1',
          protocol: 'extended',
        });
        rec?.record('decision', { action: 'allow', rules: ['reads'], reason: 'matched reads', ms: 0.02 });
        sock.write(chunk);
        rec?.record('result', { tag: 'SELECT 1', rows: 1 });
      }
    });
    sock.on('close', () => void rec?.end());
    sock.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const payload = Buffer.alloc(size, 'z');
  const lat: number[] = [];
  const deadline = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      const c = createConnection(port, '127.0.0.1');
      await once(c, 'connect');
      c.setNoDelay(true);
      while (performance.now() < deadline) {
        const t = performance.now();
        c.write(payload);
        let got = 0;
        while (got < payload.length) {
          const [chunk] = (await once(c, 'data')) as [Buffer];
          got += chunk.length;
        }
        lat.push(performance.now() - t);
      }
      c.end();
    }),
  );
  server.close();
  lat.sort((a, b) => a - b);
  return {
    rtps: lat.length / SECONDS,
    p50: lat[Math.floor(lat.length / 2)],
    p99: lat[Math.floor(lat.length * 0.99)],
  };
}

async function main() {
  const own = REDIS ? undefined : await startRedis();
  const store = await openStore(storeConfigFromUrl(REDIS, { keyPrefix: prefix, retentionMs: 600_000 }), {
    log: (m) => console.error(m),
    batchOps: process.env.BATCH ? Number(process.env.BATCH) : undefined,
    writers: process.env.WRITERS ? Number(process.env.WRITERS) : undefined,
  });
  try {
    const tp = await throughput(store);
    console.log(
      `throughput: ${SESSIONS} sessions, ${FRAMES} frames of 1 KiB: ${Math.round(tp.fps)} frames/s (${tp.mbps.toFixed(1)} MB/s payload), ${tp.seconds.toFixed(2)} s`,
    );
    console.log(
      `  CPU per frame: gateway process ${tp.clientUs.toFixed(2)} µs, redis-server ${tp.serverUs.toFixed(2)} µs → ${Math.round(1e6 / Math.max(tp.clientUs, tp.serverUs))} frames/s when each has a core`,
    );
    const hl = await hotLoop(store);
    console.log(
      `record() cost (CPU, best of 30 × 2000 calls): 1 KiB bytes ${hl.bytesNs.toFixed(0)} ns/call, small JSON ${hl.jsonNs.toFixed(0)} ns/call`,
    );
    await store.flush(60_000);
    const fs = await fileStore();
    console.log(
      `file store: one session, 128 MiB of 32 KiB output frames stored (fsync'd) at ${fs.mbps.toFixed(1)} MB/s${fs.failed ? ' (session failed!)' : ''}`,
    );
    const fmt = (e: Echo) =>
      `${Math.round(e.rtps)} round trips/s, p50 ${e.p50.toFixed(3)} ms, p99 ${e.p99.toFixed(3)} ms`;
    for (const mode of ['statements', 'bytes'] as const) {
      // Alternating rounds, best of each: the machine is shared and single runs swing widely.
      let off: Echo | undefined;
      let on: Echo | undefined;
      for (let round = 0; round < ROUNDS; round++) {
        const a = await echo(undefined, mode);
        const b = await echo(store, mode);
        await store.flush(60_000);
        if (!off || a.rtps > off.rtps) off = a;
        if (!on || b.rtps > on.rtps) on = b;
      }
      const what = mode === 'bytes' ? '1 KiB, input+output frames' : '100 B, query+decision+result frames';
      console.log(
        `echo ${mode} (50 clients, ${what}, best of ${ROUNDS}×${SECONDS}s) recording off: ${fmt(off!)}`,
      );
      console.log(
        `echo ${mode} (50 clients, ${what}, best of ${ROUNDS}×${SECONDS}s) recording on:  ${fmt(on!)}`,
      );
      console.log(
        `echo ${mode}: throughput cost of recording ${((1 - on!.rtps / off!.rtps) * 100).toFixed(1)}%`,
      );
    }
  } finally {
    await store.close();
    const r = new Redis(REDIS, { protocol: 2 });
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
    r.disconnect();
    if (own) {
      own.proc.kill('SIGTERM');
      await once(own.proc, 'exit');
      rmSync(own.dir, { recursive: true, force: true });
    }
  }
}

await main();
