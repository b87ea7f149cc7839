// Runs a TypeScript bench entry: bundles it (bench/lib/harness.mjs) and runs the bundle with this Node,
// passing the remaining arguments. Usage: node bench/lib/run-ts.mjs bench/record/small-frames.ts [args…]
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { bundle } from './harness.mjs';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node bench/lib/run-ts.mjs FILE.ts [args…]');
  process.exit(2);
}
const js = await bundle(resolve(entry), `${basename(entry, '.ts')}-${process.pid}`);
const r = spawnSync(process.execPath, [js, ...args], { stdio: 'inherit' });
rmSync(js, { force: true });
process.exit(r.status ?? 1);
