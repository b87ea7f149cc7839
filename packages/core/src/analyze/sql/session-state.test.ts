// The session state is a worst case: names the extended protocol's Parse created are known to SQL
// EXECUTE, and a name re-prepared many times stays bounded without losing its worst statement.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlUnit } from '../../types.js';
import { SqlSessionState } from './session-state.js';
import { SqlAnalyzer } from './sql-analyzer.js';

let sql: SqlAnalyzer;
beforeAll(async () => {
  sql = await SqlAnalyzer.create();
});

const units = (text: string) => sql.analyze(text).units as SqlUnit[];

describe('SqlSessionState', () => {
  it('a statement created by a protocol Parse is what SQL EXECUTE of its name runs', () => {
    const state = new SqlSessionState();
    state.prepareStatement('s1', units('DELETE FROM users'));
    const a = sql.analyze('EXECUTE s1', state);
    expect(a.parseError).toBeUndefined();
    expect(a.units[0]).toMatchObject({ category: 'write', tables: ['users', 'public.users'] });
    // Protocol names are case-sensitive: only a quoted identifier reaches an upper-case one.
    state.prepareStatement('S2', units('SELECT 1'));
    expect(sql.analyze('EXECUTE s2', state).parseError).toMatch(/unknown prepared statement/);
    expect(sql.analyze('EXECUTE "S2"', state).units[0]?.category).toBe('read');
  });

  it('a SQL PREPARE of a name a Parse created keeps the Parse’s statement', () => {
    const state = new SqlSessionState();
    state.prepareStatement('p', units('DELETE FROM users'));
    sql.analyze('PREPARE p AS SELECT 1', state).commit?.();
    expect(sql.analyze('EXECUTE p', state).units[0]?.category).toBe('write');
  });

  it('a Parse text this analyzer cannot parse is an unknown statement to EXECUTE', () => {
    const state = new SqlSessionState();
    state.prepareStatement('odd', []);
    expect(sql.analyze('EXECUTE odd', state).units[0]?.category).toBe('unknown');
  });

  it('a name prepared again and again stays bounded and keeps its worst statement', () => {
    const state = new SqlSessionState();
    sql.analyze('PREPARE p AS DELETE FROM secrets', state).commit?.();
    for (let i = 0; i < 200; i++) sql.analyze(`PREPARE p AS SELECT * FROM t${i}`, state).commit?.();
    const prepared = state.lookup('p') ?? [];
    expect(prepared.length).toBeLessThanOrEqual(32);
    const a = sql.analyze('EXECUTE p', state);
    expect(a.units[0]?.category).toBe('write');
    const tables = new Set(a.units.flatMap((u) => (u as SqlUnit).tables));
    expect(tables.has('secrets') && tables.has('t0') && tables.has('t199')).toBe(true);
    expect(
      a.units.some((u) => u.kind === 'sql' && u.statement === 'DeleteStmt' && u.where === 'absent'),
    ).toBe(true);
  });
});
