// Bundles a TypeScript module to plain ESM so a test can run it in a separate node process.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../../..');

const bundled: string[] = [];

/** Removes what `bundle` wrote (call from afterAll). */
export function removeBundles(): void {
  for (const f of bundled.splice(0)) rmSync(f, { force: true });
}

/** Returns the path of `<repo>/node_modules/.cache/portcullis-record/<name>.mjs` (bare imports stay external). */
export async function bundle(entry: string, name: string): Promise<string> {
  const { build } = await import('rolldown');
  const outDir = join(root, 'node_modules/.cache/portcullis-record');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `${name}-${process.pid}.mjs`);
  await build({
    input: entry,
    platform: 'node',
    external: [/^[^./]/],
    logLevel: 'silent',
    output: { file, format: 'esm' },
    write: true,
  });
  bundled.push(file);
  return file;
}
