// Collects the facts of one statement while its tree is walked, then freezes them into a SqlUnit.
import type { SqlCategory, SqlUnit } from '../../types.js';
import { CATEGORY_SEVERITY } from './categories.js';

// Tables a unit names without a schema (found through search_path), kept beside the unit rather than in
// it: the session adds the schemas it put on its path when it is served (SqlAnalyzer.serve).
const UNQUALIFIED = new WeakMap<SqlUnit, readonly string[]>();

/** The tables this unit (or a statement it holds) names without a schema, lower-case. */
export function unqualifiedTables(unit: SqlUnit): readonly string[] | undefined {
  return UNQUALIFIED.get(unit);
}

export class UnitBuilder {
  // Arrays, not Sets: a statement names a handful of each, and this runs on every cold statement.
  readonly tables: string[] = [];
  readonly functions: string[] = [];
  where: 'absent' | 'present' | undefined;
  copyProgram = false;
  dynamic = false;
  private notes: string[] | undefined;
  private unqualified: string[] | undefined;

  constructor(
    readonly statement: string,
    public category: SqlCategory,
  ) {}

  addTable(name: string): void {
    if (!this.tables.includes(name)) this.tables.push(name);
  }

  /** A table named without a schema (also added with addTable, in the schemas known to be on the path). */
  addUnqualified(name: string): void {
    if (!this.unqualified) this.unqualified = [name];
    else if (!this.unqualified.includes(name)) this.unqualified.push(name);
  }

  addFunction(name: string): void {
    if (!this.functions.includes(name)) this.functions.push(name);
  }

  /** Raises the category to `to` if that is more severe; the note says why. */
  escalate(to: SqlCategory, note?: string): void {
    if (CATEGORY_SEVERITY[to] > CATEGORY_SEVERITY[this.category]) {
      this.category = to;
      if (note) this.note(note);
    }
  }

  note(text: string, first = false): void {
    if (!this.notes) this.notes = [];
    if (this.notes.includes(text)) return;
    if (first) this.notes.unshift(text);
    else this.notes.push(text);
  }

  /** What runs cannot be seen: dynamic, and never more harmless than `unknown`. The reason goes first. */
  markDynamic(reason: string): void {
    this.dynamic = true;
    this.note(reason, true);
    this.escalate('unknown');
  }

  /** Takes in the facts of a statement that runs as part of this one. */
  absorb(child: SqlUnit): void {
    for (const t of child.tables) this.addTable(t);
    const unqualified = UNQUALIFIED.get(child);
    if (unqualified) for (const t of unqualified) this.addUnqualified(t);
    for (const f of child.functions) this.addFunction(f);
    if (child.copyProgram) this.copyProgram = true;
    if (child.dynamic && !this.dynamic) this.markDynamic(child.notes?.[0] ?? `${child.statement} is dynamic`);
    this.escalate(child.category, `contains ${child.statement} (${child.category})`);
  }

  /** Takes in only what a statement mentions (tables, functions), not what it does: plain EXPLAIN. */
  mention(child: UnitBuilder): void {
    for (const t of child.tables) this.addTable(t);
    if (child.unqualified) for (const t of child.unqualified) this.addUnqualified(t);
    for (const f of child.functions) this.addFunction(f);
  }

  finish(): SqlUnit {
    const unit: SqlUnit = {
      kind: 'sql',
      category: this.category,
      statement: this.statement,
      tables: this.tables,
      functions: this.functions,
      copyProgram: this.copyProgram,
      dynamic: this.dynamic,
    };
    if (this.where !== undefined) unit.where = this.where;
    if (this.notes) unit.notes = this.notes;
    if (this.unqualified) UNQUALIFIED.set(unit, this.unqualified);
    return unit;
  }
}

/**
 * Freezes units (and their lists) before they are shared: cached analyses and prepared statements.
 * Units handed to one caller only are left as built (freezing costs ~1% of a cold analysis).
 */
/**
 * The units with each unqualified table also named in `schemas` (the ones a session put on its
 * search_path); the same array when no unit names an unqualified table.
 */
export function withSchemas(units: readonly SqlUnit[], schemas: ReadonlySet<string>): readonly SqlUnit[] {
  let out: SqlUnit[] | undefined;
  for (let i = 0; i < units.length; i++) {
    const u = units[i];
    const unqualified = u.kind === 'sql' ? UNQUALIFIED.get(u) : undefined;
    if (!unqualified) continue;
    const tables = [...u.tables];
    for (const s of schemas) {
      for (const t of unqualified) if (!tables.includes(`${s}.${t}`)) tables.push(`${s}.${t}`);
    }
    if (tables.length === u.tables.length) continue;
    out ??= [...units];
    const copy: SqlUnit = { ...u, tables };
    UNQUALIFIED.set(copy, unqualified);
    out[i] = copy;
  }
  return out ?? units;
}

export function freezeUnits(units: readonly SqlUnit[]): readonly SqlUnit[] {
  for (const u of units) {
    if (Object.isFrozen(u)) continue;
    Object.freeze(u.tables);
    Object.freeze(u.functions);
    if (u.notes) Object.freeze(u.notes);
    Object.freeze(u);
  }
  return Object.freeze(units);
}
