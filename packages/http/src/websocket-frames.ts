// Minimal RFC 6455 framing: enough to read every frame, unmask client payloads for the recording,
// and re-frame the upstream's text frames after masking (their length changes).

export interface WsFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Buffer;
}

export const OP_CONTINUATION = 0;
export const OP_TEXT = 1;
export const OP_BINARY = 2;

export class WsProtocolError extends Error {}

/** Accumulates bytes and yields complete frames (payloads unmasked). */
export class WsFrameReader {
  private buf: Buffer = Buffer.alloc(0);

  /** `fromClient`: frames must be masked and carry no RSV bits (no extension is ever negotiated). */
  constructor(
    private readonly maxPayload: number,
    private readonly fromClient = false,
  ) {}

  push(chunk: Buffer): WsFrame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: WsFrame[] = [];
    for (;;) {
      const f = this.next();
      if (!f) break;
      frames.push(f);
    }
    return frames;
  }

  private next(): WsFrame | undefined {
    const b = this.buf;
    if (b.length < 2) return undefined;
    const fin = (b[0]! & 0x80) !== 0;
    const rsv = (b[0]! >> 4) & 0x07;
    const opcode = b[0]! & 0x0f;
    const masked = (b[1]! & 0x80) !== 0;
    let len = b[1]! & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return undefined;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return undefined;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(this.maxPayload)) throw new WsProtocolError('frame over limit max_message_bytes');
      len = Number(big);
      off = 10;
    }
    if (len > this.maxPayload) throw new WsProtocolError('frame over limit max_message_bytes');
    if (opcode >= 8 && (len > 125 || !fin)) throw new WsProtocolError('invalid control frame');
    if ([3, 4, 5, 6, 7, 11, 12, 13, 14, 15].includes(opcode))
      throw new WsProtocolError(`reserved opcode ${opcode}`);
    // Checked on the header, before any of the payload is forwarded.
    if (this.fromClient && !masked) throw new WsProtocolError('unmasked client frame');
    if (this.fromClient && rsv !== 0) throw new WsProtocolError('client frame with RSV bits');
    const keyLen = masked ? 4 : 0;
    if (b.length < off + keyLen + len) return undefined;
    let payload = b.subarray(off + keyLen, off + keyLen + len);
    if (masked) {
      const key = b.subarray(off, off + 4);
      const clear = Buffer.allocUnsafe(len);
      for (let i = 0; i < len; i++) clear[i] = payload[i]! ^ key[i & 3]!;
      payload = clear;
    } else payload = Buffer.from(payload);
    this.buf = b.subarray(off + keyLen + len);
    return { fin, rsv, opcode, payload };
  }
}

/** An unmasked (server-to-client) frame. */
export function encodeFrame(fin: boolean, opcode: number, payload: Uint8Array): Buffer {
  const len = payload.length;
  const headLen = len < 126 ? 2 : len < 0x10000 ? 4 : 10;
  const out = Buffer.allocUnsafe(headLen + len);
  out[0] = (fin ? 0x80 : 0) | opcode;
  if (len < 126) out[1] = len;
  else if (len < 0x10000) {
    out[1] = 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  out.set(payload, headLen);
  return out;
}
