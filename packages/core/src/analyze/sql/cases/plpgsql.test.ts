// DO blocks and function bodies: the PL/pgSQL (or SQL) inside is parsed, its statements are units, and
// what is built from strings at run time is dynamic.
import { sqlCases } from '../testing/sql-cases.js';

sqlCases('DO blocks and function bodies', [
  {
    sql: 'DO $$ BEGIN DELETE FROM users; END $$',
    category: 'write',
    statements: ['DoStmt', 'DeleteStmt'],
    where: 'absent',
    dynamic: false,
  },
  { sql: "DO 'BEGIN DELETE FROM users; END'", category: 'write', statements: ['DoStmt', 'DeleteStmt'] },
  { sql: "DO 'BEGIN PERFORM 1; END'", category: 'call', statements: ['DoStmt', 'SelectStmt'] },
  { sql: 'DO $x$ BEGIN PERFORM 1; END $x$', category: 'call', dynamic: false },
  {
    sql: "DO $$ BEGIN EXECUTE 'DR' || 'OP TABLE users'; END $$",
    category: 'unknown',
    dynamic: true,
    statements: ['DoStmt'],
  },
  {
    sql: "DO $$ DECLARE t text := 'users'; BEGIN EXECUTE format('DELETE FROM %I', t); END $$",
    dynamic: true,
    functions: ['format'],
  },
  {
    sql: "DO $$ BEGIN EXECUTE 'DELETE FROM users'; END $$",
    category: 'write',
    dynamic: false,
    statements: ['DoStmt', 'DeleteStmt'],
    tables: ['users'],
  },
  {
    sql: "DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'SELECT * FROM ' || 'users' LOOP END LOOP; END $$",
    dynamic: true,
  },
  { sql: "DO $$ DECLARE c refcursor; BEGIN OPEN c FOR EXECUTE 'SELECT ' || '1'; END $$", dynamic: true },
  {
    sql: "DO $$ DECLARE x text := pg_read_file('/etc/passwd'); BEGIN RAISE NOTICE '%', x; END $$",
    functions: ['pg_read_file'],
  },
  {
    sql: "DO $$ DECLARE x text; BEGIN x := lo_import('/etc/passwd'); END $$",
    functions: ['lo_import'],
    category: 'write',
  },
  {
    sql: "DO $$ BEGIN RAISE NOTICE '%', dblink('host=x', 'DELETE FROM users'); END $$",
    functions: ['dblink'],
    dynamic: true,
  },
  {
    sql: 'DO $$ BEGIN IF (SELECT count(*) FROM secrets) > 0 THEN UPDATE users SET admin = true; END IF; END $$',
    category: 'write',
    tables: ['secrets', 'users'],
    statements: ['DoStmt', 'UpdateStmt'],
  },
  {
    sql: 'DO $$ BEGIN BEGIN DELETE FROM a WHERE id = 1; EXCEPTION WHEN others THEN DROP TABLE b; END; END $$',
    category: 'ddl',
    statements: ['DoStmt', 'DeleteStmt', 'DropStmt'],
    tables: ['a', 'b'],
  },
  { sql: 'DO $$ DECLARE c CURSOR FOR SELECT * FROM secrets; BEGIN OPEN c; END $$', tables: ['secrets'] },
  {
    sql: 'DO $$ BEGIN CALL do_things(1); END $$',
    functions: ['do_things'],
    statements: ['DoStmt', 'CallStmt'],
  },
  { sql: "DO $$ BEGIN PERFORM pg_catalog.set_config('role', 'postgres', false); END $$", category: 'admin' },
  {
    sql: 'DO $outer$ BEGIN EXECUTE $in$DELETE FROM users$in$; END $outer$',
    category: 'write',
    statements: ['DoStmt', 'DeleteStmt'],
  },
  {
    sql: 'DO $$ BEGIN DO $i$ BEGIN DELETE FROM users; END $i$; END $$',
    category: 'write',
    statements: ['DoStmt', 'DoStmt', 'DeleteStmt'],
  },
  {
    sql: 'DO LANGUAGE plpython3u $$ import os; os.system("rm -rf /") $$',
    dynamic: true,
    category: 'unknown',
  },
  { sql: "DO LANGUAGE 'plperl' $$ system('id') $$", dynamic: true },
  { sql: 'DO LANGUAGE plpgsql $$ BEGIN DELETE FROM users; END $$', category: 'write', dynamic: false },
  { sql: 'DO $$ BEGIN DELETE FROM users $$', parseError: true },
  { sql: 'DO $$ BEGIN SELEC 1; END $$', parseError: true },
  { sql: 'DO $$ BEGIN x := 1; END $$', parseError: true },
  { sql: 'DO $$ DECLARE a int[]; BEGIN a[pg_backend_pid()] := 1; END $$', functions: ['pg_backend_pid'] },
  { sql: 'DO $$ BEGIN WHILE pg_sleep(1) IS NULL LOOP EXIT; END LOOP; END $$', functions: ['pg_sleep'] },
  // function and procedure bodies
  {
    sql: 'CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DELETE FROM users $$',
    category: 'ddl',
    statements: ['CreateFunctionStmt', 'DeleteStmt'],
    where: 'absent',
  },
  {
    sql: "CREATE FUNCTION f() RETURNS void AS 'DELETE FROM users' LANGUAGE sql",
    statements: ['CreateFunctionStmt', 'DeleteStmt'],
  },
  {
    sql: 'CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE plpgsql AS $$ DECLARE n int; BEGIN SELECT count(*) INTO n FROM users WHERE id = a; RETURN n; END $$',
    category: 'ddl',
    statements: ['CreateFunctionStmt', 'SelectStmt'],
    tables: ['users'],
  },
  {
    sql: "CREATE FUNCTION f() RETURNS SETOF users LANGUAGE plpgsql AS $$ BEGIN RETURN QUERY EXECUTE 'SELECT * FROM ' || 'users'; END $$",
    dynamic: true,
  },
  {
    sql: 'CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN TRUNCATE users; COMMIT; END $$',
    statements: ['CreateFunctionStmt', 'TruncateStmt'],
    category: 'ddl',
  },
  {
    sql: 'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC DELETE FROM users; SELECT 1; END',
    statements: ['CreateFunctionStmt', 'DeleteStmt'],
  },
  { sql: "CREATE FUNCTION f() RETURNS text RETURN pg_read_file('/etc/passwd')", functions: ['pg_read_file'] },
  {
    sql: "CREATE FUNCTION f(p text DEFAULT pg_read_file('/etc/passwd')) RETURNS text LANGUAGE sql AS 'SELECT p'",
    functions: ['pg_read_file'],
  },
  {
    sql: "CREATE FUNCTION readit(text) RETURNS text LANGUAGE internal AS 'pg_read_file_off_len'",
    functions: ['pg_read_file_off_len'],
  },
  { sql: "CREATE FUNCTION shell(text) RETURNS int LANGUAGE c AS '/tmp/evil.so', 'run'", dynamic: true },
  { sql: 'CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS $$ return 1 $$', dynamic: true },
  { sql: 'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1 $$', parseError: true },
  {
    sql: 'CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ SELECT 1; DELETE FROM users WHERE id = 2 $$',
    statements: ['CreateFunctionStmt', 'SelectStmt', 'DeleteStmt'],
    where: 'present',
  },
  {
    sql: "CREATE FUNCTION f() RETURNS void LANGUAGE sql SET role = 'admin' AS 'SELECT 1'",
    category: 'admin',
  },
  {
    sql: 'CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DELETE FROM users $$; SELECT f()',
    categories: ['ddl', 'write', 'write'],
    functions: ['f'],
  },
  { sql: 'SELECT my_schema.do_cleanup()', category: 'read', functions: ['do_cleanup'] },
  { sql: 'ALTER FUNCTION f() SET role = admin', category: 'admin' },
  { sql: 'ALTER FUNCTION f() SECURITY DEFINER', category: 'ddl' },
  {
    sql: 'CREATE FUNCTION é() RETURNS int LANGUAGE plpgsql AS $$ BEGIN DELETE FROM tablé; RETURN 1; END $$',
    statements: ['CreateFunctionStmt', 'DeleteStmt'],
    tables: ['tablé'],
  },
  {
    sql: "SELECT 'ü'; CREATE FUNCTION g() RETURNS int LANGUAGE plpgsql AS $$ BEGIN DELETE FROM t2; RETURN 1; END $$",
    statements: ['SelectStmt', 'CreateFunctionStmt', 'DeleteStmt'],
    tables: ['t2'],
  },
]);
