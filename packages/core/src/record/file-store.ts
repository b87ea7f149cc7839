// The file backend (`file:DIR`): `DIR/<id>.jsonl` holds the frames (one JSON object per line, appended by
// the one process that owns the session, fsync'd per batch), and `DIR/<id>.meta.json` holds the meta,
// replaced atomically (write + rename). The set of meta files is the index, so several gateway processes
// can share one directory without a shared file or a lock.
import { type FileHandle, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PortcullisError } from '../errors.js';
import type { Frame, SessionMeta } from '../types.js';
import type { StoredEntry } from './chain.js';
import { frameJson, normalizeMeta, parseStoredFrame } from './meta-fields.js';
import { matches } from './redis-store.js';
import type { Backend, SessionFilter, WriteOp } from './store.js';
import { SESSION_ID } from './store.js';

export interface FileBackendOptions {
  dir: string;
  retentionMs: number;
  maxFrames: number;
  log: (msg: string) => void;
}

const META = '.meta.json';

export class FileBackend implements Backend {
  readonly describe: string;
  private readonly handles = new Map<string, FileHandle>();
  private readonly metas = new Map<string, SessionMeta>();
  private readonly lastSeq = new Map<string, number>();
  private ok = true;
  private tmpN = 0;
  progressAt = 0;

  constructor(private readonly o: FileBackendOptions) {
    this.describe = `file:${o.dir}`;
  }

  async init(): Promise<void> {
    await mkdir(this.o.dir, { recursive: true, mode: 0o750 });
  }

  available(): boolean {
    return this.ok;
  }

  framesPath(id: string): string {
    return join(this.o.dir, `${checkId(id)}.jsonl`);
  }
  metaPath(id: string): string {
    return join(this.o.dir, `${checkId(id)}${META}`);
  }

  async write(ops: WriteOp[]): Promise<undefined> {
    try {
      await this.writeOps(ops);
      this.ok = true;
      return undefined;
    } catch (err) {
      this.ok = false;
      throw err;
    }
  }

  private async writeOps(ops: WriteOp[]): Promise<void> {
    const lines = new Map<string, string[]>();
    const metaChanged = new Set<string>();
    const ended: string[] = [];
    const last = new Map<string, number>();
    for (const op of ops) {
      const id = op.id;
      if (op.op === 'frame') {
        const f = op.frame;
        // Skip what an earlier try of this batch already wrote, and what the cap drops.
        if (f.seq <= (last.get(id) ?? this.lastSeq.get(id) ?? 0) || f.seq > this.o.maxFrames) continue;
        last.set(id, f.seq);
        let l = lines.get(id);
        if (!l) lines.set(id, (l = []));
        l.push(frameJson(f));
      } else {
        const cur = this.metas.get(id) ?? (op.phase === 'start' ? undefined : await this.readMeta(id));
        this.metas.set(id, { ...(cur ?? ({} as SessionMeta)), ...op.fields } as SessionMeta);
        metaChanged.add(id);
        if (op.phase === 'end') ended.push(id);
      }
    }
    // Sessions are appended and synced side by side: one after the other, a batch of 50 sessions took 100+
    // event-loop turns, which a busy gateway stretches to seconds.
    await Promise.all([...lines].map(([id, l]) => this.append(id, l, last.get(id)!)));
    await Promise.all(
      [...metaChanged].map((id) => this.writeMeta(id, this.metas.get(id)!).then(() => this.stepDone())),
    );
    for (const id of ended) {
      const fh = this.handles.get(id);
      this.handles.delete(id);
      this.metas.delete(id);
      this.lastSeq.delete(id);
      await fh?.close();
    }
  }

  private stepDone(): void {
    this.progressAt = Date.now();
  }

  /** One session's lines of this batch: appended, then synced. */
  private async append(id: string, l: string[], lastSeq: number): Promise<void> {
    let fh = this.handles.get(id);
    if (!fh) {
      fh = await open(this.framesPath(id), 'a+', 0o640);
      this.handles.set(id, fh);
      // A session this process did not start (a spool replayed after a crash): skip what is on disk.
      const onDisk = await lastSeqInFile(fh);
      if (onDisk > 0 && !this.lastSeq.has(id)) {
        this.lastSeq.set(id, onDisk);
        const keep = l.filter((line) => Number(JSON.parse(line).seq) > onDisk);
        l.splice(0, l.length, ...keep);
        if (l.length === 0) return;
      }
    }
    await fh.appendFile(`${l.join('\n')}\n`);
    this.lastSeq.set(id, lastSeq);
    this.stepDone();
    await fh.datasync();
    this.stepDone();
  }

  private async writeMeta(id: string, meta: SessionMeta): Promise<void> {
    const tmp = join(this.o.dir, `.${id}.${process.pid}.${this.tmpN++}.tmp`);
    const fh = await open(tmp, 'w', 0o640);
    try {
      await fh.writeFile(JSON.stringify(meta));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.metaPath(id));
  }

  private async readMeta(id: string): Promise<SessionMeta | undefined> {
    let text: string;
    try {
      text = await readFile(this.metaPath(id), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return normalizeMeta(JSON.parse(text) as Record<string, unknown>);
    } catch {
      throw new PortcullisError('store', `session ${id}: meta file ${this.metaPath(id)} is not valid JSON`);
    }
  }

  async getSession(id: string): Promise<SessionMeta | undefined> {
    return this.readMeta(id);
  }

  async listSessions(filter: SessionFilter): Promise<SessionMeta[]> {
    let all: string[];
    try {
      all = await readdir(this.o.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new PortcullisError('store', `file store directory ${this.o.dir} does not exist`);
      }
      throw err;
    }
    const names = all.filter((n) => n.endsWith(META) && !n.startsWith('.'));
    const metas: SessionMeta[] = [];
    for (let i = 0; i < names.length; i += 64) {
      const chunk = names.slice(i, i + 64).map((n) => n.slice(0, -META.length));
      const got = await Promise.all(chunk.map((id) => this.readMeta(id).catch(() => undefined)));
      for (const m of got) if (m && matches(m, filter)) metas.push(m);
    }
    metas.sort((a, b) => b.started_at - a.started_at || (a.id < b.id ? 1 : -1));
    const offset = filter.offset ?? 0;
    return metas.slice(offset, offset + (filter.limit ?? 1000));
  }

  private async readAll(id: string): Promise<{ entries: StoredEntry[]; bytes: number }> {
    let buf: Buffer;
    try {
      buf = await readFile(this.framesPath(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], bytes: 0 };
      throw err;
    }
    const { entries, consumed } = parseLines(buf);
    return { entries, bytes: consumed };
  }

  async readEntries(id: string, fromSeq: number, count: number): Promise<StoredEntry[]> {
    const { entries } = await this.readAll(id);
    const start = fromSeq <= 1 ? 0 : entries.findIndex((e) => 'seq' in e && (e.seq ?? 0) >= fromSeq);
    if (start < 0) return [];
    return entries.slice(start, start + count);
  }

  async *follow(id: string, fromSeq: number, signal?: AbortSignal): AsyncIterable<Frame> {
    checkId(id);
    let offset = 0;
    let carry = Buffer.alloc(0);
    for (;;) {
      if (signal?.aborted) return;
      let fh: FileHandle | undefined;
      let chunk = Buffer.alloc(0);
      try {
        fh = await open(this.framesPath(id), 'r');
        const { size } = await fh.stat();
        if (size > offset) {
          chunk = Buffer.alloc(size - offset);
          const { bytesRead } = await fh.read(chunk, 0, chunk.length, offset);
          chunk = chunk.subarray(0, bytesRead);
          offset += bytesRead;
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      } finally {
        await fh?.close();
      }
      const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const { entries, consumed } = parseLines(buf);
      carry = Buffer.from(buf.subarray(consumed));
      for (const e of entries) {
        if ('invalid' in e || e.seq < fromSeq) continue;
        yield e;
        if (e.kind === 'close') return;
      }
      if (entries.length === 0) {
        const meta = await this.readMeta(id).catch(() => undefined);
        if (meta && meta.status !== 'active' && chunk.length === 0) return;
        await sleep(100, signal);
      }
    }
  }

  async sweep(): Promise<void> {
    const cutoff = Date.now() - this.o.retentionMs;
    const names = await readdir(this.o.dir).catch(() => [] as string[]);
    for (const n of names) {
      if (!n.endsWith(META) || n.startsWith('.')) continue;
      const id = n.slice(0, -META.length);
      if (this.handles.has(id) || this.metas.has(id)) continue;
      const times = await Promise.all(
        [this.metaPath(id), this.framesPath(id)].map((p) =>
          stat(p).then(
            (s) => s.mtimeMs,
            () => 0,
          ),
        ),
      );
      if (Math.max(...times) >= cutoff) continue;
      // Frames first: a meta file without frames still lists the session; frames without meta would not.
      await unlink(this.framesPath(id)).catch(() => undefined);
      await unlink(this.metaPath(id)).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    for (const fh of this.handles.values()) await fh.close().catch(() => undefined);
    this.handles.clear();
  }
}

async function lastSeqInFile(fh: FileHandle): Promise<number> {
  const { size } = await fh.stat();
  if (size === 0) return 0;
  const len = Math.min(size, 1 << 20);
  const buf = Buffer.alloc(len);
  await fh.read(buf, 0, len, size - len);
  const lines = buf.toString('utf8').trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const seq = Number(JSON.parse(lines[i]).seq);
      if (Number.isInteger(seq)) return seq;
    } catch {
      // a torn line: look further back
    }
  }
  return 0;
}

function checkId(id: string): string {
  if (!SESSION_ID.test(id)) throw new PortcullisError('store', `invalid session id ${JSON.stringify(id)}`);
  return id;
}

/** Complete lines of a frames file → entries; `consumed` is where the last complete line ends. */
function parseLines(buf: Buffer): { entries: StoredEntry[]; consumed: number } {
  const entries: StoredEntry[] = [];
  let start = 0;
  for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
    const line = buf.toString('utf8', start, nl);
    start = nl + 1;
    if (line.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      entries.push({ invalid: `line ${entries.length + 1} is not JSON` });
      continue;
    }
    entries.push(
      obj && typeof obj === 'object'
        ? parseStoredFrame(obj as Record<string, unknown>)
        : { invalid: `line ${entries.length + 1} is not a frame` },
    );
  }
  return { entries, consumed: start };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
