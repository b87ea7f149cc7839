// Bundles the web UI (src/admin/ui) into dist/ui: index.html, app.js, app.css. No CDN at run time.
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src/admin/ui');
const out = path.join(root, 'dist/ui');
await mkdir(out, { recursive: true });
await build({
  entryPoints: { app: path.join(src, 'app.ts') },
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  outdir: out,
  logLevel: 'warning',
});
await build({
  entryPoints: { app: path.join(src, 'app.css') },
  bundle: true,
  minify: true,
  outdir: out,
  logLevel: 'warning',
});
await copyFile(path.join(src, 'index.html'), path.join(out, 'index.html'));
