// mayMask() stops at the first '@'; it must answer what the whole pre-scan and every gate answer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mayMask, mayMaskByPrescan } from './byte-precheck.js';
import { createMasker } from './masker.js';
import { IN_CONTEXT, NEGATIVE, POSITIVE } from './testing/samples.js';

const corpus = [
  ...Object.values(POSITIVE).flat(),
  ...Object.values(NEGATIVE).flat(),
  ...IN_CONTEXT.map(([, s]) => s),
];

describe('mayMask', () => {
  it('answers as the whole pre-scan does', () => {
    for (const s of corpus) {
      const b = Buffer.from(`ab ${s} ü`);
      expect(mayMask(b, 3, b.length - 3), s).toBe(mayMaskByPrescan(b, 3, b.length - 3));
    }
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(...corpus),
            fc.string({ maxLength: 20 }),
            fc.constantFrom('@', '-----', ' ', '4111', ':', '=', 'password=', '--pwd ', '://u:'),
          ),
        ),
        fc.uint8Array({ maxLength: 8 }),
        (parts, noise) => {
          const b = Buffer.concat([Buffer.from(parts.join('')), Buffer.from(noise)]);
          expect(mayMask(b, 0, b.length)).toBe(mayMaskByPrescan(b, 0, b.length));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('mayMask never skips a value a detector masks, for the short shapes only one gate lets through', () => {
  const m = createMasker({
    detectors: ['email', 'api_key', 'credit_card', 'us_ssn', 'iban'],
    columns: [],
    jsonPaths: [],
    replacement: '[MASKED:{type}]',
  });
  for (const v of [
    'x\\u0040ex.io', // only the email gate: an escaped '@' counts as one
    'a\\u002bb\\u0040ex.io',
    'pwd=Zq9!xw7#',
    'Authorization: Basic YTpiY2Rl',
    '1,4111111111111111',
    'gb82west12345698765432',
    'de89 3704 0044 0532 0130 00',
  ]) {
    it(JSON.stringify(v), () => {
      expect(m.value(v)).not.toBe(v);
      const b = Buffer.from(v);
      expect(mayMask(b, 0, b.length)).toBe(true);
      expect(mayMaskByPrescan(b, 0, b.length)).toBe(true);
    });
  }
});

describe('a ":" or "=" opens the api_key gate only where its finder looks further', () => {
  const m = createMasker({
    detectors: ['api_key'],
    columns: [],
    jsonPaths: [],
    replacement: '[MASKED:{type}]',
  });
  // free text with separators but no credential name: forwarded undecoded (the bulk-read hot path)
  for (const v of [
    'Order 123456 shipped to warehouse 45; customer notes: leave at the front desk',
    'meeting at 12:30, room=B; status: done, a=b',
    'x=Pa55w0rd!x',
  ]) {
    it(`skips ${JSON.stringify(v)}`, () => {
      expect(m.value(v)).toBe(v);
      const b = Buffer.from(v);
      expect(mayMask(b, 0, b.length)).toBe(false);
    });
  }
  // every name shape the finder takes, after blanks, a quote and an escaping backslash, and URL credentials
  for (const v of [
    'db password: Zq9!xw7#Lm',
    'PASSWD =  Zq9!xw7#Lm',
    '{\\"pwd\\": \\"Zq9!xw7#Lm\\"}',
    'passphrase=correct-horse-battery',
    "api_key='AbCdEf0123456789xyz'",
    'sessionToken: AbCdEf0123456789xyz',
    'client_secret\t= AbCdEf0123456789xyz',
    'Authorization: Token AbCdEf0123456789xyz',
    'see postgres://app:Zq9xw7Lm@db/x',
  ]) {
    it(`keeps ${JSON.stringify(v)}`, () => {
      expect(m.value(v)).not.toBe(v);
      const b = Buffer.from(v);
      expect(mayMask(b, 0, b.length)).toBe(true);
    });
  }
});
