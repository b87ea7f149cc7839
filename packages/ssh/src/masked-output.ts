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
    /**
     * For output that cannot carry a masked value (legacy `scp -f`: the protocol announced each
     * file's length): instead of sending masked bytes, nothing more is sent and this is called
     * with the detectors that matched.
     */
    private readonly onMasked?: (detectors: string[]) => void,
  ) {
    this.masker = session.masker().stream();
  }

  /** Returns false when the caller should pause its source until the agent drains. */
  write(chunk: Buffer): boolean {
    if (this.ended) return true;
    const before = this.onMasked ? { ...this.session.masker().counts } : undefined;
    const held = this.masker.pending;
    const out = this.masker.write(chunk);
    if (before && this.refused(before, out.length !== held + chunk.length - this.masker.pending)) return true;
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
    this.sendFlushed();
  }

  /** End of stream: everything held goes out. */
  end(): void {
    if (this.ended) return;
    this.disarm();
    this.sendFlushed();
    this.ended = true;
  }

  private sendFlushed(): void {
    const before = this.onMasked ? { ...this.session.masker().counts } : undefined;
    const held = this.masker.pending;
    const out = this.masker.flush();
    if (before && this.refused(before, out.length !== held)) return;
    this.send(out);
  }

  /** With onMasked: did masking change these bytes? Then nothing more goes out. */
  private refused(before: Record<string, number>, lengthChanged: boolean): boolean {
    const now = this.session.masker().counts;
    const detectors = Object.keys(now).filter((k) => now[k] > (before[k] ?? 0));
    if (detectors.length === 0 && !lengthChanged) return false;
    this.ended = true;
    this.disarm();
    this.onMasked?.(detectors.length > 0 ? detectors : ['masking']);
    return true;
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
      if (!this.ended) this.sendFlushed();
    }, MAX_HOLD_MS);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
