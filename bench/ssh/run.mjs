// SSH benchmark: direct sshd vs Portcullis, alternating in one run (same sshd, same client):
//  1. throughput of `head -c SIZE /dev/zero` over exec (MB/s),
//  2. CONNS sequential `ssh host true` (ms per connection),
//  3. keystroke echo latency in a pty (median ms over KEYS keys).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../lib/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const sizeMb = Number(process.env.SIZE_MB ?? 256);
const rounds = Number(process.env.ROUNDS ?? 2);
const conns = Number(process.env.CONNS ?? 50);
const keys = Number(process.env.KEYS ?? 100);
const cipher = process.env.CIPHER;
const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-ssh-'));

const gatewayJs = await bundle(join(here, 'gateway.ts'), 'ssh-gateway');

const gw = spawn('node', [gatewayJs, work], { stdio: ['ignore', 'pipe', 'inherit'], cwd: root });
process.on('exit', () => {
  // SIGKILL: a gateway still flushing recordings into `work` would race the removal (ENOTEMPTY).
  if (gw.exitCode === null) process.kill(gw.pid, 'SIGKILL');
  rmSync(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
});
const info = await new Promise((resolve, reject) => {
  let out = '';
  gw.stdout.on('data', (d) => {
    out += d;
    if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
  });
  gw.once('exit', (c) => reject(new Error(`gateway exited ${c}`)));
});
const askpass = join(work, 'askpass.sh');
writeFileSync(askpass, `#!/bin/sh\necho '${info.token}'\n`);
chmodSync(askpass, 0o755);

const base = [
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'LogLevel=ERROR',
  ...(cipher ? ['-c', cipher] : []),
];
const paths = {
  direct: {
    args: [
      ...base,
      '-o',
      `IdentityFile=${info.clientKey}`,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-p',
      String(info.sshdPort),
      `${info.user}@127.0.0.1`,
    ],
    env: process.env,
  },
  portcullis: {
    args: [
      ...base,
      '-o',
      'PubkeyAuthentication=no',
      '-o',
      'PreferredAuthentications=password',
      '-p',
      String(info.gatewayPort),
      'agent@127.0.0.1',
    ],
    env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
  },
};

function ssh(path, extra, onStdout) {
  const p = paths[path];
  const child = spawn('ssh', [...p.args, ...extra], { env: p.env, stdio: ['pipe', 'pipe', 'inherit'] });
  if (onStdout) child.stdout.on('data', onStdout);
  else child.stdout.resume();
  return child;
}
const done = (child) => new Promise((resolve) => child.on('close', resolve));

async function throughput(path) {
  let bytes = 0;
  const t0 = performance.now();
  const child = ssh(path, [`head -c ${sizeMb * 1024 * 1024} /dev/zero`], (d) => {
    bytes += d.length;
  });
  child.stdin.end();
  await done(child);
  const s = (performance.now() - t0) / 1000;
  if (bytes !== sizeMb * 1024 * 1024) throw new Error(`${path}: got ${bytes} bytes`);
  return sizeMb / s;
}

async function setup(path) {
  const t0 = performance.now();
  for (let i = 0; i < conns; i++) {
    const child = ssh(path, ['true']);
    child.stdin.end();
    const code = await done(child);
    if (code !== 0) throw new Error(`${path}: ssh true exited ${code}`);
  }
  return (performance.now() - t0) / conns;
}

async function echo(path) {
  let out = '';
  let waiter;
  const child = ssh(path, ['-tt'], (d) => {
    out += d;
    waiter?.();
  });
  const until = async (pred) => {
    while (!pred()) await new Promise((r) => (waiter = r));
  };
  await until(() => /[$#] $/.test(out));
  await new Promise((r) => setTimeout(r, 300));
  const samples = [];
  for (let i = 0; i < keys; i++) {
    const before = out.length;
    const t0 = performance.now();
    child.stdin.write(i % 40 === 39 ? '\x15' : 'a');
    await until(() => out.length > before);
    samples.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 5));
  }
  child.stdin.end('\x15exit\r');
  await done(child);
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length / 2)], p90: samples[Math.floor(samples.length * 0.9)] };
}

const results = { direct: { mbs: [], setup: [], echo: [] }, portcullis: { mbs: [], setup: [], echo: [] } };
for (let r = 0; r < rounds; r++) {
  for (const path of ['direct', 'portcullis']) {
    results[path].mbs.push(await throughput(path));
    results[path].setup.push(await setup(path));
    results[path].echo.push(await echo(path));
    console.error(
      `round ${r + 1} ${path}: ${results[path].mbs.at(-1).toFixed(1)} MB/s, ${results[path].setup.at(-1).toFixed(0)} ms/conn, echo p50 ${results[path].echo.at(-1).p50.toFixed(2)} ms`,
    );
  }
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const d = results.direct;
const p = results.portcullis;
const row = (name, dv, pv, unit, ratio) =>
  `| ${name} | ${dv.toFixed(2)} ${unit} | ${pv.toFixed(2)} ${unit} | ${ratio} |`;
console.log(
  `\nssh bench: ${sizeMb} MB over exec, ${conns} sequential connections, ${keys} keystrokes, ${rounds} rounds alternating${cipher ? `, client cipher ${cipher}` : ''}\n`,
);
console.log('| measure | direct sshd | through Portcullis | ratio |');
console.log('|---|---|---|---|');
console.log(
  row(
    'exec throughput (head -c /dev/zero)',
    med(d.mbs),
    med(p.mbs),
    'MB/s',
    `${(med(p.mbs) / med(d.mbs)).toFixed(2)}× direct`,
  ),
);
console.log(
  row(
    '`ssh host true` (per connection)',
    med(d.setup),
    med(p.setup),
    'ms',
    `${(med(p.setup) / med(d.setup)).toFixed(2)}× direct`,
  ),
);
const de = med(d.echo.map((e) => e.p50));
const pe = med(p.echo.map((e) => e.p50));
console.log(row('pty keystroke echo, p50', de, pe, 'ms', `+${(pe - de).toFixed(2)} ms`));
console.log(
  row(
    'pty keystroke echo, p90',
    med(d.echo.map((e) => e.p90)),
    med(p.echo.map((e) => e.p90)),
    'ms',
    `+${(med(p.echo.map((e) => e.p90)) - med(d.echo.map((e) => e.p90))).toFixed(2)} ms`,
  ),
);
process.exit(0);
