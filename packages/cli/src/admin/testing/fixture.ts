// A real gateway and admin server for the admin API and browser tests: dev keys, a fake OIDC issuer,
// recording in Redis under a random prefix (or a temp file store), no listeners. Sessions are opened
// with gateway.open() and driven through judge()/record()/close() as a listener would.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Command,
  DEV_AUDIENCE,
  DEV_ISSUER,
  type Decision,
  Gateway,
  generateDevKeys,
  type Identity,
  mintToken,
  parseConfig,
  type Session,
} from '@portcullis/core';
import { Redis } from 'ioredis';
import { type AdminServer, type AdminServerOptions, startAdminServer } from '../server.js';
import { type FakeIssuer, startFakeIssuer } from './fake-oidc.js';

export const UI_CLIENT_ID = 'portcullis-ui';

export interface AdminFixture {
  gateway: Gateway;
  admin: AdminServer;
  /** http://127.0.0.1:PORT */
  base: string;
  dir: string;
  keyPrefix: string;
  issuer: FakeIssuer;
  token(sub: string, groups: string[], opts?: { ttl?: string; aud?: string; now?: number }): Promise<string>;
  identity(sub: string, groups: string[]): Identity;
  /** fetch against the admin server, with a bearer token when given. */
  get(path: string, token?: string, init?: RequestInit): Promise<Response>;
  post(path: string, token: string | undefined, body: unknown): Promise<Response>;
  /** Another admin server on the same gateway (e.g. with a tighter rate limit). */
  startAdmin(opts: AdminServerOptions): Promise<{ base: string; close(): Promise<void> }>;
  close(): Promise<void>;
}

export async function startAdminFixture(
  opts: {
    store?: 'redis' | 'file';
    admin?: AdminServerOptions;
    /** The orders-db connection's upstream (a real database when a test starts the Postgres listener). */
    pg?: { database: string; user: string };
  } = {},
): Promise<AdminFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-admin-'));
  const keys = await generateDevKeys(join(dir, 'keys'));
  const hostPub = (await readFile(keys.sshHostKeyPub, 'utf8')).trim();
  const issuer = await startFakeIssuer({ keyFile: keys.signingJwk, clientId: UI_CLIENT_ID });
  const keyPrefix = `test:admin:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
  const storeUrl = opts.store === 'file' ? `file:${join(dir, 'sessions')}` : 'redis://127.0.0.1:6379/0';
  const yaml = `version: 1
identity:
  issuers:
    - issuer: ${DEV_ISSUER}
      audience: ${DEV_AUDIENCE}
      jwks_file: ${keys.jwks}
    - issuer: "${issuer.issuer}"
      audience: ${UI_CLIENT_ID}
      jwks_file: ${keys.jwks}
store:
  url: ${storeUrl}
  key_prefix: "${keyPrefix}"
admin:
  listen: 127.0.0.1:0
  auditors: [security]
  oidc: { issuer: "${issuer.issuer}", client_id: ${UI_CLIENT_ID} }
connections:
  - name: build-vm
    protocol: ssh
    listen: 127.0.0.1:0
    host_key_file: ${keys.sshHostKey}
    upstream: { host: 127.0.0.1, port: 22, user: deploy, private_key_file: ${keys.sshHostKey}, host_key: "${hostPub}" }
    policy: shell-guardrails
  - name: orders-db
    protocol: postgres
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: 5432, database: ${opts.pg?.database ?? 'orders'}, user: ${opts.pg?.user ?? 'app'}, password: unused, tls: disable }
    policy: db-guardrails
  - name: payments-api
    protocol: http
    listen: 127.0.0.1:0
    upstream: { url: "http://127.0.0.1:9" }
    policy: api-guardrails
policies:
  api-guardrails:
    allow_groups: [ai-agents]
    default: allow
    rules:
      - name: no-deletes
        when: { http: { methods: [DELETE] } }
        action: deny
    masking: { detectors: [credit_card] }
  shell-guardrails:
    allow_groups: [ai-agents]
    default: allow
    interactive: allow
    rules:
      - name: no-destructive
        when: { shell: { commands: [rm], args: ["-rf", "-fr"] } }
        action: deny
      - name: privileged-reviewed
        when: { shell: { commands: [sudo, systemctl] } }
        action: review
        approvers: [sre]
        timeout: 60s
    masking: { detectors: [aws_access_key, email] }
  db-guardrails:
    allow_groups: [ai-agents]
    default: deny
    rules:
      - name: reads
        when: { sql: { category: read } }
        action: allow
      - name: delete-needs-where
        when: { sql: { statements: [DeleteStmt, UpdateStmt], where: absent } }
        action: deny
      - name: writes-reviewed
        when: { sql: { category: write } }
        action: review
        approvers: [dba]
        timeout: 60s
    masking: { detectors: [email] }
`;
  const file = join(dir, 'portcullis.yaml');
  writeFileSync(file, yaml);
  const parsed = parseConfig(yaml, { file, env: {} });
  if (!parsed.config)
    throw new Error(
      `admin test config invalid:\n${parsed.problems.map((p) => JSON.stringify(p)).join('\n')}`,
    );
  const gateway = await Gateway.create(parsed.config);
  let admin: AdminServer;
  try {
    // Auth tests fail tokens on purpose: the default limit (10) is tested on a server of its own.
    admin = await startAdminServer(gateway, '127.0.0.1:0', { authFailures: { max: 10_000 }, ...opts.admin });
  } catch (err) {
    await gateway.close();
    throw err;
  }
  const base = `http://127.0.0.1:${admin.address.port}`;
  const extra: { close(): Promise<void> }[] = [];
  const request = (b: string, path: string, token: string | undefined, init: RequestInit = {}) =>
    fetch(`${b}${path}`, {
      ...init,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(init.headers as Record<string, string>),
      },
    });
  return {
    gateway,
    admin,
    base,
    dir,
    keyPrefix,
    issuer,
    token: (sub, groups, o = {}) => mintToken({ keyFile: keys.signingJwk, sub, groups, ...o }),
    identity: (subject, groups) => ({ subject, groups, issuer: DEV_ISSUER, method: 'jwt' }),
    get: (path, token, init) => request(base, path, token, init),
    post: (path, token, body) =>
      request(base, path, token, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      }),
    startAdmin: async (o) => {
      const a = await startAdminServer(gateway, '127.0.0.1:0', o);
      extra.push(a);
      return { base: `http://127.0.0.1:${a.address.port}`, close: () => a.close() };
    },
    close: async () => {
      await Promise.allSettled([admin.close(), ...extra.map((a) => a.close()), issuer.close()]);
      await gateway.close();
      if (opts.store !== 'file') await dropPrefix(keyPrefix);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function dropPrefix(prefix: string): Promise<void> {
  const r = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bytes = (s: string) => new TextEncoder().encode(s);
export const AGENT: [string, string[]] = ['agent-1', ['ai-agents']];

/** Opens a session as a listener would. */
export function openSession(
  f: AdminFixture,
  connection: string,
  sub = AGENT[0],
  groups = AGENT[1],
): Promise<Session> {
  return f.gateway.open({
    connection,
    identity: f.identity(sub, groups),
    client: { address: '127.0.0.1', port: 50000, software: 'test' },
  });
}

/** Judges a line typed at the prompt and records what the terminal showed, as the SSH listener does. */
async function shellLine(s: Session, prompt: string, line: string, output: string): Promise<Decision> {
  s.record('input', bytes(`${line}\r`));
  const d = await s.judge({ kind: 'shell', text: line, source: 'interactive', context: 'prompt' } as Command);
  s.record('output', bytes(`${line}\r\n`));
  s.record(
    'output',
    bytes(
      d.action === 'allow' ? output : `portcullis: denied by rule ${d.rules.join(', ')}: ${d.reason}\r\n`,
    ),
  );
  s.record('output', bytes(prompt));
  return d;
}

export const SSH_SCRIPT = {
  prompt: 'deploy@build-vm:~$ ',
  listing: 'RELEASE-NOTES.txt  app.tar.gz  (owner alice@example.com)\r\n',
  commands: ['ls /srv/releases', 'rm -rf /srv/data', 'uptime'],
  uptime: ' 12:00:01 up 42 days,  3 users,  load average: 0.10, 0.05, 0.01\r\n',
};

/** A recorded interactive SSH session: a pty, three prompt lines (one denied), gaps between them so seeking means something. */
export async function recordSshSession(f: AdminFixture, gapMs = 250): Promise<string> {
  const s = await openSession(f, 'build-vm');
  const { prompt, commands, listing, uptime } = SSH_SCRIPT;
  s.record('resize', { cols: 100, rows: 24, term: 'xterm-256color' });
  s.record('output', bytes(`Welcome to build-vm\r\n${prompt}`));
  await sleep(gapMs);
  // The listing carries an email the session's masker hides, as a listener masks output.
  await shellLine(s, prompt, commands[0], s.masker().value(listing));
  await sleep(gapMs);
  await shellLine(s, prompt, commands[1], '');
  await sleep(gapMs);
  await shellLine(s, prompt, commands[2], uptime);
  await s.close('client disconnected');
  return s.id;
}

/** A recorded Postgres session: a masked read with its result, and a DELETE without WHERE that is denied. */
export async function recordPgSession(f: AdminFixture): Promise<string> {
  const s = await openSession(f, 'orders-db');
  const sql = (text: string) => s.judge({ kind: 'sql', text, protocol: 'simple' });
  await sql('SELECT id, email FROM users ORDER BY id LIMIT 2');
  s.record('result', {
    tag: 'SELECT 2',
    rows: 2,
    columns: ['id', 'email'],
    sample: [
      ['1', s.masker().value('alice@example.com')],
      ['2', s.masker().value('bob@example.org')],
    ],
  });
  await sleep(20);
  const d = await sql('DELETE FROM users');
  s.record('error', {
    message: `portcullis: denied by rule ${d.rules.join(', ')}: ${d.reason}`,
    code: '42501',
  });
  await s.close('client disconnected');
  return s.id;
}

/** A recorded HTTP session: a POST whose response carried a card number (masked), and a DELETE that is denied. */
export async function recordHttpSession(f: AdminFixture): Promise<string> {
  const s = await openSession(f, 'payments-api');
  const req = (method: string, target: string) =>
    s.judge({ kind: 'http', method, target, headers: { host: 'payments' } });
  await req('POST', '/v1/payments');
  const masker = s.masker();
  const before = masker.counts.credit_card ?? 0;
  const preview = masker.value('{"id":"pay_1","card":"4111 1111 1111 1111"}');
  s.record('result', {
    status: 201,
    bytes: 44,
    masked: { credit_card: (masker.counts.credit_card ?? 0) - before },
    preview,
    ms: 12,
  });
  await req('DELETE', '/v1/payments/7');
  await s.close('client disconnected');
  return s.id;
}
