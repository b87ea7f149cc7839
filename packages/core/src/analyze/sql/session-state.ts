// What one Postgres session has prepared with SQL PREPARE, so that a later `EXECUTE name` is judged as
// the statement it runs. Changed only through an Analysis's commit(), i.e. once the command is allowed.
import type { SqlUnit } from '../../types.js';

/** A state change a statement makes when it runs (applied by Analysis.commit). */
export type SqlStateEffect =
  | { op: 'prepare'; name: string; units: readonly SqlUnit[] }
  | { op: 'deallocate'; name: string }
  | { op: 'deallocate_all' };

export class SqlSessionState {
  private readonly prepared = new Map<string, readonly SqlUnit[]>();

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

  apply(effects: readonly SqlStateEffect[]): void {
    for (const e of effects) {
      if (e.op === 'prepare') this.prepared.set(e.name, e.units);
      else if (e.op === 'deallocate') this.prepared.delete(e.name);
      else this.prepared.clear();
    }
  }
}
