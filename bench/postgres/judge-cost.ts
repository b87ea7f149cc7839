// CPU per statement of what core does for one pgbench statement, in process (no sockets): session.judge
// (analysis, policy, masking the text for the record, query + decision frames) and a result frame, with a
// null store, a Redis store, and the judge alone. Usage: node <bundle> — prints µs per statement.

import { writeFileSync } from 'node:fs';
import {
  Gateway,
  nullStore,
  parseConfig,
  type SqlCommand,
  silentLogger,
} from '../../packages/core/src/index.js';

writeFileSync('/tmp/empty-jwks.json', '{"keys":[]}');
const yaml = `
version: 1
identity:
  issuers: [{ issuer: https://portcullis.dev.local/, audience: portcullis, jwks_file: /tmp/empty-jwks.json }]
store: { url: "redis://127.0.0.1:6379/0", key_prefix: "bench-judge-${process.pid}" }
connections:
  - name: db
    protocol: postgres
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: 5432, database: x, user: postgres, tls: disable }
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
    masking:
      detectors: [email, credit_card, us_ssn, phone, iban, aws_access_key, private_key, jwt, api_key]
`;
const parsed = parseConfig(yaml, { file: 'bench.yaml', env: {} });
if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
const N = Number(process.env.N ?? 100_000);
for (const mode of ['null', 'redis', 'null', 'redis']) {
  const gw = await Gateway.create(parsed.config, {
    log: silentLogger,
    store: mode === 'null' ? nullStore() : undefined,
  });
  const s = await gw.open({
    connection: 'db',
    identity: { subject: 'a', groups: ['ai-agents'], issuer: 'x', method: 'jwt' } as never,
    client: { address: '127.0.0.1', port: 1 } as never,
  });
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const c: SqlCommand = {
        kind: 'sql',
        text: `SELECT abalance FROM pgbench_accounts WHERE aid = ${(i * 7919) % 500000};`,
        protocol: 'simple',
      } as SqlCommand;
      await s.judge(c);
      s.record('result', { tag: 'SELECT 1', columns: ['abalance'], rows: 1, masked: {}, sample: [['0']] });
      // Paced below what one Redis takes (~30k statements/s), as a busy listener would be.
      if (i % 64 === 63) await new Promise((r) => setTimeout(r, 2));
    }
  };
  await run(5000);
  const c0 = process.cpuUsage();
  await run(N);
  const c = process.cpuUsage(c0);
  console.log(
    `${mode}: ${((c.user + c.system) / N).toFixed(2)} µs CPU per statement (user ${(c.user / N).toFixed(2)})`,
  );
  await s.close('done');
  await gw.close();
}
process.exit(0);
