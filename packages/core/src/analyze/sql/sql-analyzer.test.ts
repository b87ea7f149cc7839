import { beforeAll, describe, expect, it } from 'vitest';
import type { SqlUnit } from '../../types.js';
import { SqlSessionState } from './session-state.js';
import { SqlAnalyzer } from './sql-analyzer.js';

const first = (a: { units: readonly unknown[] }) => a.units[0] as SqlUnit;

describe('SqlAnalyzer', () => {
  let analyzer: SqlAnalyzer;
  beforeAll(async () => {
    analyzer = await SqlAnalyzer.create({ cacheSize: 1000 });
  });

  it('shares one parser module between analyzers', async () => {
    const [a, b] = await Promise.all([SqlAnalyzer.create(), SqlAnalyzer.create()]);
    expect(first(a.analyze('DELETE FROM t')).category).toBe('write');
    expect(first(b.analyze('SELECT 1')).category).toBe('read');
  });

  it('serves statements that differ only in literals from one frozen cached analysis', () => {
    analyzer.analyze("SELECT * FROM accounts WHERE id = 1 AND kind = 'x'"); // first sighting: not cached
    const a = analyzer.analyze("SELECT * FROM accounts WHERE id = 2 AND kind = 'y'"); // second: cached
    const b = analyzer.analyze("SELECT * FROM accounts WHERE id = 987 AND kind = 'something else'");
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.units)).toBe(true);
    expect(Object.isFrozen(a.units[0])).toBe(true);
    expect(Object.isFrozen(first(a).tables)).toBe(true);
  });

  it('never serves a DO body written as a plain string from the shape of another', () => {
    expect(first(analyzer.analyze("DO 'BEGIN PERFORM 1; END'")).category).toBe('call');
    expect(first(analyzer.analyze("DO 'BEGIN PERFORM 3; END'")).category).toBe('call');
    expect(first(analyzer.analyze("DO 'BEGIN DELETE FROM users; END'")).category).toBe('write');
    expect(first(analyzer.analyze("DO 'BEGIN PERFORM 2; END'")).category).toBe('call');
  });

  it('never serves set_config by shape: its setting name decides the category', () => {
    expect(first(analyzer.analyze("SELECT set_config('application_name', 'a', false)")).category).toBe(
      'session',
    );
    expect(first(analyzer.analyze("SELECT set_config('role', 'postgres', false)")).category).toBe('admin');
    expect(first(analyzer.analyze("SELECT set_config('search_path', 'x', false)")).category).toBe('session');
  });

  it('judges EXECUTE by each session’s own prepared statements, never from a cache', () => {
    const reads = new SqlSessionState();
    const writes = new SqlSessionState();
    analyzer.analyze('PREPARE p AS SELECT * FROM users', reads).commit?.();
    analyzer.analyze('PREPARE p AS DELETE FROM users', writes).commit?.();
    expect(first(analyzer.analyze('EXECUTE p', reads)).category).toBe('read');
    expect(first(analyzer.analyze('EXECUTE p', writes)).category).toBe('write');
    expect(first(analyzer.analyze('EXECUTE p', reads)).category).toBe('read');
    expect(analyzer.analyze('EXECUTE p').parseError).toMatch(/unknown prepared statement/);
    expect(analyzer.analyze('EXECUTE p', new SqlSessionState()).parseError).toMatch(
      /unknown prepared statement/,
    );
  });

  it('changes the session state only on commit, and binds commit to the caller’s state', () => {
    const a = new SqlSessionState();
    const b = new SqlSessionState();
    const c = new SqlSessionState();
    analyzer.analyze('PREPARE q AS DELETE FROM users WHERE id = 3', c).commit?.();
    const prepA = analyzer.analyze('PREPARE q AS DELETE FROM users WHERE id = 1', a);
    expect(prepA.commit).toBeTypeOf('function');
    expect(a.size).toBe(0); // not committed (e.g. the decision was deny)
    expect(analyzer.analyze('EXECUTE q', a).parseError).toBeDefined();
    // same shape, served from the cache: the commit still lands in b, not in a
    analyzer.analyze('PREPARE q AS DELETE FROM users WHERE id = 2', b).commit?.();
    expect(b.names()).toEqual(['q']);
    expect(a.size).toBe(0);
    expect(c.names()).toEqual(['q']);
    analyzer.analyze('DEALLOCATE q', b).commit?.();
    expect(b.size).toBe(0);
  });

  it('judges a call of a function created in this session with its body, even when the call was cached', () => {
    const other = new SqlSessionState();
    for (let i = 0; i < 3; i++)
      expect(first(analyzer.analyze('SELECT purge()', other)).category).toBe('read');
    const s = new SqlSessionState();
    analyzer
      .analyze('CREATE FUNCTION purge() RETURNS void LANGUAGE sql AS $$ TRUNCATE orders $$', s)
      .commit?.();
    expect(s.lookupFunction('purge')?.category).toBe('write');
    expect(first(analyzer.analyze('SELECT purge()', s)).category).toBe('write');
    expect(first(analyzer.analyze('SELECT purge()', other)).category).toBe('read');
  });

  it('DISCARD ALL and DEALLOCATE ALL forget every prepared statement', () => {
    const s = new SqlSessionState();
    analyzer.analyze('PREPARE a AS SELECT 1; PREPARE b AS SELECT 2', s).commit?.();
    expect(s.size).toBe(2);
    analyzer.analyze('DISCARD ALL', s).commit?.();
    expect(s.size).toBe(0);
    analyzer.analyze('PREPARE a AS SELECT 1', s).commit?.();
    analyzer.analyze('DEALLOCATE ALL', s).commit?.();
    expect(s.size).toBe(0);
  });

  it('keeps its caches bounded', async () => {
    const small = await SqlAnalyzer.create({ cacheSize: 10 });
    for (let i = 0; i < 400; i++) small.analyze(`SELECT c${i >> 1} FROM t WHERE a = ${i}`);
    for (let i = 0; i < 400; i++) small.analyze(`DO 'BEGIN PERFORM ${i >> 1}; END'`);
    expect(small.cached.shapes).toBeGreaterThan(0);
    expect(small.cached.exact).toBeGreaterThan(0);
    expect(small.cached.shapes).toBeLessThanOrEqual(10);
    expect(small.cached.exact).toBeLessThanOrEqual(10);
  });

  it('caches nothing seen once, nor texts beyond maxCachedLength (and still analyses them)', async () => {
    const small = await SqlAnalyzer.create({ maxCachedLength: 50 });
    for (let i = 0; i < 100; i++) small.analyze(`SELECT c${i} FROM t WHERE a = ${i}`);
    expect(small.cached).toEqual({ shapes: 0, exact: 0 });
    const long = `SELECT ${'a, '.repeat(100)}b FROM t; DELETE FROM users`;
    small.analyze(long);
    const r = small.analyze(long);
    expect(r.units.map((u) => (u as SqlUnit).statement)).toEqual(['SelectStmt', 'DeleteStmt']);
    expect(small.cached).toEqual({ shapes: 0, exact: 0 });
  });

  it('returns a parse error instead of throwing on bad input', () => {
    expect(analyzer.analyze(undefined as unknown as string).parseError).toBeDefined();
    expect(analyzer.analyze('SELECT (((((((((').parseError).toBeDefined();
    const deep = `SELECT ${'('.repeat(5000)}1${')'.repeat(5000)}`;
    const r = analyzer.analyze(deep);
    expect(r.parseError ?? r.units.length).toBeTruthy();
  });

  it('refuses PL/pgSQL nested too deeply', () => {
    let body = 'BEGIN DELETE FROM users; END';
    for (let i = 0; i < 12; i++) body = `BEGIN EXECUTE $q${i}$DO $b${i}$${body}$b${i}$$q${i}$; END`;
    expect(analyzer.analyze(`DO $top$${body}$top$`).parseError).toMatch(/nested too deeply/);
  });
});
