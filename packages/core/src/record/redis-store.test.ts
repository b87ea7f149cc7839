import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreConfig } from '../config/types.js';
import type { Frame } from '../types.js';
import { openStore } from './open-store.js';
import type { RecordStore } from './store.js';
import { dropPrefix, freePort, meta, REDIS_URL, storeConfig, tempDir } from './testing/fixtures.js';

const prefixes: string[] = [];
let redis: Redis;
const spool = tempDir('spool');

function cfg(over: Partial<StoreConfig> = {}): StoreConfig {
  const c = storeConfig(REDIS_URL, over);
  prefixes.push(c.keyPrefix);
  return c;
}

const quiet = { spoolDir: spool.dir, log: () => undefined };

beforeAll(() => {
  redis = new Redis(REDIS_URL, { protocol: 2 });
});

afterAll(async () => {
  for (const p of prefixes) await dropPrefix(p);
  redis.disconnect();
  spool.cleanup();
});

/** Rewrites a session's stream with `edit` applied to its entries (streams are append-only). */
async function rewriteStream(key: string, edit: (entries: [string, string[]][]) => [string, string[]][]) {
  const entries = (await redis.xrange(key, '-', '+')) as [string, string[]][];
  const next = edit(entries);
  await redis.del(key);
  for (const [id, fields] of next) await redis.xadd(key, id, ...fields);
}

function setField(fields: string[], name: string, value: string): string[] {
  const out = [...fields];
  out[out.indexOf(name) + 1] = value;
  return out;
}

/** Sessions record interleaved in small bursts, yielding to the event loop like real listeners do. */
async function concurrentSessions(sessions: number, perSession: number): Promise<void> {
  const c = cfg();
  const store = await openStore(c, quiet);
  const metas = Array.from({ length: sessions }, () => meta());
  const recs = metas.map((m) => store.startSession(m));
  for (let i = 0; i < perSession; i += 50) {
    for (const r of recs) for (let j = i; j < i + 50; j++) r.record('output', { i: j, pad: 'x'.repeat(40) });
    await new Promise((res) => setImmediate(res));
  }
  await Promise.all(recs.map((r) => r.end()));
  expect(await store.flush(60_000)).toBe(true);
  for (const m of metas) {
    const frames = await store.readFrames(m.id);
    expect(frames.length).toBe(perSession + 1);
    for (let k = 0; k < perSession; k++) {
      if (frames[k].seq !== k + 1 || JSON.parse(frames[k].data).i !== k) {
        throw new Error(`session ${m.id}: frame ${k} out of place`);
      }
    }
    expect(await store.verify(m.id)).toEqual({ ok: true, frames: perSession + 1 });
  }
  await store.close();
  await dropPrefix(c.keyPrefix);
}

describe.skipIf(process.env.PORTCULLIS_SOAK !== '1')('soak', () => {
  it('keeps order and completeness for 200 concurrent sessions × 10,000 frames', async () => {
    await concurrentSessions(200, 10_000);
  }, 900_000);
});

describe('redis store', () => {
  it('stores meta, index and frames under the spec keys, and reads them back', async () => {
    const c = cfg();
    const store = await openStore(c, quiet);
    const m = meta({ protocol: 'ssh', connection: 'build-vm' });
    const rec = store.startSession(m);
    expect(rec.record('open', { protocol: 'ssh', connection: 'build-vm', client: m.client })).toBe(1);
    rec.record('output', Buffer.from([0, 1, 2, 255, 10]));
    rec.record('command', { kind: 'shell', text: 'ls -la' });
    rec.record('decision', { action: 'allow', rules: ['default'], reason: 'no rule matched' });
    await rec.end('closed');

    expect(await redis.type(`${c.keyPrefix}:{${m.id}}:meta`)).toBe('hash');
    expect(await redis.type(`${c.keyPrefix}:{${m.id}}:frames`)).toBe('stream');
    expect(Number(await redis.zscore(`${c.keyPrefix}:sessions`, m.id))).toBe(m.started_at);
    const h = await redis.hgetall(`${c.keyPrefix}:{${m.id}}:meta`);
    expect(h).toMatchObject({
      id: m.id,
      connection: 'build-vm',
      protocol: 'ssh',
      subject: 'agent-1',
      status: 'closed',
    });
    expect(JSON.parse(h.groups)).toEqual(['ai-agents']);

    const got = await store.getSession(m.id);
    expect(got).toMatchObject({
      id: m.id,
      status: 'closed',
      frames: 5,
      groups: ['ai-agents'],
      started_at: m.started_at,
    });
    expect(got?.ended_at).toBeGreaterThanOrEqual(m.started_at);

    const frames = await store.readFrames(m.id);
    expect(frames.map((f) => f.kind)).toEqual(['open', 'output', 'command', 'decision', 'close']);
    expect(frames.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(frames[1].enc).toBe('b64');
    expect(Buffer.from(frames[1].data, 'base64')).toEqual(Buffer.from([0, 1, 2, 255, 10]));
    expect(JSON.parse(frames[2].data)).toEqual({ kind: 'shell', text: 'ls -la' });
    expect(await store.readFrames(m.id, { fromSeq: 3, count: 2 })).toEqual(frames.slice(2, 4));
    expect(await store.verify(m.id)).toEqual({ ok: true, frames: 5 });
    await store.close();
  });

  it('stores frames byte for byte whatever their text: multi-byte UTF-8, NUL, separators, 1 MiB', async () => {
    // Frames travel to Redis packed into one argument per batch: the packing must not care what the data holds.
    const c = cfg();
    const store = await openStore(c, quiet);
    const m = meta();
    const rec = store.startSession(m);
    const texts = [
      'naïve café — 東京 🚀 \u0000 nul inside',
      '1\u00002\u00003 json kind enc \u0000\u0000',
      '',
      'x'.repeat(1 << 20),
      '\r\n$6\r\nfoobar\r\n*3\r\n',
    ];
    for (const text of texts) rec.record('command', { kind: 'shell', text });
    rec.record('output', Buffer.from('\u0000€\u0000', 'utf8'));
    await rec.end('closed');
    const frames = await store.readFrames(m.id);
    expect(frames.map((f) => f.kind)).toEqual([
      'command',
      'command',
      'command',
      'command',
      'command',
      'output',
      'close',
    ]);
    expect(frames.slice(0, 5).map((f) => JSON.parse(f.data).text)).toEqual(texts);
    expect(Buffer.from(frames[5].data, 'base64').toString('utf8')).toBe('\u0000€\u0000');
    expect(await store.verify(m.id)).toEqual({ ok: true, frames: 7 });
    await store.close();
  });
  it('keeps order and completeness for 200 concurrent sessions × 1,000 frames', async () => {
    await concurrentSessions(200, 1000);
  }, 120_000);

  describe('verify detects tampering', () => {
    let store: RecordStore;
    let c: StoreConfig;
    beforeAll(async () => {
      c = cfg();
      store = await openStore(c, quiet);
    });
    afterAll(() => store.close());

    async function recorded(n = 10): Promise<{ id: string; key: string }> {
      const m = meta();
      const rec = store.startSession(m);
      for (let i = 1; i < n; i++) rec.record('query', { kind: 'sql', text: `select ${i}` });
      await rec.end();
      return { id: m.id, key: `${c.keyPrefix}:{${m.id}}:frames` };
    }

    it('an edited frame is reported as altered at its seq', async () => {
      const { id, key } = await recorded();
      await rewriteStream(key, (es) =>
        es.map(([eid, f]) => [
          eid,
          f[1] === '4' ? setField(f, 'data', '{"kind":"sql","text":"select 1"}') : f,
        ]),
      );
      expect(await store.verify(id)).toMatchObject({ ok: false, seq: 4, problem: 'altered' });
    });

    it('a deleted frame is reported as missing', async () => {
      const { id, key } = await recorded();
      await redis.xdel(key, '0-6');
      expect(await store.verify(id)).toMatchObject({ ok: false, seq: 6, problem: 'missing' });
    });

    it('a deleted last frame is reported as missing (the end count is in the meta)', async () => {
      const { id, key } = await recorded();
      await redis.xdel(key, '0-10');
      expect(await store.verify(id)).toMatchObject({ ok: false, seq: 10, problem: 'missing' });
    });

    it('two swapped frames are reported as reordered', async () => {
      const { id, key } = await recorded();
      await rewriteStream(key, (es) => {
        const out = [...es];
        [out[4], out[5]] = [
          [es[4][0], es[5][1]],
          [es[5][0], es[4][1]],
        ];
        return out;
      });
      expect(await store.verify(id)).toMatchObject({ ok: false, seq: 5, problem: 'reordered' });
    });

    it('an edited frame with a recomputed hash still breaks the chain at the next frame', async () => {
      const { id, key } = await recorded();
      const { frameHash } = await import('./chain.js');
      const frames = await store.readFrames(id);
      const f3 = { ...frames[2], data: '{"kind":"sql","text":"drop table x"}' };
      const forged = frameHash(frames[1].hash, f3);
      await rewriteStream(key, (es) =>
        es.map(([eid, f]) => [
          eid,
          f[1] === '3' ? setField(setField(f, 'data', f3.data), 'hash', forged) : f,
        ]),
      );
      expect(await store.verify(id)).toMatchObject({ ok: false, seq: 4, problem: 'altered' });
    });
  });

  it('applies retention: PEXPIRE on both keys, expiry, and the index trimmed', async () => {
    const c = cfg({ retentionMs: 1500 });
    const store = await openStore(c, quiet);
    const m = meta({ started_at: Date.now() });
    const rec = store.startSession(m);
    rec.record('open', {});
    await rec.end();
    const metaKey = `${c.keyPrefix}:{${m.id}}:meta`;
    const framesKey = `${c.keyPrefix}:{${m.id}}:frames`;
    for (const k of [metaKey, framesKey]) {
      const ttl = await redis.pttl(k);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1500);
    }
    expect((await store.listSessions()).map((s) => s.id)).toEqual([m.id]);
    await new Promise((r) => setTimeout(r, 1700));
    expect(await redis.exists(metaKey, framesKey)).toBe(0);
    expect(await store.getSession(m.id)).toBeUndefined();
    expect(await store.listSessions()).toEqual([]);
    // An index entry older than retention is removed by the sweep when a store opens.
    await redis.zadd(`${c.keyPrefix}:sessions`, Date.now() - 10_000, 'old-session');
    const again = await openStore(c, quiet);
    expect(await redis.zscore(`${c.keyPrefix}:sessions`, 'old-session')).toBeNull();
    await again.close();
    await store.close();
  });

  it('caps a session with MAXLEN, marks it truncated, and verify says so', async () => {
    const c = cfg({ maxFramesPerSession: 100 });
    const store = await openStore(c, quiet);
    const m = meta();
    const rec = store.startSession(m);
    for (let i = 0; i < 999; i++) rec.record('output', { i });
    await rec.end();
    const len = await redis.xlen(`${c.keyPrefix}:{${m.id}}:frames`);
    expect(len).toBeGreaterThanOrEqual(100);
    expect(len).toBeLessThan(1000);
    expect((await store.getSession(m.id))?.truncated).toBe(true);
    const v = await store.verify(m.id);
    expect(v).toMatchObject({ ok: false, problem: 'truncated', seq: 1000 - len });
    await store.close();
  });

  it('a session whose keys the server refuses fails alone; the others keep recording', async () => {
    const c = cfg();
    const logs: string[] = [];
    const store = await openStore(c, { spoolDir: spool.dir, log: (m) => logs.push(m) });
    const bad = meta();
    await redis.set(`${c.keyPrefix}:{${bad.id}}:meta`, 'not a hash');
    const good = meta();
    const rb = store.startSession(bad);
    const rg = store.startSession(good);
    rb.record('open', {});
    rg.record('open', {});
    const reason = await Promise.race([rb.failed, new Promise((r) => setTimeout(() => r('timeout'), 3000))]);
    expect(reason).toMatch(/refused this session's frames: WRONGTYPE/);
    rg.record('query', { kind: 'sql', text: 'select 1' });
    await rg.end();
    expect(await store.flush(3000)).toBe(true);
    expect(store.healthy()).toBe(true);
    expect(await store.verify(good.id)).toEqual({ ok: true, frames: 3 });
    expect(logs.filter((l) => l.includes(`refused session ${bad.id}`)).length).toBe(1);
    expect(() => store.startSession({ ...bad })).toThrow(/already being recorded/);
    await store.close();
  });

  it('lists sessions newest first with filters', async () => {
    const c = cfg();
    const store = await openStore(c, quiet);
    const t = Date.now();
    const a = meta({ started_at: t - 3000, connection: 'orders-db', subject: 'agent-1' });
    const b = meta({ started_at: t - 2000, connection: 'build-vm', protocol: 'ssh', subject: 'agent-2' });
    const d = meta({ started_at: t - 1000, connection: 'orders-db', subject: 'agent-2' });
    for (const m of [a, b, d]) store.startSession(m).record('open', {});
    await store.startSession(meta({ started_at: t - 500 })).end('failed');
    await store.flush();
    const ids = (f = {}) => store.listSessions(f).then((l) => l.map((s) => s.id));
    expect((await ids()).slice(1)).toEqual([d.id, b.id, a.id]);
    expect(await ids({ connection: 'orders-db', status: 'active' })).toEqual([d.id, a.id]);
    expect(await ids({ subject: 'agent-2' })).toEqual([d.id, b.id]);
    expect(await ids({ protocol: 'ssh' })).toEqual([b.id]);
    expect(await ids({ since: t - 1500, status: 'active' })).toEqual([d.id]);
    expect(await ids({ status: 'active', limit: 1, offset: 1 })).toEqual([b.id]);
    await store.close();
  });

  it('follows a live session from the beginning and stops at its close', async () => {
    const c = cfg();
    const store = await openStore(c, quiet);
    const m = meta();
    const rec = store.startSession(m);
    rec.record('open', { n: 0 });
    await store.flush();
    const seen: Frame[] = [];
    const following = (async () => {
      for await (const f of store.follow(m.id)) seen.push(f);
    })();
    for (let i = 1; i <= 20; i++) {
      rec.record('output', Buffer.from(`line ${i}\n`));
      await new Promise((r) => setTimeout(r, 5));
    }
    await rec.end();
    await following;
    expect(seen.map((f) => f.seq)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(seen.at(-1)?.kind).toBe('close');
    // A late viewer sees everything too.
    const late: number[] = [];
    for await (const f of store.follow(m.id)) late.push(f.seq);
    expect(late.length).toBe(22);
    await store.close();
  });

  it('is unhealthy when Redis cannot be reached, and says why on reads', async () => {
    const port = await freePort();
    const c = cfg();
    const store = await openStore({ ...c, url: `redis://127.0.0.1:${port}/0` }, quiet);
    expect(store.healthy()).toBe(false);
    await expect(store.listSessions()).rejects.toThrow(/not reachable/);
    await store.close();
  });
});
