// A FIFO of write operations on local disk, used when the store is slow or away so memory stays bounded.
import { mkdirSync } from 'node:fs';
import { type FileHandle, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { frameJson } from './meta-fields.js';
import type { WriteOp } from './store.js';

export class Spool {
  private fh: FileHandle | undefined;
  private writeOff = 0;
  private readOff = 0;
  private count = 0;
  private peeked = { bytes: 0, count: 0 };
  readonly path: string;

  /** `tag` names the store the operations are for (a spool directory may be shared by several gateways). */
  constructor(
    dir: string,
    tag: string,
    existing?: { path: string; bytes: number; count: number; fh: FileHandle },
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (existing) {
      this.path = existing.path;
      this.writeOff = existing.bytes;
      this.count = existing.count;
      this.fh = existing.fh;
    } else {
      this.path = join(
        dir,
        `spool-${tag}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.jsonl`,
      );
    }
  }

  /**
   * Spool files left by processes that are gone (crash, kill during an outage): each is claimed by an
   * atomic rename, so when two gateways start at once only one of them replays it.
   */
  static async adoptLeftovers(dir: string, tag: string): Promise<Spool[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const out: Spool[] = [];
    for (const name of names.sort()) {
      const m = /^(?:spool|adopted)-([0-9a-f]+)-(\d+)-.*\.jsonl$/.exec(name);
      if (!m || m[1] !== tag || Number(m[2]) === process.pid || alive(Number(m[2]))) continue;
      const to = join(dir, `adopted-${tag}-${process.pid}-${Date.now().toString(36)}-${out.length}.jsonl`);
      try {
        await rename(join(dir, name), to);
      } catch {
        continue; // another process claimed it
      }
      const { size } = await stat(to);
      if (size === 0) {
        await unlink(to).catch(() => undefined);
        continue;
      }
      const fh = await open(to, 'r+');
      const buf = await fh.readFile();
      let count = 0;
      let end = 0;
      for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, nl + 1)) {
        count++;
        end = nl + 1;
      }
      // A torn last line (the process died mid-write) is dropped.
      if (end < buf.length) await fh.truncate(end);
      out.push(new Spool(dir, tag, { path: to, bytes: end, count, fh }));
    }
    return out;
  }

  get size(): number {
    return this.count;
  }

  private async handle(): Promise<FileHandle> {
    if (!this.fh) this.fh = await open(this.path, 'w+', 0o600);
    return this.fh;
  }

  async append(ops: WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    const fh = await this.handle();
    // Written in ~4 MiB pieces: one giant concatenated string is slow to flatten and encode.
    let lines: string[] = [];
    let size = 0;
    let n = 0;
    const flush = async () => {
      const buf = Buffer.from(lines.join(''));
      let done = 0;
      while (done < buf.length) {
        const { bytesWritten } = await fh.write(buf, done, buf.length - done, this.writeOff + done);
        done += bytesWritten;
      }
      this.writeOff += buf.length;
      this.count += n;
      lines = [];
      size = 0;
      n = 0;
    };
    for (const op of ops) {
      const line =
        op.op === 'frame'
          ? `{"op":"frame","id":${JSON.stringify(op.id)},"frame":${frameJson(op.frame)}}\n`
          : `${JSON.stringify(op)}\n`;
      lines.push(line);
      size += line.length;
      n++;
      if (size >= 4 << 20) await flush();
    }
    if (n > 0) await flush();
  }

  /**
   * Reads up to `max` of the oldest operations without removing them: they stay on disk until
   * `commit()` (called once the store has them), so a crash in between loses nothing.
   */
  async peek(max: number, maxBytes = Number.POSITIVE_INFINITY): Promise<WriteOp[]> {
    this.peeked = { bytes: 0, count: 0 };
    if (this.count === 0 || !this.fh) return [];
    const out: WriteOp[] = [];
    let off = this.readOff;
    let chunk = 4 << 20;
    while (out.length < max && off < this.writeOff && off - this.readOff < maxBytes) {
      const len = Math.min(chunk, this.writeOff - off);
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await this.fh.read(buf, 0, len, off);
      let start = 0;
      let nl = buf.indexOf(10, start);
      if (nl < 0 || nl >= bytesRead) {
        if (len === this.writeOff - off) break; // a torn last line: nothing more to read
        chunk *= 2; // one line longer than the chunk
        continue;
      }
      while (
        nl >= 0 &&
        nl < bytesRead &&
        out.length < max &&
        (out.length === 0 || off + start - this.readOff < maxBytes)
      ) {
        out.push(JSON.parse(buf.toString('utf8', start, nl)) as WriteOp);
        start = nl + 1;
        nl = buf.indexOf(10, start);
      }
      off += start;
    }
    if (out.length === 0) {
      // Nothing readable is left (a torn tail): forget it rather than spin on it.
      this.count = 0;
      this.readOff = this.writeOff;
    }
    this.peeked = { bytes: off - this.readOff, count: out.length };
    return out;
  }

  /** Drops what the last `peek()` returned. */
  async commit(): Promise<void> {
    this.readOff += this.peeked.bytes;
    this.count -= this.peeked.count;
    this.peeked = { bytes: 0, count: 0 };
    if (this.readOff >= this.writeOff && this.fh) {
      // Drained: start the file over so it does not grow forever.
      this.readOff = 0;
      this.writeOff = 0;
      this.count = 0;
      await this.fh.truncate(0);
    }
  }

  /** Rewrites the file without what was already stored, so a later replay starts at the right place. */
  async compact(): Promise<void> {
    if (!this.fh || this.readOff === 0) return;
    const rest = Buffer.alloc(this.writeOff - this.readOff);
    await this.fh.read(rest, 0, rest.length, this.readOff);
    await this.fh.write(rest, 0, rest.length, 0);
    await this.fh.truncate(rest.length);
    this.writeOff = rest.length;
    this.readOff = 0;
  }

  /** Closes and removes the file (a drained, adopted spool). */
  async remove(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
    await unlink(this.path).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.count > 0) await this.compact().catch(() => undefined);
    const fh = this.fh;
    this.fh = undefined;
    if (!fh) return;
    await fh.close();
    // Anything left unsent stays on disk for an operator; an empty spool is removed.
    if (this.count === 0) await unlink(this.path).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
