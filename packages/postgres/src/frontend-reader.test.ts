import fc from 'fast-check';
import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import {
  CANCEL_REQUEST,
  decodeBind,
  decodeCancelRequest,
  decodeExecute,
  decodeFunctionCall,
  decodeParse,
  decodeQuery,
  decodeStartupParams,
  decodeTarget,
  type FrontendMessage,
  FrontendProtocolError,
  FrontendReader,
  PROTOCOL_3_0,
  SSL_REQUEST,
} from './frontend-reader.js';

const LIMIT = 1 << 20;

function readAll(r: FrontendReader): FrontendMessage[] {
  const out: FrontendMessage[] = [];
  for (let m = r.next(); m; m = r.next()) {
    out.push(m);
    if (m.type === '' && m.code === PROTOCOL_3_0) r.startupPhase = false;
  }
  return out;
}

const session = Buffer.concat([
  serialize.requestSsl(),
  serialize.startup({ user: 'agent', database: 'orders', application_name: 'psql' }),
  serialize.password('eyJ.token'),
  serialize.query('select 1; select 2'),
  serialize.parse({ name: 's1', text: 'select $1::int', types: [23] }),
  serialize.bind({ portal: 'p1', statement: 's1', values: ['42', null] }),
  serialize.describe({ type: 'P', name: 'p1' }),
  serialize.execute({ portal: 'p1', rows: 10 }),
  serialize.close({ type: 'S', name: 's1' }),
  serialize.flush(),
  serialize.sync(),
  serialize.copyData(Buffer.from('1\tx\n')),
  serialize.copyDone(),
  serialize.copyFail('nope'),
  serialize.end(),
]);

describe('FrontendReader', () => {
  it('frames a whole session sent in one read (coalesced)', () => {
    const r = new FrontendReader({ maxMessageBytes: LIMIT });
    r.push(session);
    const msgs = readAll(r);
    expect(msgs.map((m) => m.type || String(m.code))).toEqual([
      String(SSL_REQUEST),
      String(PROTOCOL_3_0),
      'p',
      'Q',
      'P',
      'B',
      'D',
      'E',
      'C',
      'H',
      'S',
      'd',
      'c',
      'f',
      'X',
    ]);
    expect(Buffer.concat(msgs.map((m) => m.raw)).equals(session)).toBe(true);
    expect(Object.fromEntries(decodeStartupParams(msgs[1].body))).toEqual({
      user: 'agent',
      database: 'orders',
      application_name: 'psql',
      client_encoding: 'UTF8',
    });
    expect(decodeQuery(msgs[3].body)).toBe('select 1; select 2');
    expect(decodeParse(msgs[4].body)).toEqual({ name: 's1', text: 'select $1::int', paramTypes: [23] });
    expect(decodeBind(msgs[5].body)).toMatchObject({ portal: 'p1', statement: 's1', params: ['42', null] });
    expect(decodeTarget(msgs[6].body, 'Describe')).toEqual({ kind: 'P', name: 'p1' });
    expect(decodeExecute(msgs[7].body)).toEqual({ portal: 'p1', maxRows: 10 });
  });

  it('frames the same bytes fed one byte at a time and in random splits', () => {
    const one = new FrontendReader({ maxMessageBytes: LIMIT });
    const got: FrontendMessage[] = [];
    for (const b of session) {
      one.push(Buffer.from([b]));
      got.push(...readAll(one));
    }
    expect(Buffer.concat(got.map((m) => m.raw)).equals(session)).toBe(true);

    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: session.length - 1 }), { maxLength: 20 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const r = new FrontendReader({ maxMessageBytes: LIMIT });
        const msgs: FrontendMessage[] = [];
        let prev = 0;
        for (const p of [...points, session.length]) {
          r.push(session.subarray(prev, p));
          msgs.push(...readAll(r));
          prev = p;
        }
        return Buffer.concat(msgs.map((m) => m.raw)).equals(session) && r.buffered === 0;
      }),
    );
  });

  it('refuses an oversized message from its header, before buffering it', () => {
    const r = new FrontendReader({ maxMessageBytes: 100 });
    r.startupPhase = false;
    const big = serialize.query('x'.repeat(200));
    r.push(big.subarray(0, 5));
    expect(() => r.next()).toThrow(/max_message_bytes/);
    try {
      r.next();
    } catch (e) {
      expect(e).toBeInstanceOf(FrontendProtocolError);
      expect((e as FrontendProtocolError).code).toBe('54000');
    }
  });

  it('refuses unknown message types, bad lengths and oversized startup packets', () => {
    const r = new FrontendReader({ maxMessageBytes: LIMIT });
    r.startupPhase = false;
    r.push(Buffer.from([0x5a, 0, 0, 0, 4]));
    expect(() => r.next()).toThrow(/invalid frontend message type/);
    const r2 = new FrontendReader({ maxMessageBytes: LIMIT });
    r2.startupPhase = false;
    r2.push(Buffer.from([0x51, 0, 0, 0, 2]));
    expect(() => r2.next()).toThrow(/invalid message length/);
    const r3 = new FrontendReader({ maxMessageBytes: LIMIT });
    r3.push(Buffer.from([0, 1, 0, 0, 0, 3, 0, 0]));
    expect(() => r3.next()).toThrow(/startup packet/);
  });

  it('decodes cancel requests and function calls, and rejects truncated bodies', () => {
    const c = serialize.cancel(1234, -99);
    const r = new FrontendReader({ maxMessageBytes: LIMIT });
    r.push(c);
    const m = r.next()!;
    expect(m.code).toBe(CANCEL_REQUEST);
    expect(decodeCancelRequest(m.body)).toEqual({ pid: 1234, secret: -99 });
    // FunctionCall: oid 1598, no formats, one arg "abc", result format 0
    const body = Buffer.from([0, 0, 6, 0x3e, 0, 0, 0, 1, 0, 0, 0, 3, 0x61, 0x62, 0x63, 0, 0]);
    expect(decodeFunctionCall(body)).toEqual({ oid: 1598 });
    expect(() => decodeFunctionCall(body.subarray(0, 9))).toThrow(FrontendProtocolError);
    expect(() => decodeParse(Buffer.from('name\0text'))).toThrow(/unterminated/);
    expect(() => decodeBind(Buffer.from('\0\0\0\x01'))).toThrow(/truncated/);
  });
});
