// Table-driven SQL cases: each line is a statement text and the unit facts a policy would match.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Analysis, SqlCategory, SqlUnit } from '../../../types.js';
import { SqlSessionState } from '../session-state.js';
import { SqlAnalyzer } from '../sql-analyzer.js';

export interface SqlCase {
  sql: string;
  /** Run first in the same session, each committed (PREPARE, DEALLOCATE …). */
  before?: string[];
  /** Expect a parse error (optionally matching). */
  parseError?: true | RegExp;
  /** Category of the first (top-level) unit. */
  category?: SqlCategory;
  /** Categories of all units, in order. */
  categories?: SqlCategory[];
  /** Statement node names of all units, in order (top-level first, then what is nested in it). */
  statements?: string[];
  /** Present in some unit. */
  tables?: string[];
  noTables?: string[];
  functions?: string[];
  noFunctions?: string[];
  /** `where` of the first unit that has one. */
  where?: 'absent' | 'present';
  /** true: some unit is dynamic; false: none is. */
  dynamic?: boolean;
  copyProgram?: boolean;
}

const union = (units: readonly SqlUnit[], key: 'tables' | 'functions') =>
  new Set(units.flatMap((u) => u[key]));

function sqlUnits(a: Analysis): SqlUnit[] {
  return a.units.filter((u): u is SqlUnit => u.kind === 'sql');
}

/** The facts of an analysis without the commit function, for comparing two analyses. */
export function facts(a: Analysis): { units: SqlUnit[]; parseError?: string } {
  return a.parseError === undefined
    ? { units: sqlUnits(a) }
    : { units: sqlUnits(a), parseError: a.parseError };
}

export function checkCase(a: Analysis, c: SqlCase): void {
  const units = sqlUnits(a);
  const where = `${c.sql}\n→ ${JSON.stringify(facts(a), null, 1)}`;
  if (c.parseError) {
    expect(a.parseError, where).toBeTypeOf('string');
    if (c.parseError instanceof RegExp) expect(a.parseError, where).toMatch(c.parseError);
    expect(units, where).toEqual([]);
    return;
  }
  expect(a.parseError, where).toBeUndefined();
  if (c.category) expect(units[0]?.category, where).toBe(c.category);
  if (c.categories)
    expect(
      units.map((u) => u.category),
      where,
    ).toEqual(c.categories);
  if (c.statements)
    expect(
      units.map((u) => u.statement),
      where,
    ).toEqual(c.statements);
  const tables = union(units, 'tables');
  for (const t of c.tables ?? []) expect(tables.has(t), `${where}\nmissing table ${t}`).toBe(true);
  for (const t of c.noTables ?? []) expect(tables.has(t), `${where}\nunexpected table ${t}`).toBe(false);
  const functions = union(units, 'functions');
  for (const f of c.functions ?? []) expect(functions.has(f), `${where}\nmissing function ${f}`).toBe(true);
  for (const f of c.noFunctions ?? [])
    expect(functions.has(f), `${where}\nunexpected function ${f}`).toBe(false);
  if (c.where) expect(units.find((u) => u.where !== undefined)?.where, where).toBe(c.where);
  if (c.dynamic !== undefined)
    expect(
      units.some((u) => u.dynamic),
      where,
    ).toBe(c.dynamic);
  if (c.copyProgram !== undefined)
    expect(
      units.some((u) => u.copyProgram),
      where,
    ).toBe(c.copyProgram);
}

/** One describe per family; every case also checks that the cached and the uncached analyses agree. */
export function sqlCases(family: string, cases: SqlCase[]): void {
  describe(family, () => {
    let cached: SqlAnalyzer;
    let uncached: SqlAnalyzer;
    beforeAll(async () => {
      cached = await SqlAnalyzer.create();
      uncached = await SqlAnalyzer.create({ cacheSize: 0 });
    });
    it.each(cases.map((c) => [c.sql, c] as const))('%s', (_sql, c) => {
      const run = (analyzer: SqlAnalyzer) => {
        const state = new SqlSessionState();
        for (const before of c.before ?? []) {
          const prior = analyzer.analyze(before, state);
          expect(prior.parseError, before).toBeUndefined();
          prior.commit?.();
        }
        return analyzer.analyze(c.sql, state);
      };
      const first = run(cached);
      checkCase(first, c);
      // again (cached on its second sighting, served from the cache on the third) and without any cache
      expect(facts(run(cached))).toEqual(facts(first));
      expect(facts(run(cached))).toEqual(facts(first));
      expect(facts(run(uncached))).toEqual(facts(first));
    });
  });
}
