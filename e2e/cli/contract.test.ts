// The SPEC's names, exercised the way a user and a script meet them: the built `portcullis` binary
// (`keys generate`, `token mint`, `check`, `start`, `policy explain`, `sessions …`, `replay`,
// `approvals …`) against the real Redis and PostgreSQL, an HTTP upstream, and the agent's ordinary
// clients (node-postgres, fetch). What each step checks is a line of SPEC.md.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { hash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, freePort, mainQuery } from '../support/postgres.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/portcullis.js');
const dir = mkdtempSync(join(tmpdir(), 'portcullis-contract-'));
const prefix = `test:contract:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
const configFile = join(dir, 'portcullis.yaml');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `portcullis ARGS` as a user runs it: the built binary, a child process, cwd = the temp dir. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: dir, env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let db: { name: string; drop(): Promise<void> };
let upstream: Server;
let gateway: ChildProcess;
let gatewayLog = '';
let ports: { pg: number; http: number; admin: number };
let redis: Redis;
const tokens: Record<string, string> = {};

async function mint(sub: string, groups: string): Promise<string> {
  const r = await cli(['token', 'mint', '--key', 'keys/signing.jwk', '--sub', sub, '--groups', groups]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

const agent = (user = 'agent-1') =>
  new pg.Client({
    host: '127.0.0.1',
    port: ports.pg,
    user,
    password: tokens[user],
    database: db.name,
  });

/** The ids of recorded sessions, oldest first, read from the index zset. */
async function sessionIds(): Promise<string[]> {
  return redis.zrange(`${prefix}:sessions`, 0, -1);
}

/** Waits for a session of `connection` that closed after `known` ids were listed. */
async function newClosedSession(before: string[], connection: string): Promise<string> {
  let found = '';
  await expect
    .poll(
      async () => {
        for (const id of await sessionIds()) {
          if (before.includes(id)) continue;
          const m = await redis.hgetall(`${prefix}:{${id}}:meta`);
          if (m.connection === connection && m.status === 'closed') found = id;
        }
        return found;
      },
      { timeout: 10_000 },
    )
    .not.toBe('');
  return found;
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'packages/cli/dist/main.js'))) {
    execFileSync('npx', ['--no-install', 'tsc', '-b', 'packages/cli'], { cwd: ROOT, stdio: 'inherit' });
  }
  if (!existsSync(join(ROOT, 'packages/cli/dist/ui/index.html'))) {
    execFileSync(process.execPath, [join(ROOT, 'packages/cli/scripts/build-ui.mjs')], { stdio: 'inherit' });
  }
  db = await createTestDatabase('portcullis_contract');
  await mainQuery(
    'CREATE TABLE orders (id int primary key, email text); INSERT INTO orders VALUES (1, $$ann@example.com$$), (2, $$bob@example.com$$)',
    db.name,
  );
  upstream = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, method: req.method, email: 'carol@example.com' }));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  ports = { pg: await freePort(), http: await freePort(), admin: await freePort() };

  const keys = await cli(['keys', 'generate', '--out', 'keys']);
  expect(keys.code, keys.stderr).toBe(0);
  for (const f of ['keys/signing.jwk', 'keys/jwks.json', 'keys/ssh_host_ed25519'])
    expect(existsSync(join(dir, f)), f).toBe(true);

  writeFileSync(
    configFile,
    `version: 1
identity:
  issuers:
    - issuer: https://portcullis.dev.local/
      audience: portcullis
      jwks_file: ./keys/jwks.json
store:
  url: redis://127.0.0.1:6379/0
  key_prefix: "${prefix}"
admin:
  listen: 127.0.0.1:${ports.admin}
  auditors: [security]
connections:
  - name: orders-db
    protocol: postgres
    listen: 127.0.0.1:${ports.pg}
    upstream: { host: 127.0.0.1, port: 5432, database: ${db.name}, user: postgres, tls: disable }
    policy: db-guardrails
  - name: payments-api
    protocol: http
    listen: 127.0.0.1:${ports.http}
    upstream:
      url: http://127.0.0.1:${(upstream.address() as AddressInfo).port}
      headers: { Authorization: "Bearer \${CONTRACT_API_TOKEN}" }
    policy: api-guardrails
policies:
  db-guardrails:
    allow_groups: [ai-agents]
    rules:
      - name: reads
        when: { sql: { category: read } }
        action: allow
      - name: no-file-functions
        when: { sql: { functions: [pg_read_file] } }
        action: deny
      - name: delete-needs-where
        when: { sql: { statements: [DeleteStmt, UpdateStmt], where: absent } }
        action: deny
      - name: writes-reviewed
        when: { sql: { category: write } }
        action: review
        approvers: [dba]
        min_approvals: 1
        timeout: 1m
    masking: { detectors: [email] }
  api-guardrails:
    allow_groups: [ai-agents]
    default: allow
    rules:
      - name: no-admin
        when: { http: { paths: ["/admin/**"] } }
        action: deny
    masking: { detectors: [email] }
`,
  );
  for (const [sub, groups] of [
    ['agent-1', 'ai-agents'],
    ['agent-2', 'ai-agents,dba'],
    ['dana', 'dba'],
    ['sam', 'security'],
    ['eve', 'marketing'],
  ])
    tokens[sub] = await mint(sub, groups);

  redis = new Redis('redis://127.0.0.1:6379/0', { protocol: 2 });
  gateway = spawn(process.execPath, [BIN, 'start', '-c', configFile], {
    cwd: dir,
    env: { ...process.env, CONTRACT_API_TOKEN: 'upstream-secret' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${gatewayLog}`)), 30_000);
    gateway.stderr!.on('data', (d: Buffer) => {
      gatewayLog += d.toString();
      if (gatewayLog.includes('portcullis: ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    gateway.once('exit', (code) => reject(new Error(`gateway exited (${code}):\n${gatewayLog}`)));
  });
}, 120_000);

afterAll(async () => {
  if (gateway?.exitCode === null) {
    gateway.kill('SIGTERM');
    await new Promise((r) => gateway.once('exit', r));
  }
  upstream?.close();
  if (redis) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('command line', () => {
  it('check: "ok" and exit 0; a bad file exits 1 with FILE:LINE:COL and the key', async () => {
    const ok = await cli(['check', '-c', 'portcullis.yaml'], { CONTRACT_API_TOKEN: 'x' });
    expect(ok).toMatchObject({ code: 0, stdout: 'portcullis.yaml: ok (2 connections, 2 policies)\n' });
    writeFileSync(
      join(dir, 'bad.yaml'),
      'version: 1\nidentity:\n  issuers: []\nstore:\n  on_failure: maybe\n',
    );
    const bad = await cli(['check', '-c', 'bad.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad.yaml:5:15: store.on_failure: "maybe" is not one of: close, continue');
    // -c defaults to $PORTCULLIS_CONFIG, then ./portcullis.yaml.
    const env = await cli(['check'], { PORTCULLIS_CONFIG: 'bad.yaml' });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('bad.yaml:5:15:');
    const cwd = await cli(['check'], { CONTRACT_API_TOKEN: 'x' });
    expect(cwd.stdout).toBe('portcullis.yaml: ok (2 connections, 2 policies)\n');
  });

  it('every command has --help (exit 0); errors are one line on stderr, without a stack', async () => {
    const verbs = [
      'start',
      'check',
      'policy test',
      'policy explain',
      'sessions list',
      'sessions show',
      'sessions verify',
      'sessions tail',
      'replay',
      'approvals list',
      'approvals approve',
      'approvals deny',
      'keys generate',
      'token mint',
    ];
    // 21 processes: started together (each is mostly Node's start-up), checked in order
    const helps = await Promise.all(verbs.map((v) => cli([...v.split(' '), '--help'])));
    verbs.forEach((v, i) => {
      expect(helps[i]!.code, v).toBe(0);
      expect(helps[i]!.stdout, v).toMatch(new RegExp(`^portcullis ${v} `));
    });
    const bad = [
      ['nonsense'],
      ['sessions', 'show'],
      ['sessions', 'list', '--bogus'],
      ['token', 'mint', '--key', 'keys/signing.jwk'],
      ['sessions', 'show', 'x', '--store', 'redis://127.0.0.1:1/0'],
      // Redis away: one line and exit (no client left reconnecting forever).
      ['approvals', 'list', '--store', 'redis://127.0.0.1:1/0'],
    ];
    const results = await Promise.all(bad.map((args) => cli(args)));
    for (const [i, args] of bad.entries()) {
      const r = results[i]!;
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.split('\n'), `${args.join(' ')}: ${r.stderr}`).toHaveLength(2); // one line + final \n
      expect(r.stderr).toMatch(/^portcullis/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const debug = await cli(['sessions', 'show', 'x', '--store', 'redis://127.0.0.1:1/0', '--debug']);
    expect(debug.stderr).toMatch(/\n\s+at /);
  }, 120_000);

  it('start: a port already in use stops it with one error line and exit 1 (no half-started gateway)', async () => {
    const taken = (upstream.address() as AddressInfo).port;
    writeFileSync(
      join(dir, 'taken.yaml'),
      `version: 1
identity: { issuers: [{ issuer: "https://portcullis.dev.local/", audience: portcullis, jwks_file: ./keys/jwks.json }] }
store: { url: "file:./taken-data" }
admin: { listen: "127.0.0.1:${taken}" }
connections:
  - { name: api, protocol: http, listen: "127.0.0.1:0", upstream: { url: "http://127.0.0.1:9" }, policy: p }
policies:
  p: { allow_groups: [ai-agents] }
`,
    );
    const r = await cli(['start', '-c', 'taken.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`\\nportcullis start: listen EADDRINUSE: .*:${taken}\\n$`));
  });

  it('token mint: a JWT with the subject, groups, audience and a 1h default lifetime', async () => {
    const [, payload] = tokens['agent-2'].split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'agent-2', groups: ['ai-agents', 'dba'], aud: 'portcullis' });
    expect(claims.exp - claims.iat).toBe(3600);
    const short = await cli([
      'token',
      'mint',
      '--key',
      'keys/signing.jwk',
      '--sub',
      'x',
      '--groups',
      'a',
      '--ttl',
      '5m',
      '--aud',
      'other',
    ]);
    const c2 = JSON.parse(Buffer.from(short.stdout.trim().split('.')[1], 'base64url').toString());
    expect(c2).toMatchObject({ aud: 'other' });
    expect(c2.exp - c2.iat).toBe(300);
  });

  it('policy explain: the decision, its rules and reason, as text and --json', async () => {
    const env = { CONTRACT_API_TOKEN: 'x' };
    const text = await cli(
      ['policy', 'explain', '--connection', 'orders-db', '--sql', 'DELETE FROM orders'],
      env,
    );
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^decision: deny\nrules: {4}delete-needs-where\nreason: {3}\S/);
    expect(text.stdout).toContain('agent sees: portcullis: denied by rule delete-needs-where: ');
    const json = await cli(
      [
        'policy',
        'explain',
        '-c',
        'portcullis.yaml',
        '--connection',
        'orders-db',
        '--groups',
        'ai-agents',
        '--sql',
        'INSERT INTO orders VALUES (9)',
        '--json',
      ],
      env,
    );
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({ action: 'review', rules: ['writes-reviewed'], approvers: ['dba'] });
    expect(doc.decision).toMatchObject({ action: 'review', rules: ['writes-reviewed'] });
    expect(doc.approval).toEqual({ approvers: ['dba'], min_approvals: 1, timeout_ms: 60_000 });
    const outsider = await cli(
      ['policy', 'explain', '--connection', 'payments-api', '--groups', 'marketing', '--http', 'GET /v1/x'],
      env,
    );
    expect(outsider.stdout).toMatch(/^decision: deny\nrules: {4}allow_groups\n/);
    const nothing = await cli(
      ['policy', 'explain', '--connection', 'orders-db', '--sql', 'CREATE TABLE t (a int)', '--json'],
      env,
    );
    // No rule matches a DDL statement: the policy default, itself deny when unset.
    expect(JSON.parse(nothing.stdout)).toMatchObject({ action: 'deny', rules: ['default'] });
    const unparsable = await cli(
      ['policy', 'explain', '--connection', 'orders-db', '--sql', 'SELEC 1', '--json'],
      env,
    );
    expect(JSON.parse(unparsable.stdout)).toMatchObject({ action: 'deny', rules: ['on_parse_error'] });
  });
});

describe('Postgres, recording and the session verbs', () => {
  let sessionId = '';

  it('a denied statement is ErrorResponse 42501 "portcullis: denied by rule <name>: <reason>"; the connection stays usable', async () => {
    const before = await sessionIds();
    const c = agent();
    await c.connect();
    const read = await c.query('SELECT id, email FROM orders ORDER BY id');
    expect(read.rows).toEqual([
      { id: 1, email: '[MASKED:email]' },
      { id: 2, email: '[MASKED:email]' },
    ]);
    const err = await c.query('DELETE FROM orders').catch((e: pg.DatabaseError) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as pg.DatabaseError).code).toBe('42501');
    expect((err as pg.DatabaseError).message).toMatch(/^portcullis: denied by rule delete-needs-where: \S/);
    expect((await c.query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 2 }]);
    await c.end();
    sessionId = await newClosedSession(before, 'orders-db');
  });

  it('an identity outside allow_groups is refused at connect time', async () => {
    const c = agent('eve');
    await expect(c.connect()).rejects.toThrow(/eve|marketing|allow_groups|not allowed|may not/i);
  });

  it('Redis layout: meta hash, index zset scored by start ms, frames stream with seq/t/kind/data/hash', async () => {
    const meta = await redis.hgetall(`${prefix}:{${sessionId}}:meta`);
    for (const k of [
      'id',
      'connection',
      'protocol',
      'subject',
      'groups',
      'client',
      'started_at',
      'ended_at',
      'status',
    ])
      expect(meta, k).toHaveProperty(k);
    expect(meta).toMatchObject({
      id: sessionId,
      connection: 'orders-db',
      protocol: 'postgres',
      subject: 'agent-1',
      status: 'closed',
    });
    expect(JSON.parse(meta.groups)).toEqual(['ai-agents']);
    expect(meta.client).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Number(meta.ended_at)).toBeGreaterThanOrEqual(Number(meta.started_at));
    expect(Number(await redis.zscore(`${prefix}:sessions`, sessionId))).toBe(Number(meta.started_at));

    const entries = (await redis.xrange(`${prefix}:{${sessionId}}:frames`, '-', '+')) as [string, string[]][];
    const frames = entries.map(([, f]) =>
      Object.fromEntries(f.map((v, i, a) => [v, a[i + 1]]).filter((_, i) => i % 2 === 0)),
    );
    expect(frames.length).toBeGreaterThan(5);
    const kinds = new Set([
      'open',
      'auth',
      'query',
      'command',
      'request',
      'decision',
      'approval',
      'input',
      'output',
      'result',
      'resize',
      'error',
      'close',
    ]);
    let prev = hash('sha256', `portcullis-session\n${sessionId}`, 'hex');
    let t = 0;
    frames.forEach((f, i) => {
      expect(Object.keys(f)).toEqual(expect.arrayContaining(['seq', 't', 'kind', 'data', 'hash']));
      expect(Number(f.seq)).toBe(i + 1);
      expect(Number(f.t)).toBeGreaterThanOrEqual(t);
      t = Number(f.t);
      expect(kinds.has(f.kind), f.kind).toBe(true);
      // hash = sha256(previous hash + this frame), as packages/core/src/record/FRAMES.md spells out.
      const h = hash('sha256', `${prev}\n${f.seq}\n${f.t}\n${f.kind}\n${f.enc ?? 'json'}\n${f.data}`, 'hex');
      expect(f.hash).toBe(h);
      prev = h;
    });
    expect(frames[0].kind).toBe('open');
    expect(frames.at(-1)!.kind).toBe('close');
    const denied = frames.findIndex(
      (f) => f.kind === 'query' && JSON.parse(f.data).text === 'DELETE FROM orders',
    );
    expect(frames[denied + 1].kind).toBe('decision');
    expect(JSON.parse(frames[denied + 1].data)).toMatchObject({
      action: 'deny',
      rules: ['delete-needs-where'],
    });
  });

  it('sessions list (table, --json, filters), show, verify and replay read it back', async () => {
    const table = await cli(['sessions', 'list', '--since', '1h']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STARTED/);
    expect(table.stdout).toContain(sessionId);
    const json = JSON.parse(
      (await cli(['sessions', 'list', '--connection', 'orders-db', '--subject', 'agent-1', '--json'])).stdout,
    );
    expect(json.map((m: { id: string }) => m.id)).toContain(sessionId);
    const none = JSON.parse((await cli(['sessions', 'list', '--subject', 'nobody', '--json'])).stdout);
    expect(none).toEqual([]);
    const viaStore = await cli(
      ['sessions', 'list', '--store', 'redis://127.0.0.1:6379/0', '--prefix', prefix, '--json'],
      { PORTCULLIS_CONFIG: 'missing.yaml' },
    );
    expect(JSON.parse(viaStore.stdout).map((m: { id: string }) => m.id)).toContain(sessionId);

    const show = await cli(['sessions', 'show', sessionId]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('connection  orders-db (postgres)');
    expect(show.stdout).toMatch(/DELETE FROM orders\n\s+deny by rule delete-needs-where: /);
    const showJson = JSON.parse((await cli(['sessions', 'show', sessionId, '--json'])).stdout);
    expect(showJson.session).toMatchObject({ id: sessionId, subject: 'agent-1' });
    expect(
      showJson.commands.find((c: { text: string }) => c.text === 'DELETE FROM orders').decision,
    ).toMatchObject({
      action: 'deny',
      rules: ['delete-needs-where'],
    });

    expect(await cli(['sessions', 'verify', sessionId])).toMatchObject({
      code: 0,
      stdout: 'ok\n',
      stderr: '',
    });

    const replay = await cli(['replay', sessionId, '--speed', '100']);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('DELETE FROM orders');
    const lines = (await cli(['replay', sessionId, '--format', 'json'])).stdout.trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual(lines.map((_, i) => i + 1));
    // The same verb under `sessions`, as its siblings.
    expect(
      (await cli(['sessions', 'replay', sessionId, '--format', 'json'])).stdout.trim().split('\n'),
    ).toEqual(lines);
    expect((await cli(['replay', sessionId, '--format', 'asciicast'])).code).toBe(1); // no terminal in a SQL session
  });

  it('sessions verify names the first altered, removed or reordered frame and exits 1', async () => {
    const key = `${prefix}:{${sessionId}}:frames`;
    const original = (await redis.xrange(key, '-', '+')) as [string, string[]][];
    const rewrite = async (entries: [string, string[]][]) => {
      await redis.del(key);
      for (const [id, f] of entries) await redis.xadd(key, id, ...f);
    };
    const withData = (f: string[], data: string) => f.map((v, i) => (f[i - 1] === 'data' ? data : v));
    try {
      await rewrite(
        original.map(([id, f], i) => [id, i === 3 ? withData(f, '{"kind":"sql","text":"SELECT 1"}') : f]),
      );
      const altered = await cli(['sessions', 'verify', sessionId]);
      expect(altered.code).toBe(1);
      expect(altered.stdout).toMatch(/^frame 4: altered: /);
      expect(altered.stderr).toMatch(/frame 4/);

      await rewrite(original.filter((_, i) => i !== 2));
      const removed = await cli(['sessions', 'verify', sessionId]);
      expect(removed.code).toBe(1);
      expect(removed.stdout).toMatch(/^frame 3: missing: /);

      // Frames 3 and 4 swapped (stream ids follow storage order).
      const swapped = [...original];
      [swapped[2], swapped[3]] = [swapped[3], swapped[2]];
      await rewrite(swapped.map(([, f], i) => [`0-${i + 1}`, f]));
      const reordered = await cli(['sessions', 'verify', sessionId]);
      expect(reordered.code).toBe(1);
      expect(reordered.stdout).toMatch(/^frame 3: reordered: /);
    } finally {
      await rewrite(original);
    }
    expect((await cli(['sessions', 'verify', sessionId])).stdout).toBe('ok\n');
  });
});

describe('approvals', () => {
  /** Runs a write that needs review; resolves with its outcome once an approver decides. */
  function heldWrite(sql: string) {
    const c = agent();
    const done = c
      .connect()
      .then(() => c.query(sql))
      .then(
        (r) => ({ ok: true as const, rowCount: r.rowCount }),
        (e: pg.DatabaseError) => ({ ok: false as const, code: e.code, message: e.message }),
      )
      .finally(() => c.end().catch(() => undefined));
    return done;
  }

  async function pending(command: string): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await expect
      .poll(
        async () => {
          // No token: `approvals list` reads them from the config's Redis store.
          const r = await cli(['approvals', 'list', '--json']);
          const list = JSON.parse(r.stdout || '[]') as Record<string, unknown>[];
          found = list.find((a) => a.command === command && a.status === 'pending');
          return found !== undefined;
        },
        { timeout: 15_000, interval: 300 },
      )
      .toBe(true);
    return found!;
  }

  it('a review waits; the requester cannot approve it, nor can a group outside approvers; a dba approves and it runs', async () => {
    const sql = "INSERT INTO orders VALUES (3, 'x')";
    const before = await sessionIds();
    const outcome = heldWrite(sql);
    const a = await pending(sql);
    expect(a).toMatchObject({
      subject: 'agent-1',
      connection: 'orders-db',
      rule: 'writes-reviewed',
      approvers: ['dba'],
      minApprovals: 1,
    });
    expect(typeof a.session).toBe('string');
    expect((a.expiresAt as number) - (a.createdAt as number)).toBe(60_000);
    const id = a.id as string;
    const listed = await cli(['approvals', 'list']);
    expect(listed.stdout).toContain(`${id}  pending`);

    const gw = ['--gateway', `http://127.0.0.1:${ports.admin}`];
    // agent-1 asked: never the requesting subject. sam is an auditor, not in the rule's approvers.
    const own = await cli(['approvals', 'approve', id, ...gw, '--token', tokens['agent-1']]);
    expect(own.code).toBe(1);
    expect(own.stderr).toMatch(/^portcullis approvals approve: .*own request.*\(HTTP 403\)\n$/);
    const outsider = await cli(['approvals', 'approve', id, ...gw], { PORTCULLIS_TOKEN: tokens.sam });
    expect(outsider.code).toBe(1);
    expect(outsider.stderr).toMatch(/HTTP 403/);
    const noToken = await fetch(`http://127.0.0.1:${ports.admin}/api/approvals/${id}/approve`, {
      method: 'POST',
    });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const ok = await cli([
      'approvals',
      'approve',
      id,
      '--reason',
      'looks fine',
      ...gw,
      '--token',
      tokens.dana,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`^${id}: approved\\n`));
    expect(await outcome).toEqual({ ok: true, rowCount: 1 });
    const late = await cli(['approvals', 'deny', id, ...gw, '--token', tokens['agent-2']]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/already approved/);

    // Every step is in the session's recording.
    const sid = await newClosedSession(before, 'orders-db');
    const frames = (await cli(['replay', sid, '--format', 'json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const steps = frames.filter((f) => f.kind === 'approval').map((f) => JSON.parse(f.data));
    expect(steps.map((s) => s.step)).toEqual(['requested', 'approved']);
    expect(steps[0]).toMatchObject({ id, rule: 'writes-reviewed', approvers: ['dba'] });
    expect(steps[1].votes).toMatchObject([{ by: 'dana', verdict: 'approve', reason: 'looks fine' }]);
    const decisions = frames.filter((f) => f.kind === 'decision').map((f) => JSON.parse(f.data));
    expect(decisions.at(-1)).toMatchObject({ action: 'allow', reason: 'approved by dana: looks fine' });
  });

  it('approvals deny: the statement fails with 42501 naming the rule, the approver and the reason', async () => {
    const sql = "INSERT INTO orders VALUES (4, 'y')";
    const outcome = heldWrite(sql);
    const a = await pending(sql);
    const r = await cli(['approvals', 'deny', a.id as string, '--reason', 'not today'], {
      PORTCULLIS_TOKEN: tokens.dana,
      PORTCULLIS_GATEWAY: `http://127.0.0.1:${ports.admin}`,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: denied\n/);
    const o = await outcome;
    expect(o).toMatchObject({ ok: false, code: '42501' });
    expect(o.ok === false && o.message).toBe(
      `portcullis: denied by rule writes-reviewed: approval ${a.id} denied by dana: not today`,
    );
    const denied = JSON.parse((await cli(['approvals', 'list', '--json', '--status', 'denied'])).stdout);
    expect(denied.map((x: { id: string }) => x.id)).toContain(a.id);
  });
});

describe('HTTP listener', () => {
  const url = (p: string) => `http://127.0.0.1:${ports.http}${p}`;

  it('no token → 401 with WWW-Authenticate: Bearer', async () => {
    const r = await fetch(url('/v1/orders'));
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('denied → 403 {"error":"denied","rule","reason"}; allowed → forwarded and masked', async () => {
    const auth = { authorization: `Bearer ${tokens['agent-1']}` };
    const denied = await fetch(url('/admin/users'), { headers: auth });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await denied.json();
    expect(body).toMatchObject({ error: 'denied', rule: 'no-admin' });
    expect(typeof body.reason).toBe('string');
    const ok = await fetch(url('/v1/orders'), { headers: auth });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ path: '/v1/orders', method: 'GET', email: '[MASKED:email]' });
  });
});

describe('admin API and web UI', () => {
  const admin = (p: string, token?: string) =>
    fetch(
      `http://127.0.0.1:${ports.admin}${p}`,
      token ? { headers: { authorization: `Bearer ${token}` } } : {},
    );

  it('healthz, readyz and Prometheus metrics without a token', async () => {
    expect((await admin('/healthz')).status).toBe(200);
    expect((await admin('/readyz')).status).toBe(200);
    const m = await admin('/metrics');
    expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await m.text()).toMatch(/^# (HELP|TYPE) portcullis_/m);
  });

  it('the API takes a bearer JWT: auditors read sessions, approvers list approvals, nobody else gets in', async () => {
    for (const p of ['/api/sessions', '/api/approvals']) {
      const none = await admin(p);
      expect(none.status, p).toBe(401);
      expect(none.headers.get('www-authenticate'), p).toMatch(/^Bearer/);
      expect((await admin(p, tokens.eve)).status, p).toBe(403);
    }
    const list = await admin('/api/sessions', tokens.sam);
    expect(list.status).toBe(200);
    const sessions = (await list.json()) as { id: string }[];
    expect(sessions.length).toBeGreaterThan(0);
    const id = sessions[0].id;
    expect(await (await admin(`/api/sessions/${id}`, tokens.sam)).json()).toMatchObject({ id });
    const frames = (await (await admin(`/api/sessions/${id}/frames`, tokens.sam)).json()) as {
      seq: number;
    }[];
    expect(frames[0].seq).toBe(1);
    expect((await admin('/api/sessions', tokens.dana)).status).toBe(403); // an approver, not an auditor
    expect((await admin('/api/approvals', tokens.dana)).status).toBe(200);
  });

  it('serves the web UI at /', async () => {
    const r = await admin('/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
  });
});
