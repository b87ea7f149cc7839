// The session verbs and replay, end to end through `main` against the real Redis and a file store.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { openStore, type RecordStore, type SessionMeta, storeConfigFromUrl } from '@portcullis/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../command.js';
import { main } from '../main.js';

const REDIS = process.env.PORTCULLIS_TEST_REDIS ?? 'redis://127.0.0.1:6379/0';
const prefix = `test:cli-sessions:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
const tmp = mkdtempSync(join(tmpdir(), 'portcullis-cli-sessions-'));
let store: RecordStore;

function io(env: Record<string, string> = {}) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (to: Buffer[]) =>
    new Writable({
      write(chunk, _enc, cb) {
        to.push(Buffer.from(chunk));
        cb();
      },
    });
  const x: CliIO = { stdout: sink(out), stderr: sink(err), env: { ...env }, cwd: tmp };
  return {
    io: x,
    out: () => Buffer.concat(out),
    text: () => Buffer.concat(out).toString(),
    err: () => Buffer.concat(err).toString(),
  };
}

async function cli(args: string[], env: Record<string, string> = {}) {
  const c = io(env);
  const code = await main(args, c.io);
  return { code, ...c };
}

const at = ['--store', REDIS, '--prefix', prefix];

let seq = 0;
function meta(over: Partial<SessionMeta> = {}): SessionMeta {
  return {
    id: `cli${Date.now().toString(36)}${seq++}`,
    connection: 'orders-db',
    protocol: 'postgres',
    subject: 'agent-1',
    groups: ['ai-agents'],
    client: '127.0.0.1:40000',
    started_at: Date.now(),
    status: 'active',
    ...over,
  };
}

// What an SSH listener records for a short interactive session, including a UTF-8 character split
// across two frames and raw bytes that are not text.
const outputs = [
  Buffer.from('$ '),
  Buffer.from('ls\r\nfile-\xe2\x82', 'latin1'),
  Buffer.from('\xac.txt\r\n', 'latin1'),
  Buffer.from([0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xff, 0xfe, 0x1b, 0x5b, 0x30, 0x6d]),
  Buffer.from('\r\n$ exit\r\n'),
];
let ssh: SessionMeta;
let pg: SessionMeta;
let tampered: SessionMeta;

beforeAll(async () => {
  store = await openStore(storeConfigFromUrl(REDIS, { keyPrefix: prefix }), { log: () => undefined });
  ssh = meta({ protocol: 'ssh', connection: 'build-vm', subject: 'agent-2', started_at: Date.now() - 5000 });
  const r = store.startSession(ssh);
  r.record('open', { protocol: 'ssh', connection: 'build-vm', client: ssh.client });
  r.record('resize', { cols: 120, rows: 40, term: 'xterm-256color' });
  for (const [i, o] of outputs.entries()) {
    if (i === 1) {
      r.record('command', { kind: 'shell', text: 'ls', source: 'interactive', context: 'prompt' });
      r.record('decision', { action: 'allow', rules: ['default'], reason: 'no rule matched' });
    }
    r.record('output', o);
    await new Promise((res) => setTimeout(res, 30));
  }
  r.record('resize', { cols: 100, rows: 30 });
  r.record('output', { stream: 'stderr', b64: Buffer.from('warning\n').toString('base64') });
  await r.end();

  pg = meta({ started_at: Date.now() - 4000 });
  const p = store.startSession(pg);
  p.record('open', { protocol: 'postgres', connection: 'orders-db', client: pg.client });
  p.record('query', { kind: 'sql', text: 'select * from orders', protocol: 'simple' });
  p.record('decision', { action: 'allow', rules: ['reads'], reason: 'matched reads' });
  p.record('result', { tag: 'SELECT 3', rows: 3 });
  p.record('query', { kind: 'sql', text: 'delete from orders', protocol: 'simple' });
  p.record('decision', { action: 'deny', rules: ['delete-needs-where'], reason: 'DELETE without WHERE' });
  await p.end('closed', undefined, { commands: 2, denied: 1, reviewed: 0, masked: 3 });

  tampered = meta({ started_at: Date.now() - 3000, subject: 'agent-3' });
  const t = store.startSession(tampered);
  for (let i = 0; i < 6; i++) t.record('query', { kind: 'sql', text: `select ${i}` });
  await t.end();
  const redis = new Redis(REDIS, { protocol: 2 });
  const key = `${prefix}:{${tampered.id}}:frames`;
  const entries = (await redis.xrange(key, '-', '+')) as [string, string[]][];
  await redis.del(key);
  for (const [id, f] of entries) {
    const fields = [...f];
    if (fields[1] === '4') fields[fields.indexOf('data') + 1] = '{"kind":"sql","text":"select 42"}';
    await redis.xadd(key, id, ...fields);
  }
  redis.disconnect();
});

afterAll(async () => {
  const redis = new Redis(REDIS, { protocol: 2 });
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await store.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('sessions list', () => {
  it('prints a table, newest first', async () => {
    const r = await cli(['sessions', 'list', ...at]);
    expect(r.code).toBe(0);
    const lines = r.text().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STARTED \(UTC\)\s+DURATION\s+STATUS\s+PROTOCOL\s+CONNECTION\s+SUBJECT/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([tampered.id, pg.id, ssh.id]);
    expect(lines[3]).toMatch(/closed\s+ssh\s+build-vm\s+agent-2\s+127\.0\.0\.1:40000\s+12\s+-\s+-$/);
    expect(lines[2]).toMatch(/\s+7\s+2\s+1$/);
  });

  it('filters and prints JSON', async () => {
    const r = await cli(['sessions', 'list', ...at, '--protocol', 'ssh', '--json']);
    expect(JSON.parse(r.text()).map((s: SessionMeta) => s.id)).toEqual([ssh.id]);
    const bySubject = await cli(['sessions', 'list', ...at, '--subject', 'agent-3', '--json']);
    expect(JSON.parse(bySubject.text()).map((s: SessionMeta) => s.id)).toEqual([tampered.id]);
    const since = await cli([
      'sessions',
      'list',
      ...at,
      '--since',
      '1h',
      '--connection',
      'build-vm',
      '--json',
    ]);
    expect(JSON.parse(since.text()).map((s: SessionMeta) => s.id)).toEqual([ssh.id]);
    const none = await cli(['sessions', 'list', ...at, '--status', 'active']);
    expect(none.text()).toBe('no sessions\n');
  });

  it('reads the store from the config file when no --store is given', async () => {
    const dir = join(tmp, 'filestore');
    const fstore = await openStore(storeConfigFromUrl(`file:${dir}`), { log: () => undefined });
    const m = meta({ connection: 'from-config' });
    await fstore.startSession(m).end();
    await fstore.close();
    writeFileSync(
      join(tmp, 'portcullis.yaml'),
      [
        'version: 1',
        'identity:',
        '  issuers:',
        '    - { issuer: "https://login.example.com/", audience: portcullis, jwks_uri: "https://login.example.com/jwks.json" }',
        'store:',
        `  url: file:${dir}`,
        'connections: []',
        'policies: {}',
        '',
      ].join('\n'),
    );
    const r = await cli(['sessions', 'list', '--json']);
    if (r.code !== 0) throw new Error(r.err());
    expect(JSON.parse(r.text()).map((s: SessionMeta) => s.id)).toEqual([m.id]);
    rmSync(join(tmp, 'portcullis.yaml'));
  });

  it('explains bad input in one line', async () => {
    rmSync(join(tmp, 'portcullis.yaml'), { force: true });
    expect((await cli(['sessions', 'list'])).err()).toMatch(/no store: pass --store/);
    expect((await cli(['sessions', 'list', '-c', 'nope.yaml'])).err()).toMatch(
      /config .*nope\.yaml not found/,
    );
    const bad = await cli(['sessions', 'list', ...at, '--since', 'yesterday']);
    expect(bad.code).toBe(1);
    expect(bad.err()).toMatch(/--since yesterday: expected a duration/);
    expect((await cli(['sessions', 'list', '--store', 'mysql://x'])).err()).toMatch(/expected redis:/);
    const down = await cli(['sessions', 'list', '--store', 'redis://127.0.0.1:1/0']);
    expect(down.code).toBe(1);
    expect(down.err()).toMatch(
      /^portcullis sessions list: recording store unavailable: redis .* is not reachable\n$/,
    );
  });
});

describe('sessions show', () => {
  it('prints metadata and each command with its decision, rule and result', async () => {
    const r = await cli(['sessions', 'show', pg.id, ...at]);
    expect(r.code).toBe(0);
    const t = r.text();
    expect(t).toContain(`session     ${pg.id}`);
    expect(t).toContain('connection  orders-db (postgres)');
    expect(t).toContain('subject     agent-1 [ai-agents]');
    expect(t).toContain('counts      2 commands, 1 denied, 0 reviewed, 3 values masked');
    expect(t).toMatch(
      /#2 \+\d+\.\d{3}s query: select \* from orders\n\s+allow by rule reads: matched reads\n\s+→ SELECT 3\n/,
    );
    expect(t).toMatch(
      /#5 \+\d+\.\d{3}s query: delete from orders\n\s+deny by rule delete-needs-where: DELETE without WHERE/,
    );
    const j = JSON.parse((await cli(['sessions', 'show', pg.id, ...at, '--json'])).text());
    expect(j.session.id).toBe(pg.id);
    expect(j.commands.map((c: { decision: { action: string } }) => c.decision.action)).toEqual([
      'allow',
      'deny',
    ]);
  });

  it('says when the session does not exist', async () => {
    const r = await cli(['sessions', 'show', 'no-such-session', ...at]);
    expect(r.code).toBe(1);
    expect(r.err()).toBe('portcullis sessions show: session no-such-session not found\n');
  });
});

describe('sessions verify', () => {
  it('prints "ok" (the frame count with --json)', async () => {
    const r = await cli(['sessions', 'verify', ssh.id, ...at]);
    expect(r.code).toBe(0);
    expect(r.text()).toBe('ok\n');
    expect(r.err()).toBe('');
    const j = await cli(['sessions', 'verify', ssh.id, ...at, '--json']);
    expect(JSON.parse(j.text())).toEqual({ ok: true, frames: 12 });
  });

  it('exits 1 naming the first bad frame and why, with one error line on stderr', async () => {
    const r = await cli(['sessions', 'verify', tampered.id, ...at]);
    expect(r.code).toBe(1);
    expect(r.text()).toMatch(/^frame 4: altered: /);
    expect(r.err()).toBe(
      `portcullis sessions verify: session ${tampered.id}: hash chain broken at frame 4 (altered)\n`,
    );
    const missing = await cli(['sessions', 'verify', 'no-such-session', ...at]);
    expect(missing.code).toBe(1);
    expect(missing.err()).toBe('portcullis sessions verify: session no-such-session not found\n');
  });
});

describe('replay', () => {
  it('text: writes exactly the bytes the terminal received', async () => {
    const r = await cli(['replay', ssh.id, ...at, '--no-wait']);
    expect(r.code).toBe(0);
    expect(r.out().equals(Buffer.concat(outputs))).toBe(true);
    expect(r.err()).toBe('warning\n');
  });

  it('text: keeps the original timing, scaled by --speed', async () => {
    const started = performance.now();
    const r = await cli(['replay', ssh.id, ...at, '--speed', '2']);
    const took = performance.now() - started;
    expect(r.out().equals(Buffer.concat(outputs))).toBe(true);
    const frames = await store.readFrames(ssh.id);
    const span = frames.filter((f) => f.kind === 'output').at(-1)!.t;
    expect(span).toBeGreaterThanOrEqual(100);
    expect(took).toBeGreaterThanOrEqual(span / 2 - 10);
  });

  it('asciicast: v2 header from the first resize, output events, resize events', async () => {
    const r = await cli(['replay', ssh.id, ...at, '--format', 'asciicast']);
    expect(r.code).toBe(0);
    const [head, ...events] = r
      .text()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(head).toMatchObject({ version: 2, width: 120, height: 40, env: { TERM: 'xterm-256color' } });
    const text = events
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    expect(text).toBe(new TextDecoder().decode(Buffer.concat([...outputs, Buffer.from('warning\n')])));
    expect(text).toContain('file-€.txt');
    expect(events.find((e) => e[1] === 'r')?.[2]).toBe('100x30');
    const times = events.map((e) => e[0]);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('text for a Postgres session: a timeline; json: one frame per line; asciicast refused', async () => {
    const t = await cli(['replay', pg.id, ...at, '--no-wait']);
    expect(t.text()).toMatch(
      /#2 query: select \* from orders\n.*#3 decision: allow \(rule reads\): matched reads\n.*#4 result: SELECT 3\n/,
    );
    const j = await cli(['replay', pg.id, ...at, '--format', 'json']);
    const frames = j
      .text()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(frames.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(frames[0]).toHaveProperty('hash');
    const a = await cli(['replay', pg.id, ...at, '--format', 'asciicast']);
    expect(a.code).toBe(1);
    expect(a.err()).toMatch(/postgres session without a terminal/);
    expect((await cli(['replay', pg.id, ...at, '--speed', '0'])).err()).toMatch(
      /--speed 0: expected a number > 0/,
    );
    expect((await cli(['replay', pg.id, ...at, '--format', 'mp4'])).err()).toMatch(/--format mp4/);
  });
});

describe('sessions tail', () => {
  it('follows a live session from its first frame until it closes', async () => {
    const m = meta({ protocol: 'ssh' });
    const r = store.startSession(m);
    r.record('output', Buffer.from('before the viewer\n'));
    await store.flush();
    const c = io();
    const tail = main(['sessions', 'tail', m.id, ...at, '--raw'], c.io);
    for (let i = 0; i < 5; i++) {
      r.record('output', Buffer.from(`live ${i}\n`));
      await new Promise((res) => setTimeout(res, 20));
    }
    await r.end();
    expect(await tail).toBe(0);
    expect(c.text()).toBe('before the viewer\nlive 0\nlive 1\nlive 2\nlive 3\nlive 4\n');
  });

  it('--all follows every active session and new ones', async () => {
    const a = meta();
    const ra = store.startSession(a);
    ra.record('query', { kind: 'sql', text: 'select 1' });
    await store.flush();
    const c = io();
    const tail = main(['sessions', 'tail', '--all', ...at, '--timeout', '2500ms'], c.io);
    await new Promise((res) => setTimeout(res, 300));
    const b = meta();
    const rb = store.startSession(b);
    rb.record('query', { kind: 'sql', text: 'select 2' });
    await ra.end();
    await rb.end();
    expect(await tail).toBe(0);
    const t = c.text();
    expect(t).toContain(`${a.id} [`);
    expect(t).toMatch(new RegExp(`${a.id} .*#1 query: select 1`));
    expect(t).toMatch(new RegExp(`${b.id} .*#1 query: select 2`));
    expect(t).toMatch(new RegExp(`${b.id} .*#2 close`));
  });
});
