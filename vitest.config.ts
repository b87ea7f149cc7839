import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}/src/index.ts`, import.meta.url));

// Tests run against the TypeScript sources; `make build` produces dist/ for the CLI.
export default defineConfig({
  resolve: {
    alias: {
      '@portcullis/core': src('core'),
      '@portcullis/postgres': src('postgres'),
      '@portcullis/ssh': src('ssh'),
      '@portcullis/http': src('http'),
      '@portcullis/cli': src('cli'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'e2e/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'e2e/soak/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
