import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BackendFramer } from './backend-framer.js';
import { dataRow, errorResponse, readyForQuery } from './backend-writer.js';

const stream = Buffer.concat([
  dataRow([Buffer.from('a'), null, Buffer.from('long value '.repeat(50))]),
  errorResponse({ severity: 'ERROR', code: '42501', message: 'no' }),
  dataRow([]),
  readyForQuery('I'),
]);

function frames(f: BackendFramer): Buffer[] {
  const out: Buffer[] = [];
  while (f.next()) out.push(Buffer.from(f.buf.subarray(f.start, f.end)));
  return out;
}

describe('BackendFramer', () => {
  it('returns whole messages as views of the chunk they came in (no copy)', () => {
    const f = new BackendFramer(1 << 20);
    f.push(stream);
    const views: Buffer[] = [];
    while (f.next()) {
      expect(f.buf).toBe(stream);
      views.push(f.buf.subarray(f.start, f.end));
    }
    expect(views.map((v) => String.fromCharCode(v[0])).join('')).toBe('DEDZ');
    expect(Buffer.concat(views).equals(stream)).toBe(true);
  });

  it('assembles messages split anywhere across reads', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 30 }), (cuts) => {
        const f = new BackendFramer(1 << 20);
        const out: Buffer[] = [];
        let prev = 0;
        for (const p of [...[...new Set(cuts)].sort((a, b) => a - b), stream.length]) {
          f.push(stream.subarray(prev, p));
          out.push(...frames(f));
          prev = p;
        }
        return Buffer.concat(out).equals(stream) && out.length === 4 && f.buffered === 0;
      }),
    );
  });

  it('keeps unread messages when the caller stops early', () => {
    const f = new BackendFramer(1 << 20);
    f.push(stream.subarray(0, 20));
    expect(f.next()).toBe(false);
    f.push(stream.subarray(20));
    expect(f.next()).toBe(true); // first DataRow
    f.push(Buffer.alloc(0));
    expect(frames(f).length).toBe(3);
  });

  it('refuses oversized and invalid lengths', () => {
    const f = new BackendFramer(100);
    f.push(dataRow([Buffer.alloc(200)]));
    expect(() => f.next()).toThrow(/max_message_bytes/);
    const g = new BackendFramer(100);
    g.push(Buffer.from([0x44, 0, 0, 0, 1]));
    expect(() => g.next()).toThrow(/invalid backend message length/);
  });
});
