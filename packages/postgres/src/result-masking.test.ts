import { createMasker } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import type { ColumnDescription } from './backend-reader.js';
import { maskDataRow, planColumns } from './result-masking.js';

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
