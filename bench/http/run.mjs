// HTTP benchmark: direct vs Portcullis vs haproxy (pass-through anchor) vs a naive node:http pipe proxy,
// alternating in one run, with wrk. Env: DURATION (15s), ROUNDS (2), SIZES ("1k 1m"), CONNECTIONS (32),
// PORTCULLIS_BENCH_STORE (the gateway's recording store; default a file store in a temp dir).
// Everything started here is stopped by pid at the end.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, freePort, stopChildren, waitForPort } from '../lib/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const duration = process.env.DURATION ?? '15s';
const rounds = Number(process.env.ROUNDS ?? 2);
const sizes = (process.env.SIZES ?? '1k 1m').split(/\s+/).filter(Boolean);
const conns = Number(process.env.CONNECTIONS ?? 32);
const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-http-'));
const children = [];
let lastLoop = '';
let stalls = 0;

const gatewayJs = await bundle(join(here, 'gateway.ts'), 'http-gateway');

function start(cmd, args, env = process.env) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: root, env });
  children.push(child);
  // stderr is passed on; the gateway's event-loop report lines are kept for the run they follow.
  child.stderr.on('data', (d) => {
    for (const line of String(d).split('\n')) {
      if (line.startsWith('loop delay ms:')) lastLoop = line.slice('loop delay ms: '.length);
      else if (line.startsWith('loop stall')) stalls++;
      else if (line) process.stderr.write(`${line}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) => reject(new Error(`${cmd} exited ${code}`)));
  });
}

function stopAll() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const upPort = Number(await start(process.execPath, [join(here, 'upstream.mjs')]));
const naivePort = Number(await start(process.execPath, [join(here, 'naive-proxy.mjs'), String(upPort)]));
const haPort = await freePort();
const haCfg = join(work, 'haproxy.cfg');
writeFileSync(
  haCfg,
  `global\n  maxconn 4096\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n  option http-keep-alive\n  http-reuse always\nfrontend f\n  bind 127.0.0.1:${haPort}\n  default_backend b\nbackend b\n  server up 127.0.0.1:${upPort}\n`,
);
children.push(spawn('haproxy', ['-db', '-f', haCfg], { stdio: 'inherit' }));
await waitForPort(haPort);
console.error('starting the gateway');
const gw = JSON.parse(
  await start(process.execPath, [gatewayJs, String(upPort), work], {
    ...process.env,
    PORTCULLIS_BENCH_LOOP: '1',
  }),
);
const gwChild = children.at(-1);
const naiveChild = children[1];
const haChild = children[2];

const targets = {
  direct: upPort,
  portcullis: gw.port,
  haproxy: haPort,
  'naive-node': naivePort,
};
const auth = ['-H', `Authorization: Bearer ${gw.token}`];
const proxyPid = {
  portcullis: gwChild.pid,
  haproxy: haChild.pid,
  'naive-node': naiveChild.pid,
  direct: children[0].pid,
};

/** utime + stime of a process, in clock ticks (1/100 s here). */
function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}
const loadAvg = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

/** One wrk run against a target, with the proxy's CPU per request and (for Portcullis) its event-loop delay. */
async function measure(name, path, c = conns, d = duration) {
  const pid = proxyPid[name];
  if (name === 'portcullis') {
    process.kill(pid, 'SIGUSR2'); // resets the gateway's histogram
    await new Promise((r) => setTimeout(r, 300));
  }
  stalls = 0;
  const load = loadAvg();
  const t0 = cpuTicks(pid);
  const res = wrk(targets[name], path, c, d);
  const ticks = cpuTicks(pid) - t0;
  res.cpuUs = (ticks * 10_000) / res.requests;
  res.load = load;
  if (name === 'portcullis') {
    process.kill(pid, 'SIGUSR2');
    // The report arrives on the gateway's stderr pipe: let the event loop read it.
    await new Promise((r) => setTimeout(r, 300));
    res.loop = lastLoop;
    res.stalls = stalls;
  }
  return res;
}

function wrk(port, path, c = conns, d = duration) {
  const out = execFileSync(
    'wrk',
    [`-t${Math.min(2, c)}`, `-c${c}`, `-d${d}`, '--latency', ...auth, `http://127.0.0.1:${port}${path}`],
    {
      encoding: 'utf8',
    },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const ms = (label) => {
    const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(out);
    if (!m) return Number.NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (errors) throw new Error(`wrk saw ${errors[1]} non-2xx responses on port ${port}${path}`);
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  return { rps, requests, p50: ms('50%'), p99: ms('99%') };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const results = {};
console.error('warming up');
// Warm-up: JIT and pools.
for (const port of Object.values(targets)) wrk(port, '/1k', conns, '2s');
for (const size of sizes) {
  for (let r = 0; r < rounds; r++) {
    const order = Object.keys(targets);
    if (r % 2 === 1) order.reverse();
    for (const name of order) {
      const res = await measure(name, `/${size}`);
      ((results[size] ??= {})[name] ??= []).push(res);
      console.error(
        `${size} ${name} round ${r + 1}: ${res.rps.toFixed(0)} req/s, p50 ${res.p50} ms, p99 ${res.p99} ms, ` +
          `proxy CPU ${res.cpuUs.toFixed(0)} µs/req, load ${res.load}` +
          (res.loop ? `, gateway loop delay ${res.loop}, stalls > 50 ms: ${res.stalls}` : ''),
      );
    }
  }
}

// Added latency at low load: one connection, direct vs Portcullis (and the naive proxy, the same hop
// count without any inspection: what a second node process in the path adds on this machine), alternating.
const lat = { direct: [], portcullis: [], 'naive-node': [] };
for (let r = 0; r < rounds; r++) {
  const order = ['direct', 'portcullis', 'naive-node'];
  for (const name of r % 2 ? order.reverse() : order) {
    lat[name].push(await measure(name, '/1k', 1, '10s'));
  }
}

const lines = [];
lines.push(
  `| size | target | req/s (median of ${rounds}) | × direct | × naive node:http | p50 ms | p99 ms | server CPU µs/req |`,
);
lines.push('|---|---|---:|---:|---:|---:|---:|---:|');
for (const size of sizes) {
  const m = Object.fromEntries(
    Object.entries(results[size]).map(([k, v]) => [
      k,
      {
        rps: median(v.map((x) => x.rps)),
        p50: median(v.map((x) => x.p50)),
        p99: median(v.map((x) => x.p99)),
        cpu: median(v.map((x) => x.cpuUs)),
      },
    ]),
  );
  for (const [name, v] of Object.entries(m)) {
    lines.push(
      `| ${size} | ${name} | ${v.rps.toFixed(0)} | ${(v.rps / m.direct.rps).toFixed(2)} | ${(v.rps / m['naive-node'].rps).toFixed(2)} | ${v.p50.toFixed(2)} | ${v.p99.toFixed(2)} | ${v.cpu.toFixed(0)} |`,
    );
  }
}
const p99d = median(lat.direct.map((x) => x.p99));
const p99p = median(lat.portcullis.map((x) => x.p99));
lines.push('');
lines.push(
  `Added latency, 1 connection, 1 KiB: p50 ${median(lat.direct.map((x) => x.p50)).toFixed(3)} → ${median(lat.portcullis.map((x) => x.p50)).toFixed(3)} ms, p99 ${p99d.toFixed(3)} → ${p99p.toFixed(3)} ms (added ${(p99p - p99d).toFixed(3)} ms)`,
);
const p99n = median(lat['naive-node'].map((x) => x.p99));
lines.push(
  `Naive proxy at 1 connection in the same rounds: p50 ${median(lat['naive-node'].map((x) => x.p50)).toFixed(3)} ms, p99 ${p99n.toFixed(3)} ms (added ${(p99n - p99d).toFixed(3)} ms); per round p99 direct / portcullis / naive: ${lat.direct.map((x, i) => `${x.p99} / ${lat.portcullis[i].p99} / ${lat['naive-node'][i].p99}`).join(', ')} ms`,
);
console.log(lines.join('\n'));
// The children's pipes keep this process alive: stop them (the gateway removes its Redis keys) and wait.
await stopChildren(children);
process.exit(0);
