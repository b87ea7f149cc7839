// Moves write operations from recorders to a backend in order: batched, one batch in flight, a bounded
// memory queue that overflows to a disk spool, and retries (the backend's writes are idempotent).
import { Spool } from './spool.js';
import type { Backend, WriteOp } from './store.js';

export interface WriterOptions {
  flushMs: number;
  batchOps: number;
  /** Approximate bytes kept in memory before operations go to the spool. */
  memoryBytes: number;
  spoolDir: string;
  log: (msg: string) => void;
  onStored: (ops: WriteOp[]) => void;
}

const opBytes = (op: WriteOp): number => (op.op === 'frame' ? op.frame.data.length + 160 : 400);

export class Writer {
  private mem: WriteOp[] = [];
  private memHead = 0; // index of the first unsent op in `mem` (avoids O(n) shifts)
  private memBytes = 0;
  private spool: Spool | undefined;
  private retry: WriteOp[] | undefined;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private closing = false;
  /** When the current run of failed writes began (undefined while writes succeed). */
  failingSince: number | undefined;
  lastError = '';

  constructor(
    private readonly backend: Backend,
    private readonly opts: WriterOptions,
  ) {}

  /** Operations not yet stored. */
  get backlog(): number {
    return this.mem.length - this.memHead + (this.spool?.size ?? 0) + (this.retry?.length ?? 0);
  }

  push(op: WriteOp): void {
    this.mem.push(op);
    this.memBytes += opBytes(op);
    if (this.memBytes > this.opts.memoryBytes) this.wake?.();
    if (this.running || this.timer) return;
    if (this.mem.length - this.memHead >= this.opts.batchOps) {
      this.timer = setTimeout(() => this.run(), 0);
    } else {
      this.timer = setTimeout(() => this.run(), this.opts.flushMs);
    }
  }

  private takeMem(max: number): WriteOp[] {
    const end = Math.min(this.mem.length, this.memHead + max);
    const out = this.mem.slice(this.memHead, end);
    this.memHead = end;
    for (const op of out) this.memBytes -= opBytes(op);
    if (this.memHead === this.mem.length) {
      this.mem = [];
      this.memHead = 0;
    } else if (this.memHead > 65536) {
      this.mem = this.mem.slice(this.memHead);
      this.memHead = 0;
    }
    return out;
  }

  // Invariant: retry batch ⟶ spool ⟶ memory, oldest to newest.
  private async spillIfFull(): Promise<void> {
    if (this.memBytes <= this.opts.memoryBytes) return;
    if (!this.spool) this.spool = new Spool(this.opts.spoolDir);
    const n = this.mem.length - this.memHead;
    const ops = this.takeMem(n);
    try {
      await this.spool.append(ops);
      this.opts.log(`recording: store behind, ${ops.length} frames spooled to ${this.spool.path}`);
    } catch (err) {
      // Disk refused too: keep them in memory rather than lose them.
      this.mem = ops.concat(this.mem.slice(this.memHead));
      this.memHead = 0;
      for (const op of ops) this.memBytes += opBytes(op);
      this.opts.log(`recording: spool write failed: ${(err as Error).message}`);
    }
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.running) return;
    this.running = true;
    let backoff = 50;
    try {
      for (;;) {
        await this.spillIfFull();
        let batch = this.retry;
        if (!batch && this.spool && this.spool.size > 0) batch = await this.spool.take(this.opts.batchOps);
        if (!batch || batch.length === 0) batch = this.takeMem(this.opts.batchOps);
        if (batch.length === 0) break;
        try {
          await this.backend.write(batch);
          this.retry = undefined;
          if (this.failingSince !== undefined) {
            this.opts.log(`recording: store ${this.backend.describe} is taking frames again`);
          }
          this.failingSince = undefined;
          backoff = 50;
          this.opts.onStored(batch);
        } catch (err) {
          this.retry = batch;
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

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
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
    // What could not be stored goes to the spool file, so it is not lost with the process.
    const left = [...(this.retry ?? []), ...this.takeMem(this.mem.length)];
    this.retry = undefined;
    if (left.length > 0) {
      if (!this.spool) this.spool = new Spool(this.opts.spoolDir);
      await this.spool.append(left).catch(() => undefined);
      this.opts.log(`recording: ${this.spool.size} operations left unstored in ${this.spool.path}`);
    }
    await this.spool?.close();
  }
}
