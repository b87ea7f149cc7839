// Upstream output on its way to the agent: through core's streaming masker, recorded after
// masking, and never held longer than a short bound so interactive use stays snappy.
import type { Session, StreamMasker } from '@portcullis/core';

/** The longest a byte may wait in the masker for the rest of a possible secret. */
export const MAX_HOLD_MS = 40;

export type OutputStream = 'stdout' | 'stderr';

export class MaskedOutput {
  private readonly masker: StreamMasker;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly session: Session,
    /** Writes to the agent; returns false when the agent's window is full (backpressure). */
    private readonly emit: (chunk: Buffer) => boolean,
    private readonly stream: OutputStream = 'stdout',
  ) {
    this.masker = session.masker().stream();
  }

  /** Returns false when the caller should pause its source until the agent drains. */
  write(chunk: Buffer): boolean {
    if (this.ended) return true;
    const out = this.masker.write(chunk);
    const ok = this.send(out);
    if (this.masker.pending > 0) this.arm();
    return ok;
  }

  /** Bytes held back for a secret that may still be growing. */
  get pending(): number {
    return this.masker.pending;
  }

  /** Emits what is held now (the stream goes on). */
  flush(): void {
    if (this.ended) return;
    this.disarm();
    this.send(this.masker.flush());
  }

  /** End of stream: everything held goes out. */
  end(): void {
    if (this.ended) return;
    this.disarm();
    this.send(this.masker.flush());
    this.ended = true;
  }

  private send(bytes: Uint8Array): boolean {
    if (bytes.length === 0) return true;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    // stderr is recorded as output too: a replay shows what the agent's terminal showed.
    this.session.record('output', buf);
    return this.emit(buf);
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.ended) this.send(this.masker.flush());
    }, MAX_HOLD_MS);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
