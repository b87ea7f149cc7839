// What recording costs on the Postgres benchmark: two gateways built from bench/postgres/gateway.ts, one
// recording to Redis, one with recording off (PORTCULLIS_BENCH_RECORD=off), and pgbench -S -c 8 -j 2 simple
// against each, alternating (order flipped every round). Env: DURATION (20), ROUNDS (3), SCALE (5),
// PORTCULLIS_BENCH_STORE (the recording gateway's store; default a private redis-server started here, so
// its CPU per transaction can be read from /proc). Everything started here is stopped by pid.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, cpuSeconds, freePort } from '../lib/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const duration = Number(process.env.DURATION ?? 20);
const rounds = Number(process.env.ROUNDS ?? 3);
const scale = Number(process.env.SCALE ?? 5);
const CLIENTS = process.env.CLIENTS ?? '8';
const DB = 'portcullis_bench_rec';
const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-rec-pg-'));
const children = [];

const gatewayJs = await bundle(join(root, 'bench/postgres/gateway.ts'), 'postgres-gateway-rec');

const exists = execFileSync(
  'psql',
  [
    '-h',
    '127.0.0.1',
    '-U',
    'postgres',
    '-X',
    '-At',
    '-d',
    'postgres',
    '-c',
    `SELECT 1 FROM pg_database WHERE datname = '${DB}'`,
  ],
  { encoding: 'utf8' },
).trim();
if (!exists) {
  execFileSync('createdb', ['-h', '127.0.0.1', '-U', 'postgres', DB]);
  execFileSync('pgbench', ['-i', '-q', '-s', String(scale), '-h', '127.0.0.1', '-U', 'postgres', DB], {
    stdio: 'ignore',
  });
}

function startGateway(env) {
  const dir = mkdtempSync(join(work, 'gw-'));
  // PROF_DIR: each gateway writes a V8 CPU profile there when it stops.
  const prof = process.env.PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROF_DIR}`] : [];
  const child = spawn(process.execPath, [...prof, gatewayJs, DB, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: root,
    env: { ...process.env, ...env },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ ...JSON.parse(out.split('\n')[0]), child });
    });
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}`)));
  });
}

const cpuOf = (pid) => cpuSeconds(pid).reduce((a, b) => a + b);

function pgbench(gw, secs) {
  const c0 = cpuOf(gw.pid);
  const r0 = gw.redisPid ? cpuOf(gw.redisPid) : 0;
  const out = execFileSync(
    'pgbench',
    [
      '-n',
      '-S',
      '-h',
      '127.0.0.1',
      '-p',
      String(gw.port),
      '-U',
      'postgres',
      '-c',
      CLIENTS,
      '-j',
      CLIENTS === '1' ? '1' : '2',
      '-M',
      'simple',
      '-T',
      String(secs),
      DB,
    ],
    { encoding: 'utf8', env: { ...process.env, PGPASSWORD: gw.token } },
  );
  const failed = /number of failed transactions: (\d+)/.exec(out);
  if (failed && failed[1] !== '0') throw new Error(`pgbench failures: ${out}`);
  const tx = Number(/number of transactions actually processed: (\d+)/.exec(out)[1]);
  const redisUs = gw.redisPid ? ((cpuOf(gw.redisPid) - r0) * 1e6) / tx : 0;
  return {
    lat: Number(/latency average = ([\d.]+) ms/.exec(out)[1]),
    tps: Number(/tps = ([\d.]+)/.exec(out)[1]),
    cpuUs: ((cpuOf(gw.pid) - c0) * 1e6) / tx,
    redisUs,
  };
}

async function privateRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(work, 'redis-'));
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  children.push(proc);
  for (let i = 0; i < 100; i++) {
    try {
      execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'ignore' });
      return { url: `redis://127.0.0.1:${port}/0`, pid: proc.pid };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('redis-server did not start');
}

try {
  const redis = process.env.PORTCULLIS_BENCH_STORE ? undefined : await privateRedis();
  const on = await startGateway(redis ? { PORTCULLIS_BENCH_STORE: redis.url } : {});
  on.redisPid = redis?.pid;
  const off = await startGateway({ PORTCULLIS_BENCH_RECORD: 'off' });
  pgbench(on, 2);
  pgbench(off, 2);
  const res = { on: [], off: [] };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
    for (const k of order) {
      const v = pgbench(k === 'on' ? on : off, duration);
      res[k].push(v);
      console.error(
        `round ${r + 1} recording ${k}: ${v.tps.toFixed(0)} tps, gateway CPU ${v.cpuUs.toFixed(1)} µs/tx`,
      );
    }
  }
  const mean = (a, f) => a.reduce((s, x) => s + f(x), 0) / a.length;
  const tOn = mean(res.on, (x) => x.tps);
  const tOff = mean(res.off, (x) => x.tps);
  const cOn = mean(res.on, (x) => x.cpuUs);
  const cOff = mean(res.off, (x) => x.cpuUs);
  console.log(`pgbench -S -c ${CLIENTS} -M simple -T ${duration}, ${rounds} rounds alternating (mean):`);
  console.log(`  recording off: ${tOff.toFixed(0)} tps, gateway CPU ${cOff.toFixed(1)} µs/tx`);
  const rOn = mean(res.on, (x) => x.redisUs);
  console.log(
    `  recording on:  ${tOn.toFixed(0)} tps, gateway CPU ${cOn.toFixed(1)} µs/tx, redis-server ${rOn.toFixed(1)} µs/tx`,
  );
  console.log(
    `  throughput cost ${((1 - tOn / tOff) * 100).toFixed(1)} %, CPU cost ${((cOn / cOff - 1) * 100).toFixed(1)} %`,
  );
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(work, { recursive: true, force: true });
}
