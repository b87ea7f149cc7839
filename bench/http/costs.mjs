// Builds and runs costs.ts (per-call CPU of the core steps behind each proxied request).
// Usage: node bench/http/costs.mjs   Env: N (5000), STORE (file store in a temp dir by default).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../lib/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const out = await bundle(join(here, 'costs.ts'), 'http-costs');
process.exitCode = spawnSync(process.execPath, [out], { stdio: 'inherit', cwd: root }).status ?? 1;
