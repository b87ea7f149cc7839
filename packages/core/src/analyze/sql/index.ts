// The SQL analyzer: Postgres statements → the facts a policy matches (see README.md).
export {
  CATEGORY_SEVERITY,
  DYNAMIC_FUNCTIONS,
  FUNCTION_CATEGORIES,
  LITERALS_READ,
  SENSITIVE_SETTINGS,
  SQL_STATEMENT_CATEGORIES,
} from './categories.js';
export { SqlSessionState, type SqlStateEffect } from './session-state.js';
export { sqlShape } from './shape.js';
export { SqlAnalyzer, type SqlAnalyzerOptions } from './sql-analyzer.js';
