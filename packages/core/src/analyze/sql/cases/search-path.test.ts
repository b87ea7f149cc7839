// Unqualified names resolve through search_path: a table is reported bare, in the schemas of the
// default path (public; pg_catalog for pg_* names), and in every schema this text or this session put
// on the path — so a rule on `private.secrets` meets `SET search_path = private; SELECT * FROM secrets`.
import { sqlCases } from '../testing/sql-cases.js';

sqlCases('search_path and schema-qualified names', [
  { sql: 'SELECT * FROM users', tables: ['users', 'public.users'] },
  { sql: 'SELECT * FROM pg_authid', tables: ['pg_authid', 'pg_catalog.pg_authid'] },
  { sql: 'SELECT * FROM other.users', tables: ['other.users', 'users'], noTables: ['public.users'] },
  { sql: 'DELETE FROM users WHERE id = 1', tables: ['public.users'] },
  { sql: 'DROP TABLE users', tables: ['users', 'public.users'] },
  { sql: 'WITH users AS (SELECT 1) SELECT * FROM users', noTables: ['users', 'public.users'] },
  // the path set in the same text
  {
    sql: 'SET search_path = private, public; SELECT * FROM secrets',
    tables: ['secrets', 'private.secrets', 'public.secrets'],
  },
  { sql: "SET search_path TO 'private'; SELECT * FROM secrets", tables: ['private.secrets'] },
  {
    sql: "SET search_path TO 'other'; SELECT * FROM secrets",
    tables: ['other.secrets'],
    noTables: ['private.secrets'],
  },
  { sql: "SET SCHEMA 'private'; SELECT * FROM secrets", tables: ['private.secrets'] },
  { sql: 'SET LOCAL search_path = "Private"; SELECT * FROM secrets', tables: ['private.secrets'] },
  {
    sql: "SELECT set_config('search_path', 'private, \"$user\"', false); SELECT * FROM secrets",
    tables: ['private.secrets'],
  },
  { sql: "SELECT set_config('search_path', current_user || ',private', false)", category: 'admin' },
  { sql: 'SET search_path = private; SELECT * FROM other.secrets', noTables: ['private.secrets'] },
  // the path set earlier in the session
  { sql: 'SELECT * FROM secrets', before: ['SET search_path = private'], tables: ['private.secrets'] },
  {
    sql: 'DELETE FROM secrets',
    before: ["SELECT set_config('search_path', 'private', false)"],
    tables: ['private.secrets'],
    where: 'absent',
  },
  {
    sql: 'SELECT * FROM secrets',
    before: ['SET search_path = private', 'RESET search_path'],
    tables: ['private.secrets'],
  },
  {
    sql: 'SELECT * FROM other.secrets',
    before: ['SET search_path = private'],
    noTables: ['private.secrets'],
  },
  {
    sql: 'EXECUTE p',
    before: ['PREPARE p AS SELECT * FROM secrets', 'SET search_path = private'],
    tables: ['private.secrets'],
  },
]);
