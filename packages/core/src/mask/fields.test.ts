// maskFieldsBytes() (a COPY text row masked field by field on its bytes) must give exactly what
// value() gives on the whole decoded line: same text, same counts, for every detector set.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Detector } from '../config/types.js';
import { FieldEdits, maskFieldsBytes } from './fields.js';
import { createMasker } from './masker.js';
import { ALL_DETECTORS, IN_CONTEXT, NEGATIVE, PEM_RSA, POSITIVE } from './testing/samples.js';

const SETS: Detector[][] = [
  ALL_DETECTORS,
  ['email', 'credit_card', 'us_ssn', 'phone', 'iban', 'aws_access_key', 'private_key', 'jwt', 'api_key'],
  ['email', 'credit_card'],
  ['us_ssn', 'phone'],
  ['api_key', 'jwt', 'aws_access_key', 'aws_secret_key'],
];

const corpus: string[] = [
  ...Object.values(POSITIVE).flat(),
  ...Object.values(NEGATIVE).flat(),
  ...IN_CONTEXT.map(([, input]) => input),
];
// Pieces that make a match or its context reach over a separator.
const CROSSERS = [
  'ssn',
  'SSN:',
  'ss#',
  'social security',
  'Social Security number',
  '536221234',
  '536 22 1234',
  '123-45-6789',
  'token',
  'token:',
  ' = ',
  '=',
  ':',
  'api_key ',
  'Bearer',
  'bearer ',
  'Zx8fK2mQ9vL4pR7tW1yB',
  'a8f5f167f44f4964e6c998dee827110c',
  '-----BEGIN RSA PRIVATE KEY-----',
  '-----END RSA PRIVATE KEY-----',
  PEM_RSA,
  'password',
  'DB_PASSWORD',
  '--password ',
  '--password',
  'pwd',
  '"',
  "'",
  'hunter22',
  'Pa55w0rd!x',
  'postgres://',
  'app:S3cr3t!@db',
  ':pw@',
  'aws_secret_access_key',
  'AKIAIOSFODNN7EXAMPLE',
  'lHlsZfYcMMDktXP+tKsf2rcDkdfrUnW5gcF/Ha6i',
  'üüüüüüüüüüüüüüüüü',
  '€€€€€€€€€€',
  '4111',
  '1111 1111 1111',
  '+1 (415)',
  '555-2671',
  'john@',
  'example.com',
  '',
  ' ',
  '\\t',
  '\\n',
];

const piece = fc.oneof(
  fc.constantFrom(...corpus),
  fc.constantFrom(...CROSSERS),
  fc.string({ maxLength: 12 }),
  fc.stringMatching(/^[0-9 .()+-]{0,14}$/),
  // a corpus value cut in two by a separator
  fc.tuple(fc.constantFrom(...corpus), fc.nat(), fc.constantFrom('\t', '\n')).map(([s, k, sep]) => {
    const at = k % (s.length + 1);
    return s.slice(0, at) + sep + s.slice(at);
  }),
);
const line = fc
  .tuple(
    fc.array(fc.array(piece, { minLength: 0, maxLength: 3 }), { minLength: 1, maxLength: 7 }),
    fc.boolean(),
  )
  .map(([fields, nl]) => fields.map((f) => f.join('')).join('\t') + (nl ? '\n' : ''));

function apply(buf: Buffer, edits: FieldEdits, enc: 'utf8' | 'latin1'): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (let k = 0; k < edits.count; k++) {
    parts.push(buf.subarray(pos, edits.starts[k]), Buffer.from(edits.texts[k]!, enc));
    pos = edits.ends[k]!;
  }
  parts.push(buf.subarray(pos));
  return Buffer.concat(parts);
}

const edits = new FieldEdits();

function same(text: string, detectors: Detector[], enc: 'utf8' | 'latin1' = 'utf8', named = true): void {
  const fast = createMasker({ detectors });
  const slow = createMasker({ detectors });
  // without `detectors` on the masker, every crossing shape is looked for
  const m = named ? fast : { value: fast.value, counts: fast.counts, stream: fast.stream, json: fast.json };
  const bytes = Buffer.concat([Buffer.from('xx'), Buffer.from(text, enc), Buffer.from('yy')]);
  const decoded = bytes.toString(enc, 2, bytes.length - 2);
  const expected = slow.value(decoded);
  const changed = maskFieldsBytes(m, bytes, 2, bytes.length - 2, enc, edits);
  expect(changed, JSON.stringify(text)).toBe(expected !== decoded);
  const out = changed ? apply(bytes, edits, enc) : bytes;
  expect(out.toString(enc, 2, out.length - 2), JSON.stringify(text)).toBe(expected);
  expect(fast.counts, JSON.stringify(text)).toEqual(slow.counts);
}

describe('maskFieldsBytes', () => {
  it('masks a COPY row field by field as value() masks the line', () => {
    const row =
      '42\tAlice Smith\talice.42@example.com\t4111111111111111\tOrder 42 shipped, notes: call first\n';
    for (const d of SETS) same(row, d);
    const m = createMasker({ detectors: ALL_DETECTORS });
    const bytes = Buffer.from(row);
    expect(maskFieldsBytes(m, bytes, 0, bytes.length, 'utf8', edits)).toBe(true);
    // only the email and the card are rewritten, as ranges of the original bytes
    expect(edits.count).toBe(2);
    expect(bytes.toString('utf8', edits.starts[0], edits.ends[0])).toBe('alice.42@example.com');
    expect(edits.texts[1]).toBe('[MASKED:credit_card]');
  });

  it('gives value() of the line when context or a match reaches over a tab', () => {
    const cases = [
      'id\tssn\t536221234\n',
      'SSN:\t536 22 1234',
      'x\tsocial security\t536221234',
      'üüüüüüüüüüüüüüüüüüüüüüüüüüüüss#\t536221234',
      `${'x'.repeat(100)}\tSSN\t536221234`,
      `${'x'.repeat(100)}\tssn\t536221234`,
      `${'x'.repeat(100)}\tSocial Security\t536221234`,
      `${'x'.repeat(100)}\tSOCIAL SECURITY\t536221234`,
      `${'x'.repeat(100)}\tsSn\t536221234`,
      // the context is 25 characters but 45 bytes before the number
      `ssn ${'ü'.repeat(20)}\t536221234`,
      'token:\tZx8fK2mQ9vL4pR7tW1yB\n',
      'api_key\t=\tZx8fK2mQ9vL4pR7tW1yB',
      'Authorization: Bearer\tZx8fK2mQ9vL4pR7tW1yB',
      `1\t${PEM_RSA.replace(/\n/g, '\t')}\t2`,
      '-----BEGIN EC PRIVATE KEY-----\tMHcCAQEEIBkg4LVW\tmore',
      'aws_secret_access_key\tlHlsZfYcMMDktXP+tKsf2rcDkdfrUnW5gcF/Ha6i',
      'AKIAIOSFODNN7EXAMPLE\tlHlsZfYcMMDktXP+tKsf2rcDkdfrUnW5gcF/Ha6i',
    ];
    for (const c of cases) for (const d of SETS) for (const named of [true, false]) same(c, d, 'utf8', named);
  });

  it('equals value() of the line on generated lines (utf8 and latin1, with and without the detector list)', () => {
    fc.assert(
      fc.property(
        line,
        fc.constantFrom(...SETS),
        fc.constantFrom<'utf8' | 'latin1'>('utf8', 'latin1'),
        fc.boolean(),
        (text, d, enc, named) => same(text, d, enc, named),
      ),
      { numRuns: 3000 },
    );
  });

  it('equals value() of the line on invalid UTF-8', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...corpus, ...CROSSERS), fc.uint8Array({ maxLength: 6 }))),
        (ps) => {
          const bytes = Buffer.concat(
            ps.map((p, i) => (typeof p === 'string' ? Buffer.from(p + (i % 2 ? '\t' : '')) : Buffer.from(p))),
          );
          const fast = createMasker({ detectors: ALL_DETECTORS });
          const slow = createMasker({ detectors: ALL_DETECTORS });
          const expected = slow.value(bytes.toString('utf8'));
          const changed = maskFieldsBytes(fast, bytes, 0, bytes.length, 'utf8', edits);
          const out = changed ? apply(bytes, edits, 'utf8') : bytes;
          expect(out.toString('utf8')).toBe(expected);
          expect(fast.counts).toEqual(slow.counts);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
