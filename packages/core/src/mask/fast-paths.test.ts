// The hot-path shortcuts must give exactly what the general scan gives: value()'s shape fast paths
// (all-digit values, whole-value emails) against valueUnoptimized(), and maskJsonBytes() against
// json() on the parsed document.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Detector, MaskingConfig } from '../config/types.js';
import { luhnValid } from './checksums.js';
import {
  findApiKnown,
  findApiKnownByScan,
  type Match,
  validateCardFast,
  validateCardGeneral,
} from './detectors.js';
import { keyAssignValue } from './key-assign.js';
import { createMasker } from './masker.js';
import { ALL_DETECTORS, IN_CONTEXT, NEGATIVE, POSITIVE } from './testing/samples.js';

const cfg = (detectors: Detector[], jsonPaths: string[] = []): MaskingConfig => ({
  detectors,
  columns: [],
  jsonPaths,
  replacement: '[MASKED:{type}]',
});

const SETS: Detector[][] = [
  ALL_DETECTORS,
  ['email', 'credit_card', 'us_ssn', 'phone', 'iban', 'aws_access_key', 'private_key', 'jwt', 'api_key'],
  ['credit_card'],
  ['email'],
  ['us_ssn', 'phone'],
  ['email', 'api_key', 'jwt'],
];
const COLUMNS = [undefined, { column: 'email' }, { table: 'people', column: 'ssn' }, { column: 'note' }];

const corpus: string[] = [
  ...Object.values(POSITIVE).flat(),
  ...Object.values(NEGATIVE).flat(),
  ...IN_CONTEXT.map(([, input]) => input),
];

/** A card-shaped digit string with a valid Luhn check digit. */
function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
  throw new Error('unreachable');
}

const digitValues = fc.oneof(
  fc.stringMatching(/^[0-9]{6,22}$/),
  fc
    .tuple(
      fc.constantFrom('4', '51', '2221', '34', '37', '6011', '65', '3530', '36', '62', '2200', '1', '7', '9'),
      fc.integer({ min: 12, max: 19 }),
    )
    .chain(([prefix, len]) =>
      fc
        .stringMatching(new RegExp(`^[0-9]{${Math.max(0, len - prefix.length - 1)}}$`))
        .map((mid) => withCheckDigit(prefix + mid)),
    ),
  fc.constantFrom(
    '4111111111111111',
    '4111111111111112',
    '5555555555554444',
    '1111111111111',
    '4444444444444444',
    '123456789',
    '078051120',
  ),
);
const emailish = fc
  .tuple(
    fc.stringMatching(/^[A-Za-z0-9._%+-]{0,70}$/),
    fc.stringMatching(/^[A-Za-z0-9.-]{0,30}$/),
    fc.constantFrom('com', 'org', 'co.uk', 'xn--p1ai', 'c', 'toolongtoolongtoolongtoolong', ''),
    fc.constantFrom('', ' ', '.', ':~$', '-', '@x.com', ' 4111111111111111'),
  )
  .map(([local, domain, tld, tail]) => `${local}@${domain}${tld ? `.${tld}` : ''}${tail}`);

describe('value() fast paths equal the general scan', () => {
  const check = (detectors: Detector[], v: string, column?: { table?: string; column: string }): void => {
    const fast = createMasker(cfg(detectors));
    const slow = createMasker(cfg(detectors));
    expect(fast.value(v, column)).toBe(slow.valueUnoptimized(v, column));
    expect(fast.counts).toEqual(slow.counts);
  };
  it('on the detector sample corpus, for every detector set and column', () => {
    for (const set of SETS) for (const col of COLUMNS) for (const v of corpus) check(set, v, col);
  });
  it('on generated digit-only values (cards, near-cards, SSN-length runs)', () => {
    fc.assert(
      fc.property(digitValues, fc.constantFrom(...SETS), fc.constantFrom(...COLUMNS), (v, set, col) =>
        check(set, v, col),
      ),
      { numRuns: 2000 },
    );
  });
  it('on generated email-shaped values', () => {
    fc.assert(
      fc.property(emailish, fc.constantFrom(...SETS), (v, set) => check(set, v)),
      { numRuns: 2000 },
    );
  });
  it('masks the common shapes whole and leaves look-alikes alone', () => {
    const m = createMasker(cfg(ALL_DETECTORS));
    expect(m.value('alice.123456@example.com', { column: 'email' })).toBe('[MASKED:email]');
    expect(m.value('4111111111111111', { column: 'card' })).toBe('[MASKED:credit_card]');
    const notCard = '4111111111111112';
    expect(m.value(notCard, { column: 'card' })).toBe(notCard);
    expect(m.value('123456789', { column: 'ssn' })).toBe('[MASKED:us_ssn]');
    expect(m.counts).toEqual({ email: 1, credit_card: 1, us_ssn: 1 });
  });
});

// ── maskJsonBytes ──
const sensitive = fc.constantFrom(
  ...corpus,
  'alice@example.com',
  '4111 1111 1111 1111',
  'x\u0000y',
  'é@ü.de',
  'a"b\\c',
);
const leaf = fc.oneof(
  fc.string(),
  sensitive,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);
const key = fc.oneof(
  fc.constantFrom('card_number', 'id', 'owner', 'a', '__proto__', 'x"y', 'é'),
  fc.string({ maxLength: 6 }),
);
const { doc } = fc.letrec((tie) => ({
  doc: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('arr'), tie('obj')),
  arr: fc.array(tie('doc'), { maxLength: 5 }),
  obj: fc.dictionary(key, tie('doc'), { maxKeys: 5 }),
}));

/** JSON text with spacing and escapes JSON.stringify would not produce (still the same document). */
function spaced(text: string, seed: number): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') {
        const len = text[i + 1] === 'u' ? 6 : 2; // copy the escape whole
        out += text.slice(i, i + len);
        i += len - 1;
        continue;
      }
      if (c === '"') inString = false;
      // an occasional \u escape of a plain character ("@" too: the detectors see it decoded)
      else if ((seed + i) % 7 === 0 && /[a-z@0-9]/.test(c)) {
        out += `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
        continue;
      }
      out += c;
    } else {
      if (c === '"') inString = true;
      out += c;
      if ((seed + i) % 3 === 0 && /[,:[{]/.test(c)) out += ' \n\t'.slice(0, 1 + ((seed + i) % 3));
    }
  }
  return out;
}

describe('maskJsonBytes() equals json() on the parsed document', () => {
  const PATHS = [[], ['$..card_number'], ['$.items[*].owner', '$..a'], ['$[0]', '$.*.id'], ['$.x..*']];
  it('property: same document, same counts, for generated documents and json_paths', () => {
    fc.assert(
      fc.property(
        doc,
        fc.constantFrom(...PATHS),
        fc.constantFrom(...SETS),
        fc.nat(),
        (d, paths, set, seed) => {
          const text = spaced(JSON.stringify(d), seed);
          const viaBytes = createMasker(cfg(set, paths));
          const viaJson = createMasker(cfg(set, paths));
          const out = viaBytes.maskJsonBytes(Buffer.from(text, 'utf8'));
          expect(out).toBeDefined();
          expect(JSON.parse(out!.toString('utf8'))).toEqual(viaJson.json(JSON.parse(text)));
          expect(viaBytes.counts).toEqual(viaJson.counts);
        },
      ),
      { numRuns: 1500 },
    );
  });
  it('keeps numbers, keys and spacing byte for byte, and returns the input when nothing changed', () => {
    const m = createMasker(cfg(ALL_DETECTORS, ['$..card_number']));
    const body = Buffer.from(
      '{ "n": 1.0, "big": 12345678901234567890, "e": 1E+2,\n "s": "plain text here" }',
    );
    expect(m.maskJsonBytes(body)).toBe(body);
    const out = m.maskJsonBytes(
      Buffer.from('{"n":1.50,"who":"mail bob@example.com now","card_number":4111111111111111,"k":[ -0 ]}'),
    );
    expect(out!.toString()).toBe(
      '{"n":1.50,"who":"mail [MASKED:email] now","card_number":"[MASKED:json_path]","k":[ -0 ]}',
    );
    expect(m.counts).toEqual({ email: 1, json_path: 1 });
  });
  it('masks text hidden behind escapes, and keys stay as they are', () => {
    const m = createMasker(cfg(['email']));
    const out = m.maskJsonBytes(Buffer.from('{"bob@example.com":"bob\\u0040example.com"}'));
    expect(out!.toString()).toBe('{"bob@example.com":"[MASKED:email]"}');
  });
  it('redacts a whole subtree at a path and counts it once', () => {
    const m = createMasker(cfg(['email'], ['$.user']));
    const out = m.maskJsonBytes(
      Buffer.from('{"user":{"mail":"a@example.com","n":[1,2]},"x":"c@example.com"}'),
    );
    expect(out!.toString()).toBe('{"user":"[MASKED:json_path]","x":"[MASKED:email]"}');
    expect(m.counts).toEqual({ json_path: 1, email: 1 });
  });
  it('a negative index or $ uses the parsed document (the length of an array is needed)', () => {
    const m = createMasker(cfg(['email'], ['$.a[-1]']));
    expect(m.maskJsonBytes(Buffer.from('{"a":[1,2,3]}'))!.toString()).toBe(
      '{"a":[1,2,"[MASKED:json_path]"]}',
    );
    expect(
      createMasker(cfg([], ['$']))
        .maskJsonBytes(Buffer.from('[1]'))!
        .toString(),
    ).toBe('"[MASKED:json_path]"');
    expect(m.maskJsonBytes(Buffer.from('{"a":'))).toBeUndefined();
  });
  it('returns undefined exactly when JSON.parse rejects the text', () => {
    const m = createMasker(cfg(['email', 'credit_card'], ['$..x']));
    const bad = [
      '',
      ' ',
      '{',
      '{"a":1,}',
      '[1,]',
      '[1 2]',
      '{"a" 1}',
      'tru',
      'nul',
      '01',
      '1.',
      '-',
      '1e',
      '"a',
      '"\u0001"',
      '"\\x"',
      '{} {}',
      '{"a":1}\n{"b":2}',
      '\ufeff{}',
      "{'a':1}",
      'NaN',
      '[,1]',
      '{"a":1 "b":2}',
      '}',
      ']',
      '{]',
    ];
    for (const t of bad) expect(m.maskJsonBytes(Buffer.from(t, 'utf8')), t).toBeUndefined();
    const good = [
      '0',
      '-0.5e-3',
      '"x"',
      ' [ ] ',
      '{}',
      'null',
      '[true,false,null]',
      '{"a":{"b":[{"c":"d"}]}}',
      '"\\ud800"',
    ];
    for (const t of good) expect(m.maskJsonBytes(Buffer.from(t, 'utf8')), t).toBeDefined();
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'{}[]",:0123456789.-+eE tnrufals\\u@x') }), (t) => {
        let ok = true;
        try {
          JSON.parse(t);
        } catch {
          ok = false;
        }
        expect(m.maskJsonBytes(Buffer.from(t, 'utf8')) !== undefined).toBe(ok);
      }),
      { numRuns: 3000 },
    );
  });
  it('a deep document is no problem (no recursion)', () => {
    const m = createMasker(cfg(['email']));
    const deep = `${'['.repeat(100_000)}"a@example.com"${']'.repeat(100_000)}`;
    expect(m.maskJsonBytes(Buffer.from(deep))!.toString()).toBe(
      `${'['.repeat(100_000)}"[MASKED:email]"${']'.repeat(100_000)}`,
    );
  });
});

describe('api_key assignments: the name-suffix filter drops nothing', () => {
  // reference: try the assignment at every position, left to right, as a plain scan would
  function reference(text: string): string {
    let out = '';
    let last = 0;
    for (let i = 0; i < text.length; ) {
      const v = keyAssignValue(text, i);
      if (v) {
        out += `${text.slice(last, v[0])}[MASKED:api_key]`;
        last = v[1];
        i = v[1];
      } else i++;
    }
    return out + text.slice(last);
  }
  const piece = fc.constantFrom(
    'api_key',
    'API-KEY',
    'apikey',
    'access_token',
    'Auth_Token',
    'refresh-token',
    'client_secret',
    'secret',
    'SECRET_ACCESS_KEY',
    'secret-key',
    'token',
    'Token',
    'qty',
    'city',
    'count',
    'monkey',
    'xtoken',
    'key',
    'ken',
    ':',
    '=',
    '"',
    "'",
    ' ',
    '\t',
    '  ',
    ',',
    '{',
    'aB3dE5fG7hJ9kL1mN2pQ',
    'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk',
    'plainvaluewithoutdigits',
    'sessionToken',
    'AccountKey',
    'SharedAccessKey',
    '#!$',
    'x@y',
  );
  it('property: equals a position-by-position scan on generated key/value text', () => {
    const m = createMasker(cfg(['api_key']));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 14 }), (parts) => {
        const text = parts.join('');
        expect(m.value(text)).toBe(reference(text));
      }),
      { numRuns: 4000 },
    );
  });
});

describe('known token formats: candidate starts find what a scan finds', () => {
  const piece = fc.constantFrom(
    'ghp_',
    'gho_',
    'ghx_',
    'github_pat_',
    'xoxb-',
    'xoxz-',
    'sk_live_',
    'rk_test_',
    'sk_',
    'AIza',
    'sk-',
    'sk-ant-',
    'sk-proj-',
    'glpat-',
    'npm_',
    'SG.',
    'xapp-1-',
    'whsec_',
    'hf_',
    'pypi-AgE',
    'ya29.',
    '.',
    '_',
    '-',
    'g',
    'h',
    'k',
    's',
    ' ',
    'x',
    'aB3dE5fG7hJ9kL1mN2pQ',
    'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk8Jh2',
    'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    '0123456789abcdefABCDEF',
  );
  it('property: same matches on generated token-shaped text, from any start', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 16 }), fc.nat(40), (parts, from) => {
        const text = parts.join('');
        const a: Match[] = [];
        const b: Match[] = [];
        findApiKnown(text, Math.min(from, text.length), a);
        findApiKnownByScan(text, Math.min(from, text.length), b);
        expect(a).toEqual(b);
      }),
      { numRuns: 5000 },
    );
  });
  it('on the sample corpus', () => {
    for (const v of corpus) {
      const a: Match[] = [];
      const b: Match[] = [];
      findApiKnown(v, 0, a);
      findApiKnownByScan(v, 0, b);
      expect(a).toEqual(b);
    }
  });
});

describe('card validation: the numeric grouping equals the general one', () => {
  const unit = fc.constantFrom(
    ...'0123456789 -()x',
    '4111',
    '1111',
    '5555',
    '4444',
    '3782',
    '822463',
    '10005',
    '6011',
  );
  it('property: same end (or rejection) for generated candidates', () => {
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 14 }), fc.nat(3), (parts, cut) => {
        const text = `a ${parts.join('')}`;
        for (let start = 0; start < Math.min(text.length, 6); start++) {
          const end = Math.max(start, text.length - cut);
          expect(validateCardFast(text, start, end)).toBe(validateCardGeneral(text, start, end));
        }
      }),
      { numRuns: 5000 },
    );
  });
  it('on the sample corpus', () => {
    for (const v of corpus) {
      for (let s = 0; s < v.length; s++)
        expect(validateCardFast(v, s, v.length)).toBe(validateCardGeneral(v, s, v.length));
    }
  });
});

describe('valueBytes() equals value() on the decoded text', () => {
  const text = fc.oneof(
    fc.constantFrom(...corpus),
    fc.string({ unit: fc.constantFrom(...'0123456789 -.@aZ_:=', 'é', '€', '😀', '\u0000') }),
    digitValues,
    emailish,
    fc.string(),
  );
  const check = (
    set: Detector[],
    v: string,
    col: { table?: string; column: string } | undefined,
    enc: 'utf8' | 'latin1',
  ) => {
    const bytes = Buffer.from(`xx${v}yy`, enc);
    const viaBytes = createMasker({ ...cfg(set), columns: [{ match: 'secret_note', with: 'mask' }] });
    const viaText = createMasker({ ...cfg(set), columns: [{ match: 'secret_note', with: 'mask' }] });
    const decoded = bytes.toString(enc, 2, bytes.length - 2);
    const expected = viaText.value(decoded, col);
    const got = viaBytes.valueBytes(bytes, 2, bytes.length - 2, col, enc);
    // a column rule always masks (and counts), even when the result reads the same ('' stays '')
    const ruled = col !== undefined && viaText.columnRule(col) !== undefined;
    expect(got).toBe(ruled || expected !== decoded ? expected : undefined);
    expect(viaBytes.counts).toEqual(viaText.counts);
  };
  const cols = [...COLUMNS, { column: 'secret_note' }];
  it('on the sample corpus, UTF-8 and latin1, every column kind', () => {
    for (const set of SETS) for (const col of cols) for (const v of corpus) check(set, v, col, 'utf8');
    for (const v of corpus) check(ALL_DETECTORS, v, undefined, 'latin1');
  });
  it('property: whole-value addresses at the edges of the domain rules (labels, hyphens, TLDs, lengths)', () => {
    const label = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9-]{1,8}$/),
      fc.constantFrom('-a', 'a-', 'a--b', 'x'.repeat(63), 'x'.repeat(64), ''),
    );
    const address = fc
      .tuple(
        fc.constantFrom('git', 'a', '.a', 'a.', 'a..b', 'Zo%+_-.x', 'x'.repeat(64), 'x'.repeat(65), ''),
        fc.array(label, { minLength: 0, maxLength: 12 }),
        fc.constantFrom(
          'com',
          'COM',
          'c',
          'xn--p1ai',
          'XN--p1ai',
          'xn--',
          'x'.repeat(24),
          'x'.repeat(25),
          'c0m',
        ),
      )
      .map(([local, labels, tld]) => `${local}@${[...labels, tld].join('.')}`);
    fc.assert(
      fc.property(
        address,
        fc.constantFrom(...SETS),
        fc.constantFrom('utf8' as const, 'latin1' as const),
        (v, set, enc) => check(set, v, undefined, enc),
      ),
      { numRuns: 3000 },
    );
  });
  it('property: generated text with non-ASCII characters', () => {
    fc.assert(
      fc.property(
        text,
        fc.constantFrom(...SETS),
        fc.constantFrom(...cols),
        fc.constantFrom('utf8' as const, 'latin1' as const),
        (v, set, col, enc) => check(set, v, col, enc),
      ),
      { numRuns: 3000 },
    );
  });
});
