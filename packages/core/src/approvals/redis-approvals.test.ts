// Against the real Redis on 127.0.0.1:6379: two service instances stand for two gateway replicas.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Identity } from '../types.js';
import { LocalApprovals } from './local-approvals.js';
import { RedisApprovals } from './redis-approvals.js';
import type { ApprovalService, NewApproval } from './types.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
const prefix = `test:approvals:${randomUUID().slice(0, 8)}`;
const services: ApprovalService[] = [];
const replica = () => {
  const s = new RedisApprovals({ url, prefix, recheckMs: 200 });
  services.push(s);
  return s;
};

const dba: Identity = { subject: 'alice', groups: ['dba'], issuer: 't', method: 'jwt' };
const dba2: Identity = { subject: 'bob', groups: ['dba'], issuer: 't', method: 'jwt' };
const outsider: Identity = { subject: 'mallory', groups: ['ai-agents'], issuer: 't', method: 'jwt' };

const req = (over: Partial<NewApproval> = {}): NewApproval => ({
  session: 's1',
  connection: 'orders-db',
  subject: 'agent-1',
  groups: ['ai-agents'],
  command: 'DELETE FROM orders WHERE id = 1',
  digest: 'd',
  rule: 'writes-reviewed',
  reason: 'needs approval: category write',
  approvers: ['dba'],
  minApprovals: 1,
  timeoutMs: 5000,
  ...over,
});

afterAll(async () => {
  await Promise.all(services.map((s) => s.close()));
  const r = new Redis(url);
  const keys = await r.keys(`${prefix}:*`);
  if (keys.length) await r.del(...keys);
  await r.quit();
});

function pendingId(service: ApprovalService, r: NewApproval) {
  let id!: (v: string) => void;
  const created = new Promise<string>((res) => {
    id = res;
  });
  const done = service.request(r, { onPending: (a) => id(a.id) });
  return { created, done };
}

describe.each([
  ['redis', () => [replica(), replica()] as const],
  [
    'local',
    () => {
      const l = new LocalApprovals();
      services.push(l);
      return [l, l] as const;
    },
  ],
])('%s approvals', (_name, make) => {
  it('an approval resolved through another replica releases the waiting one at once', async () => {
    const [a, b] = make();
    const { created, done } = pendingId(a, req());
    const id = await created;
    const listed = await b.list({ status: 'pending' });
    expect(listed.map((x) => x.id)).toContain(id);
    const t0 = Date.now();
    await b.resolve(id, dba, 'approve', 'looks fine');
    const final = await done;
    expect(final.status).toBe('approved');
    expect(final.votes).toMatchObject([{ by: 'alice', verdict: 'approve', reason: 'looks fine' }]);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('refuses self-approval and approvers outside the rule groups', async () => {
    const [a, b] = make();
    const { created, done } = pendingId(a, req({ timeoutMs: 800 }));
    const id = await created;
    await expect(b.resolve(id, { ...dba, subject: 'agent-1' }, 'approve')).rejects.toThrow(/own request/);
    await expect(b.resolve(id, outsider, 'approve')).rejects.toThrow(/not in an approver group/);
    expect((await done).status).toBe('expired');
  });

  it('min_approvals needs that many distinct approvers; a deny ends it', async () => {
    const [a, b] = make();
    const two = pendingId(a, req({ minApprovals: 2 }));
    const id = await two.created;
    expect((await b.resolve(id, dba, 'approve')).status).toBe('pending');
    await expect(b.resolve(id, dba, 'approve')).rejects.toThrow(/already voted/);
    expect((await b.resolve(id, dba2, 'approve')).status).toBe('approved');
    expect((await two.done).status).toBe('approved');

    const denied = pendingId(a, req());
    const id2 = await denied.created;
    await b.resolve(id2, dba, 'deny', 'not now');
    expect((await denied.done).status).toBe('denied');
    await expect(b.resolve(id2, dba2, 'approve')).rejects.toThrow(/already denied/);
  });

  it('expires as a deny and stays visible as expired', async () => {
    const [a, b] = make();
    const { created, done } = pendingId(a, req({ timeoutMs: 300 }));
    const id = await created;
    expect((await done).status).toBe('expired');
    expect((await b.get(id))?.status).toBe('expired');
  });

  it('the waiter hears each vote that leaves it pending', async () => {
    const [a, b] = make();
    const votes: string[] = [];
    let id = '';
    const done = a.request(req({ minApprovals: 2 }), {
      onPending: (x) => {
        id = x.id;
      },
      onVote: (x, v) => votes.push(`${x.id === id}:${v.by}:${v.reason}`),
    });
    await expect.poll(() => id).not.toBe('');
    await b.resolve(id, dba, 'approve', 'first');
    await expect.poll(() => votes).toEqual(['true:alice:first']);
    await b.resolve(id, dba2, 'approve', 'second');
    expect((await done).status).toBe('approved');
    expect(votes).toEqual(['true:alice:first']);
  });

  it('a vote for another command digest is refused; the matching digest counts', async () => {
    const [a, b] = make();
    const { created, done } = pendingId(a, req({ digest: 'abc' }));
    const id = await created;
    await expect(b.resolve(id, dba, 'approve', undefined, { digest: 'other' })).rejects.toThrow(
      /different command/,
    );
    expect((await b.resolve(id, dba, 'approve', undefined, { digest: 'abc' })).votes[0].digest).toBe('abc');
    expect((await done).status).toBe('approved');
  });

  it('a client that goes away cancels its approval', async () => {
    const [a, b] = make();
    const ac = new AbortController();
    let id = '';
    const done = a.request(req(), {
      signal: ac.signal,
      onPending: (x) => {
        id = x.id;
      },
    });
    // Abort once it is stored and waiting (a fixed sleep raced the write on a busy machine).
    await expect.poll(() => id).not.toBe('');
    ac.abort();
    expect((await done).status).toBe('cancelled');
    expect((await b.get(id))?.status).toBe('cancelled');
  });
});

describe('redis approvals', () => {
  it('a replica that closes cancels its waits in Redis, so the others stop listing them as pending', async () => {
    const a = new RedisApprovals({ url, prefix, recheckMs: 200 });
    const b = replica();
    const { created, done } = pendingId(a, req());
    const id = await created;
    await a.close();
    expect((await done).status).toBe('cancelled');
    expect((await b.get(id))?.status).toBe('cancelled');
  });
});
