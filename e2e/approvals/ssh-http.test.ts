// Approvals end to end over OpenSSH exec and curl: the command or request is held, resolved with the
// real CLI, then runs upstream (a marker file, a request the upstream receives) or is refused (exit
// 126, 403 with the approval id) — and a client that goes away while waiting cancels its approval.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Approval } from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askpass, spawnSsh, type Target } from '../ssh/client.js';
import { APPROVAL_ID, type Harness, startHarness, waitFor } from './harness.js';

let h: Harness;
let agent: string;
let sre: string;
let owner: string;
let ask: string;
let work: string;
let target: Target;

beforeAll(async () => {
  h = await startHarness({ ssh: true });
  [agent, sre, owner] = await Promise.all([
    h.token('agent-1', ['ai-agents']),
    h.token('sre-1', ['sre']),
    h.token('owner-1', ['payments-owners']),
  ]);
  ask = askpass(h.dir);
  work = join(h.dir, 'work');
  mkdirSync(work);
  target = { host: '127.0.0.1', port: h.local.ssh, user: 'agent', token: agent };
});

afterAll(async () => {
  await h?.close();
});

interface Client {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  done: Promise<number | null>;
}

function watch(child: ChildProcessWithoutNullStreams): Client {
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  child.stdin.end();
  const done = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, done };
}

const sshExec = (command: string) => watch(spawnSsh(target, [command], ask));

function curlPost(path: string, body: string): Client {
  return watch(
    spawn('curl', [
      '-sS',
      '-X',
      'POST',
      '-H',
      `Authorization: Bearer ${agent}`,
      '-H',
      'content-type: application/json',
      '--data-binary',
      body,
      '-w',
      '\n%{http_code}',
      `http://127.0.0.1:${h.local.http}${path}`,
    ]),
  );
}

const vote = (verb: 'approve' | 'deny', id: string, token: string, reason?: string) =>
  h.cli([
    'approvals',
    verb,
    id,
    ...(reason ? ['--reason', reason] : []),
    '--gateway',
    h.local.admin,
    '--token',
    token,
  ]);

/** HTTP cannot tell the client it waits: the approver finds the request in `approvals list`. */
async function pendingFor(text: string, token: string): Promise<Approval> {
  let found: Approval | undefined;
  const deadline = Date.now() + 10_000;
  while (!found) {
    const r = await h.cli([
      'approvals',
      'list',
      '--status',
      'pending',
      '--json',
      '--gateway',
      h.local.admin,
      '--token',
      token,
    ]);
    found = (JSON.parse(r.stdout) as Approval[]).find((a) => a.command.includes(text));
    if (found) break;
    if (Date.now() > deadline) throw new Error(`no pending approval for ${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return found;
}

const steps = async (id: string) => {
  const a = await h.gw.gateway.approvals.get(id);
  if (!a) throw new Error(`no approval ${id}`);
  return (await h.frames(a.session)).filter((f) => f.kind === 'approval').map((f) => f.data.step);
};

describe('approvals over ssh exec', () => {
  it('holds the command with a stderr line, runs it once an sre approves', async () => {
    const marker = join(work, 'approved');
    const c = sshExec(`touch ${marker}`);
    const id = (await waitFor(c.stderr, APPROVAL_ID))[1];
    expect(c.stderr()).toMatch(/^portcullis: waiting for approval \S+ \(approvers: sre;/);
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(marker)).toBe(false);
    const res = await vote('approve', id, sre, 'maintenance window');
    expect(res.stdout).toContain(`${id}: approved`);
    expect(res.stdout).toContain(`touch ${marker}`);
    expect(await c.done).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(await steps(id)).toEqual(['requested', 'approved']);
  });

  it('denied: exit 126 with the reason, nothing runs', async () => {
    const marker = join(work, 'denied');
    const c = sshExec(`touch ${marker}`);
    const id = (await waitFor(c.stderr, APPROVAL_ID))[1];
    await vote('deny', id, sre, 'no');
    expect(await c.done).toBe(126);
    expect(c.stderr()).toContain(
      `portcullis: denied by rule touch-reviewed: approval ${id} denied by sre-1: no`,
    );
    expect(existsSync(marker)).toBe(false);
  });

  it('ssh killed while waiting cancels the approval; the command never runs', async () => {
    const marker = join(work, 'cancelled');
    const c = sshExec(`touch ${marker}`);
    const id = (await waitFor(c.stderr, APPROVAL_ID))[1];
    c.child.kill('SIGKILL');
    await c.done;
    await expect
      .poll(async () => (await h.gw.gateway.approvals.get(id))?.status, { timeout: 5000 })
      .toBe('cancelled');
    await expect.poll(() => steps(id)).toEqual(['requested', 'cancelled']);
    const late = await vote('approve', id, sre);
    expect(late.stderr).toMatch(/already cancelled/);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('approvals over http', () => {
  it('holds a POST until a payments owner approves, then the upstream receives it', async () => {
    const c = curlPost('/v1/payments/7/refund', '{"amount":5}');
    const a = await pendingFor('POST /v1/payments/7/refund', owner);
    // The approver sees the request line and the body's digest.
    expect(a.command).toMatch(/^POST \/v1\/payments\/7\/refund\nbody: 12 bytes, sha256 [0-9a-f]{64}$/);
    expect(h.seen.some((s) => s.url === '/v1/payments/7/refund')).toBe(false);
    const res = await vote('approve', a.id, owner, 'refund ok');
    expect(res.code).toBe(0);
    expect(await c.done).toBe(0);
    expect(c.stdout()).toBe('{"ok":true}\n200');
    expect(h.seen.filter((s) => s.url === '/v1/payments/7/refund')).toEqual([
      { method: 'POST', url: '/v1/payments/7/refund', body: '{"amount":5}' },
    ]);
    expect(await steps(a.id)).toEqual(['requested', 'approved']);
  });

  it('denied: 403 with the approval id, the upstream never sees it', async () => {
    const c = curlPost('/v1/payments/8/refund', '{"amount":6}');
    const a = await pendingFor('POST /v1/payments/8/refund', owner);
    await vote('deny', a.id, owner, 'duplicate');
    expect(await c.done).toBe(0);
    const [json, status] = c.stdout().split('\n');
    expect(status).toBe('403');
    expect(JSON.parse(json)).toMatchObject({
      error: 'denied',
      rule: 'payments-reviewed',
      approval: a.id,
      approval_status: 'denied',
      reason: `approval ${a.id} denied by owner-1: duplicate`,
    });
    expect(h.seen.some((s) => s.url === '/v1/payments/8/refund')).toBe(false);
  });

  it('curl killed while held cancels the approval; the upstream never sees it', async () => {
    const c = curlPost('/v1/payments/9/refund', '{"amount":7}');
    const a = await pendingFor('POST /v1/payments/9/refund', owner);
    c.child.kill('SIGKILL');
    await c.done;
    await expect
      .poll(async () => (await h.gw.gateway.approvals.get(a.id))?.status, { timeout: 5000 })
      .toBe('cancelled');
    await new Promise((r) => setTimeout(r, 200));
    expect(h.seen.some((s) => s.url === '/v1/payments/9/refund')).toBe(false);
    expect(await steps(a.id)).toEqual(['requested', 'cancelled']);
  });
});

describe('a second gateway process on the same Redis', () => {
  it('ssh exec and an HTTP POST waiting in the other process are approved through this one', async () => {
    const replica = await h.spawnReplica();
    try {
      const marker = join(work, 'via-replica');
      const c = watch(spawnSsh({ ...target, port: replica.ssh }, [`touch ${marker}`], ask));
      const id = (await waitFor(c.stderr, APPROVAL_ID))[1];
      await vote('approve', id, sre, 'cross-replica');
      expect(await c.done).toBe(0);
      expect(existsSync(marker)).toBe(true);

      const post = watch(
        spawn('curl', [
          '-sS',
          '-X',
          'POST',
          '-H',
          `Authorization: Bearer ${agent}`,
          '--data-binary',
          'x=1',
          '-w',
          '\n%{http_code}',
          `http://127.0.0.1:${replica.http}/v1/payments/11/capture`,
        ]),
      );
      const a = await pendingFor('POST /v1/payments/11/capture', owner);
      await vote('approve', a.id, owner);
      expect(await post.done).toBe(0);
      expect(post.stdout()).toBe('{"ok":true}\n200');
      expect(h.seen.filter((s) => s.url === '/v1/payments/11/capture')).toHaveLength(1);
    } finally {
      await replica.stop();
    }
  });
});
