// One config for the approvals e2e tests: Postgres, SSH and HTTP connections whose policies hold writes
// for review, recording and approvals in Redis under a fresh prefix, the admin API and a webhook
// receiver. The same YAML file runs in this process (`startGateway` of `portcullis start`) and, for the
// replica tests, in a child process running the built `portcullis start` binary.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  type Approval,
  DEV_AUDIENCE,
  DEV_ISSUER,
  type Frame,
  generateDevKeys,
  loadConfig,
  mintToken,
} from '@portcullis/core';
import { Redis } from 'ioredis';
import { type RunningGateway, startGateway } from '../../packages/cli/src/commands/start.js';
import { main } from '../../packages/cli/src/main.js';
import { createTestDatabase, mainQuery } from '../support/postgres.js';
import { type Sshd, startSshd } from '../support/sshd.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/portcullis.js');

/** What the HTTP upstream received. */
export interface Seen {
  method: string;
  url: string;
  body: string;
}

export interface HookBody {
  event: 'created' | 'resolved';
  text: string;
  approval: Approval;
}

export interface Ports {
  pg: number;
  ssh: number;
  http: number;
  /** http://127.0.0.1:PORT of the admin API */
  admin: string;
}

export interface ChildGateway extends Ports {
  pid: number;
  stderr(): string;
  stop(): Promise<void>;
}

export interface Harness {
  dir: string;
  keyPrefix: string;
  configFile: string;
  db: string;
  sshd?: Sshd;
  /** The gateway in this process. */
  gw: RunningGateway;
  local: Ports;
  seen: Seen[];
  hooks: HookBody[];
  token(sub: string, groups: string[]): Promise<string>;
  /** `portcullis …` through the CLI's main(), with its output captured. */
  cli(
    args: string[],
    env?: Record<string, string>,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** A second gateway process on the same config (same Redis prefix). */
  spawnReplica(): Promise<ChildGateway>;
  /** The frames of a session as kind + parsed JSON, read from Redis. */
  frames(sessionId: string): Promise<{ kind: string; data: Record<string, unknown> }[]>;
  close(): Promise<void>;
}

export const TABLE = 'items';

export async function startHarness(opts: { ssh?: boolean } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-approvals-'));
  const keys = await generateDevKeys(join(dir, 'keys'));
  const keyPrefix = `test:approvals-e2e:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
  const db = await createTestDatabase('portcullis_e2e_approvals');
  await mainQuery(
    `CREATE TABLE ${TABLE} (id int PRIMARY KEY, note text); INSERT INTO ${TABLE} SELECT g, 'row ' || g FROM generate_series(1, 50) g;
     CREATE TABLE scratch (id int PRIMARY KEY); INSERT INTO scratch SELECT generate_series(1, 10);`,
    db.name,
  );
  const sshd = opts.ssh ? await startSshd() : undefined;

  const seen: Seen[] = [];
  const upstream = await listen((req, body, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', body });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  const hooks: HookBody[] = [];
  const hook = await listen((_req, body, res) => {
    hooks.push(JSON.parse(body));
    res.writeHead(200).end();
  });

  const sshConnection = sshd
    ? `
  - name: build-vm
    protocol: ssh
    listen: 127.0.0.1:0
    host_key_file: ${keys.sshHostKey}
    upstream:
      host: 127.0.0.1
      port: ${sshd.port}
      user: ${sshd.user}
      private_key_file: ${sshd.clientKeyFile}
      host_key: "${sshd.hostKey}"
    policy: shell`
    : '';
  const yaml = `version: 1
identity:
  issuers:
    - issuer: ${DEV_ISSUER}
      audience: ${DEV_AUDIENCE}
      jwks_file: ${keys.jwks}
store:
  url: redis://127.0.0.1:6379/0
  key_prefix: "${keyPrefix}"
admin:
  listen: 127.0.0.1:0
  auditors: [security]
approvals:
  webhook_url: http://127.0.0.1:${port(hook)}/hook
connections:
  - name: orders-db
    protocol: postgres
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: 5432, database: ${db.name}, user: postgres, password: unused, tls: disable }
    policy: db
  - name: payments-api
    protocol: http
    listen: 127.0.0.1:0
    upstream: { url: "http://127.0.0.1:${port(upstream)}" }
    policy: api${sshConnection}
policies:
  db:
    allow_groups: [ai-agents]
    default: deny
    rules:
      - name: reads
        when: { sql: { category: read } }
        action: allow
      - name: writes-reviewed
        when: { sql: { category: write } }
        action: review
        approvers: [dba]
        timeout: 20s
      - name: scratch-expires-fast
        when: { sql: { tables: [scratch] } }
        action: review
        approvers: [dba]
        timeout: 2s
  shell:
    allow_groups: [ai-agents]
    default: allow
    interactive: allow
    rules:
      - name: touch-reviewed
        when: { shell: { commands: [touch] } }
        action: review
        approvers: [sre]
        timeout: 20s
  api:
    allow_groups: [ai-agents]
    default: allow
    rules:
      - name: payments-reviewed
        when: { http: { methods: [POST], paths: ["/v1/payments/**"] } }
        action: review
        approvers: [payments-owners]
        timeout: 20s
`;
  const configFile = join(dir, 'portcullis.yaml');
  writeFileSync(configFile, yaml);
  const gw = await startGateway(await loadConfig(configFile, process.env));
  const local = portsOf(gw);
  const children = new Set<ChildGateway>();

  const h: Harness = {
    dir,
    keyPrefix,
    configFile,
    db: db.name,
    sshd,
    gw,
    local,
    seen,
    hooks,
    token: (sub, groups) => mintToken({ keyFile: keys.signingJwk, sub, groups, ttl: '10m' }),
    cli: async (args, env = {}) => {
      const out = sink();
      const err = sink();
      const code = await main(args, { stdout: out.stream, stderr: err.stream, env: { ...env }, cwd: dir });
      return { code, stdout: out.text(), stderr: err.text() };
    },
    spawnReplica: async () => {
      const child = await spawnGatewayProcess(configFile);
      children.add(child);
      return child;
    },
    frames: async (sessionId) => {
      await gw.gateway.store.flush();
      const frames: Frame[] = await gw.gateway.store.readFrames(sessionId);
      return frames.map((f) => ({ kind: f.kind, data: f.enc === 'b64' ? {} : JSON.parse(f.data) }));
    },
    close: async () => {
      await Promise.allSettled([...children].map((c) => c.stop()));
      await gw.stop();
      await Promise.allSettled([close(upstream), close(hook)]);
      await sshd?.stop();
      await db.drop().catch(() => {});
      const r = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
      try {
        let cursor = '0';
        do {
          const [next, found] = await r.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
          cursor = next;
          if (found.length > 0) await r.del(...found);
        } while (cursor !== '0');
      } finally {
        r.disconnect();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

function portsOf(gw: RunningGateway): Ports {
  const by = (protocol: string) => gw.listeners.find((l) => l.protocol === protocol)?.address.port ?? 0;
  if (!gw.admin) throw new Error('the gateway has no admin API');
  return {
    pg: by('postgres'),
    ssh: by('ssh'),
    http: by('http'),
    admin: `http://127.0.0.1:${gw.admin.address.port}`,
  };
}

/**
 * The built CLI runs the replica: a real second process, as a second pod would be. `make test` builds
 * dist/ first; here it is only built when missing, so after editing sources run `make build`.
 */
async function spawnGatewayProcess(configFile: string): Promise<ChildGateway> {
  if (!existsSync(join(ROOT, 'packages/cli/dist/main.js'))) {
    execFileSync('npx', ['--no-install', 'tsc', '-b', 'packages/cli'], { cwd: ROOT, stdio: 'inherit' });
  }
  const child: ChildProcess = spawn(process.execPath, [BIN, 'start', '-c', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env },
  });
  let stderr = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica did not start:\n${stderr}`)), 20_000);
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/portcullis: ready/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited (${code}):\n${stderr}`));
    });
  });
  const listenerPort = (kind: string) => {
    const m = new RegExp(`${kind} listener \\S+ on [\\d.]+:(\\d+)`).exec(stderr);
    return m ? Number(m[1]) : 0;
  };
  const admin = /admin API on (http:\/\/[\d.]+:\d+)/.exec(stderr)?.[1];
  if (!admin || child.pid === undefined) throw new Error(`replica did not report its ports:\n${stderr}`);
  const pid = child.pid;
  return {
    pid,
    pg: listenerPort('postgres'),
    ssh: listenerPort('ssh'),
    http: listenerPort('http'),
    admin,
    stderr: () => stderr,
    stop: async () => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const killer = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }, 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

function sink(): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(Buffer.from(c));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

async function listen(
  handle: (req: IncomingMessage, body: string, res: import('node:http').ServerResponse) => void,
): Promise<Server> {
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    handle(req, body, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

const port = (s: Server) => (s.address() as AddressInfo).port;

async function close(s: Server): Promise<void> {
  s.closeAllConnections();
  await new Promise((r) => s.close(r));
}

/** Resolves with the first match of `re` in what `read()` returns, polling. */
export async function waitFor(read: () => string, re: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = re.exec(read());
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}; got:\n${read()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const APPROVAL_ID = /waiting for approval ([0-9a-f-]{36})/;
