// Bundles the TypeScript benchmark (rolldown, bare imports external) and runs it in a fresh node process.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
// BENCH=file: the file-store sustained-load bench; otherwise the Redis one.
const name = process.env.BENCH === 'file' ? 'file-bench' : 'record-bench';
const out = join(root, `node_modules/.cache/portcullis-bench/${name}.mjs`);
mkdirSync(dirname(out), { recursive: true });
await build({
  input: join(here, `${name}.ts`),
  platform: 'node',
  external: [/^[^./]/],
  logLevel: 'silent',
  output: { file: out, format: 'esm' },
  write: true,
});
const r = spawnSync(process.execPath, [out], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
