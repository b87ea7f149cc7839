// The relay's in-place rewriters against the code they replaced: maskDataRowInto() gives the bytes
// the previous maskDataRow() built (a changed-field array, then a copy), maskCopyTextInto() gives
// what value() of the whole COPY line re-encoded gave; RelayOutput hands out exactly the messages
// it was given, in order, and never reuses memory the socket may still hold.
import { createMasker, type Masker } from '@portcullis/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_DETECTORS, IN_CONTEXT, NEGATIVE, POSITIVE } from '../../core/src/mask/testing/samples.js';
import { BackendFramer, RelayOutput } from './backend-framer.js';
import type { ColumnDescription } from './backend-reader.js';
import {
  ColumnMode,
  type ColumnPlan,
  maskCopyTextInto,
  maskDataRowInto,
  planColumns,
  type TextEncoding,
} from './result-masking.js';

const corpus = [
  ...Object.values(POSITIVE).flat(),
  ...Object.values(NEGATIVE).flat(),
  ...IN_CONTEXT.map(([, s]) => s),
  'Alice Smith',
  'alice.42@example.com',
  'ssn',
  'token:',
  '',
  'ü€ x',
];

/** The previous maskDataRow(), kept as the reference. */
function referenceDataRow(
  buf: Buffer,
  start: number,
  plan: ColumnPlan[],
  masker: Masker,
  enc: TextEncoding,
): Buffer | undefined {
  const n = buf.readInt16BE(start + 5);
  let p = start + 7;
  const changed: (string | null | undefined)[] = new Array(n);
  let any = false;
  for (let i = 0; i < n; i++) {
    const len = buf.readInt32BE(p);
    p += 4;
    if (len < 0) continue;
    const col = plan[i];
    if (col?.mode === ColumnMode.Null) {
      masker.value(buf.toString(enc, p, p + len), col.context);
      changed[i] = null;
      any = true;
    } else if (col !== undefined && col.mode !== ColumnMode.Skip && len > 0) {
      const off = col.mode === ColumnMode.BinaryJsonb ? 1 : 0;
      const text = buf.toString(enc, p + off, p + len);
      const masked = masker.value(text, col.context);
      if (masked !== text) {
        changed[i] = masked;
        any = true;
      }
    }
    p += len;
  }
  if (!any) return undefined;
  const parts: Buffer[] = [];
  p = start + 7;
  for (let i = 0; i < n; i++) {
    const len = buf.readInt32BE(p);
    const c = changed[i];
    const lenBuf = Buffer.alloc(4);
    if (c === undefined) parts.push(buf.subarray(p, p + 4 + Math.max(len, 0)));
    else if (c === null) {
      lenBuf.writeInt32BE(-1);
      parts.push(lenBuf);
    } else {
      const jsonb = plan[i]?.mode === ColumnMode.BinaryJsonb;
      const body = Buffer.concat([jsonb ? buf.subarray(p + 4, p + 5) : Buffer.alloc(0), Buffer.from(c, enc)]);
      lenBuf.writeInt32BE(body.length);
      parts.push(lenBuf, body);
    }
    p += 4 + Math.max(len, 0);
  }
  const body = Buffer.concat(parts);
  const head = Buffer.from(buf.subarray(start, start + 7));
  head.writeInt32BE(body.length + 6, 1);
  return Buffer.concat([head, body]);
}

function dataRow(values: (Buffer | null)[]): Buffer {
  const parts: Buffer[] = [];
  for (const v of values) {
    const l = Buffer.alloc(4);
    l.writeInt32BE(v === null ? -1 : v.length);
    parts.push(l);
    if (v !== null) parts.push(v);
  }
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(7);
  h[0] = 0x44;
  h.writeInt32BE(body.length + 6, 1);
  h.writeInt16BE(values.length, 5);
  return Buffer.concat([h, body]);
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
const COLS = [
  col('id', 23),
  col('name', 25),
  col('email', 25),
  col('secret', 25),
  col('doc', 3802, 1),
  col('ssn', 25),
  col('hash', 25),
  col('note', 1043, 1),
];

const value = fc.oneof(
  fc.constant(null),
  fc.constantFrom(...corpus).map((s) => Buffer.from(s)),
  fc.string({ maxLength: 30 }).map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
  fc.tuple(fc.constantFrom(...corpus), fc.constantFrom(...corpus)).map(([a, b]) => Buffer.from(`${a} ${b}`)),
);

describe('maskDataRowInto', () => {
  it('builds the bytes the previous maskDataRow built, rows side by side in one output', () => {
    const rules = [
      { match: 'secret', with: 'null' as const },
      { match: 'hash', with: 'redact' as const },
    ];
    fc.assert(
      fc.property(
        fc.array(fc.array(value, { minLength: 8, maxLength: 8 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom<TextEncoding>('utf8', 'latin1'),
        (rows, enc) => {
          const a = createMasker({ detectors: ALL_DETECTORS, columns: rules });
          const b = createMasker({ detectors: ALL_DETECTORS, columns: rules });
          const planA = planColumns(COLS, () => undefined, a, new Map());
          const planB = planColumns(COLS, () => undefined, b, new Map());
          const out = new RelayOutput();
          const expected: Buffer[] = [];
          const chunk = Buffer.concat([Buffer.from('zz'), ...rows.map((r) => dataRow(r))]);
          let p = 2;
          for (const r of rows) {
            const end = p + dataRow(r).length;
            const at = maskDataRowInto(chunk, p, end, planA, a, enc, out);
            if (at < 0) out.pass(chunk, p, end);
            expected.push(referenceDataRow(chunk, p, planB, b, enc) ?? chunk.subarray(p, end));
            p = end;
          }
          expect(out.take()?.equals(Buffer.concat(expected))).toBe(true);
          expect(a.counts).toEqual(b.counts);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('maskDataRowInto, client_encoding changing mid-result', () => {
  it('encodes a repeated masked text in the encoding of its row', () => {
    const m = createMasker({ detectors: ['credit_card'] });
    const plan = planColumns([col('note', 25)], () => undefined, m, new Map());
    const utf8Row = dataRow([Buffer.from('ü 4111111111111111', 'utf8')]);
    const latin1Row = dataRow([Buffer.from('ü 4111111111111111', 'latin1')]);
    const got: Buffer[] = [];
    for (const [r, enc] of [
      [utf8Row, 'utf8'],
      [utf8Row, 'utf8'],
      [latin1Row, 'latin1'],
    ] as const) {
      const out = new RelayOutput();
      maskDataRowInto(r, 0, r.length, plan, m, enc, out);
      got.push(out.take() as Buffer);
    }
    expect(got[1]?.equals(dataRow([Buffer.from('ü [MASKED:credit_card]', 'utf8')]))).toBe(true);
    expect(got[2]?.equals(dataRow([Buffer.from('ü [MASKED:credit_card]', 'latin1')]))).toBe(true);
  });
});

describe('maskCopyTextInto', () => {
  const copyData = (line: string): Buffer => {
    const b = Buffer.from(line);
    const h = Buffer.alloc(5);
    h[0] = 0x64;
    h.writeInt32BE(b.length + 4, 1);
    return Buffer.concat([h, b]);
  };
  it('gives value() of the whole line, re-encoded (the previous COPY path)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom(...corpus), { maxLength: 6 }), { minLength: 1, maxLength: 5 }),
        (lines) => {
          const a = createMasker({ detectors: ALL_DETECTORS });
          const b = createMasker({ detectors: ALL_DETECTORS });
          const out = new RelayOutput();
          const expected: Buffer[] = [];
          for (const fields of lines) {
            const line = `${fields.join('\t')}\n`;
            const msg = copyData(line);
            if (maskCopyTextInto(msg, 0, msg.length, a, 'utf8', out) < 0) out.pass(msg, 0, msg.length);
            const masked = b.value(line);
            expected.push(masked === line ? msg : copyData(masked));
          }
          expect(out.take()?.toString('latin1')).toBe(Buffer.concat(expected).toString('latin1'));
          expect(a.counts).toEqual(b.counts);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('framer + maskDataRowInto + RelayOutput, any split of the upstream bytes', () => {
  it('sends the same masked bytes whatever the TCP reads were (secrets split across reads included)', () => {
    const m0 = createMasker({ detectors: ALL_DETECTORS });
    const plan0 = planColumns(COLS.slice(0, 3), () => undefined, m0, new Map());
    const rows = [
      ['1', 'Alice Smith', 'alice.1@example.com'],
      ['2', '4111 1111 1111 1111', 'call +1 (415) 555-2671'],
      ['3', 'x'.repeat(300), 'AKIAIOSFODNN7EXAMPLE'],
    ].map((r) => dataRow(r.map((v) => Buffer.from(v))));
    const stream = Buffer.concat(rows);
    const relay = (chunks: Buffer[], m: Masker, plan: ColumnPlan[]): Buffer => {
      const f = new BackendFramer(1 << 20);
      const sent: Buffer[] = [];
      const out = new RelayOutput(); // one for the whole stream: its buffer is reused after recycle()
      for (const c of chunks) {
        f.push(c);
        while (f.next()) {
          if (maskDataRowInto(f.buf, f.start, f.end, plan, m, 'utf8', out) < 0)
            out.pass(f.buf, f.start, f.end);
        }
        const b = out.take();
        if (b) sent.push(Buffer.from(b)); // the socket's copy
        out.recycle();
      }
      return Buffer.concat(sent);
    };
    const whole = relay([stream], m0, plan0);
    expect(whole.toString()).toContain('[MASKED:email]');
    expect(whole.toString()).toContain('[MASKED:credit_card]');
    expect(whole.toString()).toContain('[MASKED:aws_access_key]');
    for (let a = 1; a < stream.length; a += 3) {
      for (const b of [a + 1, a + 7, a + 40]) {
        if (b >= stream.length) continue;
        const m = createMasker({ detectors: ALL_DETECTORS });
        const plan = planColumns(COLS.slice(0, 3), () => undefined, m, new Map());
        const got = relay([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)], m, plan);
        expect(got.equals(whole), `split at ${a}, ${b}`).toBe(true);
      }
    }
  });
});

describe('RelayOutput', () => {
  it('passes a run of unchanged messages on as one view of their chunk', () => {
    const chunk = Buffer.from('aaaabbbbcccc');
    const out = new RelayOutput();
    out.pass(chunk, 0, 4);
    out.pass(chunk, 4, 8);
    const b = out.take();
    expect(b?.buffer).toBe(chunk.buffer);
    expect(b?.toString()).toBe('aaaabbbb');
    expect(out.take()).toBeUndefined();
  });

  it('gathers views and written bytes in order once something is written, and grows', () => {
    const chunk = Buffer.from('aaaabbbbcccc');
    const out = new RelayOutput();
    out.sizeHint = 4;
    out.pass(chunk, 0, 4);
    const at = out.reserve(3);
    out.buf.write('XYZ', at);
    out.len += 3;
    out.pass(chunk, 8, 12);
    out.pass(Buffer.from('d'.repeat(100)), 0, 100);
    expect(out.take()?.toString()).toBe(`aaaaXYZcccc${'d'.repeat(100)}`);
  });

  it('reuses its own buffer only after recycle(), never a chunk it was given', () => {
    const chunk = Buffer.from('aaaabbbb');
    const out = new RelayOutput();
    out.pass(chunk, 0, 8);
    out.take();
    out.recycle(); // a view of the chunk: nothing to reuse
    out.reserve(1);
    expect(out.buf.buffer).not.toBe(chunk.buffer);
    out.buf[0] = 1;
    out.len = 1;
    const first = out.take();
    out.reserve(1);
    expect(out.buf.buffer).not.toBe(first?.buffer); // not recycled: the socket may still hold it
    out.len = 1;
    const second = out.take();
    out.recycle();
    out.reserve(1);
    expect(out.buf.buffer).toBe(second?.buffer);
  });
});
