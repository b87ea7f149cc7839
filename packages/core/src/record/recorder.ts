// One session's recorder: numbers and times frames, chains their hashes, and queues them for the store.
import type { Frame, FrameKind, SessionMeta } from '../types.js';
import { chainStart, frameHash, isFrameKind } from './chain.js';
import type { SessionRecorder, SessionSummary, WriteOp } from './store.js';

export interface RecorderHost {
  push(op: WriteOp): void;
  /** Frames beyond this seq are dropped by the store's cap; the recorder marks the meta once. */
  readonly maxFrames: number;
  readonly failureTimeoutMs: number;
  log(msg: string): void;
  forget(rec: Recorder): void;
}

export class Recorder implements SessionRecorder {
  readonly id: string;
  readonly failed: Promise<string>;
  private resolveFailed!: (reason: string) => void;
  private seq = 0;
  private prev: string;
  private readonly t0 = performance.now();
  private lastKind: FrameKind | undefined;
  private ending: Promise<void> | undefined;
  private endStored: (() => void) | undefined;
  /** Highest seq the store has confirmed. */
  stored = 0;
  /** When the oldest unconfirmed frame was queued (ms epoch), undefined when all are stored. */
  pendingSince: number | undefined;
  isFailed = false;

  constructor(
    private readonly host: RecorderHost,
    meta: SessionMeta,
  ) {
    this.id = meta.id;
    this.prev = chainStart(meta.id);
    this.failed = new Promise((r) => {
      this.resolveFailed = r;
    });
    host.push({
      op: 'meta',
      id: meta.id,
      phase: 'start',
      fields: { ...meta, status: meta.status ?? 'active' },
    });
  }

  record(kind: FrameKind, data: unknown): number {
    if (this.ending) return 0;
    try {
      let enc: 'json' | 'b64' = 'json';
      let text: string;
      if (!isFrameKind(kind)) {
        text = JSON.stringify({ message: `unknown frame kind ${String(kind)}` });
        kind = 'error';
      } else if (data instanceof Uint8Array) {
        enc = 'b64';
        text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
      } else {
        text = safeJson(data);
      }
      return this.append(kind, enc, text);
    } catch (err) {
      this.host.log(`recording: session ${this.id}: frame not recorded: ${(err as Error).message}`);
      return 0;
    }
  }

  private append(kind: FrameKind, enc: 'json' | 'b64', data: string): number {
    const seq = ++this.seq;
    const frame: Frame = { seq, t: Math.floor(performance.now() - this.t0), kind, enc, data, hash: '' };
    frame.hash = frameHash(this.prev, frame);
    this.prev = frame.hash;
    this.lastKind = kind;
    if (this.pendingSince === undefined) this.pendingSince = Date.now();
    this.host.push({ op: 'frame', id: this.id, frame });
    if (seq === this.host.maxFrames + 1) {
      this.host.push({ op: 'meta', id: this.id, phase: 'mark', fields: { truncated: true } });
    }
    return seq;
  }

  /** Called by the store when a batch holding this session's operations is stored. */
  onStored(op: WriteOp): void {
    if (op.op === 'frame') {
      this.stored = op.frame.seq;
      this.pendingSince = this.stored >= this.seq ? undefined : Date.now();
    } else if (op.phase === 'end') {
      this.endStored?.();
    }
  }

  fail(reason: string): void {
    if (this.isFailed) return;
    this.isFailed = true;
    this.resolveFailed(reason);
  }

  end(status: 'closed' | 'failed' = 'closed', reason?: string, summary?: SessionSummary): Promise<void> {
    if (this.ending) return this.ending;
    if (this.lastKind !== 'close')
      this.append('close', 'json', safeJson(reason ? { status, reason } : { status }));
    const fields: Partial<SessionMeta> = {
      ...summary,
      ended_at: Date.now(),
      status: this.isFailed && status === 'closed' ? 'failed' : status,
      frames: this.seq,
      last_hash: this.prev,
    };
    if (reason) fields.reason = reason;
    if (this.seq > this.host.maxFrames) fields.truncated = true;
    const stored = new Promise<void>((r) => {
      this.endStored = r;
    });
    this.host.push({ op: 'meta', id: this.id, phase: 'end', fields });
    this.ending = (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => {
        timer = setTimeout(r, this.host.failureTimeoutMs);
      });
      // Bounded: when the store is away the frames stay queued/spooled and are stored later.
      await Promise.race([stored, timeout]);
      clearTimeout(timer);
      this.host.forget(this);
    })();
    return this.ending;
  }
}

function safeJson(data: unknown): string {
  try {
    return JSON.stringify(data) ?? 'null';
  } catch (err) {
    // Circular structures, BigInt…: keep a trace rather than nothing.
    return JSON.stringify({ unserializable: (err as Error).message, type: typeof data });
  }
}
