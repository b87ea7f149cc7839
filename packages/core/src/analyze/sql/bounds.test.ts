// Very long, very many and very deep: every analysis ends quickly, as a parse error when over a bound,
// and never throws or takes the process down.
import { beforeAll, describe, expect, it } from 'vitest';
import { SqlSessionState } from './session-state.js';
import { SqlAnalyzer } from './sql-analyzer.js';

let sql: SqlAnalyzer;
beforeAll(async () => {
  sql = await SqlAnalyzer.create();
});

function timed(text: string, analyzer = sql) {
  const t0 = performance.now();
  const a = analyzer.analyze(text, new SqlSessionState());
  return { a, ms: performance.now() - t0 };
}

describe('bounds', () => {
  it('a text over the length limit is a parse error, without parsing it', () => {
    const { a, ms } = timed(`SELECT 1; DELETE FROM users; -- ${'x'.repeat(1 << 20)}`);
    expect(a.parseError).toMatch(/too long to analyse/);
    expect(a.units).toEqual([]);
    expect(ms).toBeLessThan(200);
  });

  it('the length limit is an option', async () => {
    const small = await SqlAnalyzer.create({ maxLength: 100 });
    expect(small.analyze(`SELECT '${'x'.repeat(200)}'`).parseError).toMatch(/too long/);
    expect(small.analyze('SELECT 1').parseError).toBeUndefined();
  });

  it('more than 10,000 statements in one text is a parse error, found before parsing', () => {
    const { a, ms } = timed(`${'SELECT 1;'.repeat(10_001)} DELETE FROM users`);
    expect(a.parseError).toMatch(/more than 10000 statements/);
    expect(ms).toBeLessThan(200);
  });

  it('a DO body that parses more than 10,000 expressions is a parse error', () => {
    // 120 statements, 90 expressions each (each parsed on its own): few semicolons, many parses
    const raise = `RAISE NOTICE '${'% '.repeat(90)}', ${Array(90).fill('1').join(', ')};`;
    const { a } = timed(`DO $$ BEGIN ${raise.repeat(120)} END $$`);
    expect(a.parseError).toMatch(/more than 10000 statements and expressions/);
  });

  it('deep nesting is a parse error, not a crash', () => {
    for (const text of [
      `SELECT ${'('.repeat(50_000)}1${')'.repeat(50_000)}`,
      `SELECT ${'(SELECT '.repeat(3000)}1${')'.repeat(3000)}`,
      `SELECT ${Array(100_000).fill('1').join('+')}`,
      `DO $$ BEGIN ${'BEGIN '.repeat(5000)}NULL;${' END;'.repeat(5000)} END $$`,
    ]) {
      const { a } = timed(text);
      expect(a.parseError, text.slice(0, 40)).toBeTypeOf('string');
    }
    // and the parser still works afterwards
    expect(sql.analyze('DELETE FROM users').units[0]?.category).toBe('write');
  });

  it('a large statement under the limits is analysed as usual', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `(${i}, 'name ${i}')`).join(',');
    const { a } = timed(`INSERT INTO t (id, name) VALUES ${rows}`);
    expect(a.parseError).toBeUndefined();
    expect(a.units[0]).toMatchObject({ category: 'write', tables: ['t', 'public.t'] });
    const { a: many } = timed(`${'SELECT 1;'.repeat(2000)} DELETE FROM users`);
    expect(many.units.at(-1)).toMatchObject({ category: 'write', statement: 'DeleteStmt' });
  });
});
