// What every benchmark runner needs: bundle a TypeScript entry (with @portcullis/core from its
// sources) into one runnable file, find a free port, wait for a listener.
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
