import { createMasker } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import type { ColumnDescription } from './backend-reader.js';
import { maskBinaryValue, maskDataRow, numberText, planColumns } from './result-masking.js';

function row(values: (Buffer | string | null)[]): Buffer {
  const parts = values.map((v) => {
    const len = Buffer.alloc(4);
    if (v === null) {
      len.writeInt32BE(-1);
      return len;
    }
    const b = typeof v === 'string' ? Buffer.from(v) : v;
    len.writeInt32BE(b.length);
    return Buffer.concat([len, b]);
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(7);
  head[0] = 0x44;
  head.writeInt32BE(body.length + 6, 1);
  head.writeInt16BE(values.length, 5);
  return Buffer.concat([head, body]);
}

function fields(b: Buffer): (string | null)[] {
  expect(b[0]).toBe(0x44);
  expect(b.readInt32BE(1)).toBe(b.length - 1);
  const n = b.readInt16BE(5);
  let p = 7;
  const out: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    const len = b.readInt32BE(p);
    p += 4;
    if (len < 0) out.push(null);
    else {
      out.push(b.toString('latin1', p, p + len));
      p += len;
    }
  }
  expect(p).toBe(b.length);
  return out;
}

const col = (name: string, typeOid: number, format = 0): ColumnDescription => ({
  name,
  tableOid: 0,
  attnum: 0,
  typeOid,
  typeLen: -1,
  typeMod: -1,
  format,
});

describe('maskDataRow', () => {
  const masker = createMasker({
    detectors: ['email', 'credit_card'],
    columns: [{ match: 'secret', with: 'null' }],
  });
  const plan = planColumns(
    [col('id', 23), col('n', 25), col('email', 25), col('secret', 25), col('doc', 3802, 1), col('card', 25)],
    () => undefined,
    masker,
  );

  it('rewrites changed fields in place, keeps the rest byte for byte, lengths right', () => {
    const jsonb = Buffer.concat([Buffer.from([1]), Buffer.from('{"to": "ann@example.com"}')]);
    const src = row(['42', null, 'bob@example.com', 'hunter2', jsonb, '4111 1111 1111 1111 ü']);
    // a row inside a bigger chunk: start/end are honoured
    const chunk = Buffer.concat([Buffer.from('xyz'), src, Buffer.from('tail')]);
    const out = maskDataRow(chunk, 3, 3 + src.length, plan, masker, 'utf8');
    expect(out).toBeDefined();
    const f = fields(out as Buffer);
    expect(f[0]).toBe('42');
    expect(f[1]).toBeNull();
    expect(f[2]).toBe('[MASKED:email]');
    expect(f[3]).toBeNull(); // column rule "null"
    expect(f[4]).toBe('\u0001{"to": "[MASKED:email]"}'); // jsonb version byte kept
    expect(Buffer.from(f[5] as string, 'latin1').toString('utf8')).toBe('[MASKED:credit_card] ü');
  });

  it('returns undefined when nothing changes', () => {
    const src = row(['7', 'Alice Smith', null, null, null, 'no card here']);
    expect(maskDataRow(src, 0, src.length, plan, masker, 'utf8')).toBeUndefined();
  });
});

/** Binary int16/int32 words. */
const words = (spec: [16 | 32, number][]) =>
  Buffer.concat(
    spec.map(([bits, v]) => {
      const b = Buffer.alloc(bits / 8);
      if (bits === 16) b.writeUInt16BE(v & 0xffff);
      else b.writeInt32BE(v);
      return b;
    }),
  );
const withLen = (b: Buffer | null) =>
  b === null ? words([[32, -1]]) : Buffer.concat([words([[32, b.length]]), b]);
/** A binary one-dimensional array of `elemOid`. */
const binArray = (elemOid: number, elems: (Buffer | null)[]) =>
  Buffer.concat([
    words([
      [32, 1],
      [32, elems.includes(null) ? 1 : 0],
      [32, elemOid],
      [32, elems.length],
      [32, 1],
    ]),
    ...elems.map(withLen),
  ]);
const binRecord = (fields: [number, Buffer | null][]) =>
  Buffer.concat([
    words([[32, fields.length]]),
    ...fields.map(([oid, b]) => Buffer.concat([words([[32, oid]]), withLen(b)])),
  ]);

describe('binary values with text or numbers inside', () => {
  const masker = createMasker({ detectors: ['email', 'credit_card'] });

  it('reads binary numeric as the text format shows it', () => {
    const numeric = (nd: number, weight: number, sign: number, dscale: number, digits: number[]) =>
      words([[16, nd], [16, weight], [16, sign], [16, dscale], ...digits.map((d): [16, number] => [16, d])]);
    const t = (b: Buffer) => numberText(1700, b, 0, b.length);
    expect(t(numeric(4, 3, 0, 0, [4111, 1111, 1111, 1111]))).toBe('4111111111111111');
    expect(t(numeric(2, 0, 0, 1, [12, 5000]))).toBe('12.5');
    expect(t(numeric(1, -1, 0x4000, 4, [12]))).toBe('-0.0012');
    expect(t(numeric(1, 1, 0, 2, [7]))).toBe('70000.00');
    expect(t(numeric(0, 0, 0xc000, 0, []))).toBe('NaN');
    const int8 = Buffer.alloc(8);
    int8.writeBigInt64BE(4111111111111111n);
    expect(numberText(20, int8, 0, 8)).toBe('4111111111111111');
  });

  it('masks text inside a binary text[] and keeps the array well formed', () => {
    const src = binArray(25, [Buffer.from('plain'), null, Buffer.from('mail bob@example.com')]);
    const out = maskBinaryValue(1009, src, masker, 'utf8', undefined, 0) as Buffer;
    expect(out).toEqual(binArray(25, [Buffer.from('plain'), null, Buffer.from('mail [MASKED:email]')]));
  });

  it('masks inside records and arrays of records; a masked bigint inside becomes NULL (and the array says it has NULLs)', () => {
    const card = Buffer.alloc(8);
    card.writeBigInt64BE(4111111111111111n);
    const rec = binRecord([
      [25, Buffer.from('ann@example.com')],
      [20, card],
    ]);
    const out = maskBinaryValue(2287, binArray(2249, [rec]), masker, 'utf8', undefined, 0) as Buffer;
    expect(out).toEqual(
      binArray(2249, [
        binRecord([
          [25, Buffer.from('[MASKED:email]')],
          [20, null],
        ]),
      ]),
    );
    const ints = binArray(20, [card]);
    expect(maskBinaryValue(1016, ints, masker, 'utf8', undefined, 0)).toEqual(binArray(20, [null]));
  });

  it('leaves values with nothing to mask alone and refuses malformed ones', () => {
    const src = binArray(23, [words([[32, 7]])]);
    expect(maskBinaryValue(1007, src, masker, 'utf8', undefined, 0)).toBeUndefined();
    expect(() =>
      maskBinaryValue(1009, src.subarray(0, src.length - 1), masker, 'utf8', undefined, 0),
    ).toThrow(RangeError);
  });

  it('plans binary numbers, arrays and records for inspection, and a ruled binary date as NULL', () => {
    const ruled = createMasker({ detectors: ['email'], columns: [{ match: 'born', with: 'redact' }] });
    const plan = planColumns(
      [
        col('n', 20, 1),
        col('a', 1009, 1),
        col('r', 2249, 1),
        col('born', 1082, 1),
        col('born', 1082),
        col('d', 1082, 1),
      ],
      () => undefined,
      ruled,
    );
    expect(plan.map((p) => p.mode)).toEqual([4, 5, 5, 3, 1, 0]);
  });
});
