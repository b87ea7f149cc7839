// The recorder alone (file store in a temp dir): numbering, timing, never throwing, ending.
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from './open-store.js';
import { meta, storeConfig, tempDir } from './testing/fixtures.js';

const tmp = tempDir('recorder');
afterAll(() => tmp.cleanup());

async function store() {
  return openStore(storeConfig(`file:${tmp.dir}/${Math.random().toString(36).slice(2)}`), {
    spoolDir: `${tmp.dir}/spool`,
    log: () => undefined,
  });
}

describe('recorder', () => {
  it('numbers frames from 1, times them from the session start, and never throws', async () => {
    const s = await store();
    const m = meta();
    const rec = s.startSession(m);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(rec.record('open', { a: 1 })).toBe(1);
    await new Promise((r) => setTimeout(r, 30));
    expect(rec.record('result', circular)).toBe(2);
    expect(rec.record('result', { n: 10n })).toBe(3);
    expect(rec.record('nonsense' as 'open', 'x')).toBe(4);
    expect(rec.record('output', new Uint8Array([1, 2, 3]).subarray(1))).toBe(5);
    expect(rec.record('result', undefined)).toBe(6);
    await rec.end('closed', 'client went away');
    expect(rec.record('output', Buffer.from('late'))).toBe(0);
    const frames = await s.readFrames(m.id);
    expect(frames.map((f) => f.kind)).toEqual([
      'open',
      'result',
      'result',
      'error',
      'output',
      'result',
      'close',
    ]);
    expect(frames[0].t).toBeLessThan(30);
    expect(frames[1].t).toBeGreaterThanOrEqual(25);
    for (let i = 1; i < frames.length; i++) expect(frames[i].t).toBeGreaterThanOrEqual(frames[i - 1].t);
    expect(JSON.parse(frames[1].data)).toMatchObject({ unserializable: expect.stringMatching(/circular/i) });
    expect(JSON.parse(frames[3].data)).toEqual({ message: 'unknown frame kind nonsense' });
    expect(Buffer.from(frames[4].data, 'base64')).toEqual(Buffer.from([2, 3]));
    expect(frames[5].data).toBe('null');
    expect(JSON.parse(frames[6].data)).toEqual({ status: 'closed', reason: 'client went away' });
    expect(await s.getSession(m.id)).toMatchObject({
      status: 'closed',
      reason: 'client went away',
      frames: 7,
    });
    expect(await s.verify(m.id)).toEqual({ ok: true, frames: 7 });
    await s.close();
  });

  it('does not add a second close frame, and end() is idempotent', async () => {
    const s = await store();
    const m = meta();
    const rec = s.startSession(m);
    rec.record('close', { reason: 'bye' });
    await Promise.all([rec.end(), rec.end()]);
    expect((await s.readFrames(m.id)).map((f) => f.kind)).toEqual(['close']);
    await s.close();
  });

  it('record() stays cheap and synchronous', async () => {
    const s = await store();
    const rec = s.startSession(meta());
    const payload = Buffer.alloc(1024, 1);
    const t = performance.now();
    for (let i = 0; i < 2000; i++) rec.record('output', payload);
    const perCall = ((performance.now() - t) / 2000) * 1000;
    expect(perCall).toBeLessThan(200); // µs; typically ~3 µs, generous for a loaded machine
    await rec.end();
    await s.close();
  });
});
