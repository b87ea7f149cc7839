// Objects whose definition names functions that run later, without a call in any later statement:
// aggregates, operators, casts, types, operator classes, conversions, transforms. The functions they
// name are reported where they are defined (so a `functions:` rule meets the definition), and an
// aggregate created in this session takes its support functions into later calls of it.
import { sqlCases } from '../testing/sql-cases.js';

const wipe =
  'CREATE FUNCTION wipe(text, text) RETURNS text LANGUAGE sql AS $$ DELETE FROM users RETURNING 1 $$';

sqlCases('definitions that name functions', [
  {
    sql: 'CREATE AGGREGATE a (sfunc = pg_read_file, stype = text, basetype = text)',
    category: 'ddl',
    functions: ['pg_read_file'],
  },
  {
    sql: 'CREATE AGGREGATE a(text) (sfunc = pg_catalog."PG_READ_FILE", stype = text, finalfunc = lo_export)',
    category: 'admin',
    functions: ['pg_read_file', 'lo_export'],
  },
  {
    sql: "CREATE AGGREGATE a(text) (sfunc = 'pg_read_file', stype = text)",
    functions: ['pg_read_file'],
  },
  {
    sql: "CREATE AGGREGATE a(text) (sfunc = 'textcat', stype = text)",
    functions: ['textcat'],
    noFunctions: ['pg_read_file'],
  },
  {
    sql: 'CREATE AGGREGATE a(text) (sfunc = dblink_exec, stype = text, msfunc = m, minvfunc = mi, mstype = text)',
    dynamic: true,
    functions: ['dblink_exec', 'm', 'mi'],
  },
  {
    sql: 'CREATE OPERATOR === (leftarg = text, rightarg = text, function = pg_read_file)',
    category: 'ddl',
    functions: ['pg_read_file'],
  },
  {
    sql: 'CREATE OPERATOR === (leftarg = text, rightarg = text, procedure = public.evil, restrict = eqsel)',
    functions: ['evil', 'eqsel'],
  },
  { sql: 'ALTER OPERATOR === (text, text) SET (restrict = evil_sel)', functions: ['evil_sel'] },
  { sql: 'CREATE CAST (text AS int) WITH FUNCTION evil(text)', category: 'ddl', functions: ['evil'] },
  { sql: 'CREATE TYPE t (input = fin, output = fout, receive = frecv)', functions: ['fin', 'fout', 'frecv'] },
  { sql: 'CREATE TYPE r AS RANGE (subtype = int, subtype_diff = evil_diff)', functions: ['evil_diff'] },
  {
    sql: 'CREATE OPERATOR CLASS c FOR TYPE int USING btree AS OPERATOR 1 <, FUNCTION 1 evil_cmp(int, int)',
    functions: ['evil_cmp'],
  },
  { sql: 'ALTER OPERATOR FAMILY f USING btree ADD FUNCTION 1 evil_cmp(int, int)', functions: ['evil_cmp'] },
  { sql: "CREATE CONVERSION c FOR 'UTF8' TO 'LATIN1' FROM evil_conv", functions: ['evil_conv'] },
  // a session-created function behind an aggregate: the definition and later calls take in its body
  {
    sql: 'CREATE AGGREGATE agg(text) (sfunc = wipe, stype = text)',
    before: [wipe],
    category: 'ddl',
    tables: ['users'],
  },
  {
    sql: 'SELECT agg(name) FROM t',
    before: [wipe, 'CREATE AGGREGATE agg(text) (sfunc = wipe, stype = text)'],
    category: 'write',
    tables: ['users', 't'],
    functions: ['agg', 'wipe'],
  },
  {
    sql: 'SELECT agg(x) FROM t',
    before: ['CREATE AGGREGATE agg(text) (sfunc = pg_read_file, stype = text)'],
    functions: ['agg', 'pg_read_file'],
  },
  {
    sql: 'CREATE AGGREGATE agg(text) (sfunc = pg_read_file, stype = text); SELECT agg(x) FROM t',
    functions: ['pg_read_file'],
    categories: ['ddl', 'read'],
  },
]);
