// parseConfig never throws: any text gets either a config or positioned problems.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from './parse.js';

function wellFormed(text: string) {
  const r = parseConfig(text, { file: 'f.yaml', env: { A: '1' }, baseDir: '/nonexistent' });
  const lines = text.split('\n').length;
  expect(r.config !== undefined || r.problems.length > 0).toBe(true);
  for (const p of r.problems) {
    expect(p.line).toBeGreaterThanOrEqual(1);
    expect(p.line).toBeLessThanOrEqual(lines + 1);
    expect(p.col).toBeGreaterThanOrEqual(1);
    expect(p.message.length).toBeGreaterThan(0);
    expect(p.message).not.toContain('\n');
  }
}

const key = fc.constantFrom(
  'version',
  'identity',
  'issuers',
  'connections',
  'policies',
  'rules',
  'when',
  'sql',
  'shell',
  'http',
  'name',
  'protocol',
  'listen',
  'upstream',
  'port',
  'action',
  'approvers',
  'store',
  'limits',
  'timeout',
  'category',
  'body',
  'paths',
  'allow_groups',
  'x',
  '__proto__',
);
const leaf = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    'postgres',
    'ssh',
    'http',
    'review',
    '${A}',
    '${MISSING}',
    '30s',
    '64MiB',
    '127.0.0.1:0',
    '(?=x)',
    '[a',
  ),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    leaf,
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(key, tie('node'), { maxKeys: 4 }),
  ),
})).node;

describe('parseConfig on arbitrary input', () => {
  test('arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), wellFormed), { numRuns: 300 });
  });

  test('arbitrary YAML documents shaped like a config', () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (doc) =>
        wellFormed(stringify({ version: 1, ...doc })),
      ),
      { numRuns: 300 },
    );
  });

  test('an alias bomb is refused, not expanded', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 9; i++) {
      const prev = String.fromCharCode(97 + i);
      const next = String.fromCharCode(98 + i);
      bomb.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const started = performance.now();
    const r = parseConfig(bomb.join('\n'), { file: 'f.yaml', env: {} });
    expect(r.config).toBeUndefined();
    expect(r.problems[0].message).toMatch(/alias/i);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  test('a value of the wrong shape where one value or a list is allowed', () => {
    const r = parseConfig(
      'version: 1\nidentity: { issuers: [{ issuer: i, audience: 5, jwks_uri: "https://i/" }] }\n',
      { file: 'f.yaml', env: {} },
    );
    expect(r.problems.map((p) => `${p.line}:${p.col}: ${p.path}: ${p.message}`)).toEqual([
      '2:46: identity.issuers[0].audience: must be a string or a list, not 5',
    ]);
  });
});
