// mayMask() stops at the first '@'; it must answer what the whole pre-scan and every gate answer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mayMask, mayMaskByPrescan } from './byte-precheck.js';
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
