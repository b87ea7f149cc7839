// Bulk reads through the Postgres bench gateway, judged by the gateway's own CPU time per row (the
// machine is shared, wall-clock swings): psql `SELECT * FROM bench_rows` and `COPY bench_rows TO STDOUT`,
// each run alternately direct and through the gateway, REPS times. Needs bench/postgres/run.sh to have
// created the database (portcullis_bench_pg, bench_rows). Prints per query: gateway CPU µs/row, wall time
// direct vs gateway (median) and the gateway's peak RSS.
//   node bench/mask/pg-bulk.mjs [--reps N] [--prof DIR] [--only select|copy] [--gateway FILE.mjs]
// --prof DIR: the gateway runs with --cpu-prof into DIR. --gateway: an already bundled gateway (e.g. an
// older tree's) instead of bundling bench/postgres/gateway.ts.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../lib/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const reps = Number(opt('--reps', 3));
const prof = opt('--prof', undefined);
const only = opt('--only', undefined);
const DB = 'portcullis_bench_pg';
const work = mkdtempSync(join(tmpdir(), 'portcullis-pg-bulk-'));
const gatewayJs =
  opt('--gateway', undefined) ?? (await bundle(join(here, '../postgres/gateway.ts'), 'pg-bulk-gateway'));

const nodeArgs = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
const gwProc = spawn(process.execPath, [...nodeArgs, gatewayJs, DB, work], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: {
    ...process.env,
    ...(process.env.GW_NODE_OPTIONS ? { NODE_OPTIONS: process.env.GW_NODE_OPTIONS } : {}),
  },
});
const gw = await new Promise((resolve, reject) => {
  let out = '';
  gwProc.stdout.on('data', (d) => {
    out += d;
    if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
  });
  gwProc.once('exit', (c) => reject(new Error(`gateway exited ${c}`)));
});
const stop = () => {
  if (gwProc.exitCode === null) process.kill(gwProc.pid, 'SIGTERM');
};
process.on('exit', () => {
  stop();
  rmSync(work, { recursive: true, force: true });
});

const cpuOf = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, seconds (USER_HZ 100)
};
const rssOf = (pid, field) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

function run(port, password, sql) {
  const t0 = process.hrtime.bigint();
  execFileSync(
    'sh',
    ['-c', `psql -h 127.0.0.1 -p ${port} -U postgres -X -At -d ${DB} -c "${sql}" > /dev/null`],
    {
      env: { ...process.env, PGPASSWORD: password },
    },
  );
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const queries = { select: 'SELECT * FROM bench_rows', copy: 'COPY bench_rows TO STDOUT' };
const rows = 1_000_000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
run(gw.port, gw.token, 'SELECT 1');
for (const [name, sql] of Object.entries(queries)) {
  if (only && only !== name) continue;
  const direct = [];
  const through = [];
  const cpu = [];
  for (let i = 0; i < reps; i++) {
    direct.push(run(5432, '', sql));
    const c0 = cpuOf(gw.pid);
    through.push(run(gw.port, gw.token, sql));
    cpu.push(cpuOf(gw.pid) - c0);
  }
  const d = median(direct);
  const p = median(through);
  console.log(
    `${name.padEnd(6)} gateway CPU ${((median(cpu) / rows) * 1e6).toFixed(2)} µs/row (runs ${cpu.map((c) => c.toFixed(2)).join(' ')} s)  wall direct ${d.toFixed(2)} s, gateway ${p.toFixed(2)} s = ${(p / d).toFixed(2)}x  RSS now ${rssOf(gw.pid, 'VmRSS').toFixed(0)} MB peak ${rssOf(gw.pid, 'VmHWM').toFixed(0)} MB`,
  );
}
process.kill(gw.pid, 'SIGUSR2');
await new Promise((r) => setTimeout(r, 200));
stop();
await new Promise((r) => gwProc.once('exit', r));
