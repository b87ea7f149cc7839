// The approvals webhook against a real local HTTP server: it is told on create and on resolve, retries
// an error answer, and a slow or failing hook never holds the waiting command.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../telemetry/index.js';
import type { Identity } from '../types.js';
import { LocalApprovals } from './local-approvals.js';
import type { NewApproval } from './types.js';
import { WebhookNotifier, withWebhook } from './webhook.js';

interface Hook {
  url: string;
  bodies: { event: string; text: string; approval: { id: string; status: string } }[];
  hits: number;
  server: Server;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** `answer(n)` gives the status for the n-th request (0-based), or 'hang' to never answer. */
async function hook(answer: (n: number) => number | 'hang'): Promise<Hook> {
  const h: Hook = { url: '', bodies: [], hits: 0, server: createServer() };
  h.server.on('request', async (req: IncomingMessage, res) => {
    const n = h.hits++;
    let text = '';
    for await (const c of req) text += c;
    const a = answer(n);
    if (a === 'hang') return;
    if (a === 200) h.bodies.push(JSON.parse(text));
    res.writeHead(a).end();
  });
  await new Promise<void>((r) => h.server.listen(0, '127.0.0.1', r));
  servers.push(h.server);
  h.url = `http://127.0.0.1:${(h.server.address() as AddressInfo).port}/hook`;
  return h;
}

const warnings: string[] = [];
const log: Logger = {
  info: () => {},
  warn: (msg: string) => void warnings.push(msg),
  error: () => {},
} as unknown as Logger;

const req: NewApproval = {
  session: 's1',
  connection: 'orders-db',
  subject: 'agent-1',
  groups: ['ai-agents'],
  command: 'DELETE FROM orders WHERE id = 1',
  digest: 'd',
  rule: 'writes-reviewed',
  reason: 'r',
  approvers: ['dba'],
  minApprovals: 1,
  timeoutMs: 5000,
};
const dba: Identity = { subject: 'alice', groups: ['dba'], issuer: 't', method: 'jwt' };

describe('approvals webhook', () => {
  it('posts Slack-compatible JSON on create and on resolve', async () => {
    const h = await hook(() => 200);
    const svc = withWebhook(new LocalApprovals(), new WebhookNotifier({ url: h.url, log }));
    const final = await svc.request(req, { onPending: (a) => void svc.resolve(a.id, dba, 'approve', 'ok') });
    expect(final.status).toBe('approved');
    await expect.poll(() => h.bodies.length).toBe(2);
    const [created, resolved] = [...h.bodies].sort((a) => (a.event === 'created' ? -1 : 1));
    expect(created).toMatchObject({ event: 'created', approval: { id: final.id, status: 'pending' } });
    expect(created.text).toContain(`portcullis approvals approve ${final.id}`);
    expect(created.text).toContain('DELETE FROM orders WHERE id = 1');
    expect(resolved).toMatchObject({ event: 'resolved', approval: { id: final.id, status: 'approved' } });
    expect(resolved.text).toMatch(/\*approved\* by alice/);
  });

  it('retries an error answer, and expiry is told too', async () => {
    const h = await hook((n) => (n < 2 ? 500 : 200));
    const svc = withWebhook(new LocalApprovals(), new WebhookNotifier({ url: h.url, log, retries: 3 }));
    const final = await svc.request({ ...req, timeoutMs: 100 });
    expect(final.status).toBe('expired');
    await expect
      .poll(() => h.bodies.map((b) => b.event).sort(), { timeout: 3000 })
      .toEqual(['created', 'resolved']);
    expect(h.hits).toBe(4);
    expect(warnings.some((w) => /answered an error/.test(w))).toBe(true);
  });

  it('a hook that never answers, or always fails, does not hold the command', async () => {
    for (const answer of [() => 'hang' as const, () => 500]) {
      const h = await hook(answer);
      const svc = withWebhook(
        new LocalApprovals(),
        new WebhookNotifier({ url: h.url, log, timeoutMs: 3000, retries: 2 }),
      );
      const t0 = Date.now();
      const final = await svc.request(req, { onPending: (a) => void svc.resolve(a.id, dba, 'approve') });
      expect(final.status).toBe('approved');
      expect(Date.now() - t0).toBeLessThan(200);
      await expect.poll(() => h.hits).toBeGreaterThan(0);
    }
  });

  it('gives up after its retries when the hook is unreachable', async () => {
    const h = await hook(() => 200);
    const url = h.url;
    await new Promise((r) => h.server.close(r));
    servers.splice(servers.indexOf(h.server), 1);
    const failed: string[] = [];
    const own = { ...log, warn: (msg: string) => void failed.push(msg) } as unknown as Logger;
    const n = new WebhookNotifier({ url, log: own, retries: 1, timeoutMs: 500 });
    n.notify('created', { ...req, id: 'x', createdAt: 0, expiresAt: 1, status: 'pending', votes: [] });
    await expect.poll(() => failed).toEqual(['approval webhook failed', 'approval webhook failed']);
  });
});
