// A function created in this session and called later is judged with what its body does.
import { sqlCases } from '../testing/sql-cases.js';

const wipe = 'CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS $$ DELETE FROM users $$';

sqlCases('functions created earlier in the session', [
  { sql: 'SELECT wipe()', before: [wipe], category: 'write', tables: ['users'], functions: ['wipe'] },
  { sql: 'SELECT public.WIPE()', before: [wipe], category: 'write' },
  { sql: 'SELECT * FROM users WHERE id = (SELECT wipe())::int', before: [wipe], category: 'write' },
  // DROP FUNCTION forgets nothing: it may fail upstream, or drop one overload and leave another.
  { sql: 'SELECT wipe()', before: [wipe, 'DROP FUNCTION wipe()'], category: 'write' },
  { sql: 'SELECT wipe(1)', before: [wipe, 'DROP FUNCTION wipe(int)'], category: 'write' },
  // A second CREATE of the name (another overload, or one that failed: the name exists) adds its body.
  {
    sql: 'SELECT wipe()',
    before: [wipe, "CREATE FUNCTION wipe(int) RETURNS int LANGUAGE sql AS 'SELECT 1'"],
    category: 'write',
    tables: ['users'],
  },
  {
    sql: 'SELECT wipe()',
    before: [wipe, "CREATE OR REPLACE FUNCTION wipe() RETURNS void LANGUAGE sql AS 'SELECT 1'"],
    category: 'write',
  },
  {
    sql: "CREATE FUNCTION wipe(int) RETURNS int LANGUAGE sql AS 'SELECT 1'; SELECT wipe()",
    before: [wipe],
    categories: ['ddl', 'read', 'write'],
  },
  {
    sql: `${wipe}; CREATE FUNCTION wipe(int) RETURNS int LANGUAGE sql AS 'SELECT 1'; SELECT wipe()`,
    categories: ['ddl', 'write', 'ddl', 'read', 'write'],
  },
  { sql: 'SELECT wipe()', category: 'read' },
  {
    sql: 'CALL p()',
    before: ["CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DR' || 'OP TABLE t'; END $$"],
    category: 'unknown',
    dynamic: true,
  },
  {
    sql: "SELECT peek('/etc/passwd')",
    before: ["CREATE FUNCTION peek(text) RETURNS text LANGUAGE internal AS 'pg_read_file_off_len'"],
    functions: ['peek', 'pg_read_file_off_len'],
  },
  {
    sql: 'SELECT f()',
    before: ["CREATE FUNCTION f() RETURNS int LANGUAGE sql SET role = 'admin' AS 'SELECT 1'"],
    category: 'admin',
  },
  { sql: `${wipe}; SELECT wipe()`, categories: ['ddl', 'write', 'write'] },
  { sql: 'DROP FUNCTION wipe(); SELECT wipe()', before: [wipe], categories: ['ddl', 'write'] },
]);
