// Builds and runs costs.ts (per-call CPU of the core steps behind each proxied request).
// Usage: node bench/http/costs.mjs   Env: N (5000), STORE (file store in a temp dir by default).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const out = join(root, 'node_modules/.cache/portcullis-bench/http-costs.mjs');
await build({
  input: join(here, 'costs.ts'),
  platform: 'node',
  external: [/^(?!@portcullis\/)[^./]/],
  resolve: { alias: { '@portcullis/core': join(root, 'packages/core/src/index.ts') } },
  logLevel: 'silent',
  output: { file: out, format: 'esm', codeSplitting: false },
  write: true,
});
process.exitCode = spawnSync(process.execPath, [out], { stdio: 'inherit', cwd: root }).status ?? 1;
