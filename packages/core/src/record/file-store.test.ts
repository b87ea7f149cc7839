import { execFile } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreConfig } from '../config/types.js';
import type { Frame } from '../types.js';
import { openStore } from './open-store.js';
import type { RecordStore } from './store.js';
import { bundle, removeBundles } from './testing/bundle.js';
import { meta, storeConfig, tempDir } from './testing/fixtures.js';

const run = promisify(execFile);
const tmp = tempDir('file-store');
const spool = tempDir('file-spool');
afterAll(removeBundles);
afterAll(() => {
  tmp.cleanup();
  spool.cleanup();
});

let n = 0;
function cfg(over: Partial<StoreConfig> = {}): { c: StoreConfig; dir: string } {
  const dir = join(tmp.dir, `d${n++}`);
  return { c: storeConfig(`file:${dir}`, over), dir };
}
const quiet = { spoolDir: spool.dir, log: () => undefined };

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n');
}

describe('file store', () => {
  it('writes DIR/<id>.jsonl and DIR/<id>.meta.json and reads them back', async () => {
    const { c, dir } = cfg();
    const store = await openStore(c, quiet);
    const m = meta({ protocol: 'http', connection: 'payments-api' });
    const rec = store.startSession(m);
    rec.record('request', { kind: 'http', method: 'GET', target: '/v1/x' });
    rec.record('output', new Uint8Array([104, 105]));
    await rec.end();
    const file = lines(join(dir, `${m.id}.jsonl`)).map((l) => JSON.parse(l));
    expect(file.map((f) => [f.seq, f.kind, f.enc])).toEqual([
      [1, 'request', 'json'],
      [2, 'output', 'b64'],
      [3, 'close', 'json'],
    ]);
    const onDisk = JSON.parse(readFileSync(join(dir, `${m.id}.meta.json`), 'utf8'));
    expect(onDisk).toMatchObject({ id: m.id, connection: 'payments-api', status: 'closed', frames: 3 });
    expect(await store.getSession(m.id)).toMatchObject({ id: m.id, protocol: 'http', groups: ['ai-agents'] });
    expect((await store.readFrames(m.id)).map((f) => f.kind)).toEqual(['request', 'output', 'close']);
    expect(await store.verify(m.id)).toEqual({ ok: true, frames: 3 });
    expect((await store.listSessions({ protocol: 'http' })).map((s) => s.id)).toEqual([m.id]);
    await store.close();
  });

  it('refuses session ids that are not plain names', async () => {
    const { c } = cfg();
    const store = await openStore(c, quiet);
    expect(() => store.startSession(meta({ id: '../etc/passwd' }))).toThrow(/invalid session id/);
    await expect(store.getSession('../../x')).rejects.toThrow(/invalid session id/);
    await store.close();
  });

  describe('verify detects tampering', () => {
    let store: RecordStore;
    let dir: string;
    beforeAll(async () => {
      const x = cfg();
      dir = x.dir;
      store = await openStore(x.c, quiet);
    });
    afterAll(() => store.close());

    async function recorded(): Promise<{ id: string; path: string; ls: string[] }> {
      const m = meta();
      const rec = store.startSession(m);
      for (let i = 1; i < 10; i++) rec.record('command', { kind: 'shell', text: `echo ${i}` });
      await rec.end();
      const path = join(dir, `${m.id}.jsonl`);
      return { id: m.id, path, ls: lines(path) };
    }
    const save = (path: string, ls: string[]) => writeFileSync(path, `${ls.join('\n')}\n`);

    it('edited data → altered', async () => {
      const { id, path, ls } = await recorded();
      const f = JSON.parse(ls[3]) as Frame;
      ls[3] = JSON.stringify({ ...f, data: JSON.stringify({ kind: 'shell', text: 'rm -rf /' }) });
      save(path, ls);
      expect(await store.verify(id)).toMatchObject({ ok: false, seq: 4, problem: 'altered' });
    });
    it('deleted line → missing', async () => {
      const { id, path, ls } = await recorded();
      ls.splice(6, 1);
      save(path, ls);
      expect(await store.verify(id)).toMatchObject({ ok: false, seq: 7, problem: 'missing' });
    });
    it('swapped lines → reordered', async () => {
      const { id, path, ls } = await recorded();
      [ls[2], ls[3]] = [ls[3], ls[2]];
      save(path, ls);
      expect(await store.verify(id)).toMatchObject({ ok: false, seq: 3, problem: 'reordered' });
    });
    it('a line that is not a frame → altered', async () => {
      const { id, path, ls } = await recorded();
      ls[1] = '{"seq":2,"kind":"output"';
      save(path, ls);
      expect(await store.verify(id)).toMatchObject({ ok: false, seq: 2, problem: 'altered' });
    });
    it('cut tail → missing', async () => {
      const { id, path, ls } = await recorded();
      save(path, ls.slice(0, 8));
      expect(await store.verify(id)).toMatchObject({ ok: false, seq: 9, problem: 'missing' });
    });
  });

  it('caps frames per session and marks the session truncated', async () => {
    const { c } = cfg({ maxFramesPerSession: 50 });
    const store = await openStore(c, quiet);
    const m = meta();
    const rec = store.startSession(m);
    for (let i = 0; i < 200; i++) rec.record('output', { i });
    await rec.end();
    expect((await store.readFrames(m.id)).length).toBe(50);
    expect((await store.getSession(m.id))?.truncated).toBe(true);
    expect(await store.verify(m.id)).toMatchObject({ ok: false, problem: 'truncated', seq: 51 });
    await store.close();
  });

  it('removes sessions older than retention when a store opens', async () => {
    const { c, dir } = cfg({ retentionMs: 60_000 });
    const store = await openStore(c, quiet);
    const old = meta();
    const fresh = meta();
    for (const m of [old, fresh]) {
      const r = store.startSession(m);
      r.record('open', {});
      await r.end();
    }
    await store.close();
    const past = new Date(Date.now() - 120_000);
    for (const f of [`${old.id}.jsonl`, `${old.id}.meta.json`]) utimesSync(join(dir, f), past, past);
    const again = await openStore(c, quiet);
    expect(existsSync(join(dir, `${old.id}.jsonl`))).toBe(false);
    expect(existsSync(join(dir, `${old.id}.meta.json`))).toBe(false);
    expect((await again.listSessions()).map((s) => s.id)).toEqual([fresh.id]);
    await again.close();
  });

  it('follows a live session from the beginning until it closes', async () => {
    const { c } = cfg();
    const store = await openStore(c, quiet);
    const m = meta();
    const rec = store.startSession(m);
    rec.record('open', {});
    await store.flush();
    const seen: number[] = [];
    const following = (async () => {
      for await (const f of store.follow(m.id)) seen.push(f.seq);
    })();
    for (let i = 0; i < 10; i++) {
      rec.record('output', Buffer.from(`${i}\n`));
      await new Promise((r) => setTimeout(r, 20));
    }
    await rec.end();
    await following;
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    await store.close();
  });

  it('when the directory cannot be written: sessions are told to close, frames wait, then land in order', async () => {
    const { c, dir } = cfg({ onFailure: 'close', failureTimeoutMs: 400 });
    const store = await openStore(c, quiet);
    expect(store.healthy()).toBe(true);
    // The directory disappears under the gateway (unmounted volume): a plain file is in its place.
    renameSync(dir, `${dir}.away`);
    writeFileSync(dir, 'not a directory');
    const m = meta();
    const rec = store.startSession(m);
    for (let i = 0; i < 20; i++) rec.record('output', Buffer.from(`line ${i}\n`));
    const reason = await Promise.race([rec.failed, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
    expect(reason).toMatch(/could not store frames for 0s|could not store frames for 1s/);
    expect(reason).toMatch(/ENOTDIR/);
    expect(store.healthy()).toBe(false);
    rmSync(dir);
    renameSync(`${dir}.away`, dir);
    await rec.end('closed', 'recording store unavailable');
    expect(await store.flush(5000)).toBe(true);
    expect(store.healthy()).toBe(true);
    const frames = await store.readFrames(m.id);
    expect(frames.length).toBe(21);
    expect(Buffer.from(frames[19].data, 'base64').toString()).toBe('line 19\n');
    expect(await store.getSession(m.id)).toMatchObject({ status: 'failed', frames: 21 });
    expect(await store.verify(m.id)).toEqual({ ok: true, frames: 21 });
    await store.close();
  });

  it('is safe when two gateway processes share the directory', async () => {
    const { c, dir } = cfg();
    const child = await bundle(
      fileURLToPath(new URL('./testing/file-writer-child.ts', import.meta.url)),
      'file-child',
    );
    const store = await openStore(c, quiet);
    // A third writer in this process at the same time.
    const mine = store.startSession(meta({ connection: 'parent' }));
    const children = ['a', 'b'].map((tag) => run(process.execPath, [child, dir, tag, '20', '300']));
    for (let i = 0; i < 300; i++) {
      mine.record('output', Buffer.from(`parent ${i}\n`));
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await mine.end();
    await Promise.all(children);
    const all = await store.listSessions();
    expect(all.length).toBe(41);
    expect(all.filter((s) => s.connection === 'a').length).toBe(20);
    expect(all.filter((s) => s.connection === 'b').length).toBe(20);
    for (const s of all) {
      expect(s.status).toBe('closed');
      expect(await store.verify(s.id)).toEqual({ ok: true, frames: 301 });
    }
    const frames = await store.readFrames('b-7');
    expect(Buffer.from(frames[299].data, 'base64').toString()).toBe('b frame 299\n');
    await store.close();
  }, 60_000);
});

describe('file store under sustained load', () => {
  // A gateway busy masking 1 MiB responses records ~100 KiB result frames from many sessions: the store
  // is slower than the producer at times and spools, but it is moving, so no session may be closed.
  it('50 sessions of large frames from a busy event loop: no session fails, every frame stored in order', async () => {
    const { c } = cfg({ onFailure: 'close', failureTimeoutMs: 1500 });
    const logs: string[] = [];
    const store = await openStore(c, { spoolDir: spool.dir, log: (m) => logs.push(m), memoryBytes: 4 << 20 });
    const row = '{"id":1,"email":"[redacted:email]","note":"a \\"quoted\\" line\\n"},';
    const preview = `[${row.repeat(Math.ceil((48 * 1024) / row.length))}]`;
    const metas = Array.from({ length: 50 }, () => meta({ protocol: 'http' }));
    const recs = metas.map((m) => store.startSession(m));
    const failures: string[] = [];
    for (const r of recs) r.failed.then((why) => failures.push(why));
    const sent = new Map<string, number>();
    const end = Date.now() + 4000;
    let i = 0;
    while (Date.now() < end) {
      // A few requests per event-loop turn, each with ~3 ms of other CPU work (masking, sockets).
      for (let k = 0; k < 4; k++) {
        const r = recs[i++ % recs.length];
        for (const until = performance.now() + 3; performance.now() < until; );
        r.record('request', { kind: 'http', method: 'GET', target: `/1m?n=${i}`, body_bytes: 0 });
        r.record('decision', { action: 'allow', rules: ['reads'], reason: 'matched', ms: 0.1 });
        r.record('result', { status: 200, bytes: 1 << 20, n: i, preview });
        sent.set(r.id, (sent.get(r.id) ?? 0) + 3);
      }
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(recs.map((r) => r.end()));
    expect(await store.flush(15_000)).toBe(true);
    expect(failures).toEqual([]);
    expect(store.healthy()).toBe(true);
    for (const m of metas) {
      const frames = await store.readFrames(m.id);
      expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: sent.get(m.id)! + 1 }, (_, k) => k + 1));
      expect(frames.at(-1)?.kind).toBe('close');
      const ns = frames.filter((f) => f.kind === 'result').map((f) => JSON.parse(f.data).n as number);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
      expect(await store.verify(m.id)).toEqual({ ok: true, frames: frames.length });
    }
    await store.close();
  }, 20_000);
});
