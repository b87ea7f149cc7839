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

/**
 * What one upstream read sends to the agent, gathered into one write: a run of messages passed on
 * unchanged stays a view of the chunk it came in (no copy); once a message is rewritten, everything
 * from then on (and the view before it) is written into one buffer, the rewritten messages in place
 * (no buffer per message, no concat). `take()` gives the bytes to write.
 */
export class RelayOutput {
  /** The buffer rewritten messages go into; valid from 0 to `len`. */
  buf: Buffer = EMPTY;
  len = 0;
  /** Capacity of a new buffer (the caller sets it from the size of the read). */
  sizeHint = 16384;
  private copying = false;
  private view: Buffer | undefined;
  private viewStart = 0;
  private viewEnd = 0;
  /** A buffer the last write no longer needs (the socket took all of it): used again. */
  private spare: Buffer | undefined;
  private taken: Buffer | undefined;

  /** An unchanged message (or run of them): bytes [start, end) of `b`. */
  pass(b: Buffer, start: number, end: number): void {
    if (!this.copying) {
      if (this.view === undefined) {
        this.view = b;
        this.viewStart = start;
        this.viewEnd = end;
        return;
      }
      if (this.view === b && this.viewEnd === start) {
        this.viewEnd = end;
        return;
      }
      this.startCopying(end - start);
    } else if (this.len + end - start > this.buf.length) this.grow(end - start);
    this.len = copyBytes(b, start, end, this.buf, this.len);
  }

  /** Room for `n` bytes at `buf[len]`: the caller writes them there, then adds `n` to `len`. */
  reserve(n: number): number {
    if (!this.copying) this.startCopying(n);
    else if (this.len + n > this.buf.length) this.grow(n);
    return this.len;
  }

  /** The bytes gathered since the last take() (undefined: none); resets. */
  take(): Buffer | undefined {
    let out: Buffer | undefined;
    this.taken = undefined;
    if (this.copying) {
      out = this.len > 0 ? this.buf.subarray(0, this.len) : undefined;
      this.taken = this.buf;
      this.buf = EMPTY;
      this.len = 0;
      this.copying = false;
    } else if (this.view !== undefined) {
      out = this.view.subarray(this.viewStart, this.viewEnd);
      this.view = undefined;
    }
    return out;
  }

  /**
   * The bytes of the last take() were written out completely (the socket holds no reference): when
   * they were gathered in this output's own buffer, that buffer is used again. Never a read's chunk.
   */
  recycle(): void {
    const b = this.taken;
    this.taken = undefined;
    if (b !== undefined && b.length <= MAX_SPARE && b.length > (this.spare?.length ?? 0)) this.spare = b;
  }

  private startCopying(n: number): void {
    const v = this.view === undefined ? 0 : this.viewEnd - this.viewStart;
    const need = v + n;
    const spare = this.spare;
    if (spare !== undefined && spare.length >= need && spare.length >= this.sizeHint) {
      this.buf = spare;
      this.spare = undefined;
    } else this.buf = Buffer.allocUnsafeSlow(Math.max(this.sizeHint, need * 2));
    this.copying = true;
    this.len = 0;
    if (this.view !== undefined) {
      this.len = copyBytes(this.view, this.viewStart, this.viewEnd, this.buf, 0);
      this.view = undefined;
    }
  }

  private grow(n: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}

/** A buffer larger than this is not kept for the next read (a huge row must not pin its memory). */
const MAX_SPARE = 1 << 20;

/** Copies src[start, end) to dst at `at` and returns the end offset (short runs without a native call). */
export function copyBytes(src: Buffer, start: number, end: number, dst: Buffer, at: number): number {
  const n = end - start;
  if (n < 20) {
    for (let i = 0; i < n; i++) dst[at + i] = src[start + i]!;
  } else dst.set(src.subarray(start, end), at);
  return at + n;
}

/** Writes `s` encoded as `enc` at `at` and returns the end offset (short ASCII without a native call). */
export function writeText(dst: Buffer, at: number, s: string, enc: 'utf8' | 'latin1'): number {
  const n = s.length;
  if (n <= 64) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      dst[at + i] = c;
    }
    if (i === n) return at + n;
  }
  return at + dst.write(s, at, enc);
}

/** Buffer.byteLength(s, enc), without a native call for short ASCII text. */
export function textLength(s: string, enc: 'utf8' | 'latin1'): number {
  const n = s.length;
  if (enc === 'latin1') return n;
  if (n <= 64) {
    let i = 0;
    while (i < n && s.charCodeAt(i) < 0x80) i++;
    if (i === n) return n;
  }
  return Buffer.byteLength(s, enc);
}
