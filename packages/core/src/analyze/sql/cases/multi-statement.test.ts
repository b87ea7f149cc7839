// Several statements in one message: every one is a unit, and one bad part makes the whole a parse error.
import { sqlCases } from '../testing/sql-cases.js';

sqlCases('multi-statement messages', [
  {
    sql: 'SELECT 1; DELETE FROM users',
    statements: ['SelectStmt', 'DeleteStmt'],
    categories: ['read', 'write'],
  },
  { sql: 'SELECT 1;DELETE FROM users;', statements: ['SelectStmt', 'DeleteStmt'] },
  {
    sql: 'SELECT 1\n;\nDROP TABLE users',
    statements: ['SelectStmt', 'DropStmt'],
    categories: ['read', 'ddl'],
    tables: ['users'],
  },
  {
    sql: 'BEGIN; DELETE FROM users WHERE id = 1; COMMIT',
    categories: ['transaction', 'write', 'transaction'],
    where: 'present',
  },
  { sql: 'SELECT 1; SELEC 2', parseError: true },
  { sql: 'SELECT 1; DELETE FROM users WHERE', parseError: true },
  { sql: 'DELETE FROM users; SELECT (', parseError: true },
  {
    sql: 'SELECT 1; SELECT pg_sleep(1); TRUNCATE users',
    statements: ['SelectStmt', 'SelectStmt', 'TruncateStmt'],
    functions: ['pg_sleep'],
  },
  { sql: 'SET search_path = evil, public; SELECT lower(name) FROM users', categories: ['session', 'read'] },
  { sql: 'SELECT 1 UNION SELECT 2; INSERT INTO t VALUES (1)', categories: ['read', 'write'] },
  { sql: 'VALUES (1), (2)', category: 'read', statements: ['SelectStmt'] },
  { sql: 'TABLE users', category: 'read', tables: ['users'] },
  {
    sql: 'SELECT 1; SELECT 2; SELECT 3; SELECT 4; UPDATE t SET a = 1',
    categories: ['read', 'read', 'read', 'read', 'write'],
    where: 'absent',
  },
]);
