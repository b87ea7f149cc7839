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
  parseConfig,
  silentLogger,
} from '../../packages/core/src/index.js';
import { startPostgresListener } from '../../packages/postgres/src/index.js';

const [database, dir] = process.argv.slice(2);
const keys = await generateDevKeys(join(dir!, 'keys'), { force: true });
const store = process.env.PORTCULLIS_BENCH_STORE ?? 'redis://127.0.0.1:6379/0';
const yaml = `
version: 1
identity:
  issuers: [{ issuer: https://portcullis.dev.local/, audience: portcullis, jwks_file: ${keys.jwks} }]
store: { url: "${store}", key_prefix: "bench-pg-${process.pid}" }
connections:
  - name: db
    protocol: postgres
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: 5432, database: ${database}, user: postgres, tls: disable }
    policy: db
policies:
  db:
    allow_groups: [ai-agents]
    default: deny
    rules:
      - name: reads
        when: { sql: { category: [read, session, transaction] } }
        action: allow
      - name: no-file-functions
        when: { sql: { functions: [pg_read_file, pg_read_binary_file, pg_ls_dir, lo_import, lo_export, dblink] } }
        action: deny
      - name: delete-needs-where
        when: { sql: { statements: [DeleteStmt, UpdateStmt], where: absent } }
        action: deny
    masking:
      detectors: [email, credit_card, us_ssn, phone, iban, aws_access_key, private_key, jwt, api_key]
      columns: [ { match: "users.password_hash", with: redact } ]
`;
const parsed = parseConfig(yaml, { file: join(dir!, 'portcullis.yaml'), env: {} });
if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
// PORTCULLIS_BENCH_RECORD=off: frames are discarded (measures what recording costs).
const off = process.env.PORTCULLIS_BENCH_RECORD === 'off';
const gateway = await Gateway.create(parsed.config, {
  log: silentLogger,
  store: off ? nullStore() : undefined,
});
const listener = await startPostgresListener(gateway, parsed.config.connections[0] as PostgresConnection);
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
