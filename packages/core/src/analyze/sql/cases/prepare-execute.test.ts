// PREPARE/EXECUTE: EXECUTE is judged as what was prepared, in this session, once the PREPARE was allowed.
import { sqlCases } from '../testing/sql-cases.js';

sqlCases('PREPARE, EXECUTE and DEALLOCATE', [
  {
    sql: 'PREPARE p AS DELETE FROM users',
    category: 'write',
    statements: ['PrepareStmt', 'DeleteStmt'],
    where: 'absent',
  },
  {
    sql: 'PREPARE p AS SELECT * FROM users WHERE id = $1',
    category: 'read',
    statements: ['PrepareStmt', 'SelectStmt'],
  },
  { sql: 'PREPARE p (int) AS UPDATE users SET a = 1 WHERE id = $1', category: 'write', where: 'present' },
  {
    sql: 'PREPARE p AS WITH d AS (DELETE FROM users RETURNING 1) SELECT * FROM d',
    statements: ['PrepareStmt', 'SelectStmt', 'DeleteStmt'],
    category: 'write',
  },
  {
    sql: 'EXECUTE p',
    before: ['PREPARE p AS DELETE FROM users'],
    category: 'write',
    statements: ['ExecuteStmt', 'DeleteStmt'],
    where: 'absent',
    tables: ['users'],
  },
  {
    sql: 'EXECUTE p(1)',
    before: ['PREPARE p AS SELECT * FROM users WHERE id = $1'],
    category: 'read',
    statements: ['ExecuteStmt', 'SelectStmt'],
  },
  {
    sql: "EXECUTE p(pg_read_file('/etc/passwd'))",
    before: ['PREPARE p AS SELECT $1'],
    functions: ['pg_read_file'],
  },
  { sql: 'EXECUTE p', parseError: /unknown prepared statement "p"/ },
  { sql: 'EXECUTE q', before: ['PREPARE p AS SELECT 1'], parseError: /unknown prepared statement/ },
  { sql: 'EXECUTE P', before: ['PREPARE p AS DELETE FROM users'], category: 'write' },
  { sql: 'EXECUTE "P"', before: ['PREPARE p AS DELETE FROM users'], parseError: true },
  { sql: 'EXECUTE p', before: ['PREPARE p AS DELETE FROM users', 'DEALLOCATE p'], parseError: true },
  { sql: 'EXECUTE p', before: ['PREPARE p AS DELETE FROM users', 'DEALLOCATE ALL'], parseError: true },
  { sql: 'EXECUTE p', before: ['PREPARE p AS DELETE FROM users', 'DEALLOCATE PREPARE p'], parseError: true },
  { sql: 'EXECUTE p', before: ['PREPARE p AS DELETE FROM users', 'DISCARD ALL'], parseError: true },
  { sql: 'EXECUTE p', before: ['PREPARE p AS DELETE FROM users', 'DISCARD PLANS'], category: 'write' },
  {
    sql: 'EXECUTE p',
    before: ['PREPARE p AS SELECT 1', 'DEALLOCATE p', 'PREPARE p AS DELETE FROM users'],
    category: 'write',
    statements: ['ExecuteStmt', 'DeleteStmt', 'SelectStmt'],
  },
  // The gateway cannot see whether a PREPARE or DEALLOCATE it let through worked upstream: PREPARE of a
  // name that exists fails and keeps the old statement, DEALLOCATE in an aborted transaction does
  // nothing. A name keeps every statement it may hold.
  {
    sql: 'EXECUTE p',
    before: ['PREPARE p AS DELETE FROM users', 'PREPARE p AS SELECT 1'],
    category: 'write',
    statements: ['ExecuteStmt', 'SelectStmt', 'DeleteStmt'],
    where: 'absent',
  },
  {
    sql: 'EXECUTE p',
    before: ['PREPARE p AS DELETE FROM users', 'DEALLOCATE p', 'PREPARE p AS SELECT 1'],
    category: 'write',
  },
  {
    sql: 'EXECUTE p',
    before: ['PREPARE p AS DELETE FROM users', 'DEALLOCATE ALL', 'PREPARE p AS SELECT 1'],
    category: 'write',
  },
  {
    sql: 'EXECUTE p',
    before: ['PREPARE p AS DELETE FROM users', 'DISCARD ALL', 'PREPARE p AS SELECT 1'],
    category: 'write',
  },
  {
    sql: 'EXECUTE p',
    before: ['PREPARE p AS DELETE FROM users', 'BEGIN; SELECT 1/0; DEALLOCATE p', 'PREPARE p AS SELECT 1'],
    category: 'write',
  },
  // Within one text an error stops what follows, so there the last PREPARE is what runs.
  {
    sql: 'DEALLOCATE p; PREPARE p AS SELECT 1; EXECUTE p',
    before: ['PREPARE p AS DELETE FROM users'],
    categories: ['session', 'read', 'read', 'read', 'read'],
  },
  { sql: 'PREPARE p AS TRUNCATE users', parseError: true },
  {
    sql: 'PREPARE p AS DELETE FROM users; EXECUTE p',
    statements: ['PrepareStmt', 'DeleteStmt', 'ExecuteStmt', 'DeleteStmt'],
    categories: ['write', 'write', 'write', 'write'],
  },
  { sql: 'DEALLOCATE p; EXECUTE p', before: ['PREPARE p AS SELECT 1'], parseError: true },
  {
    sql: 'DEALLOCATE ALL; PREPARE p AS SELECT 1; EXECUTE p',
    before: ['PREPARE p AS DELETE FROM users'],
    categories: ['session', 'read', 'read', 'read', 'read'],
  },
  {
    sql: 'EXPLAIN ANALYZE EXECUTE p',
    before: ['PREPARE p AS DELETE FROM users'],
    category: 'write',
    statements: ['ExplainStmt', 'ExecuteStmt', 'DeleteStmt'],
  },
  {
    sql: 'EXPLAIN EXECUTE p',
    before: ['PREPARE p AS DELETE FROM users'],
    category: 'read',
    statements: ['ExplainStmt'],
  },
  {
    sql: 'CREATE TABLE t2 AS EXECUTE p',
    before: ['PREPARE p AS SELECT * FROM users'],
    category: 'write',
    statements: ['CreateTableAsStmt', 'ExecuteStmt', 'SelectStmt'],
    tables: ['t2', 'users'],
  },
  { sql: 'DEALLOCATE p', category: 'session' },
  { sql: 'DEALLOCATE ALL', category: 'session' },
]);
