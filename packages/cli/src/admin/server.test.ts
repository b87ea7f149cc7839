// The admin API against a real gateway (Redis recording under a random prefix, Redis approvals):
// every route, every auth outcome, filters and paging, live follow, approvals, rate limit, OIDC.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Decision, SessionMeta } from '@portcullis/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { openapi } from './openapi.js';
import {
  type AdminFixture,
  AGENT,
  openSession,
  recordPgSession,
  recordSshSession,
  SSH_SCRIPT,
  startAdminFixture,
  UI_CLIENT_ID,
} from './testing/fixture.js';

let f: AdminFixture;
let auditor: string;
let dba: string;
let sre: string;
let agent: string;
let sshId: string;
let pgId: string;

beforeAll(async () => {
  f = await startAdminFixture();
  [auditor, dba, sre, agent] = await Promise.all([
    f.token('auditor-1', ['security']),
    f.token('dba-1', ['dba']),
    f.token('sre-1', ['sre']),
    f.token(...AGENT),
  ]);
  sshId = await recordSshSession(f, 30);
  pgId = await recordPgSession(f);
  await f.gateway.store.flush();
});

afterAll(async () => {
  await f?.close();
});

const json = async <T = Record<string, unknown>>(res: Response): Promise<T> => (await res.json()) as T;

/** Reads server-sent events until `until` says stop. */
async function readEvents(res: Response, until: (events: { event: string; data: string }[]) => boolean) {
  const events: { event: string; data: string }[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data !== undefined) events.push({ event, data });
    }
  }
  await reader.cancel().catch(() => {});
  return events;
}

const waitFor = async (what: string, check: () => Promise<boolean> | boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('health, readiness, metrics, OpenAPI (no token)', () => {
  it('/healthz and /readyz answer 200 with security headers', async () => {
    const h = await f.get('/healthz');
    expect(h.status).toBe(200);
    expect(await json(h)).toEqual({ status: 'ok' });
    expect(h.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(h.headers.get('cache-control')).toBe('no-store');
    const r = await f.get('/readyz');
    expect(r.status).toBe(200);
    expect(await json(r)).toMatchObject({ status: 'ready', store: true });
  });

  it('/metrics counts sessions, commands by protocol and decision, masked values by detector', async () => {
    const res = await f.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const value = (line: string) =>
      Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('portcullis_sessions_total{protocol="ssh"}')).toBeGreaterThanOrEqual(1);
    expect(value('portcullis_sessions_total{protocol="postgres"}')).toBeGreaterThanOrEqual(1);
    expect(value('portcullis_sessions_active{protocol="ssh"}')).toBe(0);
    expect(value('portcullis_commands_total{decision="deny",protocol="ssh"}')).toBe(1);
    expect(value('portcullis_commands_total{decision="allow",protocol="ssh"}')).toBe(2);
    expect(value('portcullis_commands_total{decision="deny",protocol="postgres"}')).toBe(1);
    expect(value('portcullis_masked_values_total{detector="email"}')).toBe(3);
    expect(text).toMatch(/^# TYPE portcullis_approvals_pending gauge$/m);
    // One series per label set: no unlabelled duplicate of a labelled gauge.
    expect(text).not.toMatch(/^portcullis_sessions_active \d/m);
  });

  it('/api/openapi.json documents every route', async () => {
    const res = await f.get('/api/openapi.json');
    expect(res.status).toBe(200);
    const doc = await json<typeof openapi>(res);
    expect(doc.openapi).toBe('3.1.0');
    for (const p of [
      '/api/sessions',
      '/api/sessions/{id}',
      '/api/sessions/{id}/frames',
      '/api/sessions/{id}/verify',
      '/api/approvals',
      '/api/approvals/{id}/approve',
      '/api/approvals/{id}/deny',
      '/metrics',
      '/healthz',
      '/readyz',
    ]) {
      expect(doc.paths).toHaveProperty([p]);
    }
  });
});

describe('authentication and authorisation', () => {
  const protectedRoutes = () => [
    '/api/me',
    '/api/sessions',
    `/api/sessions/${sshId}`,
    `/api/sessions/${sshId}/frames`,
    `/api/sessions/${sshId}/verify`,
    '/api/approvals',
  ];

  it('no token → 401 with WWW-Authenticate: Bearer, on every /api route', async () => {
    for (const path of protectedRoutes()) {
      const res = await f.get(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate'), path).toMatch(/^Bearer\b/);
      expect(await json(res)).toMatchObject({ error: 'unauthorized', reason: 'missing bearer token' });
    }
    const post = await f.post('/api/approvals/00000000-0000-0000-0000-000000000000/approve', undefined, {});
    expect(post.status).toBe(401);
  });

  it('a bad, expired or foreign token → 401', async () => {
    const expired = await f.token('auditor-1', ['security'], { now: Date.now() - 3 * 3600_000, ttl: '1h' });
    const wrongAudience = await f.token('auditor-1', ['security'], { aud: 'someone-else' });
    for (const t of ['not-a-jwt', `${auditor.slice(0, -4)}AAAA`, expired, wrongAudience]) {
      const res = await f.get('/api/sessions', t);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    }
    const basic = await f.get('/api/sessions', undefined, { headers: { authorization: 'Basic YTpi' } });
    expect(basic.status).toBe(401);
  });

  it('an agent (neither auditor nor approver) → 403 everywhere', async () => {
    for (const path of protectedRoutes()) {
      const res = await f.get(path, agent);
      expect(res.status, path).toBe(403);
    }
  });

  it('/api/me says who you are and what you may do', async () => {
    expect(await json(await f.get('/api/me', auditor))).toEqual({
      subject: 'auditor-1',
      groups: ['security'],
      auditor: true,
      approver: false,
    });
    expect(await json(await f.get('/api/me', dba))).toEqual({
      subject: 'dba-1',
      groups: ['dba'],
      auditor: false,
      approver: true,
    });
  });

  it('an approver who is not an auditor cannot read sessions', async () => {
    expect((await f.get('/api/sessions', dba)).status).toBe(403);
    expect((await f.get(`/api/sessions/${pgId}/frames`, dba)).status).toBe(403);
    expect((await f.get('/api/approvals', dba)).status).toBe(200);
  });
});

describe('sessions (auditors)', () => {
  it('lists newest first with the counters stored at close (badges)', async () => {
    const res = await f.get('/api/sessions', auditor);
    expect(res.status).toBe(200);
    const list = await json<SessionMeta[]>(res);
    expect(list.map((s) => s.id)).toEqual([pgId, sshId]);
    const [pg, ssh] = list;
    expect(ssh).toMatchObject({
      connection: 'build-vm',
      protocol: 'ssh',
      subject: 'agent-1',
      status: 'closed',
      commands: 3,
      denied: 1,
      reviewed: 0,
      masked: 1,
    });
    expect(pg).toMatchObject({
      connection: 'orders-db',
      protocol: 'postgres',
      commands: 2,
      denied: 1,
      masked: 2,
      masked_by: { email: 2 },
    });
  });

  it('filters by connection, protocol, subject, status and since', async () => {
    const ids = async (q: string) =>
      (await json<SessionMeta[]>(await f.get(`/api/sessions?${q}`, auditor))).map((s) => s.id);
    expect(await ids('connection=build-vm')).toEqual([sshId]);
    expect(await ids('protocol=postgres')).toEqual([pgId]);
    expect(await ids('subject=agent-1')).toEqual([pgId, sshId]);
    expect(await ids('subject=nobody')).toEqual([]);
    expect(await ids('status=closed')).toEqual([pgId, sshId]);
    expect(await ids('status=active')).toEqual([]);
    expect(await ids('since=1h')).toEqual([pgId, sshId]);
    expect(await ids(`since=${Date.now() + 60_000}`)).toEqual([]);
    expect(
      await ids(`since=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`),
    ).toHaveLength(2);
  });

  it('pages with limit and offset, and says where the next page starts', async () => {
    const first = await f.get('/api/sessions?limit=1', auditor);
    expect((await json<SessionMeta[]>(first)).map((s) => s.id)).toEqual([pgId]);
    expect(first.headers.get('x-next-offset')).toBe('1');
    const second = await f.get('/api/sessions?limit=1&offset=1', auditor);
    expect((await json<SessionMeta[]>(second)).map((s) => s.id)).toEqual([sshId]);
    expect(second.headers.get('x-next-offset')).toBeNull();
  });

  it('refuses bad parameters with 400 naming them', async () => {
    for (const [q, name] of [
      ['limit=abc', 'limit'],
      ['limit=0', 'limit'],
      ['limit=5000', 'limit'],
      ['offset=-1', 'offset'],
      ['protocol=ftp', 'protocol'],
      ['status=weird', 'status'],
      ['since=yesterday-ish', 'since'],
    ]) {
      const res = await f.get(`/api/sessions?${q}`, auditor);
      expect(res.status, q).toBe(400);
      expect((await json(res)).error, q).toMatch(new RegExp(`^${name}:`));
    }
  });

  it('one session, its frames (paged) and its verification', async () => {
    const meta = await json<SessionMeta>(await f.get(`/api/sessions/${pgId}`, auditor));
    expect(meta).toMatchObject({ id: pgId, protocol: 'postgres', status: 'closed' });
    const frames = await json<{ seq: number; kind: string; data: string }[]>(
      await f.get(`/api/sessions/${pgId}/frames`, auditor),
    );
    expect(frames.map((x) => x.kind)).toEqual([
      'open',
      'auth',
      'query',
      'decision',
      'result',
      'query',
      'decision',
      'error',
      'close',
    ]);
    const deny = JSON.parse(frames[6].data) as Decision;
    expect(deny).toMatchObject({ action: 'deny', rules: ['delete-needs-where'] });
    const page = await json<{ seq: number }[]>(
      await f.get(`/api/sessions/${pgId}/frames?from=3&count=2`, auditor),
    );
    expect(page.map((x) => x.seq)).toEqual([3, 4]);
    expect(await json(await f.get(`/api/sessions/${pgId}/verify`, auditor))).toEqual({ ok: true, frames: 9 });
  });

  it('verify names the first bad frame of a tampered recording', async () => {
    const id = await recordPgSession(f);
    await f.gateway.store.flush();
    const r = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
    try {
      const key = `${f.keyPrefix}:{${id}}:frames`;
      const entries = await r.xrange(key, '-', '+');
      await r.xdel(key, entries[4][0]);
    } finally {
      r.disconnect();
    }
    const res = await json(await f.get(`/api/sessions/${id}/verify`, auditor));
    expect(res).toMatchObject({ ok: false, seq: 5, problem: 'missing' });
  });

  it('the SSH session replays the masked terminal output', async () => {
    const frames = await json<{ kind: string; enc: string; data: string }[]>(
      await f.get(`/api/sessions/${sshId}/frames`, auditor),
    );
    const shown = frames
      .filter((x) => x.kind === 'output')
      .map((x) => Buffer.from(x.data, 'base64').toString())
      .join('');
    expect(shown).toContain(SSH_SCRIPT.prompt);
    expect(shown).toContain('(owner [MASKED:email])');
    expect(shown).not.toContain('alice@example.com');
    expect(shown).toContain('portcullis: denied by rule no-destructive');
  });

  it('unknown sessions are 404, malformed ids never reach the store, bad frame parameters are 400', async () => {
    for (const path of [
      '/api/sessions/no-such-session',
      '/api/sessions/no-such-session/frames',
      '/api/sessions/no-such-session/verify',
      '/api/sessions/no-such-session/frames?follow=1',
    ]) {
      expect((await f.get(path, auditor)).status, path).toBe(404);
    }
    expect((await f.get('/api/sessions/..%2F..%2Fetc', auditor)).status).toBe(404);
    expect((await f.get(`/api/sessions/${pgId}/frames?count=0`, auditor)).status).toBe(400);
    expect((await f.get(`/api/sessions/${pgId}/frames?from=x`, auditor)).status).toBe(400);
    expect((await f.get(`/api/sessions/${pgId}/frames?follow=yes`, auditor)).status).toBe(400);
  });

  it('unknown routes are 404, wrong methods 405', async () => {
    expect((await f.get('/api/nothing', auditor)).status).toBe(404);
    const res = await f.post('/api/sessions', auditor, {});
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });
});

describe('live follow (server-sent events)', () => {
  it('streams the frames recorded so far and after, then `end` once the session closes', async () => {
    const s = await openSession(f, 'build-vm');
    s.record('output', new TextEncoder().encode('before follow\r\n'));
    await f.gateway.store.flush();
    expect((await json<SessionMeta>(await f.get(`/api/sessions/${s.id}`, auditor))).status).toBe('active');
    expect(await (await f.get('/metrics')).text()).toMatch(
      /^portcullis_sessions_active\{protocol="ssh"\} 1$/m,
    );
    const res = await f.get(`/api/sessions/${s.id}/frames?follow=1`, auditor);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = readEvents(res, (ev) => ev.some((e) => e.event === 'end'));
    await new Promise((r) => setTimeout(r, 150));
    s.record('output', new TextEncoder().encode('after follow\r\n'));
    await s.judge({ kind: 'shell', text: 'uptime', source: 'exec' });
    await new Promise((r) => setTimeout(r, 150));
    await s.close('done');
    const got = await events;
    const frames = got
      .filter((e) => e.event === 'frame')
      .map((e) => JSON.parse(e.data) as { seq: number; kind: string; data: string; enc: string });
    const text = frames
      .filter((x) => x.kind === 'output')
      .map((x) => Buffer.from(x.data, 'base64').toString());
    expect(text).toEqual(['before follow\r\n', 'after follow\r\n']);
    expect(frames.map((x) => x.kind)).toEqual([
      'open',
      'auth',
      'output',
      'output',
      'command',
      'decision',
      'close',
    ]);
    expect(frames.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(got.at(-1)).toEqual({ event: 'end', data: '{}' });
  });

  it('resumes from `from` (or Last-Event-ID) without repeating frames', async () => {
    const res = await f.get(`/api/sessions/${pgId}/frames?follow=1&from=8`, auditor);
    const got = await readEvents(res, (ev) => ev.some((e) => e.event === 'end'));
    expect(got.filter((e) => e.event === 'frame').map((e) => JSON.parse(e.data).seq)).toEqual([8, 9]);
    const again = await f.get(`/api/sessions/${pgId}/frames?follow=1`, auditor, {
      headers: { 'last-event-id': '8' },
    });
    const got2 = await readEvents(again, (ev) => ev.some((e) => e.event === 'end'));
    expect(got2.filter((e) => e.event === 'frame').map((e) => JSON.parse(e.data).seq)).toEqual([9]);
  });
});

describe('approvals', () => {
  /** A statement a review rule holds, waiting in the background as the listener would. */
  async function pendingReview(sql: string) {
    const s = await openSession(f, 'orders-db');
    let approvalId = '';
    const decision = s.judge(
      { kind: 'sql', text: sql, protocol: 'simple' },
      {
        onPending: (a) => {
          approvalId = a.id;
        },
      },
    );
    await waitFor('the approval', () => approvalId !== '');
    return { s, decision, approvalId };
  }

  it('an approver resolves a pending review; the waiting judge() then allows', async () => {
    const { s, decision, approvalId } = await pendingReview("UPDATE users SET name = 'x' WHERE id = 1");
    expect(
      Number(/^portcullis_approvals_pending (\S+)$/m.exec(await (await f.get('/metrics')).text())?.[1]),
    ).toBe(1);

    const list = await json<
      { id: string; status: string; command: string; rule: string; subject: string; approvers: string[] }[]
    >(await f.get('/api/approvals?status=pending', dba));
    expect(list).toContainEqual(
      expect.objectContaining({
        id: approvalId,
        status: 'pending',
        command: "UPDATE users SET name = 'x' WHERE id = 1",
        rule: 'writes-reviewed',
        subject: 'agent-1',
        approvers: ['dba'],
      }),
    );
    // Auditors see it too; an SRE (approver of other rules only) does not.
    expect((await json<{ id: string }[]>(await f.get('/api/approvals', auditor))).map((a) => a.id)).toContain(
      approvalId,
    );
    expect((await json<{ id: string }[]>(await f.get('/api/approvals', sre))).map((a) => a.id)).not.toContain(
      approvalId,
    );
    expect((await f.get(`/api/approvals/${approvalId}`, sre)).status).toBe(404);
    expect((await json(await f.get(`/api/approvals/${approvalId}`, dba))).id).toBe(approvalId);

    // The requester cannot approve their own command, even from an approver group.
    const selfToken = await f.token('agent-1', ['ai-agents', 'dba']);
    const self = await f.post(`/api/approvals/${approvalId}/approve`, selfToken, { reason: 'trust me' });
    expect(self.status).toBe(403);
    expect((await json(self)).reason).toMatch(/cannot approve their own request/);
    // Someone outside the rule's approver groups cannot either.
    const other = await f.post(`/api/approvals/${approvalId}/approve`, sre, {});
    expect(other.status).toBe(403);
    expect((await json(other)).reason).toMatch(/not in an approver group of rule writes-reviewed/);
    // An auditor is not an approver.
    expect((await f.post(`/api/approvals/${approvalId}/approve`, auditor, {})).status).toBe(403);
    expect((await f.post(`/api/approvals/${approvalId}/approve`, undefined, {})).status).toBe(401);

    const ok = await f.post(`/api/approvals/${approvalId}/approve`, dba, { reason: 'ticket OPS-1' });
    expect(ok.status).toBe(200);
    expect(await json(ok)).toMatchObject({
      id: approvalId,
      status: 'approved',
      votes: [expect.objectContaining({ by: 'dba-1', verdict: 'approve', reason: 'ticket OPS-1' })],
    });
    const d = await decision;
    expect(d.action).toBe('allow');
    expect(d.reason).toBe('approved by dba-1: ticket OPS-1');
    // Resolved already: a second vote is a conflict.
    expect((await f.post(`/api/approvals/${approvalId}/deny`, dba, {})).status).toBe(409);
    await s.close();
    expect(
      Number(/^portcullis_approvals_pending (\S+)$/m.exec(await (await f.get('/metrics')).text())?.[1]),
    ).toBe(0);
    const meta = await json<SessionMeta>(await f.get(`/api/sessions/${s.id}`, auditor));
    expect(meta).toMatchObject({ commands: 1, reviewed: 1, denied: 0 });
  });

  it('a deny with a reason fails the waiting command with that reason', async () => {
    const { s, decision, approvalId } = await pendingReview("INSERT INTO audit VALUES ('x')");
    const res = await f.post(`/api/approvals/${approvalId}/deny`, dba, { reason: 'not during the freeze' });
    expect(res.status).toBe(200);
    expect((await json(res)).status).toBe('denied');
    const d = await decision;
    expect(d.action).toBe('deny');
    expect(d.reason).toContain('not during the freeze');
    await s.close();
    const meta = await json<SessionMeta>(await f.get(`/api/sessions/${s.id}`, auditor));
    expect(meta).toMatchObject({ commands: 1, reviewed: 1, denied: 1 });
  });

  it('unknown approvals are 404; bad bodies and statuses are 400', async () => {
    expect(
      (await f.post('/api/approvals/00000000-0000-0000-0000-000000000000/approve', dba, {})).status,
    ).toBe(404);
    expect(
      (await f.post('/api/approvals/00000000-0000-0000-0000-000000000000/approve', dba, { reason: 42 }))
        .status,
    ).toBe(400);
    const notJson = await f.get('/api/approvals/x/approve', dba, {
      method: 'POST',
      body: '{nope',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
    expect((await f.get('/api/approvals?status=maybe', dba)).status).toBe(400);
  });
});

describe('failed-token rate limit', () => {
  it('after N failures from one address every /api request gets 429 with Retry-After; health stays up', async () => {
    const limited = await f.startAdmin({ authFailures: { max: 3, windowMs: 60_000 } });
    const get = (path: string, token?: string) =>
      fetch(`${limited.base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    for (let i = 0; i < 3; i++) expect((await get('/api/sessions', 'bad-token')).status).toBe(401);
    const blocked = await get('/api/sessions', 'bad-token');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Even a good token waits: the address is guessing.
    expect((await get('/api/sessions', auditor)).status).toBe(429);
    expect((await get('/healthz')).status).toBe(200);
    // Valid tokens never count as failures.
    const other = await f.startAdmin({ authFailures: { max: 2, windowMs: 60_000 } });
    for (let i = 0; i < 5; i++)
      expect(
        (await fetch(`${other.base}/api/me`, { headers: { authorization: `Bearer ${auditor}` } })).status,
      ).toBe(200);
    const m = await (await f.get('/metrics')).text();
    expect(Number(/^portcullis_admin_auth_failures_total (\S+)$/m.exec(m)?.[1])).toBeGreaterThanOrEqual(3);
  });
});

describe('web UI files', () => {
  it('serves index.html for app paths and the bundle, with CSP; nothing outside the UI directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-ui-'));
    try {
      writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/app.js"></script>');
      writeFileSync(join(dir, 'app.js'), 'console.log(1)');
      writeFileSync(join(dir, '..', `secret-${process.pid}.txt`), 'secret');
      const ui = await f.startAdmin({ uiDir: dir });
      const index = await fetch(`${ui.base}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toContain('text/html');
      const csp = new Map(
        (index.headers.get('content-security-policy') ?? '').split(';').map((d) => {
          const [name, ...values] = d.trim().split(/\s+/);
          return [name, values.join(' ')] as [string, string];
        }),
      );
      // Scripts only from the gateway: no inline script, no eval, no CDN.
      expect(csp.get('script-src')).toBe("'self'");
      expect(csp.get('default-src')).toBe("'none'");
      expect(csp.get('connect-src')).toBe("'self'");
      expect(csp.get('frame-ancestors')).toBe("'none'");
      expect(index.headers.get('x-frame-options')).toBe('DENY');
      expect(await (await fetch(`${ui.base}/sessions/abc`)).text()).toContain('/app.js');
      const js = await fetch(`${ui.base}/app.js`);
      expect(js.headers.get('content-type')).toContain('text/javascript');
      expect((await fetch(`${ui.base}/..%2Fsecret-${process.pid}.txt`)).status).toBe(404);
      expect((await fetch(`${ui.base}/missing.js`)).status).toBe(404);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(join(dir, '..', `secret-${process.pid}.txt`), { force: true });
    }
  });
});

describe('OIDC sign-in (authorization code + PKCE through the gateway)', () => {
  it('describes the issuer from its discovery document and exchanges a code for an accepted token', async () => {
    const desc = await json(await f.get('/api/oidc'));
    expect(desc).toEqual({
      issuer: f.issuer.issuer,
      authorization_endpoint: `${f.issuer.issuer}authorize`,
      client_id: UI_CLIENT_ID,
      scope: 'openid profile',
    });
    // What the browser does: a verifier, its S256 challenge, a trip to /authorize, the code back.
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const redirect = `${f.base}/`;
    const auth = new URL(String(desc.authorization_endpoint));
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: UI_CLIENT_ID,
      redirect_uri: redirect,
      scope: 'openid',
      state: 's1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }))
      auth.searchParams.set(k, v);
    const back = await fetch(auth, { redirect: 'manual' });
    const code = new URL(back.headers.get('location') ?? '').searchParams.get('code') ?? '';
    expect(code).not.toBe('');
    // A wrong verifier is refused by the issuer, and the gateway says so.
    const wrong = await f.post('/api/oidc/token', undefined, {
      code,
      code_verifier: 'x'.repeat(43),
      redirect_uri: redirect,
    });
    expect(wrong.status).toBe(401);
    const back2 = await fetch(auth, { redirect: 'manual' });
    const code2 = new URL(back2.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const res = await f.post('/api/oidc/token', undefined, {
      code: code2,
      code_verifier: verifier,
      redirect_uri: redirect,
    });
    expect(res.status).toBe(200);
    const { token } = await json<{ token: string }>(res);
    expect(await json(await f.get('/api/me', token))).toMatchObject({ subject: 'auditor-1', auditor: true });
    expect((await f.post('/api/oidc/token', undefined, { code: 'x' })).status).toBe(400);
  });

  it('refuses when the discovery document does not allow PKCE with S256', async () => {
    f.issuer.discovery.code_challenge_methods_supported = ['plain'];
    try {
      const other = await f.startAdmin({});
      const res = await fetch(`${other.base}/api/oidc`);
      expect(res.status).toBe(503);
      expect((await json(res)).error).toMatch(/PKCE with S256/);
    } finally {
      delete f.issuer.discovery.code_challenge_methods_supported;
    }
  });
});

describe('readiness', () => {
  it('/readyz is 503 once the gateway is shutting down', async () => {
    const g = await startAdminFixture({ store: 'file' });
    try {
      const id = await recordPgSession(g);
      await g.gateway.store.flush();
      // The file store serves the same API.
      expect(
        (await json<SessionMeta[]>(await g.get('/api/sessions', await g.token('a', ['security'])))).map(
          (s) => s.id,
        ),
      ).toEqual([id]);
      await g.gateway.close();
      const res = await g.get('/readyz');
      expect(res.status).toBe(503);
      expect(await json(res)).toMatchObject({ status: 'not ready' });
    } finally {
      await g.close();
    }
  });
});
