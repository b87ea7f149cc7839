// CPU per statement of what core does for one pgbench statement, in process (no sockets): session.judge
// (analysis, policy, masking the text for the record, query + decision frames) and a result frame, with a
// null store, a Redis store, and the judge alone. Usage: node bench/lib/run-ts.mjs bench/postgres/judge-cost.ts — prints µs per statement.

import { writeFileSync } from 'node:fs';
import { Gateway, nullStore, type SqlCommand, silentLogger } from '../../packages/core/src/index.js';
import { benchConfig } from './config.js';

writeFileSync('/tmp/empty-jwks.json', '{"keys":[]}');
const config = benchConfig({
  jwksFile: '/tmp/empty-jwks.json',
  store: 'redis://127.0.0.1:6379/0',
  keyPrefix: `bench-judge-${process.pid}`,
  database: 'x',
});
const N = Number(process.env.N ?? 100_000);
for (const mode of ['null', 'redis', 'null', 'redis']) {
  const gw = await Gateway.create(config, {
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
