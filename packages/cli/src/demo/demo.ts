// `portcullis demo`: a complete gateway on embedded defaults — dev keys, a seeded database, a sample
// API and (when OpenSSH is installed) a local sshd — and the commands to try, ready to paste.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { formatConfigProblem, generateDevKeys, mintToken, parseConfig } from '@portcullis/core';
import { parseDocument } from 'yaml';
import { type RunningGateway, startGateway } from '../commands/start.js';
import { startHttpTarget } from './http-target.js';
import { startPostgresTarget } from './postgres-target.js';
import { type Sshd, startSshd } from './sshd.js';

export interface DemoOptions {
  /** Project root: configs/demo.yaml is read from here and .demo/ written here. */
  root: string;
  env: NodeJS.ProcessEnv;
  progress: (line: string) => void;
}

export interface RunningDemo {
  gateway: RunningGateway;
  /** What the demo prints for the user (commands to paste). */
  instructions: string;
  tokens: { agent: string; approver: string };
  stop(): Promise<void>;
}

const PORTS = [
  ['DEMO_PG_LISTEN', 15432, 'Postgres listener'],
  ['DEMO_HTTP_LISTEN', 18080, 'HTTP listener'],
  ['DEMO_SSH_LISTEN', 2222, 'SSH listener'],
  ['DEMO_ADMIN_PORT', 8900, 'admin API / web UI'],
] as const;

export async function runDemo(opts: DemoOptions): Promise<RunningDemo> {
  const { root, progress } = opts;
  const env: NodeJS.ProcessEnv = { ...opts.env };
  const dir = path.resolve(root, env.PORTCULLIS_DEMO_DIR ?? '.demo');
  const keysDir = path.join(dir, 'keys');
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    for (const [name, fallback, what] of PORTS) {
      const port = Number(env[name] ?? fallback);
      if (!(await portFree(port))) {
        throw new Error(`port ${port} (${what}) is taken: stop what uses it, or set ${name}=<another port>`);
      }
      env[name] = String(port);
    }
    await mkdir(dir, { recursive: true });
    if (!existsSync(path.join(keysDir, 'signing.jwk'))) {
      progress('generating development keys in .demo/keys …');
      await generateDevKeys(keysDir);
    }
    progress('starting the database target …');
    const pg = await startPostgresTarget({ embedded: env.DEMO_EMBEDDED_PG === '1' });
    stops.push(pg.stop);
    progress(
      `  ${pg.kind} on ${pg.host}:${pg.port}, database ${pg.database}, seeded with 200 fake customers`,
    );
    const apiToken = `demo-upstream-${Math.random().toString(36).slice(2)}`;
    const api = await startHttpTarget(apiToken);
    stops.push(api.stop);
    progress(`  sample API on ${api.url}`);
    let sshd: Sshd | undefined;
    if (existsSync('/usr/sbin/sshd')) {
      progress('starting a local sshd as the SSH target …');
      sshd = await startSshd();
      stops.push(sshd.stop);
    } else {
      progress(
        '  (OpenSSH server not installed: the SSH part of the demo is skipped; apt-get install openssh-server)',
      );
    }
    Object.assign(env, {
      DEMO_DIR: dir,
      DEMO_STORE_URL: env.REDIS_URL ?? `file:${path.join(dir, 'sessions')}`,
      DEMO_PG_HOST: pg.host,
      DEMO_PG_PORT: String(pg.port),
      DEMO_PG_DATABASE: pg.database,
      DEMO_PG_USER: pg.user,
      DEMO_API_URL: api.url,
      DEMO_API_TOKEN: apiToken,
      DEMO_SSH_PORT: String(sshd?.port ?? 22),
      DEMO_SSH_USER: sshd?.user ?? 'root',
      DEMO_SSH_KEY_FILE: sshd?.clientKeyFile ?? '',
      DEMO_SSH_HOST_KEY: sshd?.hostKey ?? '',
    });
    const file = path.join(root, 'configs/demo.yaml');
    const doc = parseDocument(await readFile(file, 'utf8'));
    if (!sshd) doc.deleteIn(['connections', 2]);
    const { config, problems } = parseConfig(doc.toString(), { file, env, baseDir: root });
    if (!config) throw new Error(`configs/demo.yaml: ${problems.map(formatConfigProblem).join('; ')}`);
    progress('starting Portcullis …');
    const gateway = await startGateway(config, (line) => progress(`  ${line}`));
    stops.push(gateway.stop);

    const key = path.join(keysDir, 'signing.jwk');
    const agent = await mintToken({ keyFile: key, sub: 'agent-1', groups: ['ai-agents'], ttl: '12h' });
    const approver = await mintToken({
      keyFile: key,
      sub: 'alice',
      groups: ['dba', 'sre', 'payments-owners', 'security'],
      ttl: '12h',
    });
    const port = (name: string) => env[name];
    const lines = [
      '',
      'Portcullis demo is running. Paste these in another terminal:',
      '',
      `  export AGENT_TOKEN='${agent}'`,
      `  export PORTCULLIS_TOKEN='${approver}'   # alice: approver (dba, sre, payments-owners) and auditor`,
      '',
      '  # Postgres — the agent logs in with its token as the password',
      `  PGPASSWORD="$AGENT_TOKEN" psql "host=127.0.0.1 port=${port('DEMO_PG_LISTEN')} user=agent dbname=customers sslmode=disable" -c "SELECT name, email, card_number, ssn FROM customers LIMIT 5"`,
      `  PGPASSWORD="$AGENT_TOKEN" psql "host=127.0.0.1 port=${port('DEMO_PG_LISTEN')} user=agent dbname=customers sslmode=disable" -c "DELETE FROM customers"`,
      `  PGPASSWORD="$AGENT_TOKEN" psql "host=127.0.0.1 port=${port('DEMO_PG_LISTEN')} user=agent dbname=customers sslmode=disable" -c "DELETE FROM orders WHERE id = 1"   # waits for approval`,
      '',
      '  # HTTP — the agent’s token is swapped for the API’s own',
      `  curl -s -H "Authorization: Bearer $AGENT_TOKEN" http://127.0.0.1:${port('DEMO_HTTP_LISTEN')}/v1/customers/1`,
      `  curl -s -H "Authorization: Bearer $AGENT_TOKEN" -X POST -d '{"customer_id":1,"amount_cents":500}' http://127.0.0.1:${port('DEMO_HTTP_LISTEN')}/v1/payments   # waits for approval`,
      ...(sshd
        ? [
            '',
            '  # SSH — password is the token (or use SSH_ASKPASS)',
            `  sshpass -p "$AGENT_TOKEN" ssh -p ${port('DEMO_SSH_LISTEN')} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null agent@127.0.0.1 'uname -a'`,
            `  sshpass -p "$AGENT_TOKEN" ssh -p ${port('DEMO_SSH_LISTEN')} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null agent@127.0.0.1 'echo cleaning; r""m -rf /tmp/demo'   # denied as a whole: nothing runs`,
          ]
        : []),
      '',
      '  # Approvals, sessions and replay',
      `  node packages/cli/bin/portcullis.js approvals list --gateway http://127.0.0.1:${port('DEMO_ADMIN_PORT')}`,
      `  node packages/cli/bin/portcullis.js approvals approve <ID> --gateway http://127.0.0.1:${port('DEMO_ADMIN_PORT')} --reason "ok for the demo"`,
      `  node packages/cli/bin/portcullis.js sessions list --store ${env.DEMO_STORE_URL}`,
      '',
      `  Web UI: http://127.0.0.1:${port('DEMO_ADMIN_PORT')}/  (sign in with $PORTCULLIS_TOKEN)`,
      '',
      'Tour: the SELECT shows names but masks e-mails, cards, SSNs (order numbers that fail Luhn stay readable);',
      'DELETE without WHERE is denied with the rule that said so; DELETE with WHERE waits until you approve it;',
      'open the session in the web UI to replay it and see that its hash chain verifies. Ctrl-C stops the demo.',
      '',
    ];
    return { gateway, instructions: lines.join('\n'), tokens: { agent, approver }, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
