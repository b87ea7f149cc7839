// Approvals end to end over psql: the statement waits (a NOTICE with the approval id), an approver
// resolves it with the real CLI, and psql gets the result or a 42501 error. Includes a second gateway
// process on the same Redis resolving through the other one's admin API.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mainQuery } from '../support/postgres.js';
import { APPROVAL_ID, type Harness, startHarness, TABLE, waitFor } from './harness.js';

let h: Harness;
let agent: string;
let dba: string;

beforeAll(async () => {
  h = await startHarness();
  [agent, dba] = await Promise.all([h.token('agent-1', ['ai-agents']), h.token('dba-1', ['dba'])]);
});

afterAll(async () => {
  await h?.close();
});

interface Psql {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  done: Promise<number | null>;
}

function psql(port: number, sql: string, token = agent): Psql {
  const child = spawn(
    'psql',
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'agent',
      '-d',
      'gw',
      '-X',
      '-v',
      'VERBOSITY=verbose',
      '-c',
      sql,
    ],
    { env: { ...process.env, PGPASSWORD: token, PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '10' } },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const done = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, stdout: () => out, stderr: () => err, done };
}

const rowExists = async (table: string, id: number) =>
  (await mainQuery(`SELECT 1 FROM ${table} WHERE id = ${id}`, h.db)).rowCount === 1;

const approvalSteps = async (sessionId: string) =>
  (await h.frames(sessionId)).filter((f) => f.kind === 'approval').map((f) => f.data);

async function approval(id: string) {
  const a = await h.gw.gateway.approvals.get(id);
  if (!a) throw new Error(`no approval ${id}`);
  return a;
}

describe('approvals over psql', () => {
  it('a DELETE waits, is approved through the CLI by a dba, then runs and the row is gone', async () => {
    const p = psql(h.local.pg, `DELETE FROM ${TABLE} WHERE id = 1`);
    const id = (await waitFor(p.stderr, APPROVAL_ID))[1];
    expect(p.stderr()).toMatch(/NOTICE: {2}01000: portcullis: waiting for approval \S+ from dba/);
    // Held: nothing ran yet.
    await new Promise((r) => setTimeout(r, 300));
    expect(await rowExists(TABLE, 1)).toBe(true);
    expect(p.child.exitCode).toBeNull();

    // The approver finds it with `approvals list` (gateway and token from the environment).
    const env = { PORTCULLIS_GATEWAY: h.local.admin, PORTCULLIS_TOKEN: dba };
    const list = await h.cli(['approvals', 'list', '--status', 'pending'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${id}  pending`);
    expect(list.stdout).toContain(`DELETE FROM ${TABLE} WHERE id = 1`);
    const [listed] = JSON.parse((await h.cli(['approvals', 'list', '--json'], env)).stdout).filter(
      (a: { id: string }) => a.id === id,
    );
    expect(listed).toMatchObject({ subject: 'agent-1', connection: 'orders-db', approvers: ['dba'] });
    expect(listed.digest).toMatch(/^[0-9a-f]{64}$/);

    const t0 = Date.now();
    const res = await h.cli([
      'approvals',
      'approve',
      id,
      '--reason',
      'ticket 42',
      '--digest',
      listed.digest,
      '--gateway',
      h.local.admin,
      '--token',
      dba,
    ]);
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(res.stdout).toContain(`${id}: approved`);
    expect(await p.done).toBe(0);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(p.stdout()).toContain('DELETE 1');
    expect(await rowExists(TABLE, 1)).toBe(false);

    const a = await approval(id);
    expect(a).toMatchObject({
      status: 'approved',
      votes: [{ by: 'dba-1', verdict: 'approve', reason: 'ticket 42' }],
    });
    const steps = await approvalSteps(a.session);
    expect(steps).toMatchObject([
      { step: 'requested', id, approvers: ['dba'], digest: listed.digest },
      { step: 'approved', id, votes: [{ by: 'dba-1', reason: 'ticket 42' }] },
    ]);
    // The webhook heard both ends.
    await expect
      .poll(() => h.hooks.filter((b) => b.approval.id === id).map((b) => `${b.event}:${b.approval.status}`))
      .toEqual(expect.arrayContaining(['created:pending', 'resolved:approved']));
  });

  it('denied → psql gets 42501 with the approver and reason, and the row stays', async () => {
    const p = psql(h.local.pg, `DELETE FROM ${TABLE} WHERE id = 2`);
    const id = (await waitFor(p.stderr, APPROVAL_ID))[1];
    const res = await h.cli([
      'approvals',
      'deny',
      id,
      '--reason',
      'not today',
      '--gateway',
      h.local.admin,
      '--token',
      dba,
    ]);
    expect(res.stdout).toContain(`${id}: denied`);
    expect(await p.done).toBe(1);
    expect(p.stderr()).toContain(
      `ERROR:  42501: portcullis: denied by rule writes-reviewed: approval ${id} denied by dba-1: not today`,
    );
    expect(await rowExists(TABLE, 2)).toBe(true);
    expect(await approvalSteps((await approval(id)).session)).toMatchObject([
      { step: 'requested' },
      { step: 'denied', votes: [{ by: 'dba-1', verdict: 'deny', reason: 'not today' }] },
    ]);
  });

  it('refuses self-approval and approvers outside the rule’s groups; the statement keeps waiting', async () => {
    const p = psql(h.local.pg, `DELETE FROM ${TABLE} WHERE id = 3`);
    const id = (await waitFor(p.stderr, APPROVAL_ID))[1];
    const cli = (token: string) =>
      h.cli(['approvals', 'approve', id, '--gateway', h.local.admin, '--token', token]);

    // The requester, even holding a dba token of its own.
    const self = await cli(await h.token('agent-1', ['ai-agents', 'dba']));
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/agent-1 cannot approve their own request \(HTTP 403\)/);
    // An approver of another rule's group.
    const sre = await cli(await h.token('sre-1', ['sre']));
    expect(sre.code).toBe(1);
    expect(sre.stderr).toMatch(/sre-1 is not in an approver group of rule .*\(dba\) \(HTTP 403\)/);
    // An auditor can read approvals but not resolve them.
    const auditor = await cli(await h.token('aud-1', ['security']));
    expect(auditor.code).toBe(1);
    expect(auditor.stderr).toMatch(/HTTP 403/);

    expect((await approval(id)).status).toBe('pending');
    expect(p.child.exitCode).toBeNull();
    expect(await rowExists(TABLE, 3)).toBe(true);
    await h.cli(['approvals', 'deny', id, '--gateway', h.local.admin, '--token', dba]);
    expect(await p.done).toBe(1);
    expect(await rowExists(TABLE, 3)).toBe(true);
  });

  it('expires at the rule’s timeout as a deny, stays listed as expired, and cannot be approved late', async () => {
    const t0 = Date.now();
    const p = psql(h.local.pg, 'DELETE FROM scratch WHERE id = 1');
    const id = (await waitFor(p.stderr, APPROVAL_ID))[1];
    expect(await p.done).toBe(1);
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(1900);
    expect(waited).toBeLessThan(6000);
    expect(p.stderr()).toMatch(
      new RegExp(`ERROR:  42501: portcullis: denied by rule .*approval ${id} expired after 2s`),
    );
    expect(await rowExists('scratch', 1)).toBe(true);

    const list = await h.cli([
      'approvals',
      'list',
      '--status',
      'expired',
      '--gateway',
      h.local.admin,
      '--token',
      dba,
    ]);
    expect(list.stdout).toContain(`${id}  expired`);
    const late = await h.cli(['approvals', 'approve', id, '--gateway', h.local.admin, '--token', dba]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/already expired \(HTTP 409\)/);
    expect((await approvalSteps((await approval(id)).session)).map((s) => s.step)).toEqual([
      'requested',
      'expired',
    ]);
    await expect
      .poll(() =>
        h.hooks.some(
          (b) => b.approval.id === id && b.event === 'resolved' && b.approval.status === 'expired',
        ),
      )
      .toBe(true);
  });

  it('psql killed while waiting leaves the approval cancelled, recorded before the session’s close', async () => {
    const p = psql(h.local.pg, `DELETE FROM ${TABLE} WHERE id = 4`);
    const id = (await waitFor(p.stderr, APPROVAL_ID))[1];
    p.child.kill('SIGKILL');
    await p.done;
    await expect.poll(async () => (await approval(id)).status, { timeout: 5000 }).toBe('cancelled');
    const list = await h.cli(['approvals', 'list', '--json', '--gateway', h.local.admin, '--token', dba]);
    expect(JSON.parse(list.stdout).find((a: { id: string }) => a.id === id).status).toBe('cancelled');
    const session = (await approval(id)).session;
    await expect
      .poll(async () =>
        (await h.frames(session)).map((f) => `${f.kind}${f.data.step ? `:${f.data.step}` : ''}`).slice(-4),
      )
      .toEqual(['approval:requested', 'approval:cancelled', 'decision', 'close']);
    expect(await rowExists(TABLE, 4)).toBe(true);
    // Nobody can approve it afterwards.
    const late = await h.cli(['approvals', 'approve', id, '--gateway', h.local.admin, '--token', dba]);
    expect(late.stderr).toMatch(/already cancelled/);
  });
});

describe('approvals over the extended protocol (node-postgres)', () => {
  it('the approval shows the bound parameters, and each execution of a prepared statement needs its own', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: h.local.pg,
      user: 'agent',
      database: 'gw',
      password: agent,
    });
    const notices: string[] = [];
    client.on('notice', (n) => notices.push(n.message ?? ''));
    await client.connect();
    try {
      const next = async (from: number) =>
        (await waitFor(() => notices.slice(from).join('\n'), APPROVAL_ID))[1];
      const env = { PORTCULLIS_GATEWAY: h.local.admin, PORTCULLIS_TOKEN: dba };

      const first = client.query({ name: 'del', text: `DELETE FROM ${TABLE} WHERE id = $1`, values: [21] });
      const id1 = await next(0);
      expect((await approval(id1)).command).toBe(`DELETE FROM ${TABLE} WHERE id = $1  -- params: ["21"]`);
      await h.cli(['approvals', 'approve', id1], env);
      expect((await first).rowCount).toBe(1);
      expect(await rowExists(TABLE, 21)).toBe(false);

      // The same prepared statement with other parameters is a new command: a new approval.
      const second = client.query({ name: 'del', text: `DELETE FROM ${TABLE} WHERE id = $1`, values: [22] });
      const id2 = await next(1);
      expect(id2).not.toBe(id1);
      expect((await approval(id2)).command).toContain('params: ["22"]');
      await h.cli(['approvals', 'deny', id2, '--reason', 'one is enough'], env);
      await expect(second).rejects.toMatchObject({
        code: '42501',
        message: expect.stringContaining('one is enough'),
      });
      expect(await rowExists(TABLE, 22)).toBe(true);
      // The connection stays usable.
      expect((await client.query(`SELECT count(*)::int AS n FROM ${TABLE} WHERE id = 22`)).rows).toEqual([
        { n: 1 },
      ]);
    } finally {
      await client.end();
    }
  });
});

describe('two gateway processes sharing Redis', () => {
  it('an approval waiting in one process is resolved through the other process’s admin API', async () => {
    const replica = await h.spawnReplica();

    // Waiting in the replica (a child process), approved through this process's admin API.
    const p = psql(replica.pg, `DELETE FROM ${TABLE} WHERE id = 10`);
    const id = (await waitFor(p.stderr, APPROVAL_ID))[1];
    const seenHere = await h.cli([
      'approvals',
      'list',
      '--status',
      'pending',
      '--gateway',
      h.local.admin,
      '--token',
      dba,
    ]);
    expect(seenHere.stdout).toContain(id);
    const t0 = Date.now();
    const ok = await h.cli([
      'approvals',
      'approve',
      id,
      '--reason',
      'from replica A',
      '--gateway',
      h.local.admin,
      '--token',
      dba,
    ]);
    expect(ok.stdout).toContain(`${id}: approved`);
    expect(await p.done).toBe(0);
    // Released promptly by the resolution event (the periodic re-check is only the fallback).
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await rowExists(TABLE, 10)).toBe(false);
    const steps = await approvalSteps((await approval(id)).session);
    expect(steps.map((s) => s.step)).toEqual(['requested', 'approved']);

    // The other way round: waiting here, denied through the replica's admin API.
    const q = psql(h.local.pg, `DELETE FROM ${TABLE} WHERE id = 11`);
    const id2 = (await waitFor(q.stderr, APPROVAL_ID))[1];
    const no = await h.cli([
      'approvals',
      'deny',
      id2,
      '--reason',
      'from replica B',
      '--gateway',
      replica.admin,
      '--token',
      dba,
    ]);
    expect(no.stdout).toContain(`${id2}: denied`);
    expect(await q.done).toBe(1);
    expect(q.stderr()).toContain(`denied by dba-1: from replica B`);
    expect(await rowExists(TABLE, 11)).toBe(true);

    // A replica that stops while a statement waits cancels it for everyone.
    const r = psql(replica.pg, `DELETE FROM ${TABLE} WHERE id = 12`);
    const id3 = (await waitFor(r.stderr, APPROVAL_ID))[1];
    await replica.stop();
    await r.done;
    expect((await approval(id3)).status).toBe('cancelled');
    expect(await rowExists(TABLE, 12)).toBe(true);
  });
});
