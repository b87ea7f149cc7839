import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Detector } from '../config/types.js';
import { cardBrand, ibanMod97, luhnValid, ssnValid } from './checksums.js';
import { DETECTORS } from './detectors.js';
import { createMasker } from './masker.js';
import { findAll, render, resolve } from './scan.js';
import { ALL_DETECTORS, IN_CONTEXT, NEGATIVE, POSITIVE } from './testing/samples.js';

const masker = (detectors: Detector[] = ALL_DETECTORS) =>
  createMasker({ detectors, columns: [], jsonPaths: [], replacement: '[MASKED:{type}]' });

describe('detectors mask valid values', () => {
  for (const [detector, values] of Object.entries(POSITIVE) as [Detector, string[]][]) {
    for (const v of values) {
      it(`${detector}: ${JSON.stringify(v.slice(0, 60))}`, () => {
        // alone, with only this detector, and with all of them (no other detector steals it)
        expect(masker([detector]).value(v)).toBe(`[MASKED:${detector}]`);
        expect(masker().value(v)).toBe(`[MASKED:${detector}]`);
        expect(masker().value(`before ${v} after`)).toBe(`before [MASKED:${detector}] after`);
        expect(masker().value(`${v}\n`)).toBe(`[MASKED:${detector}]\n`);
      });
    }
  }
});

describe('detectors mask in context', () => {
  for (const [detector, input, output] of IN_CONTEXT) {
    it(`${detector}: ${JSON.stringify(input.slice(0, 60))}`, () => {
      expect(masker().value(input)).toBe(output);
      // the detector alone finds its part (others may be involved in the expected text)
      const alone = masker([detector]).value(input);
      expect(alone).toContain(`[MASKED:${detector}]`);
    });
  }
});

describe('look-alikes are left alone', () => {
  for (const [kind, values] of Object.entries(NEGATIVE)) {
    for (const v of values) {
      it(`${kind}: ${JSON.stringify(v.slice(0, 60))}`, () => {
        const m = masker();
        const out = m.value(v);
        expect(out).toBe(v);
        expect(m.counts).toEqual({});
        // and embedded in text
        expect(m.value(`x ${v} y`)).toBe(`x ${v} y`);
      });
    }
  }
});

describe('validation tables', () => {
  it('luhn', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
  });
  it('card brands by IIN and length', () => {
    expect(cardBrand('4111111111111111')).toBe('visa');
    expect(cardBrand('378282246310005')).toBe('amex');
    expect(cardBrand('37828224631000')).toBeUndefined();
    expect(cardBrand('2221000000000009')).toBe('mastercard');
    expect(cardBrand('2721000000000000')).toBeUndefined();
    expect(cardBrand('3528000000000007')).toBe('jcb');
    expect(cardBrand('1234567890123456')).toBeUndefined();
  });
  it('iban mod 97', () => {
    expect(ibanMod97('GB82WEST12345698765432')).toBe(true);
    expect(ibanMod97('GB82WEST12345698765433')).toBe(false);
  });
  it('ssn issuing rules', () => {
    expect(ssnValid('536221234')).toBe(true);
    for (const bad of ['000221234', '666221234', '936221234', '536001234', '536220000', '078051120']) {
      expect(ssnValid(bad)).toBe(false);
    }
  });
  it('every detector is in the table with a finder, a validator and a bound', () => {
    for (const d of ALL_DETECTORS) {
      const spec = DETECTORS[d];
      expect(spec.name).toBe(d);
      expect(spec.pattern).toBeInstanceOf(RegExp);
      expect(spec.maxLength).toBeGreaterThan(0);
      expect(typeof spec.validate).toBe('function');
    }
  });
});

describe('overlaps', () => {
  it('the longest match wins', () => {
    expect(masker().value('4111111111111111@example.com')).toBe('[MASKED:email]');
    expect(masker().value(`${POSITIVE.private_key[0]}`)).toBe('[MASKED:private_key]');
  });
  it('overlapping matches are masked as their union, named for the longest', () => {
    // the Anthropic key runs on into "-----BEGIN…": neither part may show
    const key = POSITIVE.api_key[10]!;
    expect(masker().value(`${key}-----BEGIN EC PRIVATE KEY-----\nabc`)).toBe('[MASKED:private_key]');
    expect(masker(['api_key']).value(`${key}-----BEGIN EC PRIVATE KEY-----`)).toBe(
      '[MASKED:api_key] EC PRIVATE KEY-----',
    );
  });
  it('a disabled detector does not mask', () => {
    expect(masker(['email']).value('4111111111111111 john@example.com')).toBe(
      '4111111111111111 [MASKED:email]',
    );
  });
  it('a card is not eaten as a phone, nor a phone as a card', () => {
    expect(masker().value('4111 1111 1111 1111')).toBe('[MASKED:credit_card]');
    expect(masker().value('+1 415 555 2671 and 4111111111111111')).toBe(
      '[MASKED:phone] and [MASKED:credit_card]',
    );
  });
});

describe('property: the pre-scan gates never hide a match', () => {
  const specs = ALL_DETECTORS.map((d) => DETECTORS[d]);
  const reference = (text: string): string =>
    render(text, 0, text.length, resolve(findAll(text, 0, specs)), (m) => `[MASKED:${m.detector}]`);
  const fragments = [
    ...Object.values(POSITIVE).flat(),
    ...IN_CONTEXT.map(([, i]) => i),
    ...Object.values(NEGATIVE).flat(),
  ];
  it('value() equals running every detector ungated', () => {
    const m = masker();
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(...fragments),
            fc.string({
              unit: fc.constantFrom(...' -.@+()_:=/0123456789aAeyJkKIxob'.split('')),
              maxLength: 20,
            }),
          ),
          { maxLength: 4 },
        ),
        (parts) => {
          const text = parts.join('');
          expect(m.value(text)).toBe(reference(text));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
