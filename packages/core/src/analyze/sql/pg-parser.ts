// The real Postgres parser (libpg-query: Postgres 18's own grammar compiled to WASM), loaded once per
// process and shared by every SqlAnalyzer. See README.md for why this package.
import { loadModule, parsePlPgSQLSync, parseSync } from 'libpg-query';
import type { PgNode } from './categories.js';

let loading: Promise<void> | undefined;

/** Loads the WASM module (once; later calls share the same promise). */
export function loadPgParser(): Promise<void> {
  loading ??= loadModule().catch((err: unknown) => {
    loading = undefined; // let a later create() try again
    throw err;
  });
  return loading;
}

export interface RawStatement {
  stmt?: PgNode;
  stmt_location?: number;
  stmt_len?: number;
}

/** Parses SQL text into raw statements; throws the parser's error (with its message) on bad SQL. */
export function parseSql(text: string): RawStatement[] {
  const result = parseSync(text) as unknown as { stmts?: RawStatement[] };
  return result.stmts ?? [];
}

/** Parses a DO or CREATE FUNCTION … LANGUAGE plpgsql statement into its PL/pgSQL function trees. */
export function parsePlpgsql(text: string): PgNode[] {
  const result = parsePlPgSQLSync(text) as unknown as { plpgsql_funcs?: PgNode[] };
  return result.plpgsql_funcs ?? [];
}
