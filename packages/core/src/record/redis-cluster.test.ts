// Recording and approvals on a real Redis Cluster (three masters started here): sessions land on every
// node by their `{id}` tag, read back whole and verified, a live tail follows one, and approvals made on
// one gateway are resolved from another.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisApprovals } from '../approvals/index.js';
import { parseConfig } from '../config/index.js';
import { DEV_ISSUER } from '../identity/index.js';
import { parseRedisUrl } from '../redis/index.js';
import type { Frame, Identity } from '../types.js';
import { openStore } from './open-store.js';
import { meta, PrivateRedisCluster, storeConfig, tempDir } from './testing/fixtures.js';

const dir = tempDir('cluster');
let cluster: PrivateRedisCluster;

beforeAll(async () => {
  cluster = await PrivateRedisCluster.start(dir.dir);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  dir.cleanup();
});

describe('redis-cluster:// store', () => {
  it('records 60 sessions across the nodes; each reads back whole, verifies, and is listed', async () => {
    const store = await openStore(storeConfig(cluster.url), { spoolDir: dir.dir, log: () => undefined });
    const metas = Array.from({ length: 60 }, () => meta());
    const recs = metas.map((m) => store.startSession(m));
    for (let i = 0; i < 200; i++) {
      for (const r of recs) r.record('output', { i, text: `line ${i}` });
      if (i % 20 === 0) await new Promise((res) => setImmediate(res));
    }
    await Promise.all(recs.map((r) => r.end('closed')));
    expect(await store.flush(30_000)).toBe(true);
    for (const m of metas) {
      const frames = await store.readFrames(m.id);
      expect(frames.length).toBe(201);
      expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: 201 }, (_, k) => k + 1));
      expect(await store.verify(m.id)).toEqual({ ok: true, frames: 201 });
    }
    const listed = await store.listSessions({});
    expect(listed.map((s) => s.id)).toEqual(expect.arrayContaining(metas.map((m) => m.id)));
    expect(listed.find((s) => s.id === metas[0].id)?.status).toBe('closed');
    // Spread over the cluster: every master holds some sessions' streams.
    for (const n of cluster.nodes) {
      const r = new Redis(n.url);
      const keys = await r.keys('*:frames');
      r.disconnect();
      expect(keys.length).toBeGreaterThan(0);
    }
    await store.close();
  }, 60_000);

  it('follows a live session on the cluster from its first frame to its close', async () => {
    const store = await openStore(storeConfig(cluster.url), { spoolDir: dir.dir, log: () => undefined });
    const m = meta();
    const rec = store.startSession(m);
    rec.record('command', { kind: 'shell', text: 'ls' });
    const seen: Frame[] = [];
    const following = (async () => {
      for await (const f of store.follow(m.id)) seen.push(f);
    })();
    await new Promise((res) => setTimeout(res, 200));
    rec.record('output', Buffer.from('a.txt\n'));
    await rec.end('closed');
    await following;
    expect(seen.map((f) => f.kind)).toEqual(['command', 'output', 'close']);
    await store.close();
  }, 30_000);

  it('a gateway config takes a redis-cluster:// store, and refuses a malformed one with the reason', () => {
    const base = (url: string) => `version: 1
identity:
  issuers: [{ issuer: ${DEV_ISSUER}, audience: portcullis, jwks_file: /dev/null }]
store: { url: "${url}" }
connections: []
policies: {}
`;
    const bad = parseConfig(base('redis-cluster://127.0.0.1:7000,127.0.0.1:notaport'), {
      file: 'p.yaml',
      env: {},
    });
    expect(bad.problems.map((p) => `${p.path}: ${p.message}`).join('\n')).toMatch(
      /store\.url: .*bad host "127.0.0.1:notaport"/,
    );
    const db = parseConfig(base('redis-cluster://127.0.0.1:7000/2'), { file: 'p.yaml', env: {} });
    expect(db.problems.map((p) => p.message).join('\n')).toMatch(/only database 0/);
    const good = parseConfig(base(cluster.url), { file: 'p.yaml', env: {} });
    expect(good.problems.filter((p) => p.path === 'store.url')).toEqual([]);
    expect(parseRedisUrl('rediss-cluster://u:p%40ss@a:7000,b:7001')).toMatchObject({
      cluster: true,
      tls: true,
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      username: 'u',
      password: 'p@ss',
    });
  });
});

describe('approvals on a cluster', () => {
  it('one replica waits, another lists and approves; a second vote after the decision is refused', async () => {
    const prefix = `pc-appr-${Date.now()}`;
    const a = new RedisApprovals({ url: cluster.url, prefix, recheckMs: 200 });
    const b = new RedisApprovals({ url: cluster.url, prefix, recheckMs: 200 });
    const approver: Identity = { subject: 'alice', groups: ['dba'], issuer: DEV_ISSUER, method: 'jwt' };
    const waiting = a.request({
      session: 's1',
      connection: 'db',
      subject: 'agent-1',
      groups: ['ai-agents'],
      command: 'DELETE FROM orders WHERE id = 1',
      digest: 'd'.repeat(64),
      rule: 'writes',
      reason: 'needs approval',
      approvers: ['dba'],
      minApprovals: 1,
      timeoutMs: 10_000,
    });
    let pending = await b.list({ status: 'pending' });
    for (let i = 0; i < 50 && pending.length === 0; i++) {
      await new Promise((res) => setTimeout(res, 50));
      pending = await b.list({ status: 'pending' });
    }
    expect(pending).toHaveLength(1);
    const resolved = await b.resolve(pending[0].id, approver, 'approve', 'ok');
    expect(resolved.status).toBe('approved');
    expect((await waiting).status).toBe('approved');
    await expect(b.resolve(pending[0].id, approver, 'deny')).rejects.toThrow();
    expect((await a.get(pending[0].id))?.status).toBe('approved');
    await a.close();
    await b.close();
  }, 30_000);
});
