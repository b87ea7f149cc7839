// Added latency at one connection, measured by a client that times every request itself: one keep-alive
// connection, one request at a time (closed loop), process.hrtime per request, no client library.
// wrk's latency figures at -c1 were not usable here: on a loaded machine it reported a mean latency
// whose sum over its request count exceeded the run's duration several times over.
// Usage: node bench/http/latency.mjs   Env: N (requests per round, 5000), ROUNDS (4), PATH_ (/1k), NOREC,
// PORTCULLIS_BENCH_STORE (default redis://127.0.0.1:6379/0). Targets: direct, naive, portcullis, alternating.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, loopReports, startChild, stopChildren } from '../lib/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const n = Number(process.env.N ?? 5000);
const rounds = Number(process.env.ROUNDS ?? 4);
const path = process.env.PATH_ ?? '/1k';
const store = process.env.PORTCULLIS_BENCH_STORE ?? 'redis://127.0.0.1:6379/0';
const work = mkdtempSync(join(tmpdir(), 'portcullis-http-lat-'));
const children = [];

const reports = new Map();
const reportLine = loopReports(reports);
const start = (cmd, args, env = process.env) =>
  startChild(children, cmd, args, { env, onStderr: reportLine }).then((r) => r.line);
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

const upPort = Number(await start(process.execPath, [join(here, 'upstream.mjs')]));
const naivePort = Number(await start(process.execPath, [join(here, 'naive-proxy.mjs'), String(upPort)]));
const gwJs = await bundle(join(here, 'gateway.ts'), 'http-gateway-latency');
const targets = {
  direct: { port: upPort, auth: '' },
  naive: { port: naivePort, auth: '' },
};
// NOREC=1: a second gateway that discards its frames (core's nullStore), to split recording's share.
for (const [name, env] of [
  ['portcullis', {}],
  ...(process.env.NOREC === '1' ? [['norec', { PORTCULLIS_BENCH_RECORD: 'off' }]] : []),
]) {
  const dir = join(work, name);
  const line = await start(process.execPath, [gwJs, String(upPort), dir], {
    ...process.env,
    PORTCULLIS_BENCH_STORE: store,
    PORTCULLIS_BENCH_LOOP: '1',
    ...env,
  });
  const gw = JSON.parse(line);
  targets[name] = { port: gw.port, auth: `Authorization: Bearer ${gw.token}\r\n`, pid: children.at(-1).pid };
}

/** `count` requests one after another on one connection; the latency of each in ms. */
function series(t, count) {
  return new Promise((resolve, reject) => {
    const req = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: bench\r\n${t.auth}\r\n`);
    const sock = connect(t.port, '127.0.0.1');
    sock.setNoDelay(true);
    const lat = [];
    let buf = Buffer.alloc(0);
    let t0 = 0n;
    const send = () => {
      t0 = process.hrtime.bigint();
      sock.write(req);
    };
    sock.on('connect', send);
    sock.on('error', reject);
    sock.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1');
      const status = Number(head.slice(9, 12));
      const m = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (!m) return reject(new Error(`no content-length from port ${t.port}: ${head}`));
      const total = end + 4 + Number(m[1]);
      if (buf.length < total) return;
      if (status !== 200) return reject(new Error(`status ${status} from port ${t.port}`));
      lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
      buf = buf.subarray(total);
      if (lat.length === count) {
        sock.destroy();
        resolve(lat);
      } else send();
    });
  });
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
for (const t of Object.values(targets)) await series(t, 500); // warm-up
const all = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  const order = Object.keys(targets);
  for (const name of r % 2 ? order.reverse() : order) {
    const pid = targets[name].pid;
    const report = async () => {
      process.kill(pid, 'SIGUSR2'); // the gateway's loop delay and GC since the last signal
      await new Promise((r) => setTimeout(r, 200));
    };
    if (pid) await report();
    const lat = await series(targets[name], n);
    if (pid) await report();
    all[name].push(...lat);
    console.error(
      `round ${r + 1} ${name}: p50 ${pct(lat, 50).toFixed(3)} p99 ${pct(lat, 99).toFixed(3)} p99.9 ${pct(lat, 99.9).toFixed(3)} max ${Math.max(...lat).toFixed(1)} ms${pid ? `; ${reports.get(pid)}` : ''}`,
    );
  }
}
console.log(`${path}, one connection, ${rounds} rounds × ${n} requests, all rounds pooled:`);
console.log('| target | p50 ms | p90 ms | p99 ms | p99.9 ms | added p50 | added p99 |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [name, lat] of Object.entries(all)) {
  console.log(
    `| ${name} | ${pct(lat, 50).toFixed(3)} | ${pct(lat, 90).toFixed(3)} | ${pct(lat, 99).toFixed(3)} | ${pct(lat, 99.9).toFixed(3)} | ${(pct(lat, 50) - pct(all.direct, 50)).toFixed(3)} | ${(pct(lat, 99) - pct(all.direct, 99)).toFixed(3)} |`,
  );
}
await stopChildren(children);
process.exit(0);
