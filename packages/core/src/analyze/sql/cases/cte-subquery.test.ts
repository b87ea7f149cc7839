// Writes hidden in CTEs and subqueries make the whole statement a write, and appear as their own units.
import { sqlCases } from '../testing/sql-cases.js';

sqlCases('CTEs and subqueries', [
  {
    sql: 'WITH d AS (DELETE FROM users RETURNING *) SELECT * FROM d',
    category: 'write',
    statements: ['SelectStmt', 'DeleteStmt'],
    categories: ['write', 'write'],
    where: 'absent',
    tables: ['users'],
    noTables: ['d'],
  },
  {
    sql: 'WITH d AS (DELETE FROM users WHERE id = 1 RETURNING *) SELECT count(*) FROM d',
    category: 'write',
    where: 'present',
  },
  {
    sql: 'WITH u AS (UPDATE accounts SET balance = 0 RETURNING id) SELECT * FROM u',
    category: 'write',
    statements: ['SelectStmt', 'UpdateStmt'],
    where: 'absent',
  },
  {
    sql: 'WITH i AS (INSERT INTO audit VALUES (1) RETURNING *) SELECT 1',
    category: 'write',
    statements: ['SelectStmt', 'InsertStmt'],
    tables: ['audit'],
  },
  {
    sql: 'WITH a AS (SELECT 1), b AS (DELETE FROM users RETURNING 1) SELECT * FROM a',
    category: 'write',
    statements: ['SelectStmt', 'DeleteStmt'],
  },
  {
    sql: 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT * FROM r',
    category: 'read',
    noTables: ['r'],
  },
  {
    sql: 'WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a, b',
    category: 'read',
    tables: ['b'],
    noTables: ['a'],
  },
  {
    sql: 'SELECT * FROM (WITH users AS (SELECT 1) SELECT * FROM users) x, users',
    category: 'read',
    tables: ['users'],
  },
  { sql: 'WITH users AS (SELECT 1) SELECT * FROM public.users', tables: ['public.users', 'users'] },
  { sql: 'WITH x AS (SELECT 1) DELETE FROM x', category: 'write', tables: ['x'] },
  {
    sql: 'WITH x AS (SELECT id FROM staging) DELETE FROM users USING x WHERE users.id = x.id',
    category: 'write',
    tables: ['users', 'staging'],
    noTables: ['x'],
    where: 'present',
  },
  {
    sql: 'WITH w AS (WITH d AS (DELETE FROM users RETURNING 1) SELECT * FROM d) SELECT * FROM w',
    category: 'write',
    statements: ['SelectStmt', 'DeleteStmt'],
  },
  { sql: 'SELECT * FROM (DELETE FROM users RETURNING *) x', parseError: true },
  { sql: 'SELECT (DELETE FROM users RETURNING 1)', parseError: true },
  {
    sql: 'SELECT * FROM users WHERE id IN (SELECT user_id FROM (SELECT * FROM orders) o)',
    category: 'read',
    tables: ['users', 'orders'],
  },
  { sql: "SELECT (SELECT pg_read_file('/etc/passwd')) AS x", category: 'read', functions: ['pg_read_file'] },
  {
    sql: 'SELECT * FROM users WHERE EXISTS (SELECT 1 FROM secrets s WHERE s.id = users.id)',
    tables: ['users', 'secrets'],
  },
  { sql: 'SELECT * FROM users FOR UPDATE', category: 'write' },
  { sql: 'SELECT * FROM users FOR SHARE SKIP LOCKED', category: 'write' },
  { sql: 'SELECT * FROM (SELECT * FROM users FOR UPDATE) s', category: 'write' },
  { sql: 'SELECT 1 UNION (SELECT id FROM users FOR NO KEY UPDATE)', category: 'write' },
  { sql: 'INSERT INTO archive SELECT * FROM users', category: 'write', tables: ['archive', 'users'] },
  {
    sql: 'WITH moved AS (DELETE FROM queue RETURNING *) INSERT INTO done SELECT * FROM moved',
    categories: ['write', 'write'],
    statements: ['InsertStmt', 'DeleteStmt'],
    tables: ['queue', 'done'],
  },
  {
    sql: 'SELECT * FROM users u JOIN LATERAL (SELECT * FROM orders o WHERE o.uid = u.id) x ON true',
    category: 'read',
    tables: ['users', 'orders'],
  },
  {
    sql: "SELECT * FROM ROWS FROM (pg_ls_dir('.'), generate_series(1, 3))",
    functions: ['pg_ls_dir', 'generate_series'],
  },
  { sql: 'SELECT * FROM mydb.public.users', tables: ['mydb.public.users', 'public.users', 'users'] },
]);
