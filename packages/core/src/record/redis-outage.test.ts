// Redis killed mid-session and restarted on the same port (a private redis-server, never the shared one).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from './open-store.js';
import { freePort, meta, PrivateRedis, storeConfig, tempDir } from './testing/fixtures.js';

const data = tempDir('redis-data');
const spool = tempDir('outage-spool');
let server: PrivateRedis;

beforeAll(async () => {
  server = new PrivateRedis(await freePort(), data.dir);
  await server.start();
});

afterAll(async () => {
  await server.kill();
  data.cleanup();
  spool.cleanup();
});

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await tick(10);
  }
  return true;
}

function spoolBytes(): number {
  return readdirSync(spool.dir).reduce((n, f) => n + statSync(join(spool.dir, f)).size, 0);
}

describe('redis outage', () => {
  it('on_failure continue: spools while Redis is away and stores everything, in order, when it returns', async () => {
    const logs: string[] = [];
    const store = await openStore(storeConfig(server.url, { onFailure: 'continue', failureTimeoutMs: 300 }), {
      spoolDir: spool.dir,
      log: (m) => logs.push(m),
      memoryBytes: 32 * 1024, // tiny, so the outage goes through the disk spool
    });
    expect(store.healthy()).toBe(true);
    const m = meta({ protocol: 'ssh' });
    const rec = store.startSession(m);
    let failed = false;
    rec.failed.then(() => {
      failed = true;
    });
    let n = 0;
    const burst = async (count: number) => {
      for (let i = 0; i < count; i++) {
        rec.record('output', Buffer.from(`frame ${++n} ${'.'.repeat(200)}\n`));
        if (i % 20 === 0) await tick(2);
      }
    };
    await burst(300);
    // Killed while frames are in flight: a pipeline cut part-way is sent again, without duplicates.
    const during = burst(400);
    await tick(15);
    await server.kill();
    await during;
    expect(await until(() => !store.healthy(), 3000)).toBe(true);
    await burst(1500);
    expect(spoolBytes()).toBeGreaterThan(0);
    // A new session while the store is down still records (continue), into the spool.
    const other = store.startSession(meta());
    other.record('open', { during: 'outage' });
    await tick(500);
    await server.start();
    await burst(300);
    await rec.end();
    await other.end();
    expect(await store.flush(10_000)).toBe(true);
    expect(store.healthy()).toBe(true);
    expect(failed).toBe(false);

    const frames = await store.readFrames(m.id);
    expect(frames.length).toBe(n + 1);
    frames.slice(0, n).forEach((f, i) => {
      expect(f.seq).toBe(i + 1);
      expect(
        Buffer.from(f.data, 'base64')
          .toString()
          .startsWith(`frame ${i + 1} `),
      ).toBe(true);
    });
    expect(await store.verify(m.id)).toEqual({ ok: true, frames: n + 1 });
    expect(await store.verify(other.id)).toEqual({ ok: true, frames: 2 });
    expect((await store.getSession(m.id))?.status).toBe('closed');
    expect(logs.some((l) => /cannot take frames/.test(l))).toBe(true);
    expect(logs.some((l) => /spooled/.test(l))).toBe(true);
    await store.close();
  }, 60_000);

  it('on_failure close: the session is told to close, new sessions see an unhealthy store, frames still land later', async () => {
    const store = await openStore(storeConfig(server.url, { onFailure: 'close', failureTimeoutMs: 500 }), {
      spoolDir: spool.dir,
      log: () => undefined,
    });
    const m = meta();
    const rec = store.startSession(m);
    rec.record('open', {});
    await store.flush(2000);
    await server.kill();
    const killedAt = Date.now();
    rec.record('query', { kind: 'sql', text: 'select 1' });
    const reason = await Promise.race([rec.failed, tick(5000).then(() => 'timeout')]);
    const took = Date.now() - killedAt;
    expect(reason).toMatch(/could not store frames for 1s|could not store frames for 0s/);
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(3000);
    expect(store.healthy()).toBe(false);
    rec.record('error', { message: 'closing: recording store unavailable' });
    const ending = rec.end('closed', 'recording store unavailable');
    await server.start();
    await ending;
    expect(await store.flush(10_000)).toBe(true);
    expect(store.healthy()).toBe(true);
    const got = await store.getSession(m.id);
    expect(got).toMatchObject({ status: 'failed', frames: 4 });
    expect((await store.readFrames(m.id)).map((f) => f.kind)).toEqual(['open', 'query', 'error', 'close']);
    expect(await store.verify(m.id)).toEqual({ ok: true, frames: 4 });
    await store.close();
  }, 60_000);
});
