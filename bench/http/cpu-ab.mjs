// CPU per request of HTTP gateway variants, interleaved in one run: the naive node:http pipe proxy, the
// listener as it is in the working tree, and the listener at git revisions (REVS="HEAD~2 abc123"), each
// in front of the same upstream, under `wrk -t1 -cC -dD` for ROUNDS rounds (order reversed every other
// round). Wall-clock req/s swings with other load on a shared machine; the gateway process's own CPU
// (/proc/PID/stat utime+stime) per request does much less, so that is what this compares.
// Usage: node bench/http/cpu-ab.mjs   Env: REVS, ENVS ("norec=PORTCULLIS_BENCH_RECORD=off": the working
// tree's gateway once more with that environment, as target "norec"), SIZE (1k), C (32), D (5s), ROUNDS (4),
// DIRECT=1, PORTCULLIS_BENCH_STORE (default redis://127.0.0.1:6379/0), PROF=1 (a --cpu-prof of the working tree's
// gateway, written to /tmp/portcullis-http-prof).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, loopReports, startChild, stopChildren } from '../lib/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const revs = (process.env.REVS ?? '').split(/\s+/).filter(Boolean);
const size = process.env.SIZE ?? '1k';
const conns = Number(process.env.C ?? 32);
const duration = process.env.D ?? '5s';
const rounds = Number(process.env.ROUNDS ?? 4);
const store = process.env.PORTCULLIS_BENCH_STORE ?? 'redis://127.0.0.1:6379/0';
const work = mkdtempSync(join(tmpdir(), 'portcullis-http-ab-'));
const children = [];

/** The last loop-delay/GC report line each gateway printed on stderr (PORTCULLIS_BENCH_LOOP=1, SIGUSR2). */
const reports = new Map();

const reportLine = loopReports(reports);
const start = (cmd, args, env = process.env) =>
  startChild(children, cmd, args, { env, onStderr: reportLine });
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGTERM');
  rmSync(work, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

/** A gateway bundle whose listener is packages/http/src at `rev` (its core is the working tree's). */
async function bundleAt(rev) {
  const dir = join(root, 'node_modules/.cache/portcullis-bench', `http-${rev.replace(/[^\w.-]/g, '_')}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'src'), { recursive: true });
  const files = execFileSync('git', ['ls-tree', '--name-only', rev, 'packages/http/src/'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  for (const f of files) {
    const text = execFileSync('git', ['show', `${rev}:${f}`], { cwd: root, encoding: 'utf8' });
    writeFileSync(join(dir, 'src', f.split('/').pop()), text);
  }
  const gw = readFileSync(join(here, 'gateway.ts'), 'utf8')
    .replaceAll('../../packages/core/src/', `${join(root, 'packages/core/src')}/`)
    .replace('../../packages/http/src/index.js', './src/index.js');
  writeFileSync(join(dir, 'gateway.ts'), gw);
  return bundle(join(dir, 'gateway.ts'), `http-gateway-${rev.replace(/[^\w.-]/g, '_')}`);
}

const up = await start(process.execPath, [join(here, 'upstream.mjs')]);
const upPort = Number(up.line);
const naive = await start(process.execPath, [join(here, 'naive-proxy.mjs'), String(upPort)]);
const targets = { naive: { port: Number(naive.line), pid: naive.pid, auth: [] } };
// DIRECT=1: the upstream itself as a target too (for added latency: run with C=1).
if (process.env.DIRECT === '1') targets.direct = { port: upPort, pid: up.pid, auth: [] };
const variants = [['tree', await bundle(join(here, 'gateway.ts'), 'http-gateway-tree')]];
for (const rev of revs) variants.push([rev, await bundleAt(rev)]);
const extraEnv = {};
for (const spec of (process.env.ENVS ?? '').split(/\s+/).filter(Boolean)) {
  const [name, kv] = [spec.slice(0, spec.indexOf('=')), spec.slice(spec.indexOf('=') + 1)];
  variants.push([name, variants[0][1]]);
  extraEnv[name] = { [kv.slice(0, kv.indexOf('='))]: kv.slice(kv.indexOf('=') + 1) };
}
for (const [name, js] of variants) {
  // PROF=1: a --cpu-prof of PROF_TARGET (default tree); TREE_NODE_ARGS: more node flags for it.
  const args =
    name === (process.env.PROF_TARGET ?? 'tree')
      ? [
          ...(process.env.PROF === '1' ? ['--cpu-prof', '--cpu-prof-dir=/tmp/portcullis-http-prof'] : []),
          ...(process.env.TREE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
        ]
      : [];
  const dir = join(work, name.replace(/[^\w.-]/g, '_'));
  mkdirSync(dir);
  const gw = await start(process.execPath, [...args, js, String(upPort), dir], {
    ...process.env,
    PORTCULLIS_BENCH_STORE: store,
    PORTCULLIS_BENCH_LOOP: '1',
    ...extraEnv[name],
  });
  const { port, token } = JSON.parse(gw.line);
  targets[name] = { port, pid: gw.pid, auth: ['-H', `Authorization: Bearer ${token}`] };
}

function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

/** One wrk run; for a gateway also its event-loop delay and GC pauses over the run. */
async function run(name, d = duration) {
  const t = targets[name];
  const gateway = t.auth.length > 0;
  if (gateway) {
    process.kill(t.pid, 'SIGUSR2'); // resets its counters
    await new Promise((r) => setTimeout(r, 200));
  }
  const t0 = cpuTicks(t.pid);
  const out = execFileSync(
    'wrk',
    ['-t1', `-c${conns}`, `-d${d}`, '--latency', ...t.auth, `http://127.0.0.1:${t.port}/${size}`],
    { encoding: 'utf8' },
  );
  const ticks = cpuTicks(t.pid) - t0;
  let report = '';
  if (gateway) {
    process.kill(t.pid, 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 200));
    report = reports.get(t.pid) ?? '';
  }
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (errors) throw new Error(`${name}: ${errors[1]} non-2xx responses`);
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const ms = (label) => {
    const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(out);
    return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : Number.NaN;
  };
  const minor = /GC minor (\d+)/.exec(report);
  return {
    cpu: (ticks * 10_000) / requests,
    rps,
    p50: ms('50%'),
    p99: ms('99%'),
    report: report
      ? `${report}; ${((1000 * Number(minor?.[1] ?? 0)) / requests).toFixed(1)} minor GCs/1000 req`
      : '',
  };
}

const names = Object.keys(targets);
for (const n of names) await run(n, '2s'); // warm-up
const res = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...names].reverse() : names;
  for (const n of order) {
    const x = await run(n);
    res[n].push(x);
    console.error(
      `round ${r + 1} ${n}: ${x.cpu.toFixed(1)} µs/req, ${x.rps.toFixed(0)} req/s, p99 ${x.p99} ms${x.report ? `; ${x.report}` : ''}`,
    );
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const naiveCpu = median(res.naive.map((x) => x.cpu));
const naiveRps = median(res.naive.map((x) => x.rps));
console.log(`/${size}, wrk -t1 -c${conns} -d${duration}, ${rounds} rounds, median:`);
console.log('| target | CPU µs/req | × naive CPU | req/s | × naive req/s | p50 ms | p99 ms |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const n of names) {
  const cpu = median(res[n].map((x) => x.cpu));
  const rps = median(res[n].map((x) => x.rps));
  console.log(
    `| ${n} | ${cpu.toFixed(1)} | ${(cpu / naiveCpu).toFixed(2)} | ${rps.toFixed(0)} | ${(rps / naiveRps).toFixed(2)} | ${median(res[n].map((x) => x.p50)).toFixed(3)} | ${median(res[n].map((x) => x.p99)).toFixed(3)} |`,
  );
}
await stopChildren(children);
process.exit(0);
