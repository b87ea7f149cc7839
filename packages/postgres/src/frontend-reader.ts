// Frames and decodes what the agent sends (frontend → gateway). pg-protocol only parses backend
// messages, so this is our own: the startup phase has no type byte, every later message has one.

/** Startup-phase request codes (the int32 after the length). */
export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;

/** Postgres refuses startup packets longer than this (MAX_STARTUP_PACKET_LENGTH). */
export const MAX_STARTUP_BYTES = 10_000;

/** Message types a frontend may send after startup. */
const FRONTEND_TYPES = new Set(['Q', 'P', 'B', 'E', 'D', 'S', 'H', 'C', 'X', 'd', 'c', 'f', 'F', 'p']);

export interface FrontendMessage {
  /** The type byte as a character; '' for a startup-phase packet. */
  type: string;
  /** Startup phase: the request code (protocol version, SSL/GSSENC/cancel request). */
  code: number;
  /** The payload after the header (after the code for a startup packet). */
  body: Buffer;
  /** The whole frame as received, for forwarding unchanged. */
  raw: Buffer;
}

/** A frame the agent sent that cannot be a valid message; ends the session. */
export class FrontendProtocolError extends Error {
  constructor(
    message: string,
    /** SQLSTATE to report: 08P01 protocol violation, 54000 a limit. */
    readonly code = '08P01',
    /** The limit hit, when it is one. */
    readonly limit?: string,
  ) {
    super(message);
    this.name = 'FrontendProtocolError';
  }
}

export interface FrontendReaderOptions {
  /** Largest message accepted after startup (limits.max_message_bytes). */
  maxMessageBytes: number;
  /** Largest startup-phase packet; Postgres uses 10,000 bytes. */
  maxStartupBytes?: number;
}

/** Splits the agent's byte stream into messages. Handles split and coalesced reads. */
export class FrontendReader {
  /** True until the session has accepted a StartupMessage; then every frame has a type byte. */
  startupPhase = true;
  private buf: Buffer = Buffer.alloc(0);
  private off = 0;
  private readonly maxMessageBytes: number;
  private readonly maxStartupBytes: number;

  constructor(opts: FrontendReaderOptions) {
    this.maxMessageBytes = opts.maxMessageBytes;
    this.maxStartupBytes = opts.maxStartupBytes ?? MAX_STARTUP_BYTES;
  }

  push(chunk: Buffer): void {
    if (this.off >= this.buf.length) {
      this.buf = chunk;
      this.off = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.off), chunk]);
      this.off = 0;
    }
  }

  /** Bytes received and not yet returned as messages. */
  get buffered(): number {
    return this.buf.length - this.off;
  }

  /** The next complete message, or undefined when more bytes are needed. Throws FrontendProtocolError. */
  next(): FrontendMessage | undefined {
    const avail = this.buf.length - this.off;
    if (this.startupPhase) {
      if (avail < 4) return undefined;
      const len = this.buf.readInt32BE(this.off);
      if (len < 8) throw new FrontendProtocolError(`invalid startup packet length ${len}`);
      if (len > this.maxStartupBytes)
        throw new FrontendProtocolError(
          `startup packet of ${len} bytes is longer than ${this.maxStartupBytes}`,
        );
      if (avail < len) return undefined;
      const raw = this.buf.subarray(this.off, this.off + len);
      this.off += len;
      return { type: '', code: raw.readInt32BE(4), body: raw.subarray(8), raw };
    }
    if (avail < 5) return undefined;
    const t = this.buf[this.off];
    const type = String.fromCharCode(t);
    if (!FRONTEND_TYPES.has(type)) throw new FrontendProtocolError(`invalid frontend message type ${t}`);
    const len = this.buf.readInt32BE(this.off + 1);
    if (len < 4) throw new FrontendProtocolError(`invalid message length ${len} for message type ${type}`);
    if (len + 1 > this.maxMessageBytes)
      throw new FrontendProtocolError(
        `limit max_message_bytes exceeded: a ${type} message of ${len + 1} bytes is larger than ${this.maxMessageBytes}`,
        '54000',
        'max_message_bytes',
      );
    if (avail < len + 1) return undefined;
    const raw = this.buf.subarray(this.off, this.off + len + 1);
    this.off += len + 1;
    return { type, code: 0, body: raw.subarray(5), raw };
  }
}

// ── decoders: each throws FrontendProtocolError on a malformed body ─────────

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads the fields of one message body in order; every read is bounds-checked. */
export class BodyReader {
  private pos = 0;
  constructor(
    private readonly b: Buffer,
    private readonly what: string,
  ) {}

  cstring(): string {
    const end = this.b.indexOf(0, this.pos);
    if (end < 0) throw new FrontendProtocolError(`malformed ${this.what}: unterminated string`);
    const s = this.b.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }

  /**
   * A statement or portal name. Strict UTF-8: a lossy decode maps different byte strings to the same
   * name (\x80 and \x81 both become U+FFFD), so the gateway's record of which names were denied or held
   * for review could describe another statement than the one the upstream runs.
   */
  name(): string {
    const end = this.b.indexOf(0, this.pos);
    if (end < 0) throw new FrontendProtocolError(`malformed ${this.what}: unterminated string`);
    let s: string;
    try {
      s = strictUtf8.decode(this.b.subarray(this.pos, end));
    } catch {
      throw new FrontendProtocolError(
        `malformed ${this.what}: a statement or portal name that is not valid UTF-8`,
        '22021',
      );
    }
    this.pos = end + 1;
    return s;
  }

  int16(): number {
    this.need(2);
    const v = this.b.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.b.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  byte(): number {
    this.need(1);
    return this.b[this.pos++];
  }

  bytes(n: number): Buffer {
    this.need(n);
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  get remaining(): number {
    return this.b.length - this.pos;
  }

  end(): void {
    if (this.pos !== this.b.length)
      throw new FrontendProtocolError(`malformed ${this.what}: ${this.remaining} trailing bytes`);
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.b.length)
      throw new FrontendProtocolError(`malformed ${this.what}: truncated`);
  }
}

/** StartupMessage parameters (the body after the protocol version). */
export function decodeStartupParams(body: Buffer): Map<string, string> {
  const r = new BodyReader(body, 'startup packet');
  const params = new Map<string, string>();
  for (;;) {
    const name = r.cstring();
    if (name === '') break;
    params.set(name, r.cstring());
  }
  r.end();
  return params;
}

export function decodeCancelRequest(body: Buffer): { pid: number; secret: number } {
  const r = new BodyReader(body, 'cancel request');
  const pid = r.int32();
  const secret = r.int32();
  return { pid, secret };
}

/** PasswordMessage ('p'): a NUL-terminated string. */
export function decodePassword(body: Buffer): string {
  const r = new BodyReader(body, 'password message');
  const s = r.cstring();
  r.end();
  return s;
}

export function decodeQuery(body: Buffer): string {
  const r = new BodyReader(body, 'Query message');
  const s = r.cstring();
  r.end();
  return s;
}

export interface ParseMessage {
  name: string;
  text: string;
  paramTypes: number[];
}

export function decodeParse(body: Buffer): ParseMessage {
  const r = new BodyReader(body, 'Parse message');
  const name = r.name();
  const text = r.cstring();
  const n = r.int16();
  if (n < 0) throw new FrontendProtocolError('malformed Parse message: negative parameter count');
  const paramTypes: number[] = [];
  for (let i = 0; i < n; i++) paramTypes.push(r.int32() >>> 0);
  r.end();
  return { name, text, paramTypes };
}

export interface BindMessage {
  portal: string;
  statement: string;
  /** Parameters as text (binary ones as `\x` hex), null for SQL NULL. */
  params: (string | null)[];
  resultFormats: number[];
}

export function decodeBind(body: Buffer): BindMessage {
  const r = new BodyReader(body, 'Bind message');
  const portal = r.name();
  const statement = r.name();
  const nf = r.int16();
  if (nf < 0) throw new FrontendProtocolError('malformed Bind message: negative format count');
  const formats: number[] = [];
  for (let i = 0; i < nf; i++) formats.push(r.int16());
  const np = r.int16();
  if (np < 0) throw new FrontendProtocolError('malformed Bind message: negative parameter count');
  const params: (string | null)[] = [];
  for (let i = 0; i < np; i++) {
    const len = r.int32();
    if (len === -1) {
      params.push(null);
      continue;
    }
    if (len < 0) throw new FrontendProtocolError('malformed Bind message: negative parameter length');
    const v = r.bytes(len);
    const binary = (nf === 1 ? formats[0] : nf > 1 ? formats[i] : 0) === 1;
    params.push(binary ? `\\x${v.toString('hex')}` : v.toString('utf8'));
  }
  const nr = r.int16();
  if (nr < 0) throw new FrontendProtocolError('malformed Bind message: negative result format count');
  const resultFormats: number[] = [];
  for (let i = 0; i < nr; i++) resultFormats.push(r.int16());
  r.end();
  return { portal, statement, params, resultFormats };
}

export function decodeExecute(body: Buffer): { portal: string; maxRows: number } {
  const r = new BodyReader(body, 'Execute message');
  const portal = r.name();
  const maxRows = r.int32();
  r.end();
  return { portal, maxRows };
}

/** Describe ('D') and Close ('C'): 'S' statement or 'P' portal, and a name. */
export function decodeTarget(body: Buffer, what: string): { kind: 'S' | 'P'; name: string } {
  const r = new BodyReader(body, what);
  const k = String.fromCharCode(r.byte());
  if (k !== 'S' && k !== 'P')
    throw new FrontendProtocolError(`malformed ${what}: target type ${JSON.stringify(k)}`);
  const name = r.name();
  r.end();
  return { kind: k, name };
}

/** FunctionCall ('F'): only the function OID matters to the policy; the rest is checked for shape. */
export function decodeFunctionCall(body: Buffer): { oid: number } {
  const r = new BodyReader(body, 'FunctionCall message');
  const oid = r.int32() >>> 0;
  const nf = r.int16();
  if (nf < 0) throw new FrontendProtocolError('malformed FunctionCall message: negative format count');
  for (let i = 0; i < nf; i++) r.int16();
  const na = r.int16();
  if (na < 0) throw new FrontendProtocolError('malformed FunctionCall message: negative argument count');
  for (let i = 0; i < na; i++) {
    const len = r.int32();
    if (len < -1) throw new FrontendProtocolError('malformed FunctionCall message: negative argument length');
    if (len > 0) r.bytes(len);
  }
  r.int16();
  r.end();
  return { oid };
}
