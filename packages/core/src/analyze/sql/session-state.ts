// What one Postgres session has prepared (SQL PREPARE and the extended protocol's named Parse share one
// namespace upstream) and the functions it created, so that a later `EXECUTE name` or `SELECT f()` is
// judged as what it runs. Changed only through an Analysis's commit() (once the command is allowed) and
// through prepareStatement() (a Parse the listener forwarded).
//
// The state is a worst case, never a guess: the gateway cannot see whether a statement it let through
// succeeded upstream (a PREPARE of a name that exists fails and keeps the old statement; a DEALLOCATE in
// an aborted transaction does nothing; DROP FUNCTION f(text) leaves f(int)). So a name keeps what it
// may hold: a new PREPARE of a known name adds to it, DEALLOCATE only hides it from EXECUTE (until it is
// prepared again, then it holds both), a function's body adds to earlier bodies and is never dropped, and
// a schema put on the search_path stays there, as does a view, rule or trigger (DROP forgets nothing).
import type { SqlUnit } from '../../types.js';
import { freezeUnits, UnitBuilder } from './unit-builder.js';

/** A state change a statement makes when it runs (applied by Analysis.commit). */
export type SqlStateEffect =
  | { op: 'prepare'; name: string; units: readonly SqlUnit[] }
  | { op: 'deallocate'; name: string }
  | { op: 'deallocate_all' }
  /** CREATE FUNCTION/PROCEDURE: what its body does, taken in by later calls of `name`. */
  | { op: 'function'; name: string; body: SqlUnit }
  | { op: 'drop_function'; name: string }
  /** CREATE VIEW / RULE / TRIGGER: what using the relation `name` (bare, lower-case) runs. */
  | { op: 'relation'; name: string; body: SqlUnit }
  /** SET search_path / set_config('search_path'): schemas unqualified names may now resolve in. */
  | { op: 'search_path'; schemas: readonly string[] };

interface Prepared {
  units: readonly SqlUnit[];
  /** false after DEALLOCATE: EXECUTE refuses the name, but a new PREPARE of it keeps these units. */
  live: boolean;
}

// One name re-prepared again and again keeps at most this many units (then one per statement type).
const MAX_UNITS_PER_NAME = 32;

export class SqlSessionState {
  private readonly prepared = new Map<string, Prepared>();
  private readonly functions = new Map<string, SqlUnit>();
  private readonly schemas = new Set<string>();
  private readonly relations = new Map<string, SqlUnit>();

  /** The analysed units a prepared statement may run (its statement first), or undefined. */
  lookup(name: string): readonly SqlUnit[] | undefined {
    const p = this.prepared.get(name);
    return p?.live ? p.units : undefined;
  }

  /** Names of the statements prepared in this session (and not deallocated since). */
  names(): string[] {
    return [...this.prepared].filter(([, p]) => p.live).map(([name]) => name);
  }

  get size(): number {
    return this.names().length;
  }

  /** What the bodies of the functions or procedures created in this session under this bare, lower-case name do. */
  lookupFunction(name: string): SqlUnit | undefined {
    return this.functions.get(name);
  }

  /** How many functions this session created (0 keeps the analyzer's cache hits free of any check). */
  get functionCount(): number {
    return this.functions.size;
  }

  /** What the views, rules and triggers this session created on a relation (bare, lower-case name) run. */
  lookupRelation(name: string): SqlUnit | undefined {
    return this.relations.get(name);
  }

  /** How many relations have a view, rule or trigger created in this session. */
  get relationCount(): number {
    return this.relations.size;
  }

  /** Every schema this session put on its search_path (never forgotten: RESET may not have run either). */
  get searchSchemas(): ReadonlySet<string> {
    return this.schemas;
  }

  /**
   * A named statement the listener sent upstream with the extended protocol's Parse (allowed, or held for
   * review at Bind): SQL `EXECUTE name` can run it too. `units` are the Parse text's; none (the text did
   * not parse here) records an unknown statement.
   */
  prepareStatement(name: string, units: readonly SqlUnit[]): void {
    if (units.length === 0) {
      const b = new UnitBuilder('ParsedStatement', 'unknown');
      b.note('a protocol-level statement this analyzer could not parse');
      units = [b.finish()];
    }
    this.apply([{ op: 'prepare', name, units: freezeUnits(units) }]);
  }

  apply(effects: readonly SqlStateEffect[]): void {
    for (const e of effects) {
      switch (e.op) {
        case 'prepare': {
          const old = this.prepared.get(e.name);
          this.prepared.set(e.name, { units: old ? mergeUnits(old.units, e.units) : e.units, live: true });
          break;
        }
        case 'deallocate': {
          const p = this.prepared.get(e.name);
          if (p) p.live = false;
          break;
        }
        case 'deallocate_all':
          for (const p of this.prepared.values()) p.live = false;
          break;
        case 'function': {
          const old = this.functions.get(e.name);
          this.functions.set(e.name, old ? mergeBodies(old, e.body) : e.body);
          break;
        }
        case 'drop_function':
          // Kept: the drop may have failed, or removed another overload of the same name.
          break;
        case 'relation': {
          const old = this.relations.get(e.name);
          this.relations.set(e.name, old ? mergeBodies(old, e.body) : e.body);
          break;
        }
        case 'search_path':
          for (const schema of e.schemas) this.schemas.add(schema);
          break;
      }
    }
  }
}

/** Everything either list may run: the new units, then the old ones not already there. */
function mergeUnits(old: readonly SqlUnit[], added: readonly SqlUnit[]): readonly SqlUnit[] {
  const merged = [...added, ...old.filter((u) => !added.includes(u))];
  if (merged.length <= MAX_UNITS_PER_NAME) return freezeUnits(merged);
  // Bounded: one unit per statement type and `where`, holding the facts of all of them.
  const byKind = new Map<string, UnitBuilder>();
  for (const u of merged) {
    const key = `${u.statement}|${u.where ?? ''}`;
    let b = byKind.get(key);
    if (!b) {
      b = new UnitBuilder(u.statement, u.category);
      b.where = u.where;
      byKind.set(key, b);
    }
    b.absorb(u);
  }
  return freezeUnits([...byKind.values()].map((b) => b.finish()));
}

export function mergeBodies(old: SqlUnit, added: SqlUnit): SqlUnit {
  if (old === added) return old;
  const b = new UnitBuilder(added.statement, added.category);
  b.absorb(added);
  b.absorb(old);
  b.note('the name was created more than once in this session: calls count every body');
  return freezeUnits([b.finish()])[0];
}
