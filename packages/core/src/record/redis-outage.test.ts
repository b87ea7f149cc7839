// Redis killed mid-session and restarted on the same port (a private redis-server, never the shared one).
import { execFile, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from './open-store.js';
import { bundle, removeBundles } from './testing/bundle.js';
import { freePort, meta, PrivateRedis, randomPrefix, storeConfig, tempDir } from './testing/fixtures.js';

const data = tempDir('redis-data');
const spool = tempDir('outage-spool');
let server: PrivateRedis;

beforeAll(async () => {
  server = new PrivateRedis(await freePort(), data.dir);
  await server.start();
});

afterAll(removeBundles);
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
    expect(await until(() => store.healthy(), 3000)).toBe(true); // every connection back
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
    expect(await until(() => store.healthy(), 3000)).toBe(true); // every connection back
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
    expect(await until(() => store.healthy(), 3000)).toBe(true); // every connection back
    const got = await store.getSession(m.id);
    expect(got).toMatchObject({ status: 'failed', frames: 4 });
    expect((await store.readFrames(m.id)).map((f) => f.kind)).toEqual(['open', 'query', 'error', 'close']);
    expect(await store.verify(m.id)).toEqual({ ok: true, frames: 4 });
    await store.close();
  }, 60_000);

  it('a hung Redis (connections open, no replies) fails sessions after the bound and recovers', async () => {
    const store = await openStore(storeConfig(server.url, { onFailure: 'close', failureTimeoutMs: 600 }), {
      spoolDir: spool.dir,
      log: () => undefined,
    });
    const m = meta();
    const rec = store.startSession(m);
    rec.record('open', {});
    expect(await store.flush(5000)).toBe(true);
    server.pause(true);
    try {
      const hungAt = Date.now();
      rec.record('query', { kind: 'sql', text: 'select pg_sleep(0)' });
      const reason = await Promise.race([rec.failed, tick(5000).then(() => 'timeout')]);
      expect(reason).toMatch(/could not store frames/);
      expect(Date.now() - hungAt).toBeLessThan(3000);
      expect(store.healthy()).toBe(false);
    } finally {
      server.pause(false);
    }
    await rec.end('closed', 'recording store unavailable');
    expect(await store.flush(15_000)).toBe(true);
    expect(await until(() => store.healthy(), 3000)).toBe(true); // every connection back
    expect(await store.verify(m.id)).toEqual({ ok: true, frames: 3 });
    await store.close();
  }, 30_000);

  it('a store opened while Redis is down becomes healthy when it comes up, and re-sends lost meta', async () => {
    await server.kill();
    const store = await openStore(storeConfig(server.url), { spoolDir: spool.dir, log: () => undefined });
    expect(store.healthy()).toBe(false);
    await server.start();
    expect(await until(() => store.healthy(), 5000)).toBe(true);
    const m = meta();
    const rec = store.startSession(m);
    rec.record('open', {});
    expect(await store.flush(5000)).toBe(true);
    // The server loses everything (a restart without persistence): the running session's meta comes back
    // with its next frames, and verify tells the truth about the frames that were lost.
    const { Redis } = await import('ioredis');
    const admin = new Redis(server.url, { protocol: 2 });
    await admin.flushall();
    await admin.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    admin.disconnect();
    await tick(300);
    rec.record('query', { kind: 'sql', text: 'select 1' });
    await rec.end();
    expect(await store.flush(5000)).toBe(true);
    expect(await store.getSession(m.id)).toMatchObject({
      id: m.id,
      connection: 'orders-db',
      status: 'closed',
    });
    expect(await store.verify(m.id)).toMatchObject({ ok: false, seq: 1, problem: 'missing' });
    await store.close();
  }, 30_000);

  describe('a gateway that exits or dies with frames unstored', () => {
    const prefix = randomPrefix();
    const dir = tempDir('leftover-spool');
    afterAll(() => dir.cleanup());

    async function recover(id: string, frames: number): Promise<void> {
      await server.start();
      const store = await openStore(storeConfig(server.url, { keyPrefix: prefix }), {
        spoolDir: dir.dir,
        log: () => undefined,
      });
      expect(await store.flush(10_000)).toBe(true);
      const got = await store.readFrames(id);
      expect(got.length).toBeGreaterThanOrEqual(frames);
      got.slice(0, frames).forEach((f, i) => {
        expect(Buffer.from(f.data, 'base64').toString()).toBe(`child ${i + 1}\n`);
      });
      expect(await store.verify(id)).toEqual({ ok: true, frames: got.length });
      expect((await store.getSession(id))?.connection).toBe('child');
      await store.close();
      expect(readdirSync(dir.dir)).toEqual([]);
    }

    it('spools on close, and the next gateway stores it', async () => {
      const child = await bundle(
        fileURLToPath(new URL('./testing/spool-child.ts', import.meta.url)),
        'spool-child',
      );
      await server.kill();
      await promisify(execFile)(process.execPath, [
        child,
        server.url,
        prefix,
        dir.dir,
        'left-1',
        '500',
        'close',
      ]);
      expect(readdirSync(dir.dir).length).toBe(1);
      // A gateway of another store sharing the spool directory leaves it alone.
      const other = await openStore(storeConfig(server.url, { keyPrefix: `${prefix}-other` }), {
        spoolDir: dir.dir,
        log: () => undefined,
      });
      await other.close();
      expect(readdirSync(dir.dir).length).toBe(1);
      await server.kill();
      await recover('left-1', 500);
    }, 30_000);

    it('recovers the spool of a process killed during an outage', async () => {
      const child = await bundle(
        fileURLToPath(new URL('./testing/spool-child.ts', import.meta.url)),
        'spool-child',
      );
      await server.kill();
      const p = spawn(process.execPath, [child, server.url, prefix, dir.dir, 'left-2', '2000', 'kill'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => p.stdout.on('data', () => resolve()));
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
      // What was only in the dead process's memory is gone; what reached its spool is not.
      await server.start();
      const store = await openStore(storeConfig(server.url, { keyPrefix: prefix }), {
        spoolDir: dir.dir,
        log: () => undefined,
      });
      expect(await store.flush(10_000)).toBe(true);
      const got = await store.readFrames('left-2');
      expect(got.length).toBeGreaterThan(1000);
      got.forEach((f, i) => {
        expect(f.seq).toBe(i + 1);
      });
      expect(await store.verify('left-2')).toEqual({ ok: true, frames: got.length });
      await store.close();
    }, 30_000);
  });
});
