import { describe, expect, it } from 'vitest';
import { encodeFrame, WsFrameReader, WsProtocolError } from './websocket-frames.js';

function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const key = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len])
      : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  return Buffer.concat([head, key, masked]);
}

describe('WsFrameReader', () => {
  it('reads masked frames split at any byte', () => {
    const bytes = Buffer.concat([
      clientFrame(1, Buffer.from('hello')),
      clientFrame(2, Buffer.alloc(300, 7)),
      clientFrame(9, Buffer.from('p')),
    ]);
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const r = new WsFrameReader(1 << 20);
      const frames = [...r.push(bytes.subarray(0, cut)), ...r.push(bytes.subarray(cut))];
      expect(frames.map((f) => [f.opcode, f.payload.length])).toEqual([
        [1, 5],
        [2, 300],
        [9, 1],
      ]);
      expect(frames[0]!.payload.toString()).toBe('hello');
    }
  });

  it('round-trips server frames of every length class', () => {
    for (const n of [0, 125, 126, 65535, 65536]) {
      const [f] = new WsFrameReader(1 << 20).push(encodeFrame(true, 2, Buffer.alloc(n, 1)));
      expect(f!.payload.length).toBe(n);
    }
  });

  it('refuses oversized, reserved and fragmented control frames', () => {
    expect(() => new WsFrameReader(10).push(encodeFrame(true, 1, Buffer.alloc(11)))).toThrow(WsProtocolError);
    expect(() => new WsFrameReader(10).push(encodeFrame(true, 3, Buffer.alloc(1)))).toThrow(
      /reserved opcode/,
    );
    expect(() => new WsFrameReader(10).push(encodeFrame(false, 9, Buffer.alloc(1)))).toThrow(/control frame/);
  });

  it('refuses unmasked or RSV-flagged frames from the client, on the header (HTTP bytes are not frames)', () => {
    const client = () => new WsFrameReader(1 << 20, true);
    expect(() => client().push(encodeFrame(true, 1, Buffer.from('hi')))).toThrow(/unmasked/);
    const rsv = clientFrame(1, Buffer.from('hi'));
    rsv[0] = rsv[0]! | 0x40;
    expect(() => client().push(rsv.subarray(0, 2))).toThrow(/RSV/);
    expect(() => client().push(Buffer.from('POST /admin HTTP/1.1\r\n'))).toThrow(WsProtocolError);
    expect(
      client()
        .push(clientFrame(1, Buffer.from('ok')))[0]!
        .payload.toString(),
    ).toBe('ok');
  });
});
