// Splits the upstream's byte stream (backend → gateway) into messages by their length prefix only,
// without decoding them: a message that is passed on unchanged is a view of the chunk it came in.

export class BackendFrameError extends Error {
  constructor(
    message: string,
    readonly limit?: string,
  ) {
    super(message);
    this.name = 'BackendFrameError';
  }
}

/**
 * Usage: `push(chunk)`, then call `next()` until it returns false; after each true, `type`, `buf`,
 * `start` and `end` describe one whole message (`buf[start]` is the type byte, `end` exclusive).
 * Stopping early is fine: the rest stays queued for later `next()` calls.
 */
export class BackendFramer {
  type = 0;
  buf: Buffer = EMPTY;
  start = 0;
  end = 0;
  private chunk: Buffer = EMPTY;
  private off = 0;
  /** A message split across chunks is assembled here (only its own bytes are copied). */
  private partial: Buffer | undefined;
  private partialLen = 0;
  private header = Buffer.alloc(5);
  private headerLen = 0;

  constructor(private readonly maxMessageBytes: number) {}

  push(chunk: Buffer): void {
    if (this.off < this.chunk.length) {
      // The caller stopped early last time: keep the unread tail ahead of the new bytes.
      this.chunk = Buffer.concat([this.chunk.subarray(this.off), chunk]);
    } else {
      this.chunk = chunk;
    }
    this.off = 0;
  }

  /** Bytes received and not yet returned as whole messages. */
  get buffered(): number {
    return this.chunk.length - this.off + this.headerLen + this.partialLen;
  }

  /** The bytes not yet framed, to hand to another reader (e.g. after a TLS/handshake switch). */
  takeRest(): Buffer {
    const rest = this.chunk.subarray(this.off);
    this.chunk = EMPTY;
    this.off = 0;
    return rest;
  }

  next(): boolean {
    const c = this.chunk;
    if (this.partial === undefined && this.headerLen === 0) {
      const avail = c.length - this.off;
      if (avail >= 5) {
        const len = c.readInt32BE(this.off + 1);
        if (len < 4) throw new BackendFrameError(`invalid backend message length ${len}`);
        if (len + 1 > this.maxMessageBytes) throw this.tooBig(c[this.off], len + 1);
        if (avail >= len + 1) {
          this.type = c[this.off];
          this.buf = c;
          this.start = this.off;
          this.end = this.off + len + 1;
          this.off = this.end;
          return true;
        }
      }
      if (avail === 0) return false;
    }
    return this.slow();
  }

  /** A message that straddles chunks: assemble its header, then its body, in their own buffers. */
  private slow(): boolean {
    const c = this.chunk;
    if (this.partial === undefined) {
      const take = Math.min(5 - this.headerLen, c.length - this.off);
      c.copy(this.header, this.headerLen, this.off, this.off + take);
      this.headerLen += take;
      this.off += take;
      if (this.headerLen < 5) return false;
      const len = this.header.readInt32BE(1);
      if (len < 4) throw new BackendFrameError(`invalid backend message length ${len}`);
      if (len + 1 > this.maxMessageBytes) throw this.tooBig(this.header[0], len + 1);
      this.partial = Buffer.allocUnsafe(len + 1);
      this.header.copy(this.partial, 0, 0, 5);
      this.partialLen = 5;
      this.headerLen = 0;
    }
    const p = this.partial;
    const take = Math.min(p.length - this.partialLen, c.length - this.off);
    c.copy(p, this.partialLen, this.off, this.off + take);
    this.partialLen += take;
    this.off += take;
    if (this.partialLen < p.length) return false;
    this.partial = undefined;
    this.partialLen = 0;
    this.type = p[0];
    this.buf = p;
    this.start = 0;
    this.end = p.length;
    return true;
  }

  private tooBig(type: number, size: number): BackendFrameError {
    return new BackendFrameError(
      `limit max_message_bytes exceeded: an upstream ${String.fromCharCode(type)} message of ${size} bytes is larger than ${this.maxMessageBytes}`,
      'max_message_bytes',
    );
  }
}

const EMPTY = Buffer.alloc(0);
