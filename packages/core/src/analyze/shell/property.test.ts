// The analyzer never throws: any input gets units or a parseError, within bounded time.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Analysis, ShellUnit } from '../../types.js';
import { ShellAnalyzer } from './index.js';

const FRAGMENTS = [
  'rm',
  '-rf',
  '/',
  'sudo',
  'bash',
  '-c',
  "'",
  '"',
  '`',
  '$(',
  ')',
  '(',
  '{',
  '}',
  '$',
  '${',
  '!',
  'x',
  'IFS',
  ';',
  '&&',
  '||',
  '|',
  '&',
  '\n',
  '\\',
  '<<',
  'EOF',
  '<(',
  '>(',
  '>',
  '<',
  '#',
  '~',
  '*',
  '?',
  '[',
  ']',
  ',',
  'eval',
  'xargs',
  'find',
  '-exec',
  '\\;',
  '-delete',
  'env',
  '=',
  'PATH',
  'for',
  'do',
  'done',
  'if',
  'then',
  'fi',
  'case',
  'in',
  'esac',
  ' ',
  '\t',
  "$'\\x72'",
  '$"',
  '{a,b}',
  '{1..3}',
  'f()',
  'alias',
  'trap',
  'python3',
  '-e',
];

function wellFormed(r: Analysis): void {
  expect(Array.isArray(r.units)).toBe(true);
  if (r.parseError !== undefined) expect(typeof r.parseError).toBe('string');
  // An internal failure is reported as "could not be analysed": fail-closed, but a bug to fix.
  expect(r.parseError ?? '').not.toMatch(/could not be analysed/);
  for (const u of r.units as ShellUnit[]) {
    expect(u.kind).toBe('shell');
    expect(typeof u.command).toBe('string');
    expect(Array.isArray(u.args)).toBe(true);
    expect(Array.isArray(u.paths)).toBe(true);
    expect(typeof u.dynamic).toBe('boolean');
  }
}

describe('never throws', () => {
  let a: ShellAnalyzer;
  beforeAll(async () => {
    a = await ShellAnalyzer.create({ cacheSize: 0 });
  });

  it('on arbitrary strings (including control characters and lone surrogates)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => wellFormed(a.analyze(s))),
      { numRuns: 1500 },
    );
  });

  it('on shell-shaped token soup', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 }), (parts) => {
        wellFormed(a.analyze(parts.join(' ')));
        wellFormed(a.analyze(parts.join('')));
      }),
      { numRuns: 1500 },
    );
  });

  it('on raw bytes decoded as latin1', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) =>
        wellFormed(a.analyze(Buffer.from(b).toString('latin1'))),
      ),
      { numRuns: 800 },
    );
  });

  it('on long and deeply nested inputs, quickly', () => {
    const cases = [
      'echo a; '.repeat(10_000),
      `${'$('.repeat(2000)}ls${')'.repeat(2000)}`,
      `${'"$('.repeat(500)}ls${')"'.repeat(500)}`,
      `${'{ '.repeat(3000)}ls${'; }'.repeat(3000)}`,
      `echo ${'{a,b}'.repeat(30)}`,
      `echo {1..100000000}`,
      'x'.repeat(131_072),
      `bash -c "${'\\"'.repeat(5000)}"`,
    ];
    for (const c of cases) {
      const t0 = performance.now();
      wellFormed(a.analyze(c));
      expect(performance.now() - t0).toBeLessThan(5000);
    }
  });

  it('on the same text, gives the same answer (cached and uncached)', async () => {
    const cached = await ShellAnalyzer.create({ cacheSize: 16 });
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 30 }), (parts) => {
        const s = parts.join(' ');
        const first = cached.analyze(s);
        expect(cached.analyze(s)).toBe(first);
        expect(JSON.parse(JSON.stringify(a.analyze(s)))).toEqual(JSON.parse(JSON.stringify(first)));
      }),
      { numRuns: 300 },
    );
  });
});
