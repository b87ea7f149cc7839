// Postgres benchmark: direct vs pgbouncer (pass-through anchor, session mode) vs a plain Node TCP pipe (the
// floor for any Node proxy; per-statement tests only) vs Portcullis (policy + masking + Redis recording),
// alternating in one run: pgbench -S -c 8 -j 2 (simple, extended), single-client latency, and the read time of
// a 1,000,000-row SELECT * and COPY TO STDOUT of realistic rows. Env: DURATION (20), ROUNDS (1), SCALE (5),
// ROWS (1000000). Everything started here is stopped by pid.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, freePort, startChild, waitForPort } from '../lib/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const duration = Number(process.env.DURATION ?? 20);
const rounds = Number(process.env.ROUNDS ?? 1);
const scale = Number(process.env.SCALE ?? 5);
const rows = Number(process.env.ROWS ?? 1_000_000);
const DB = 'portcullis_bench_pg';
const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-pg-'));
const children = [];

const gatewayJs = await bundle(join(here, 'gateway.ts'), 'postgres-gateway');

const psqlDirect = (sql, db = DB) =>
  execFileSync(
    'psql',
    ['-h', '127.0.0.1', '-U', 'postgres', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sql],
    {
      encoding: 'utf8',
    },
  ).trim();

function stopAll() {
  for (const c of children) if (c.exitCode === null) process.kill(c.pid, 'SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

// ── data ──────────────────────────────────────────────────────────────────
console.error(`preparing ${DB}: pgbench scale ${scale}, bench_rows ${rows} rows`);
const exists = psqlDirect(`SELECT count(*) FROM pg_database WHERE datname = '${DB}'`, 'postgres');
if (exists !== '1') psqlDirect(`CREATE DATABASE ${DB}`, 'postgres');
execFileSync('pgbench', ['-i', '-q', '-s', String(scale), '-h', '127.0.0.1', '-U', 'postgres', DB], {
  stdio: 'ignore',
});
const have = Number(
  execFileSync(
    'psql',
    [
      '-h',
      '127.0.0.1',
      '-U',
      'postgres',
      '-X',
      '-At',
      '-d',
      DB,
      '-c',
      `SELECT count(*) FROM pg_class WHERE relname = 'bench_rows'`,
    ],
    { encoding: 'utf8' },
  ).trim(),
);
const rowCount = have
  ? Number(
      execFileSync(
        'psql',
        ['-h', '127.0.0.1', '-U', 'postgres', '-X', '-At', '-d', DB, '-c', 'SELECT count(*) FROM bench_rows'],
        { encoding: 'utf8' },
      ).trim(),
    )
  : 0;
if (rowCount !== rows) {
  // Realistic rows (names, emails, valid and invalid card numbers, free text), built once: a generated
  // md5() column would make the read server-bound and hide the proxy's cost.
  psqlDirect(`DROP TABLE IF EXISTS bench_rows; CREATE TABLE bench_rows AS
    SELECT g AS id,
      (ARRAY['Alice','Bob','Carol','Dave','Erin','Frank','Grace','Heidi'])[1 + g % 8] || ' ' ||
        (ARRAY['Smith','Jones','Brown','Taylor','Wilson','Davies','Evans'])[1 + g % 7] AS name,
      (ARRAY['alice','bob','carol','dave','erin','frank','grace','heidi'])[1 + g % 8] || '.' || g || '@example.com' AS email,
      (ARRAY['4111111111111111','5500000000000004','4012888888881881','4111111111111112','6011000990139424','1234567812345678'])[1 + g % 6] AS card,
      'Order ' || g || ' shipped to warehouse ' || (g % 97) || '; customer notes: leave at the front desk, call before delivery' AS note
    FROM generate_series(1, ${rows}) g`);
  psqlDirect('VACUUM ANALYZE bench_rows');
}

// ── peers ─────────────────────────────────────────────────────────────────
const start = (cmd, args) => startChild(children, cmd, args).then((r) => r.line);

chmodSync(work, 0o755);
const pgUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
chownSync(work, pgUid, pgUid);
const bouncerPort = await freePort();
const ini = join(work, 'pgbouncer.ini');
writeFileSync(join(work, 'users.txt'), '"postgres" ""\n');
writeFileSync(
  ini,
  `[databases]\n${DB} = host=127.0.0.1 port=5432 dbname=${DB} user=postgres\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = ${bouncerPort}\nunix_socket_dir =\nauth_type = trust\nauth_file = ${join(work, 'users.txt')}\npool_mode = session\nmax_client_conn = 200\ndefault_pool_size = 20\nlogfile = ${join(work, 'pgbouncer.log')}\nignore_startup_parameters = extra_float_digits\n`,
);
const bouncer = spawn('pgbouncer', ['-u', 'postgres', ini], { stdio: 'ignore' });
children.push(bouncer);
await waitForPort(bouncerPort);
console.error('starting the gateway');
const gw = JSON.parse(await start(process.execPath, [gatewayJs, DB, work]));

const pipePort = Number(await start(process.execPath, [join(here, 'node-pipe.mjs'), '5432']));
const targets = {
  direct: { port: 5432, password: '' },
  pgbouncer: { port: bouncerPort, password: '' },
  'node-pipe': { port: pipePort, password: '', perStatementOnly: true },
  portcullis: { port: gw.port, password: gw.token },
};

const rssOf = (pid, field) => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

function pgbench(t, args) {
  const out = execFileSync(
    'pgbench',
    ['-n', '-S', '-h', '127.0.0.1', '-p', String(t.port), '-U', 'postgres', ...args, DB],
    { encoding: 'utf8', env: { ...process.env, PGPASSWORD: t.password } },
  );
  const failed = /number of failed transactions: (\d+)/.exec(out);
  if (failed && failed[1] !== '0') throw new Error(`pgbench failures: ${out}`);
  return {
    tps: Number(/tps = ([\d.]+)/.exec(out)[1]),
    lat: Number(/latency average = ([\d.]+) ms/.exec(out)[1]),
  };
}

function timed(t, args) {
  const started = process.hrtime.bigint();
  execFileSync(
    'sh',
    ['-c', `psql -h 127.0.0.1 -p ${t.port} -U postgres -X -At -d ${DB} ${args} > /dev/null`],
    {
      env: { ...process.env, PGPASSWORD: t.password },
      maxBuffer: 1 << 20,
    },
  );
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const tests = {
  'pgbench -S -c 8 -j 2 simple (tps)': (t) =>
    pgbench(t, ['-c', '8', '-j', '2', '-M', 'simple', '-T', String(duration)]).tps,
  'pgbench -S -c 8 -j 2 extended (tps)': (t) =>
    pgbench(t, ['-c', '8', '-j', '2', '-M', 'extended', '-T', String(duration)]).tps,
  'single client latency, simple (ms)': (t) =>
    pgbench(t, ['-c', '1', '-j', '1', '-M', 'simple', '-T', String(Math.ceil(duration / 2))]).lat,
  'single client latency, extended (ms)': (t) =>
    pgbench(t, ['-c', '1', '-j', '1', '-M', 'extended', '-T', String(Math.ceil(duration / 2))]).lat,
  [`SELECT * of ${rows} rows (s)`]: (t) => timed(t, `-c "SELECT * FROM bench_rows"`),
  [`COPY TO STDOUT of ${rows} rows (s)`]: (t) => timed(t, `-c "COPY bench_rows TO STDOUT"`),
};

console.error('warming up');
for (const t of Object.values(targets)) pgbench(t, ['-c', '8', '-j', '2', '-T', '2']);
// The plain Node pipe is the floor for a Node proxy per statement; bulk reads through it equal direct.
const bulk = (name) => !name.startsWith('pgbench') && !name.startsWith('single');

const results = {};
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of Object.entries(tests)) {
    const order = Object.keys(targets).filter((k) => !(targets[k].perStatementOnly && bulk(name)));
    if (r % 2 === 1) order.reverse();
    for (const target of order) {
      const v = fn(targets[target]);
      ((results[name] ??= {})[target] ??= []).push(v);
      console.error(`round ${r + 1} ${name} ${target}: ${v.toFixed(3)}`);
    }
  }
}
const gwPeak = rssOf(gw.pid, 'VmHWM');
const bouncerPeak = rssOf(bouncer.pid, 'VmHWM');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const lines = [
  '| measure | direct | pgbouncer | node pipe | Portcullis | Portcullis / direct | Portcullis / pgbouncer | node pipe / pgbouncer |',
  '|---|---|---|---|---|---|---|---|',
];
for (const [name, byTarget] of Object.entries(results)) {
  const d = median(byTarget.direct);
  const b = median(byTarget.pgbouncer);
  const n = byTarget['node-pipe'] ? median(byTarget['node-pipe']) : undefined;
  const p = median(byTarget.portcullis);
  const f = (x) => (x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(3));
  const r = (x, y) => (x === undefined ? '–' : `${(x / y).toFixed(2)}×`);
  lines.push(`| ${name} | ${f(d)} | ${f(b)} | ${f(n)} | ${f(p)} | ${r(p, d)} | ${r(p, b)} | ${r(n, b)} |`);
}
lines.push(`| peak RSS (MB, VmHWM) | – | ${bouncerPeak.toFixed(0)} | | ${gwPeak.toFixed(0)} | | | |`);
console.log(lines.join('\n'));
process.exit(0);
