import { describe, expect, it } from 'vitest';
import { sqlShape } from './shape.js';

describe('sqlShape', () => {
  it.each([
    ['SELECT * FROM t WHERE id = 42', 'SELECT * FROM t WHERE id = \x01I'],
    ["SELECT * FROM t WHERE name = 'bob'", 'SELECT * FROM t WHERE name = \x01S'],
    [
      "SELECT 'it''s', 1.5, .5, 1e10, 2147483647, 2147483648",
      'SELECT \x01S, \x01F, \x01F, \x01F, \x01I, \x01F',
    ],
    ['SELECT 0002147483647', 'SELECT \x01I'],
    ['SELECT $1, t1.c2 FROM t1', 'SELECT $1, t1.c2 FROM t1'],
    ['SELECT "it\'s 5" FROM t', 'SELECT "it\'s 5" FROM t'],
    ["SELECT 1 -- 'x' 2\n", "SELECT \x01I -- 'x' 2\n"],
    ["SELECT /* '1' /* 2 */ */ 3", "SELECT /* '1' /* 2 */ */ \x01I"],
    ["SELECT 'naïve'", 'SELECT \x01S'],
    ['SELECT 1', 'SELECT \x01I'],
  ])('folds %j', (text, shape) => {
    expect(sqlShape(text)).toBe(shape);
  });

  it('keeps the precision of float(p) verbatim: the grammar refuses p outside 1..53', () => {
    expect(sqlShape('SELECT 1::float(53), 2::FLOAT /* x */ ( 54 )')).toBe(
      'SELECT \x01I::float(53), \x01I::FLOAT /* x */ ( 54 )',
    );
    expect(sqlShape('SELECT float8(5)')).toBe('SELECT float8(\x01I)');
  });

  it('returns the text itself when there is nothing to fold', () => {
    const text = 'SELECT a FROM t';
    expect(sqlShape(text)).toBe(text);
  });

  it('keeps integer and numeric constants apart (different grammar tokens)', () => {
    expect(sqlShape('SELECT 1::float(53)')).not.toBe(sqlShape('SELECT 1::float(5.3)'));
    expect(sqlShape('SELECT 2147483647')).not.toBe(sqlShape('SELECT 2147483648'));
  });

  it.each([
    "SELECT E'a\\nb'",
    "SELECT e'x'",
    "SELECT B'101'",
    "SELECT X'1F'",
    "SELECT N'x'",
    "SELECT U&'\\0041'",
    'SELECT U&"\\0041"',
    "SELECT date'2020-01-01'",
    'SELECT $$x$$',
    'SELECT $tag$x$tag$',
    'DO $$ BEGIN END $$',
    "SELECT 'a\\'",
    'SELECT 1 \\g',
    "SELECT 'unterminated",
    'SELECT "unterminated',
    'SELECT /* unterminated',
    'SELECT 0x1F',
    'SELECT 1_000',
    'SELECT 123abc',
    'SELECT 1e',
    'SELECT 1..2',
    'SELECT 1.2.3',
    'SELECT $1abc',
    'SELECT täble FROM t',
    'SELECT 1\u0000',
    'SELECT\u000b1',
  ])('gives up on %j', (text) => {
    expect(sqlShape(text)).toBeNull();
  });
});
