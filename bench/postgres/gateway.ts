// Portcullis with one Postgres listener in front of the bench database: policy, masking (every
// detector + a column rule) and Redis recording on. Usage: node gateway.mjs DATABASE WORKDIR —
// prints {"port", "token", "pid"} on stdout; SIGTERM stops it.
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import {
  Gateway,
  generateDevKeys,
  mintToken,
  nullStore,
  type PostgresConnection,
  silentLogger,
} from '../../packages/core/src/index.js';
import { startPostgresListener } from '../../packages/postgres/src/index.js';
import { benchConfig } from './config.js';

const [database, dir] = process.argv.slice(2);
const keys = await generateDevKeys(join(dir!, 'keys'), { force: true });
const store = process.env.PORTCULLIS_BENCH_STORE ?? 'redis://127.0.0.1:6379/0';
const config = benchConfig({
  jwksFile: keys.jwks,
  store,
  keyPrefix: `bench-pg-${process.pid}`,
  database: database!,
});
// PORTCULLIS_BENCH_RECORD=off: frames are discarded (measures what recording costs).
const off = process.env.PORTCULLIS_BENCH_RECORD === 'off';
const gateway = await Gateway.create(config, {
  log: silentLogger,
  store: off ? nullStore() : undefined,
});
const listener = await startPostgresListener(gateway, config.connections[0] as PostgresConnection);
const token = await mintToken({
  keyFile: keys.signingJwk,
  sub: 'bench-agent',
  groups: ['ai-agents'],
  ttl: '4h',
});
console.log(JSON.stringify({ port: listener.address.port, token, pid: process.pid }));
process.on('SIGTERM', async () => {
  await listener.close();
  await gateway.close();
  process.exit(0);
});
// Diagnostics: `kill -USR2 <pid>` prints the process's memory by kind on stderr.
process.on('SIGUSR2', () => {
  const m = process.memoryUsage();
  const h = getHeapStatistics();
  const mb = (n: number) => Math.round(n / 1048576);
  process.stderr.write(
    `memory MB: rss ${mb(m.rss)} heapTotal ${mb(m.heapTotal)} heapUsed ${mb(m.heapUsed)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} malloced ${mb(h.malloced_memory)} peakMalloced ${mb(h.peak_malloced_memory)}; recording backlog ${gateway.store.backlog()} operations\n`,
  );
});
