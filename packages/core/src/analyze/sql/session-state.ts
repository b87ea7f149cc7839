// What one Postgres session has prepared with SQL PREPARE, so that a later `EXECUTE name` is judged as
// the statement it runs. Changed only through an Analysis's commit(), i.e. once the command is allowed.
import type { SqlUnit } from '../../types.js';

/** A state change a statement makes when it runs (applied by Analysis.commit). */
export type SqlStateEffect =
  | { op: 'prepare'; name: string; units: readonly SqlUnit[] }
  | { op: 'deallocate'; name: string }
  | { op: 'deallocate_all' }
  /** CREATE FUNCTION/PROCEDURE: what its body does, taken in by later calls of `name`. */
  | { op: 'function'; name: string; body: SqlUnit }
  | { op: 'drop_function'; name: string };

export class SqlSessionState {
  private readonly prepared = new Map<string, readonly SqlUnit[]>();
  private readonly functions = new Map<string, SqlUnit>();

  /** The analysed units of a prepared statement (the statement itself first), or undefined. */
  lookup(name: string): readonly SqlUnit[] | undefined {
    return this.prepared.get(name);
  }

  /** Names of the statements prepared in this session. */
  names(): string[] {
    return [...this.prepared.keys()];
  }

  get size(): number {
    return this.prepared.size;
  }

  /** What the body of a function or procedure created in this session does (by bare, lower-case name). */
  lookupFunction(name: string): SqlUnit | undefined {
    return this.functions.get(name);
  }

  /** How many functions this session created (0 keeps the analyzer's cache hits free of any check). */
  get functionCount(): number {
    return this.functions.size;
  }

  apply(effects: readonly SqlStateEffect[]): void {
    for (const e of effects) {
      switch (e.op) {
        case 'prepare':
          this.prepared.set(e.name, e.units);
          break;
        case 'deallocate':
          this.prepared.delete(e.name);
          break;
        case 'deallocate_all':
          this.prepared.clear();
          break;
        case 'function':
          this.functions.set(e.name, e.body);
          break;
        case 'drop_function':
          this.functions.delete(e.name);
          break;
      }
    }
  }
}
