import { describe, expect, it } from 'vitest';
import { compileJsonPath, jsonPathValues } from './jsonpath.js';

const doc = {
  a: { b: 1, 'x y': 2 },
  items: [
    { id: 1, card_number: '4111' },
    { id: 2, nested: { card_number: '5500' } },
  ],
  card_number: '3782',
};

const cases: [string, unknown[]][] = [
  ['$', [doc]],
  ['$.a.b', [1]],
  ["$['a']['x y']", [2]],
  ['$["a"].b', [1]],
  ['$.items[0].id', [1]],
  ['$.items[-1].id', [2]],
  ['$.items[*].id', [1, 2]],
  ['$.items.*.id', [1, 2]],
  ['$..card_number', ['3782', '4111', '5500']],
  ['$..[0].id', [1]],
  ['$.missing.b', []],
  ['$.a[0]', []],
  ['$.items.id', []],
];

describe('jsonPathValues', () => {
  it.each(cases)('%s', (path, want) => {
    expect(jsonPathValues(doc, path).sort()).toEqual([...want].sort());
  });

  it.each(['a.b', '$.', '$[', "$['a'", '$[?(@.x)]', '$.a[1:2]', '$!'])('refuses %s', (path) => {
    expect(() => compileJsonPath(path)).toThrow(/invalid JSONPath/);
  });

  it('walks very deep documents without recursion', () => {
    let deep: unknown = { card_number: 'x' };
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonPathValues(deep, '$..card_number')).toEqual(['x']);
  });
});
