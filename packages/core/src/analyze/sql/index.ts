// The SQL analyzer: Postgres statements → the facts a policy matches (see README.md).
// Exported names start with SQL_ / Sql: core's index re-exports every analyzer side by side.
export {
  CATEGORY_SEVERITY as SQL_CATEGORY_SEVERITY,
  DYNAMIC_FUNCTIONS as SQL_DYNAMIC_FUNCTIONS,
  FUNCTION_CATEGORIES as SQL_FUNCTION_CATEGORIES,
  LITERALS_READ as SQL_LITERALS_READ,
  SENSITIVE_SETTINGS as SQL_SENSITIVE_SETTINGS,
  SQL_STATEMENT_CATEGORIES,
} from './categories.js';
export { SqlSessionState, type SqlStateEffect } from './session-state.js';
export { sqlShape } from './shape.js';
export { SqlAnalyzer, type SqlAnalyzerOptions } from './sql-analyzer.js';
