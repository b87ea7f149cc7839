// What every benchmark runner needs: bundle a TypeScript entry (with @portcullis/core from its
// sources) into one runnable file, find a free port, wait for a listener.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** Bundles `input` into node_modules/.cache/portcullis-bench/<name>.mjs and returns that path. */
export async function bundle(input, name) {
  const file = join(root, `node_modules/.cache/portcullis-bench/${name}.mjs`);
  await build({
    input,
    platform: 'node',
    external: [/^(?!@portcullis\/)[^./]/],
    resolve: { alias: { '@portcullis/core': join(root, 'packages/core/src/index.ts') } },
    logLevel: 'silent',
    // One file even when a module imports another dynamically (telemetry's optional exporters).
    output: { file, format: 'esm', codeSplitting: false },
    write: true,
  });
  return file;
}

export function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port, tries = 200) {
  for (let i = 0; i < tries; i++) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on ${port}`);
}

/** CPU seconds a process has used so far (user + system, from /proc/PID/stat), as [user, system]. */
export function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return [Number(f[11]) / 100, Number(f[12]) / 100];
}

/**
 * A bench child process that reports its address on its first stdout line: spawns it (tracked in `children`),
 * hands every stderr line to `onStderr` (default: passed on), and resolves with `{ line, pid }` (that first line).
 */
export function startChild(children, cmd, args, { env = process.env, cwd = root, onStderr } = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd, env });
  children.push(child);
  child.stderr.on('data', (d) => {
    for (const line of String(d).split('\n')) {
      if (!line) continue;
      if (onStderr) onStderr(line, child);
      else process.stderr.write(`${line}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ line: out.split('\n')[0], pid: child.pid });
    });
    child.once('exit', (code) => reject(new Error(`${cmd} exited ${code}`)));
  });
}

/** SIGTERM to every child still running, and wait for each to exit (at most 10 s each). */
export function stopChildren(children) {
  return Promise.all(
    children.map(
      (c) =>
        new Promise((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', resolve);
          process.kill(c.pid, 'SIGTERM');
          setTimeout(resolve, 10_000).unref();
        }),
    ),
  );
}

/**
 * A startChild() stderr handler for bench gateways: keeps each child's last "loop delay ms:" report (by pid) in
 * `reports`, drops "loop stall" lines, passes the rest on.
 */
export function loopReports(reports) {
  return (line, child) => {
    if (line.startsWith('loop delay ms:')) reports.set(child.pid, line.slice('loop delay ms: '.length));
    else if (!line.startsWith('loop stall')) process.stderr.write(`${line}\n`);
  };
}
