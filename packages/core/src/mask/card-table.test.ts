// cardIssued() (a table of the first four digits and the length) must answer what cardBrand() answers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cardBrand, cardIssued } from './checksums.js';

describe('cardIssued', () => {
  it('equals cardBrand() !== undefined for every four-digit prefix and length', () => {
    for (let p = 0; p < 10000; p++) {
      const head = String(p).padStart(4, '0');
      for (let len = 10; len <= 21; len++) {
        const d = head.padEnd(len, '7');
        expect(cardIssued(d), d).toBe(cardBrand(d) !== undefined);
      }
    }
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{4,22}$/), (d) => {
        expect(cardIssued(d)).toBe(cardBrand(d) !== undefined);
      }),
    );
  });
});
