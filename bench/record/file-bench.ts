// File-store benchmark (the embedded default): sustained HTTP-like load — each "request" records a request
// frame, a decision frame and a result frame holding a masked 64 KiB JSON preview — from many sessions at a
// fixed offered rate, with on_failure: close. Reports what was stored per second, the largest backlog, and
// whether any session was told to close. Run with `BENCH=file bash bench/record/run.sh`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openStore,
  type SessionMeta,
  type SessionRecorder,
  storeConfigFromUrl,
} from '../../packages/core/src/record/index.js';

const SESSIONS = Number(process.env.SESSIONS ?? 50);
/** Offered requests per second, all sessions together (0: as fast as the store takes them). */
const RATE = Number(process.env.RATE ?? 200);
const SECONDS = Number(process.env.SECONDS ?? 10);
const PREVIEW = Number(process.env.PREVIEW ?? 64 * 1024);
/** CPU each request burns on the event loop besides recording (the HTTP gateway masks 1 MiB in ~5–7 ms). */
const BUSY_MS = Number(process.env.BUSY_MS ?? 0);
const MEMORY = process.env.MEMORY_MB ? Number(process.env.MEMORY_MB) << 20 : undefined;

function meta(i: number): SessionMeta {
  return {
    id: `f${Date.now().toString(36)}-${i}`,
    connection: 'bench',
    protocol: 'http',
    subject: 'bench',
    groups: [],
    client: '127.0.0.1',
    started_at: Date.now(),
    status: 'active',
  };
}

// A JSON body like the HTTP bench's /1m: objects with quotes to escape, twice (data JSON, then the line).
function preview(bytes: number): string {
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const s = `{"id":${i},"name":"user ${i}","email":"[redacted:email]","note":"line\\nwith \\"quotes\\""},`;
    parts.push(s);
    n += s.length;
  }
  return `[${parts.join('').slice(0, bytes - 2)}]`;
}

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-files-'));
  const logs: string[] = [];
  const store = await openStore(storeConfigFromUrl(`file:${dir}/sessions`, { onFailure: 'close' }), {
    spoolDir: `${dir}/spool`,
    log: (m) => logs.push(m),
    memoryBytes: MEMORY,
  });
  const body = preview(PREVIEW);
  const headers = { 'user-agent': ['wrk'], accept: ['*/*'] };
  let failed = 0;
  const recs: SessionRecorder[] = Array.from({ length: SESSIONS }, (_, i) => {
    const r = store.startSession(meta(i));
    r.failed.then((why) => {
      failed++;
      if (failed === 1) console.error(`session failed: ${why}`);
    });
    return r;
  });
  let requests = 0;
  let maxBacklog = 0;
  let frameBytes = 0;
  const oneRequest = (r: SessionRecorder) => {
    if (BUSY_MS > 0) for (const until = performance.now() + BUSY_MS; performance.now() < until; );
    r.record('request', { kind: 'http', method: 'GET', target: '/1m', body_bytes: 0 });
    r.record('decision', { action: 'allow', rules: ['reads'], reason: 'matched reads', ms: 0.05 });
    r.record('result', {
      status: 200,
      headers: { 'content-type': 'application/json' },
      mode: 'json',
      bytes: 1 << 20,
      masked: { email: 100 },
      preview: body,
      request: { headers },
      ms: 5,
    });
    requests++;
  };
  frameBytes = JSON.stringify(JSON.stringify({ preview: body })).length + 300;
  const t0 = performance.now();
  const c0 = cpu();
  const end = t0 + SECONDS * 1000;
  let i = 0;
  while (performance.now() < end) {
    if (RATE > 0) {
      // Open loop: the offered rate does not wait for the store, as a listener would not.
      const due = Math.floor(((performance.now() - t0) / 1000) * RATE);
      // At most a few per turn, as a server handles one socket event at a time (I/O interleaves).
      for (let k = 0; k < 4 && requests < due; k++) oneRequest(recs[i++ % SESSIONS]);
      await new Promise((r) => setImmediate(r));
    } else {
      for (let k = 0; k < SESSIONS; k++) oneRequest(recs[i++ % SESSIONS]);
      while (store.backlog() > SESSIONS * 6) await new Promise((r) => setTimeout(r, 1));
    }
    maxBacklog = Math.max(maxBacklog, store.backlog());
  }
  const produced = performance.now();
  await Promise.all(recs.map((r) => r.end()));
  const ok = await store.flush(120_000);
  const seconds = (performance.now() - t0) / 1000;
  const cpuS = cpu() - c0;
  const frames = requests * 3 + 2 * SESSIONS;
  const mb = (requests * frameBytes) / 1e6;
  // Every session's frames, complete and in order.
  let bad = 0;
  for (const r of recs) {
    const v = await store.verify(r.id);
    if (!v.ok) {
      bad++;
      if (bad === 1) console.error(`verify ${r.id}: ${JSON.stringify(v)}`);
    }
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    `file store: ${SESSIONS} sessions, ${RATE > 0 ? `${RATE} req/s offered` : 'as fast as stored'} for ${SECONDS}s, ${(PREVIEW / 1024).toFixed(0)} KiB preview/result (~${(frameBytes / 1024).toFixed(0)} KiB line)`,
  );
  console.log(
    `  stored ${frames} frames / ${mb.toFixed(0)} MB in ${seconds.toFixed(2)} s (producing ${((produced - t0) / 1000).toFixed(2)} s): ${Math.round(frames / seconds)} frames/s, ${(mb / seconds).toFixed(1)} MB/s; CPU ${((cpuS * 1e6) / requests).toFixed(0)} µs per request`,
  );
  console.log(
    `  max backlog ${maxBacklog} ops; sessions failed ${failed}; flushed ${ok}; chains bad ${bad}; spooled ${logs.filter((l) => l.includes('spooled')).length} times`,
  );
  for (const l of logs.slice(0, 5)) console.log(`  log: ${l}`);
}

await main();
