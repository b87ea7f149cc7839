import { createMasker, mayMask } from '@portcullis/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_DETECTORS, IN_CONTEXT, NEGATIVE, POSITIVE } from '../../core/src/mask/testing/samples.js';
import { ColumnMode, maskDataRow, planColumns } from './result-masking.js';

const masker = createMasker({ detectors: ALL_DETECTORS });
const corpus = [
  ...Object.values(POSITIVE).flat(),
  ...IN_CONTEXT.map(([, text]) => text),
  ...Object.values(NEGATIVE).flat(),
];

/** The property: whenever value() changes a text, the pre-check on its bytes says "may mask". */
function neverSkipsAMask(text: string, enc: 'utf8' | 'latin1' = 'utf8'): void {
  const bytes = Buffer.from(text, enc);
  // What the listener would decode is what value() sees.
  const decoded = bytes.toString(enc);
  if (masker.value(decoded) !== decoded) expect(mayMask(bytes, 0, bytes.length), decoded).toBe(true);
  if (masker.value(decoded, { column: 'ssn' }) !== decoded)
    expect(mayMask(bytes, 0, bytes.length)).toBe(true);
}

describe('value pre-check', () => {
  it('lets every masked sample of the detector corpus through to value()', () => {
    let masked = 0;
    for (const s of corpus) {
      neverSkipsAMask(s);
      neverSkipsAMask(`x ${s} ü€ y`);
      if (masker.value(s) !== s) masked++;
    }
    expect(masked).toBeGreaterThan(50);
  });

  it('skips values that no detector can match', () => {
    for (const s of [
      'Alice Smith',
      '123456',
      'Order 123 shipped to warehouse 45; leave at the desk',
      'true',
    ]) {
      expect(masker.value(s)).toBe(s);
      const b = Buffer.from(s);
      expect(mayMask(b, 0, b.length), s).toBe(false);
    }
  });

  it('never skips a value value() would change (random mixes of corpus pieces, unicode and noise)', () => {
    const piece = fc.oneof(
      fc.constantFrom(...corpus),
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc.string({ unit: fc.constantFrom(...'0123456789 -.()@AKIAeyJ_+/=-aZ'.split('')), maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 5 }), fc.boolean(), (parts, latin1) => {
        const text = parts.join(latin1 ? ' ' : '');
        neverSkipsAMask(text, 'utf8');
        if (latin1) neverSkipsAMask(text, 'latin1');
      }),
      { numRuns: 3000 },
    );
  });

  it('invalid UTF-8 bytes: the decoded text is judged the same way', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...corpus), (noise, s) => {
        const bytes = Buffer.concat([Buffer.from(noise), Buffer.from(s), Buffer.from(noise)]);
        const decoded = bytes.toString('utf8');
        if (masker.value(decoded) !== decoded) expect(mayMask(bytes, 0, bytes.length)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('DataRow: a column under a column rule always goes to value(), however plain the value', () => {
    const ruled = createMasker({ detectors: ['email'], columns: [{ match: 'users.name', with: 'redact' }] });
    const plan = planColumns(
      [
        { name: 'name', tableOid: 1, attnum: 1, typeOid: 25, typeLen: -1, typeMod: -1, format: 0 },
        { name: 'note', tableOid: 1, attnum: 2, typeOid: 25, typeLen: -1, typeMod: -1, format: 0 },
      ],
      () => ({
        table: 'users',
        schema: 'public',
        columns: new Map([
          [1, 'name'],
          [2, 'note'],
        ]),
      }),
      ruled,
    );
    expect(plan.map((p) => [p.mode, p.precheck])).toEqual([
      [ColumnMode.Text, false],
      [ColumnMode.Text, true],
    ]);
    const row = dataRowOf(['Bob', 'plain note']);
    const out = maskDataRow(row, 0, row.length, plan, ruled, 'utf8');
    expect(out?.toString('latin1')).toContain('[MASKED:column]');
    expect(out?.toString('latin1')).toContain('plain note');
  });
});

function dataRowOf(values: string[]): Buffer {
  const parts = values.map((v) => {
    const b = Buffer.from(v);
    const len = Buffer.alloc(4);
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
