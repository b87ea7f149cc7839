// A FIFO of write operations on local disk, used when the store is slow or away so memory stays bounded.
import { mkdirSync } from 'node:fs';
import { type FileHandle, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { WriteOp } from './store.js';

export class Spool {
  private fh: FileHandle | undefined;
  private writeOff = 0;
  private readOff = 0;
  private count = 0;
  readonly path: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(
      dir,
      `spool-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.jsonl`,
    );
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
    let text = '';
    for (const op of ops) text += `${JSON.stringify(op)}\n`;
    const buf = Buffer.from(text);
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await fh.write(buf, done, buf.length - done, this.writeOff + done);
      done += bytesWritten;
    }
    this.writeOff += buf.length;
    this.count += ops.length;
  }

  /** Takes up to `max` of the oldest operations off the spool. */
  async take(max: number): Promise<WriteOp[]> {
    if (this.count === 0 || !this.fh) return [];
    const out: WriteOp[] = [];
    let chunk = 4 << 20;
    while (out.length < max && this.readOff < this.writeOff) {
      const len = Math.min(chunk, this.writeOff - this.readOff);
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await this.fh.read(buf, 0, len, this.readOff);
      let start = 0;
      let nl = buf.indexOf(10, start);
      if (nl < 0 || nl >= bytesRead) {
        chunk *= 2; // one line longer than the chunk
        continue;
      }
      while (nl >= 0 && nl < bytesRead && out.length < max) {
        out.push(JSON.parse(buf.toString('utf8', start, nl)) as WriteOp);
        start = nl + 1;
        nl = buf.indexOf(10, start);
      }
      this.readOff += start;
    }
    this.count -= out.length;
    if (this.readOff >= this.writeOff) {
      // Drained: start the file over so it does not grow forever.
      this.readOff = 0;
      this.writeOff = 0;
      this.count = 0;
      await this.fh.truncate(0);
    }
    return out;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    if (!fh) return;
    await fh.close();
    // Anything left unsent stays on disk for an operator; an empty spool is removed.
    if (this.count === 0) await unlink(this.path).catch(() => undefined);
  }
}
