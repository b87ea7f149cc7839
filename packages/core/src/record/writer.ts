// Moves write operations from recorders to a backend in order: batched, one batch in flight, a bounded
// memory queue that overflows to a disk spool, and retries (the backend's writes are idempotent).
//
// Order, oldest first: adopted spools (dead processes) ⟶ a failed memory batch ⟶ own spool ⟶ memory.
// A batch read from a spool stays on disk until the store has it (peek/commit).
import { Spool } from './spool.js';
import type { Backend, WriteOp } from './store.js';

export interface WriterOptions {
  flushMs: number;
  batchOps: number;
  /** A batch also ends at this many bytes (large frames: keeps each write, and fsync, short). */
  batchBytes: number;
  /** Approximate bytes kept in memory before operations go to the spool. */
  memoryBytes: number;
  spoolDir: string;
  /** Which store the spooled operations belong to (part of the spool file names). */
  spoolTag: string;
  log: (msg: string) => void;
  onStored: (ops: WriteOp[], rejected?: Map<string, string>) => void;
}

const opBytes = (op: WriteOp): number => (op.op === 'frame' ? op.frame.data.length + 160 : 400);

export class Writer {
  private mem: WriteOp[] = [];
  private memHead = 0; // index of the first unsent op in `mem` (avoids O(n) shifts)
  private memBytes = 0;
  private spool: Spool | undefined;
  /** Spools of dead processes, older than anything here: sent first. */
  private adopted: Spool[] = [];
  /** A batch taken from memory whose write failed; always older than the spool's content. */
  private retry: WriteOp[] | undefined;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private closing = false;
  /** When the current run of failed writes began (undefined while writes succeed). */
  failingSince: number | undefined;
  /** When the write now in flight was sent (undefined when none is). */
  inFlightSince: number | undefined;
  lastError = '';

  constructor(
    private readonly backend: Backend,
    private readonly opts: WriterOptions,
  ) {}

  /** Operations not yet stored. */
  get backlog(): number {
    let n = this.mem.length - this.memHead + (this.spool?.size ?? 0) + (this.retry?.length ?? 0);
    for (const s of this.adopted) n += s.size;
    return n;
  }

  push(op: WriteOp): void {
    this.mem.push(op);
    this.memBytes += opBytes(op);
    if (this.memBytes > this.opts.memoryBytes) this.wake?.();
    if (this.running || this.timer) return;
    const delay = this.mem.length - this.memHead >= this.opts.batchOps ? 0 : this.opts.flushMs;
    this.timer = setTimeout(() => this.run(), delay);
  }

  /** Takes over spool files that dead processes left behind, and starts sending them. */
  async adoptLeftovers(): Promise<void> {
    this.adopted = await Spool.adoptLeftovers(this.opts.spoolDir, this.opts.spoolTag);
    const n = this.adopted.reduce((a, s) => a + s.size, 0);
    if (n > 0) {
      this.opts.log(
        `recording: replaying ${n} unstored operations left in ${this.adopted.map((s) => s.path).join(', ')}`,
      );
      if (!this.timer && !this.running) this.timer = setTimeout(() => this.run(), 0);
    }
  }

  private takeMem(max: number, maxBytes = Number.POSITIVE_INFINITY): WriteOp[] {
    let end = this.memHead;
    let bytes = 0;
    const limit = Math.min(this.mem.length, this.memHead + max);
    while (end < limit && (end === this.memHead || bytes < maxBytes)) bytes += opBytes(this.mem[end++]);
    const out = this.mem.slice(this.memHead, end);
    this.memHead = end;
    this.memBytes -= bytes;
    if (this.memHead === this.mem.length) {
      this.mem = [];
      this.memHead = 0;
    } else if (this.memHead >= 1024 && this.memHead * 2 >= this.mem.length) {
      // Sent operations must not stay reachable from the queue (each holds a whole frame): compact once
      // they are half of it (amortised O(1) per operation).
      this.mem = this.mem.slice(this.memHead);
      this.memHead = 0;
    }
    return out;
  }

  /** Moves the failed batch and all of memory, in that order, to the end of the spool. */
  private async spill(): Promise<void> {
    if (!this.spool) this.spool = new Spool(this.opts.spoolDir, this.opts.spoolTag);
    const ops = [...(this.retry ?? []), ...this.takeMem(this.mem.length - this.memHead)];
    if (ops.length === 0) return;
    try {
      await this.spool.append(ops);
      this.retry = undefined;
    } catch (err) {
      // Disk refused too: keep them in memory rather than lose them.
      const back = this.retry ? ops.slice(this.retry.length) : ops;
      this.mem = back.concat(this.mem.slice(this.memHead));
      this.memHead = 0;
      for (const op of back) this.memBytes += opBytes(op);
      this.opts.log(`recording: spool write failed: ${(err as Error).message}`);
      return;
    }
    this.opts.log(`recording: store behind, ${ops.length} operations spooled to ${this.spool.path}`);
  }

  private async next(): Promise<{ ops: WriteOp[]; from?: Spool }> {
    while (this.adopted.length > 0) {
      const s = this.adopted[0];
      if (s.size > 0) return { ops: await s.peek(this.opts.batchOps, this.opts.batchBytes), from: s };
      this.adopted.shift();
      await s.remove();
    }
    if (this.retry) return { ops: this.retry };
    if (this.spool && this.spool.size > 0)
      return { ops: await this.spool.peek(this.opts.batchOps, this.opts.batchBytes), from: this.spool };
    // Bounded in bytes too: 1,000 large frames would make one write of ~100 MB that looks like a stall.
    return { ops: this.takeMem(this.opts.batchOps, this.opts.batchBytes) };
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.running) return;
    this.running = true;
    let backoff = 50;
    try {
      for (;;) {
        if (this.memBytes > this.opts.memoryBytes) await this.spill();
        const { ops, from } = await this.next();
        if (ops.length === 0) break;
        try {
          this.inFlightSince = Date.now();
          const result = await this.backend.write(ops);
          this.inFlightSince = undefined;
          if (from) await from.commit();
          else this.retry = undefined;
          if (this.failingSince !== undefined) {
            this.opts.log(`recording: store ${this.backend.describe} is taking frames again`);
          }
          this.failingSince = undefined;
          backoff = 50;
          this.opts.onStored(ops, result?.rejected);
          // Caught up: the next batch waits for the flush cadence. Sent back to back, each batch held only
          // the frames of one store round trip, and the per-write cost (a syscall, waking the store, the
          // reply) landed on every handful of frames.
          if (!from && this.caughtUp()) break;
        } catch (err) {
          this.inFlightSince = undefined;
          // From a spool: still on disk, read again next time. From memory: held as the retry batch.
          if (!from) this.retry = ops;
          const msg = (err as Error).message;
          if (this.failingSince === undefined) {
            this.failingSince = Date.now();
            this.opts.log(`recording: store ${this.backend.describe} cannot take frames: ${msg}`);
          }
          this.lastError = msg;
          if (this.closing) break;
          await this.sleep(backoff);
          backoff = Math.min(backoff * 2, 500);
        }
      }
    } catch (err) {
      this.opts.log(`recording: writer error: ${(err as Error).message}`);
    } finally {
      this.running = false;
      if (this.backlog > 0 && !this.closing && !this.timer) {
        this.timer = setTimeout(() => this.run(), this.opts.flushMs);
      }
    }
  }

  /** Nothing but less than a full batch in memory. */
  private caughtUp(): boolean {
    return (
      this.retry === undefined &&
      this.adopted.length === 0 &&
      (this.spool?.size ?? 0) === 0 &&
      this.mem.length - this.memHead < this.opts.batchOps &&
      this.memBytes < this.opts.batchBytes
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /**
   * Since when the store has not taken anything: failing writes, or one write hanging. A write that is
   * slow but moving (the backend reports each finished step) is not hanging.
   */
  stalledSince(): number | undefined {
    if (this.failingSince !== undefined) return this.failingSince;
    if (this.inFlightSince === undefined) return undefined;
    return Math.max(this.inFlightSince, this.backend.progressAt ?? 0);
  }

  /** Runs the queue now and waits for it to empty (or for `deadline`). True when everything was stored. */
  async drain(deadline: number): Promise<boolean> {
    while (this.backlog > 0 && Date.now() < deadline) {
      if (!this.running && !this.timer) this.timer = setTimeout(() => this.run(), 0);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.backlog === 0;
  }

  async close(deadline: number): Promise<void> {
    await this.drain(deadline);
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wake?.();
    while (this.running) await new Promise((r) => setTimeout(r, 5));
    // What could not be stored stays in the spool file, so it is not lost with the process.
    if (this.retry || this.mem.length > this.memHead) await this.spill();
    if (this.spool && this.spool.size > 0) {
      this.opts.log(`recording: ${this.spool.size} operations left unstored in ${this.spool.path}`);
    }
    await this.spool?.close();
    for (const s of this.adopted) await s.close();
  }
}
