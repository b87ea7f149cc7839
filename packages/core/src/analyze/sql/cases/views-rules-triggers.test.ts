// Views, rules and triggers created in this session run what they were defined with whenever their
// relation is used later: a later statement naming the relation takes that in (a trigger on INSERT also
// counts for a SELECT: a worst case, per bare name like functions).
import { sqlCases } from '../testing/sql-cases.js';

const trg =
  'CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM users; RETURN NEW; END $$';
const wipe = 'CREATE FUNCTION wipe() RETURNS int LANGUAGE sql AS $$ DELETE FROM users RETURNING 1 $$';

sqlCases('views, rules and triggers created in the session', [
  {
    sql: 'INSERT INTO log VALUES (1)',
    before: [trg, 'CREATE TRIGGER t AFTER INSERT ON log FOR EACH ROW EXECUTE FUNCTION trg()'],
    category: 'write',
    tables: ['log', 'users'],
    functions: ['trg'],
  },
  {
    sql: 'INSERT INTO public.log VALUES (1)',
    before: ['CREATE TRIGGER t AFTER INSERT ON log FOR EACH ROW EXECUTE FUNCTION pg_catalog.lo_export()'],
    category: 'admin',
    functions: ['lo_export'],
  },
  {
    sql: 'INSERT INTO log VALUES (1)',
    before: ['CREATE RULE r AS ON INSERT TO log DO ALSO DELETE FROM users'],
    category: 'write',
    tables: ['users'],
  },
  {
    sql: 'UPDATE log SET a = 1 WHERE id = 2',
    before: ['CREATE RULE r AS ON UPDATE TO log DO INSTEAD DELETE FROM users'],
    tables: ['users'],
  },
  {
    sql: 'SELECT * FROM v',
    before: ['CREATE VIEW v AS SELECT * FROM secrets'],
    category: 'read',
    tables: ['v', 'secrets'],
  },
  {
    sql: 'SELECT * FROM v',
    before: [wipe, 'CREATE VIEW v AS SELECT wipe()'],
    category: 'write',
    tables: ['users'],
    functions: ['wipe'],
  },
  {
    sql: 'SELECT * FROM app.v WHERE x IN (SELECT 1)',
    before: ["CREATE VIEW app.v AS SELECT pg_read_file('/etc/passwd') AS x"],
    functions: ['pg_read_file'],
  },
  {
    sql: `${wipe}; CREATE VIEW v AS SELECT wipe(); SELECT * FROM v`,
    categories: ['ddl', 'write', 'ddl', 'write'],
  },
  {
    sql: 'WITH v AS (SELECT 1) SELECT * FROM v',
    before: ['CREATE VIEW v AS SELECT * FROM secrets'],
    noTables: ['secrets'],
  },
  { sql: 'SELECT * FROM v', category: 'read', noTables: ['secrets'] },
]);
