// Matches one SQL unit against a rule's `sql:` section. Returns what matched (for the reason), or null.
import type { SqlMatch } from '../config/types.js';
import type { SqlUnit } from '../types.js';
import { globToRegExp } from './glob.js';

export interface CompiledSqlMatch {
  category?: Set<string>;
  statements?: Set<string>;
  tables?: RegExp[];
  functions?: Set<string>;
  where?: 'absent' | 'present';
  copyProgram?: boolean;
  dynamic?: boolean;
}

const stripSchema = (name: string) => {
  const dot = name.lastIndexOf('.');
  return (dot >= 0 ? name.slice(dot + 1) : name).replace(/"/g, '').toLowerCase();
};

export function compileSqlMatch(m: SqlMatch): CompiledSqlMatch {
  return {
    category: m.category ? new Set(m.category.map((c) => c.toLowerCase())) : undefined,
    statements: m.statements ? new Set(m.statements.map((s) => s.toLowerCase())) : undefined,
    tables: m.tables?.map((t) => globToRegExp(t.replace(/"/g, ''), 'word', true)),
    functions: m.functions ? new Set(m.functions.map(stripSchema)) : undefined,
    where: m.where,
    copyProgram: m.copy_program,
    dynamic: m.dynamic,
  };
}

export function matchSql(m: CompiledSqlMatch, u: SqlUnit): string[] | null {
  const why: string[] = [];
  if (m.category) {
    if (!m.category.has(u.category)) return null;
    why.push(`category ${u.category}`);
  }
  if (m.statements) {
    if (!m.statements.has(u.statement.toLowerCase())) return null;
    why.push(u.statement);
  }
  if (m.tables) {
    const t = u.tables.find((name) => m.tables!.some((re) => re.test(name)));
    if (t === undefined) return null;
    why.push(`table ${t}`);
  }
  if (m.functions) {
    const f = u.functions.find((name) => m.functions!.has(stripSchema(name)));
    if (f === undefined) return null;
    why.push(`function ${f}`);
  }
  if (m.where) {
    if (u.where !== m.where) return null;
    why.push(m.where === 'absent' ? 'no WHERE clause' : 'with WHERE clause');
  }
  if (m.copyProgram !== undefined) {
    if (u.copyProgram !== m.copyProgram) return null;
    if (m.copyProgram) why.push('COPY … PROGRAM');
  }
  if (m.dynamic !== undefined) {
    if (u.dynamic !== m.dynamic) return null;
    if (m.dynamic) why.push(`dynamic SQL${u.notes?.length ? ` (${u.notes[0]})` : ''}`);
  }
  return why;
}
