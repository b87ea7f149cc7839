// CPU per transaction of the Postgres path: starts the bench gateway (bench/postgres/gateway.ts), runs
// `pgbench -S -c 8 -j 2` through it and reads the CPU time the gateway and redis-server spent
// (/proc/PID/stat utime+stime), so changes can be compared on a noisy machine. Env: DURATION (10),
// MODE (simple|extended), CLIENTS (8), PROFILE=DIR (writes a --cpu-prof of the gateway into DIR),
// PORTCULLIS_BENCH_RECORD=off (null store). Assumes bench/postgres/run.mjs has prepared the database.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, cpuSeconds } from '../lib/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const DB = 'portcullis_bench_pg';
const duration = process.env.DURATION ?? '10';
const mode = process.env.MODE ?? 'simple';
const clients = process.env.CLIENTS ?? '8';
const work = mkdtempSync(join(tmpdir(), 'portcullis-txcost-'));
const js = await bundle(join(here, 'gateway.ts'), `postgres-gateway-txcost-${process.pid}`);
const args = [
  ...(process.env.NODE_FLAGS ?? '').split(' ').filter(Boolean),
  ...(process.env.PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE}`] : []),
];
const gw = spawn(process.execPath, [...args, js, DB, work], { stdio: ['ignore', 'pipe', 'inherit'] });
const info = await new Promise((resolve) => {
  let out = '';
  gw.stdout.on('data', (d) => {
    out += d;
    if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
  });
});
const ticks = (pid) => cpuSeconds(pid).map((x) => x * 100); // [user, system] in clock ticks
const redisPid = Number(execFileSync('pgrep', ['-o', 'redis-server'], { encoding: 'utf8' }).trim());
const run = (secs) =>
  execFileSync(
    'pgbench',
    [
      '-n',
      '-S',
      '-h',
      '127.0.0.1',
      '-p',
      String(info.port),
      '-U',
      'postgres',
      '-c',
      clients,
      '-j',
      '2',
      '-M',
      mode,
      '-T',
      secs,
      DB,
    ],
    { encoding: 'utf8', env: { ...process.env, PGPASSWORD: info.token } },
  );
run('2');
const g0 = ticks(info.pid);
const r0 = ticks(redisPid);
const out = run(duration);
const g1 = ticks(info.pid);
const r1 = ticks(redisPid);
const tps = Number(/tps = ([\d.]+)/.exec(out)[1]);
const tx = Number(/number of transactions actually processed: (\d+)/.exec(out)[1]);
const us = (a, b) => {
  const u = ((b[0] - a[0]) * 10000) / tx;
  const s = ((b[1] - a[1]) * 10000) / tx;
  return `${(u + s).toFixed(1)} µs (user ${u.toFixed(1)}, system ${s.toFixed(1)})`;
};
const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${info.pid}/status`, 'utf8'))?.[1];
console.log(
  `${mode} -c ${clients}: ${tps.toFixed(0)} tps; CPU per tx: gateway ${us(g0, g1)}, redis-server ${us(r0, r1)}; gateway peak RSS ${Math.round(Number(hwm) / 1024)} MB`,
);
gw.kill('SIGTERM');
await new Promise((r) => gw.once('exit', r));
rmSync(work, { recursive: true, force: true });
rmSync(js, { force: true });
