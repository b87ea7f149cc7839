// A review through a real Gateway and file store: what the session records for each outcome, that a
// session closing while it waits cancels the approval before its close frame, and that an approval
// store that fails means deny.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApprovalService, LocalApprovals } from '../approvals/index.js';
import { parseConfig } from '../config/index.js';
import { DEV_AUDIENCE, DEV_ISSUER, generateDevKeys } from '../identity/index.js';
import type { Command, Frame, Identity } from '../types.js';
import { commandDigest } from './command-text.js';
import { Gateway } from './gateway.js';

let dir: string;
let jwks: string;
const gateways: Gateway[] = [];
const agent: Identity = { subject: 'agent-1', groups: ['ai-agents'], issuer: DEV_ISSUER, method: 'jwt' };
const owner: Identity = { subject: 'olga', groups: ['payments-owners'], issuer: DEV_ISSUER, method: 'jwt' };
const post: Command = {
  kind: 'http',
  method: 'POST',
  target: '/v1/payments/42/refund',
  headers: { 'content-type': 'application/json' },
  body: new TextEncoder().encode('{"amount":10}'),
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-review-'));
  jwks = (await generateDevKeys(join(dir, 'keys'))).jwks;
});

afterAll(async () => {
  await Promise.allSettled(gateways.map((g) => g.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function gateway(approvals: ApprovalService, timeout = '5s', minApprovals = 1): Promise<Gateway> {
  const yaml = `version: 1
identity:
  issuers: [{ issuer: ${DEV_ISSUER}, audience: ${DEV_AUDIENCE}, jwks_file: ${jwks} }]
store: { url: "file:${join(dir, `sessions-${gateways.length}`)}" }
connections:
  - { name: api, protocol: http, listen: "127.0.0.1:0", upstream: { url: "http://127.0.0.1:9" }, policy: api }
policies:
  api:
    allow_groups: [ai-agents]
    default: allow
    rules:
      - name: writes-reviewed
        when: { http: { methods: [POST] } }
        action: review
        approvers: [payments-owners]
        timeout: ${timeout}
        min_approvals: ${minApprovals}
`;
  const parsed = parseConfig(yaml, { file: join(dir, 'p.yaml'), env: {} });
  if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
  const g = await Gateway.create(parsed.config, { approvals, analyzers: { sql: false, shell: false } });
  gateways.push(g);
  return g;
}

const open = (g: Gateway) =>
  g.open({ connection: 'api', identity: agent, client: { address: '127.0.0.1', port: 1 } });

async function frames(g: Gateway, id: string): Promise<{ kind: string; data: Record<string, unknown> }[]> {
  await g.store.flush();
  const all: Frame[] = await g.store.readFrames(id);
  return all.map((f) => ({ kind: f.kind, data: f.enc === 'b64' ? {} : JSON.parse(f.data) }));
}

describe('review through the gateway session', () => {
  it('records requested (with the digest) and approved-by-whom-with-reason, and allows', async () => {
    const approvals = new LocalApprovals();
    const g = await gateway(approvals);
    const s = await open(g);
    const d = await s.judge(post, {
      onPending: (a) =>
        void approvals.resolve(a.id, owner, 'approve', 'refund ok', { digest: commandDigest(post) }),
    });
    expect(d).toMatchObject({ action: 'allow', reason: 'approved by olga: refund ok' });
    await s.close();
    const fs = await frames(g, s.id);
    const steps = fs.filter((f) => f.kind === 'approval').map((f) => f.data);
    expect(steps[0]).toMatchObject({
      step: 'requested',
      digest: commandDigest(post),
      approvers: ['payments-owners'],
    });
    expect(steps[1]).toMatchObject({ step: 'approved', votes: [{ by: 'olga', reason: 'refund ok' }] });
    expect(fs.map((f) => f.kind)).toEqual([
      'open',
      'auth',
      'request',
      'decision',
      'approval',
      'approval',
      'decision',
      'close',
    ]);
  });

  it('with min_approvals 2, the first vote is its own recorded step', async () => {
    const approvals = new LocalApprovals();
    const g = await gateway(approvals, '5s', 2);
    const s = await open(g);
    const oscar: Identity = { ...owner, subject: 'oscar' };
    const d = await s.judge(post, {
      onPending: (a) => {
        void approvals
          .resolve(a.id, owner, 'approve', 'one')
          .then(() => approvals.resolve(a.id, oscar, 'approve', 'two'));
      },
    });
    expect(d).toMatchObject({ action: 'allow', reason: 'approved by olga, oscar: two' });
    await s.close();
    const steps = (await frames(g, s.id)).filter((f) => f.kind === 'approval').map((f) => f.data);
    expect(steps).toMatchObject([
      { step: 'requested', min_approvals: 2 },
      { step: 'vote', by: 'olga', verdict: 'approve', reason: 'one', approvals: 1, min_approvals: 2 },
      { step: 'approved', votes: [{ by: 'olga' }, { by: 'oscar' }] },
    ]);
  });

  it('a vote cast for another command digest is refused', async () => {
    const approvals = new LocalApprovals();
    const g = await gateway(approvals, '1s');
    const s = await open(g);
    let refused = '';
    const d = await s.judge(post, {
      onPending: (a) =>
        void approvals
          .resolve(a.id, owner, 'approve', undefined, { digest: 'f'.repeat(64) })
          .catch((e: Error) => {
            refused = e.message;
          }),
    });
    expect(refused).toMatch(/different command/);
    expect(d.action).toBe('deny');
    expect(d.reason).toMatch(/expired/);
    await s.close();
  });

  it('closing the session while it waits cancels the approval, recorded before the close frame', async () => {
    const approvals = new LocalApprovals();
    const g = await gateway(approvals, '30s');
    const s = await open(g);
    let id = '';
    const pending = s.judge(post, { onPending: (a) => void (id = a.id) });
    await expect.poll(() => id).not.toBe('');
    const t0 = Date.now();
    await s.close('client disconnected');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await pending).toMatchObject({ action: 'deny', reason: `approval ${id} cancelled` });
    expect((await approvals.get(id))?.status).toBe('cancelled');
    const kinds = (await frames(g, s.id)).map((f) => `${f.kind}${f.data.step ? `:${f.data.step}` : ''}`);
    expect(kinds.slice(-4)).toEqual(['approval:requested', 'approval:cancelled', 'decision', 'close']);
  });

  it('an approval store that cannot take the request denies, and says why', async () => {
    const broken: ApprovalService = {
      request: async () => {
        throw new Error('redis is down');
      },
      list: async () => [],
      get: async () => undefined,
      resolve: async () => {
        throw new Error('redis is down');
      },
      close: async () => {},
    };
    const g = await gateway(broken);
    const s = await open(g);
    const d = await s.judge(post);
    expect(d).toMatchObject({ action: 'deny', rules: ['writes-reviewed'] });
    expect(d.reason).toMatch(/approval could not be requested: redis is down/);
    await s.close();
  });
});

describe('a review no rule produced (default: review, on_parse_error: review)', () => {
  async function reviewingGateway(approvals: ApprovalService): Promise<Gateway> {
    const yaml = `version: 1
identity:
  issuers: [{ issuer: ${DEV_ISSUER}, audience: ${DEV_AUDIENCE}, jwks_file: ${jwks} }]
store: { url: "file:${join(dir, `sessions-${gateways.length}`)}" }
approvals: { default_timeout: 2m }
connections:
  - { name: api, protocol: http, listen: "127.0.0.1:0", upstream: { url: "http://127.0.0.1:9" }, policy: api }
policies:
  api:
    allow_groups: [ai-agents]
    default: review
    approvers: [payments-owners]
    rules:
      - { name: reads, when: { http: { methods: [GET] } }, action: allow }
`;
    const parsed = parseConfig(yaml, { file: join(dir, 'd.yaml'), env: {} });
    if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
    const g = await Gateway.create(parsed.config, { approvals, analyzers: { sql: false, shell: false } });
    gateways.push(g);
    return g;
  }

  it('waits for the policy approvers for approvals.default_timeout, and runs once one approves', async () => {
    const approvals = new LocalApprovals();
    const g = await reviewingGateway(approvals);
    const s = await open(g);
    let seen: { approvers: string[]; rule: string; ttl: number } | undefined;
    const d = await s.judge(post, {
      onPending: (p) => {
        void approvals.get(p.id).then((a) => {
          seen = { approvers: a!.approvers, rule: a!.rule, ttl: a!.expiresAt - a!.createdAt };
          void approvals.resolve(p.id, owner, 'approve', 'fine');
        });
      },
    });
    expect(seen).toEqual({ approvers: ['payments-owners'], rule: 'default', ttl: 120_000 });
    expect(d).toMatchObject({ action: 'allow', rules: ['default'], reason: 'approved by olga: fine' });
    await s.close();
  });
});
