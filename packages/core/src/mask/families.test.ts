// Families of real-world formats, generated: every path (value(), valueBytes(), the byte pre-check,
// COPY fields, the stream at random chunkings) must give what every detector run ungated gives, and
// JSON documents must be masked the same by json(), maskJsonBytes() and the text stream.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Detector } from '../config/types.js';
import { mayMask } from './byte-precheck.js';
import { luhnValid } from './checksums.js';
import { DETECTORS } from './detectors.js';
import { FieldEdits, maskFieldsBytes } from './fields.js';
import { createMasker } from './masker.js';
import { findAll, render, resolve } from './scan.js';
import { ALL_DETECTORS, AWS_SESSION_TOKEN } from './testing/samples.js';

const masker = (detectors: Detector[] = ALL_DETECTORS) =>
  createMasker({ detectors, columns: [], jsonPaths: [], replacement: '[MASKED:{type}]' });
const SSH: Detector[] = ['aws_access_key', 'private_key', 'jwt', 'api_key'];

function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
  throw new Error('unreachable');
}
const card = fc
  .tuple(fc.constantFrom('4', '51', '2221', '37', '6011', '3530', '62', '36'), fc.constantFrom(14, 15, 16))
  .chain(([p, len]) =>
    fc.stringMatching(new RegExp(`^[0-9]{${len - p.length - 1}}$`)).map((mid) => withCheckDigit(p + mid)),
  );
const iban = fc.constantFrom(
  'GB82WEST12345698765432',
  'gb82west12345698765432',
  'DE89 3704 0044 0532 0130 00',
  'de89 3704 0044 0532 0130 00',
  'AT611904300234573201',
  'Gb82West12345698765432',
);
const email = fc.constantFrom(
  'john.doe+tag@example.com',
  'git@github.com',
  'git@github.com:org/repo.git',
  'JOHN@EXAMPLE.COM',
  'a@b',
  'x@example.photography',
);
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const header = fc
  .tuple(
    fc.constantFrom('Authorization', 'authorization', 'Proxy-Authorization', 'auth', '"authorization"'),
    fc.constantFrom(': ', '=', ' = ', ':"', ': \t'),
    fc.constantFrom('Basic', 'basic', 'Bearer', 'Token', 'Digest'),
    fc.constantFrom(' ', '  ', '\t'),
    fc.constantFrom(
      b64('admin:hunter2'),
      b64('a:bcde'),
      b64('no colon here'),
      'Zx8fK2mQ9vL4pR7tW1yB',
      '$TOKEN',
      '<token>',
      'realm="api"',
      AWS_SESSION_TOKEN,
    ),
    fc.constantFrom('', '"', '\n', ' x', ','),
  )
  .map((p) => p.join(''));
const assignment = fc
  .tuple(
    fc.constantFrom(
      'SECRET_KEY',
      'client_secret',
      'sessionToken',
      'SessionToken',
      'mytoken',
      'AccountKey',
      'token',
    ),
    fc.constantFrom('=', ': ', ' = ', '":"'),
    fc.constantFrom('', "'", '"'),
    fc.constantFrom(
      'django-insecure-8x#k2m!q9v@l4p$r7t&w1y',
      'Zx8fK2mQ9vL4pR7tW1yB',
      'not a secret at all',
      AWS_SESSION_TOKEN,
      `${AWS_SESSION_TOKEN}${AWS_SESSION_TOKEN}${AWS_SESSION_TOKEN}${AWS_SESSION_TOKEN}${AWS_SESSION_TOKEN}${AWS_SESSION_TOKEN}${AWS_SESSION_TOKEN}${AWS_SESSION_TOKEN}${AWS_SESSION_TOKEN}${AWS_SESSION_TOKEN}`,
    ),
    fc.constantFrom('', "'", '"', ';x=1', '&y', '\n'),
  )
  .map((p) => p.join(''));
const token = fc.constantFrom(
  'xapp-1-A0123456789-1234567890123-3f9a1c0e5b7d2a4c6e8f0b1d3a5c7e9f1b3d5f7a9c0e2b4d6f8a0c2e4b6d8f0a',
  'whsec_JrTAwR4y9ojfljoQoaF1LlqsJrTAwR4y',
  'hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567',
  'ya29.a0AfB_byC1x9Zq8kL3mN0pQ7rS2tU5vW4xY6zA1bC3dE5fG7hI9jK',
  'https://hooks.slack.com/services/T024BE7LD/B01ABCDEF12/q8VgBzhZ2pL9wXmK4rT7yN3s',
  'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'AROAIOSFODNN7EXAMPLE',
  'pk_live_JrTAwR4y9ojfljoQoaF1Llqs',
  // JSON text seen raw
  '{\\"password\\":\\"hunter22x\\"}',
  '{\\"token\\": \\"Zx8f#K2mQ9vL4pR7tW1yB\\"}',
  'mysql:\\/\\/root:S3cr3tPass@db\\/app',
  'john\\u0040example.com',
  'john\\u002Btag@example.com',
  '\\u0040',
  '\\"',
  '\\',
);
const sep = fc.constantFrom(',', ';', '|', ' ', '\t', '\n', '"', '1,', ',2', '0.', '<', '>', 'mailto:', '=');
const familyText = fc
  .array(fc.oneof(card, iban, email, header, assignment, token, sep, fc.constantFrom('123-45-6789', 'é')), {
    minLength: 1,
    maxLength: 6,
  })
  .map((p) => p.join(''));

describe('new formats: every path gives what the detectors give ungated', () => {
  const specs = ALL_DETECTORS.map((d) => DETECTORS[d]);
  const ungated = (text: string): string =>
    render(text, 0, text.length, resolve(findAll(text, 0, specs)), (m) => `[MASKED:${m.detector}]`);

  it('value() equals the ungated scan; the byte pre-check and valueBytes() agree', () => {
    fc.assert(
      fc.property(familyText, (text) => {
        const m = masker();
        const got = m.value(text);
        expect(got).toBe(ungated(text));
        const b = Buffer.from(text, 'utf8');
        if (got !== text) expect(mayMask(b, 0, b.length)).toBe(true);
        const viaBytes = masker().valueBytes(b, 0, b.length);
        expect(viaBytes).toBe(got === text ? undefined : got);
      }),
      { numRuns: 3000 },
    );
  });

  it('the stream equals value() for random chunkings', () => {
    fc.assert(
      fc.property(
        familyText,
        fc.array(fc.nat(600), { maxLength: 4 }),
        fc.constantFrom(SSH, ALL_DETECTORS),
        (text, cuts, set) => {
          const b = Buffer.from(text, 'utf8');
          const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
          const s = masker(set).stream();
          const out: Uint8Array[] = [];
          let prev = 0;
          for (const c of [...at, b.length]) {
            out.push(s.write(b.subarray(prev, c)));
            prev = c;
          }
          out.push(s.flush());
          expect(Buffer.concat(out).toString('utf8')).toBe(masker(set).value(text));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('a COPY row equals value() of the line', () => {
    const edits = new FieldEdits();
    fc.assert(
      fc.property(fc.array(familyText, { minLength: 1, maxLength: 3 }), (fields) => {
        const line = `${fields.join('\t')}\n`;
        const b = Buffer.from(line, 'utf8');
        const want = masker().value(line);
        let got = line;
        if (maskFieldsBytes(masker(), b, 0, b.length, 'utf8', edits)) {
          const parts: Buffer[] = [];
          let pos = 0;
          for (let k = 0; k < edits.count; k++) {
            parts.push(b.subarray(pos, edits.starts[k]), Buffer.from(edits.texts[k]!, 'utf8'));
            pos = edits.ends[k]!;
          }
          parts.push(b.subarray(pos));
          got = Buffer.concat(parts).toString('utf8');
        }
        expect(got).toBe(want);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('JSON: numbers and keys', () => {
  const bytes = (doc: string): string | undefined => masker().maskJsonBytes(Buffer.from(doc))?.toString();
  const parsed = (doc: string): unknown => masker().json(JSON.parse(doc));
  const streamed = (doc: string): string => {
    const s = masker().stream();
    return Buffer.concat([s.write(Buffer.from(doc)), s.flush()]).toString();
  };

  it('a card number as a JSON number is masked (the value becomes a string)', () => {
    const doc = '{"card": 4111111111111111, "cards": [5555555555554444, 7], "id": 1700000000000}';
    const want =
      '{"card": "[MASKED:credit_card]", "cards": ["[MASKED:credit_card]", 7], "id": 1700000000000}';
    expect(bytes(doc)).toBe(want);
    expect(parsed(doc)).toEqual(JSON.parse(want));
    expect(streamed(doc)).toBe(
      '{"card": [MASKED:credit_card], "cards": [[MASKED:credit_card], 7], "id": 1700000000000}',
    );
  });

  it('a 19-digit card as a JSON number is masked on the bytes (beyond double precision)', () => {
    expect(bytes('[6271136264806203568]')).toBe('["[MASKED:credit_card]"]');
  });

  it('Luhn-invalid numbers, fractions and exponents are left alone', () => {
    for (const doc of [
      '{"n": 4111111111111112}',
      '{"n": 0.4111111111111111}',
      '{"n": 4111111111111111e3}',
      '[-4111111111111111]',
    ]) {
      expect(bytes(doc)).toBe(doc);
    }
  });

  it('the member key is the SSN context, as a column name is for value()', () => {
    for (const doc of [
      '{"ssn": "536221234"}',
      '{"ssn": 536221234}',
      '{"social_security_number": "536 22 1234"}',
    ]) {
      const out = bytes(doc)!;
      expect(out, doc).toContain('"[MASKED:us_ssn]"');
      expect(JSON.stringify(parsed(doc))).toContain('"[MASKED:us_ssn]"');
      expect(streamed(doc)).toContain('[MASKED:us_ssn]');
    }
    // without the context a bare nine-digit number is an id
    expect(bytes('{"order": 536221234}')).toBe('{"order": 536221234}');
    expect(bytes('{"id": "536221234"}')).toBe('{"id": "536221234"}');
  });

  it('credential keys: camelCase names, Authorization values, long and punctuated values', () => {
    const cases: [string, unknown][] = [
      ['idToken', 'Zx8fK2mQ9vL4pR7tW1yB'],
      ['SessionToken', AWS_SESSION_TOKEN],
      [
        'AccountKey',
        'H0D8ktokFpR1CXnubPWC8tXX0o4YM13gWrxU0FYOD1MChgxlK/CNVgJSql50IQVG82n7u86MEs/HlXsmUv6adQ==',
      ],
      ['SECRET_KEY', 'django-insecure-8x#k2m!q9v@l4p$r7t&w1y'],
      ['authorization', 'Basic YTpiY2Rl'],
      ['Proxy-Authorization', 'Token Zx8fK2mQ9vL4pR7tW1yB'],
    ];
    for (const [key, v] of cases) {
      const doc = JSON.stringify({ [key]: v, n: 1 });
      const want = { [key]: '[MASKED:api_key]', n: 1 };
      expect(JSON.parse(bytes(doc)!), doc).toEqual(want);
      expect(parsed(doc), doc).toEqual(want);
    }
    for (const [key, v] of [
      ['mytoken', 'Zx8fK2mQ9vL4pR7tW1yB'],
      ['authorization', 'Basic realm'],
      ['authorization', 'Bearer <token>'],
      ['idToken', 'not a secret at all'],
    ]) {
      const doc = JSON.stringify({ [key!]: v });
      expect(bytes(doc), doc).toBe(doc);
    }
  });

  it('property: maskJsonBytes() equals json() for documents with numbers and keyed strings', () => {
    const value = fc.oneof(
      card.map(Number),
      card,
      fc.constantFrom(536221234, '536221234', 1700000000000, 4111111111111112, 0.5, -4111111111111111, 'x'),
    );
    const key = fc.constantFrom('ssn', 'card', 'id', 'SSN_last', 'note');
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 5 }), (members) => {
        const doc = JSON.stringify(Object.fromEntries(members));
        expect(JSON.parse(bytes(doc)!)).toEqual(parsed(doc));
      }),
      { numRuns: 1000 },
    );
  });
});
