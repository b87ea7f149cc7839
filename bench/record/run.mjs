// Bundles the TypeScript benchmark (rolldown, bare imports external) and runs it in a fresh node process.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../lib/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
// BENCH=file: the file-store sustained-load bench; otherwise the Redis one.
const name = process.env.BENCH === 'file' ? 'file-bench' : 'record-bench';
const out = await bundle(join(here, `${name}.ts`), name);
const r = spawnSync(process.execPath, [out], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
