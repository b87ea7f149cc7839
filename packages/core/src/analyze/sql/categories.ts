// The SQL category table and the lists of functions and settings that change a category: every
// classification choice of the SQL analyzer is written down here, one line of why per choice.
import type { SqlCategory } from '../../types.js';

/** A parse node as libpg-query's JSON gives it: fields by name. */
export type PgNode = Record<string, unknown>;

/** A category, or a function of the node for the few statements whose fields decide it. */
export type CategoryRule = SqlCategory | ((node: PgNode) => SqlCategory);

/**
 * How severe a category is. A statement takes the most severe category of everything it contains
 * (a write CTE makes its SELECT a write, a DO body with a DROP makes the DO ddl), so a rule such as
 * `category: read → allow` never matches a statement that does more than read. `unknown` is the
 * most severe: whatever cannot be seen (dynamic SQL, an unlisted statement) is never "just a read".
 */
export const CATEGORY_SEVERITY: Readonly<Record<SqlCategory, number>> = {
  read: 0,
  session: 1,
  transaction: 2,
  call: 3,
  write: 4,
  ddl: 5,
  admin: 6,
  unknown: 7,
};

/**
 * Settings whose change is a privilege change or changes how the server reads later statements:
 * `SET`, `RESET`, `set_config()` and `UPDATE pg_settings` of these are `admin`, never `session`.
 */
export const SENSITIVE_SETTINGS: ReadonlySet<string> = new Set([
  'role', // SET ROLE: acts as another role
  'session_authorization', // SET SESSION AUTHORIZATION: becomes another user
  'session_replication_role', // = replica turns off triggers and the foreign keys they enforce
  'standard_conforming_strings', // off: backslashes escape quotes, so the server lexes text unlike our parser
  'client_encoding', // SJIS/BIG5…: multibyte chars can swallow a backslash, same split as above
]);

const settingCategory = (node: PgNode): SqlCategory => {
  const kind = node.kind as string | undefined;
  if (kind === 'VAR_RESET_ALL') return 'session'; // role and session_authorization are exempt from RESET ALL
  const name = typeof node.name === 'string' ? node.name.toLowerCase() : '';
  if (SENSITIVE_SETTINGS.has(name)) return 'admin';
  // SET TRANSACTION … / SET SESSION CHARACTERISTICS AS TRANSACTION …
  if (name === 'transaction' || name === 'session characteristics') return 'transaction';
  return 'session';
};

// ALTER TABLE subcommands that change who may do what: ownership and row-level security.
const PRIVILEGE_SUBCOMMANDS = new Set([
  'AT_ChangeOwner',
  'AT_EnableRowSecurity',
  'AT_DisableRowSecurity',
  'AT_ForceRowSecurity',
  'AT_NoForceRowSecurity',
]);

const alterTableCategory = (node: PgNode): SqlCategory => {
  const cmds = Array.isArray(node.cmds) ? node.cmds : [];
  const privileged = cmds.some((c) =>
    PRIVILEGE_SUBCOMMANDS.has(String((c as { AlterTableCmd?: PgNode }).AlterTableCmd?.subtype ?? '')),
  );
  return privileged ? 'admin' : 'ddl';
};

const copyCategory = (node: PgNode): SqlCategory => {
  if (node.is_from) return 'write'; // rows go into a table, from the client, a server file or a program
  if (node.filename !== undefined || node.is_program) return 'admin'; // writes a server file / runs a program
  return 'read'; // COPY … TO STDOUT is a query
};

/** The category of each parse node that is a statement. A node not listed here is `unknown`. */
export const SQL_STATEMENT_CATEGORIES: Readonly<Record<string, CategoryRule>> = {
  // ── read ──
  SelectStmt: 'read', // escalated by INTO (write), FOR UPDATE/SHARE (write) and what it calls
  VariableShowStmt: 'read', // SHOW only returns a setting, as current_setting() would
  ExplainStmt: 'read', // plain EXPLAIN plans without running; EXPLAIN ANALYZE takes the category of its statement
  DeclareCursorStmt: 'read', // only a SELECT can be declared; its locks and calls escalate it
  FetchStmt: 'read', // FETCH/MOVE read from a cursor
  ClosePortalStmt: 'read', // CLOSE a cursor
  PrepareStmt: 'read', // runs nothing now; takes the category of what it prepares
  ExecuteStmt: 'read', // takes the category of what was prepared

  // ── write ──
  InsertStmt: 'write',
  UpdateStmt: 'write',
  DeleteStmt: 'write',
  MergeStmt: 'write',
  TruncateStmt: 'write', // removes every row; also reported as where: absent
  CopyStmt: copyCategory, // FROM → write; TO STDOUT → read; TO a server file or PROGRAM → admin
  // SELECT INTO and CREATE TABLE AS are one operation in Postgres (the server rewrites the first into the
  // second): both create a table and fill it, and the spec counts SELECT INTO as a write, so both are write.
  CreateTableAsStmt: (node) => (node.objtype === 'OBJECT_MATVIEW' ? 'ddl' : 'write'),
  RefreshMatViewStmt: 'write', // rewrites the view's rows
  LockStmt: 'write', // LOCK TABLE blocks writers (and readers), like SELECT … FOR UPDATE
  NotifyStmt: 'write', // a side effect other sessions see

  // ── ddl ──
  CreateStmt: 'ddl',
  CreateSchemaStmt: 'ddl',
  AlterTableStmt: alterTableCategory, // ddl; OWNER TO and ROW LEVEL SECURITY changes are admin
  ReplicaIdentityStmt: 'ddl', // ALTER TABLE … REPLICA IDENTITY (a subcommand node named like a statement)
  AlterCollationStmt: 'ddl',
  AlterDomainStmt: 'ddl',
  CreateForeignTableStmt: 'ddl',
  ImportForeignSchemaStmt: 'ddl',
  CreateTrigStmt: 'ddl', // the trigger function is reported in `functions`
  CreateSeqStmt: 'ddl',
  AlterSeqStmt: 'ddl',
  DefineStmt: 'ddl', // CREATE AGGREGATE/OPERATOR/TYPE/COLLATION …
  CreateDomainStmt: 'ddl',
  CreateOpClassStmt: 'ddl',
  CreateOpFamilyStmt: 'ddl',
  AlterOpFamilyStmt: 'ddl',
  DropStmt: 'ddl', // dropped tables/views/sequences are reported in `tables`
  CommentStmt: 'ddl',
  IndexStmt: 'ddl',
  CreateStatsStmt: 'ddl',
  AlterStatsStmt: 'ddl',
  CreateFunctionStmt: 'ddl', // the body is analysed too: its statements are nested units
  AlterFunctionStmt: 'ddl',
  RenameStmt: 'ddl',
  AlterObjectDependsStmt: 'ddl',
  AlterObjectSchemaStmt: 'ddl',
  AlterOperatorStmt: 'ddl',
  AlterTypeStmt: 'ddl',
  RuleStmt: 'ddl', // the rule's actions are nested units
  CompositeTypeStmt: 'ddl',
  CreateEnumStmt: 'ddl',
  CreateRangeStmt: 'ddl',
  AlterEnumStmt: 'ddl',
  ViewStmt: 'ddl',
  CreateConversionStmt: 'ddl',
  CreateCastStmt: 'ddl',
  CreateTransformStmt: 'ddl',
  AlterTSDictionaryStmt: 'ddl',
  AlterTSConfigurationStmt: 'ddl',

  // ── admin: privileges, roles, server and cluster operations ──
  GrantStmt: 'admin',
  GrantRoleStmt: 'admin',
  AlterDefaultPrivilegesStmt: 'admin',
  CreateRoleStmt: 'admin',
  AlterRoleStmt: 'admin',
  AlterRoleSetStmt: 'admin',
  DropRoleStmt: 'admin',
  AlterOwnerStmt: 'admin', // ownership is a privilege
  ReassignOwnedStmt: 'admin',
  DropOwnedStmt: 'admin',
  CreatePolicyStmt: 'admin', // row-level security decides who sees what
  AlterPolicyStmt: 'admin',
  SecLabelStmt: 'admin',
  AlterSystemStmt: 'admin',
  CheckPointStmt: 'admin',
  LoadStmt: 'admin', // loads a shared library into the server
  VacuumStmt: 'admin', // VACUUM and ANALYZE: maintenance, VACUUM FULL locks the table
  ClusterStmt: 'admin', // rewrites the table under an exclusive lock
  ReindexStmt: 'admin',
  CreatedbStmt: 'admin',
  AlterDatabaseStmt: 'admin',
  AlterDatabaseSetStmt: 'admin',
  AlterDatabaseRefreshCollStmt: 'admin',
  DropdbStmt: 'admin',
  CreateTableSpaceStmt: 'admin',
  DropTableSpaceStmt: 'admin',
  AlterTableSpaceOptionsStmt: 'admin',
  AlterTableMoveAllStmt: 'admin',
  CreateExtensionStmt: 'admin', // runs the extension's script (dblink, adminpack, file_fdw …)
  AlterExtensionStmt: 'admin',
  AlterExtensionContentsStmt: 'admin',
  CreateFdwStmt: 'admin', // foreign data: network and file access
  AlterFdwStmt: 'admin',
  CreateForeignServerStmt: 'admin',
  AlterForeignServerStmt: 'admin',
  CreateUserMappingStmt: 'admin', // stores remote credentials
  AlterUserMappingStmt: 'admin',
  DropUserMappingStmt: 'admin',
  CreatePublicationStmt: 'admin', // replication ships data elsewhere
  AlterPublicationStmt: 'admin',
  CreateSubscriptionStmt: 'admin',
  AlterSubscriptionStmt: 'admin',
  DropSubscriptionStmt: 'admin',
  CreateEventTrigStmt: 'admin', // superuser only; runs on every DDL
  AlterEventTrigStmt: 'admin',
  CreatePLangStmt: 'admin',
  CreateAmStmt: 'admin',

  // ── transaction ──
  TransactionStmt: 'transaction', // BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE/PREPARE TRANSACTION/COMMIT PREPARED
  ConstraintsSetStmt: 'transaction', // SET CONSTRAINTS … DEFERRED

  // ── session ──
  VariableSetStmt: settingCategory, // SET/RESET: session, except the SENSITIVE_SETTINGS (admin)
  // DISCARD ALL runs SET SESSION AUTHORIZATION DEFAULT: back to the login role, a privilege change.
  DiscardStmt: (node) => (node.target === 'DISCARD_ALL' ? 'admin' : 'session'),
  DeallocateStmt: 'session',
  ListenStmt: 'session',
  UnlistenStmt: 'session',

  // ── call ──
  CallStmt: 'call', // the procedure's name is in `functions`
  DoStmt: 'call', // the PL/pgSQL body is analysed; its statements escalate the DO
};

/** Functions with an effect beyond reading: a call escalates the calling statement to this category. */
export const FUNCTION_CATEGORIES: Readonly<Record<string, SqlCategory>> = {
  // writes, some not transactional
  nextval: 'write', // refused in read-only transactions, like any write
  setval: 'write',
  pg_notify: 'write', // NOTIFY
  lo_import: 'write', // reads a server file into a new large object
  lo_create: 'write',
  lo_creat: 'write',
  lo_unlink: 'write',
  lo_put: 'write',
  lo_from_bytea: 'write',
  lo_truncate: 'write',
  lo_truncate64: 'write',
  lowrite: 'write',
  pg_advisory_lock: 'write', // locks that other sessions wait on, like FOR UPDATE
  pg_advisory_lock_shared: 'write',
  pg_advisory_xact_lock: 'write',
  pg_advisory_xact_lock_shared: 'write',
  pg_try_advisory_lock: 'write',
  pg_try_advisory_lock_shared: 'write',
  pg_try_advisory_xact_lock: 'write',
  pg_try_advisory_xact_lock_shared: 'write',
  pg_logical_emit_message: 'write', // writes a WAL record that logical decoding ships
  // server files, processes, configuration
  lo_export: 'admin', // writes a server file
  pg_file_write: 'admin', // adminpack
  pg_file_rename: 'admin',
  pg_file_unlink: 'admin',
  pg_file_sync: 'admin',
  pg_terminate_backend: 'admin',
  pg_cancel_backend: 'admin',
  pg_reload_conf: 'admin',
  pg_rotate_logfile: 'admin',
  pg_promote: 'admin',
  pg_switch_wal: 'admin',
  pg_create_restore_point: 'admin',
  pg_backup_start: 'admin',
  pg_backup_stop: 'admin',
  pg_start_backup: 'admin',
  pg_stop_backup: 'admin',
  pg_create_physical_replication_slot: 'admin',
  pg_create_logical_replication_slot: 'admin',
  pg_drop_replication_slot: 'admin',
  pg_copy_physical_replication_slot: 'admin',
  pg_copy_logical_replication_slot: 'admin',
  pg_replication_slot_advance: 'admin', // moves a slot on: its consumer loses those changes
  pg_logical_slot_get_changes: 'admin', // consumes a slot's changes (peek_changes only reads)
  pg_logical_slot_get_binary_changes: 'admin',
  pg_sync_replication_slots: 'admin',
  pg_log_standby_snapshot: 'admin',
  pg_stat_statements_reset: 'admin',
  pg_replication_origin_create: 'admin',
  pg_replication_origin_drop: 'admin',
  pg_stat_reset: 'admin',
  pg_stat_reset_shared: 'admin',
  pg_stat_reset_single_table_counters: 'admin',
  pg_stat_reset_single_function_counters: 'admin',
  pg_stat_reset_slru: 'admin',
  pg_wal_replay_pause: 'admin',
  pg_wal_replay_resume: 'admin',
  pg_import_system_collations: 'admin',
  pg_log_backend_memory_contexts: 'admin',
  // set_config is decided by its first argument (see SET_CONFIG): session, or admin for SENSITIVE_SETTINGS.
};

/** Families of functions by name prefix, for those FUNCTION_CATEGORIES does not list one by one. */
export const FUNCTION_PREFIX_CATEGORIES: readonly (readonly [string, SqlCategory])[] = [
  ['pg_stat_reset', 'admin'], // pg_stat_reset_shared, _slru, _replication_slot, _subscription_stats …
  ['binary_upgrade_', 'admin'], // pg_upgrade's catalog surgery (superuser only)
];

/**
 * Functions that execute a query (or a command) given as a string, locally or on another server:
 * what they run cannot be seen, so the unit is `dynamic: true` and its category `unknown`.
 * Names are matched schema-stripped; an entry with a dot is matched only with that schema.
 */
export const DYNAMIC_FUNCTIONS: ReadonlySet<string> = new Set([
  'dblink', // runs a query on a (possibly loopback) connection: sees no rule
  'dblink_exec',
  'dblink_open',
  'dblink_send_query',
  'query_to_xml', // the SQL/XML mapping functions run the query string they are given
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'table_to_xml', // …or read a table named by a string, which `tables` cannot see
  'table_to_xmlschema',
  'table_to_xml_and_xmlschema',
  'schema_to_xml',
  'schema_to_xmlschema',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xmlschema',
  'database_to_xml_and_xmlschema',
  'cursor_to_xml',
  'cursor_to_xmlschema',
  'ts_stat', // ts_stat('select …') runs its argument
  'xpath_table', // xml2: builds a query from its string arguments and runs it
  'crosstab', // tablefunc: crosstab('select …')
  'crosstab2',
  'crosstab3',
  'crosstab4',
  'connectby', // tablefunc: reads a table named by a string
  'pg_background_launch', // pg_background runs a string in a worker
  'run_command_on_workers', // citus
  'run_command_on_all_nodes',
  'cron.schedule', // pg_cron stores a command to run later
  'cron.schedule_in_database',
  'cron.alter_job',
]);

/**
 * Options of CREATE AGGREGATE/OPERATOR/TYPE/TEXT SEARCH …, ALTER OPERATOR/TYPE and CREATE TYPE … AS RANGE
 * whose value is a function the object calls later (an aggregate's sfunc runs on every `SELECT agg(x)`):
 * reported in `functions` where the object is defined.
 */
export const SUPPORT_FUNCTION_OPTIONS: ReadonlySet<string> = new Set([
  'sfunc', // aggregates
  'finalfunc',
  'combinefunc',
  'serialfunc',
  'deserialfunc',
  'msfunc',
  'minvfunc',
  'mfinalfunc',
  'function', // operators
  'procedure',
  'restrict',
  'join',
  'input', // base types
  'output',
  'receive',
  'send',
  'typmod_in',
  'typmod_out',
  'analyze',
  'subscript',
  'subtype_diff', // ranges
  'canonical',
  'start', // text search parsers and templates
  'gettoken',
  'end',
  'lextypes',
  'headline',
  'init',
  'lexize',
]);

/** Functions that run a query string only when called with this many arguments. */
export const DYNAMIC_FUNCTION_ARITIES: Readonly<Record<string, number>> = {
  ts_rewrite: 2, // ts_rewrite(query, 'SELECT target, substitute FROM …') runs the SELECT
};

/** The function whose literal first argument decides the category (the only literal the analyzer reads in a call). */
export const SET_CONFIG = 'set_config';

/**
 * Every place where the analysis reads a literal's value, so the shape cache (which folds literals
 * into placeholders) must never serve it: an analysis that reads one is cached by exact text only.
 *   - set_config's first argument (the setting's name decides session vs admin);
 *   - DO bodies and their LANGUAGE (the body is parsed: PL/pgSQL, or dynamic for other languages);
 *   - CREATE FUNCTION/PROCEDURE bodies and LANGUAGE (sql and plpgsql bodies are parsed; `internal`
 *     bodies name the built-in function being wrapped, which goes into `functions`);
 *   - PL/pgSQL `EXECUTE '<constant>'` (a constant string is parsed instead of being dynamic);
 *   - COPY's file name (only whether it is empty: the parse tree omits an empty one, like STDIN/STDOUT);
 *   - parse error messages (they quote the text).
 * Not read, on purpose: EXPLAIN option values (any ANALYZE option counts as executing), SET values, WHERE constants (a WHERE that reads no column is absent, whatever it says).
 */
export const LITERALS_READ = [
  'set_config(name, …)',
  'DO body/LANGUAGE',
  'CREATE FUNCTION body/LANGUAGE',
] as const;

export function categoryOf(statement: string, node: PgNode): SqlCategory {
  if (!Object.hasOwn(SQL_STATEMENT_CATEGORIES, statement)) return 'unknown';
  const rule = SQL_STATEMENT_CATEGORIES[statement];
  return typeof rule === 'function' ? rule(node) : rule;
}

export function moreSevere(a: SqlCategory, b: SqlCategory): SqlCategory {
  return CATEGORY_SEVERITY[b] > CATEGORY_SEVERITY[a] ? b : a;
}
