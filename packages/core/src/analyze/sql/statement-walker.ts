// Walks libpg-query parse trees and turns them into SqlUnits: one per statement, plus one per nested
// statement that runs (write CTEs, EXPLAIN ANALYZE targets, DO and function bodies, PREPARE bodies,
// rule actions). Every fact of a nested statement is also taken in by the statement that contains it.
import type { SqlUnit } from '../../types.js';
import {
  categoryOf,
  DYNAMIC_FUNCTION_ARITIES,
  DYNAMIC_FUNCTIONS,
  FUNCTION_CATEGORIES,
  FUNCTION_PREFIX_CATEGORIES,
  type PgNode,
  SENSITIVE_SETTINGS,
  SET_CONFIG,
  SUPPORT_FUNCTION_OPTIONS,
} from './categories.js';
import { parsePlpgsql, parseSql, type RawStatement } from './pg-parser.js';
import { mergeBodies, type SqlSessionState, type SqlStateEffect } from './session-state.js';
import { freezeUnits, UnitBuilder } from './unit-builder.js';

/** Something in the text that the analyzer refuses to judge: becomes Analysis.parseError. */
export class SqlAnalysisError extends Error {}

export interface WalkResult {
  units: SqlUnit[];
  effects: SqlStateEffect[];
  /** The analysis read a literal's value: it may be cached by exact text only, never by shape. */
  literalDependent: boolean;
  /** The analysis read the session state (EXECUTE of a statement prepared earlier): never cached. */
  stateDependent: boolean;
}

// Nested texts (function bodies in DO bodies in …) deeper than this are refused.
const MAX_TEXT_DEPTH = 8;
// Work bounds per analysis (each parse of a 10-statement text or PL/pgSQL expression costs ~10–100 µs):
// beyond them the text is refused as a parse error rather than holding the event loop for seconds.
const MAX_STATEMENTS = 10_000;
const MAX_PARSES = 10_000;

// Drop targets reported in `tables`.
const RELATION_DROPS = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_SEQUENCE',
]);

enum Kind {
  Leaf,
  Walk,
  Table,
  Select,
  Statement,
}

// How the walk treats each node type: one Map lookup per node. Types not listed are added on first
// sight: a *Stmt is a nested statement (its own unit), anything else is walked.
const NODE_KINDS = new Map<string, Kind>([
  // leaves: hold no table, function or statement
  ['A_Const', Kind.Leaf],
  ['String', Kind.Leaf],
  ['Integer', Kind.Leaf],
  ['Float', Kind.Leaf],
  ['Boolean', Kind.Leaf],
  ['BitString', Kind.Leaf],
  ['ParamRef', Kind.Leaf],
  ['A_Star', Kind.Leaf],
  ['ColumnRef', Kind.Leaf],
  ['TypeName', Kind.Leaf],
  ['SQLValueFunction', Kind.Leaf],
  ['Alias', Kind.Leaf],
  ['RoleSpec', Kind.Leaf],
  ['A_Indirection', Kind.Walk],
  ['RangeVar', Kind.Table],
  ['SelectStmt', Kind.Select],
  // statements walked in place: RETURN expr of a SQL-standard function body, PL/pgSQL assignments
  ['ReturnStmt', Kind.Walk],
  ['PLAssignStmt', Kind.Walk],
]);

const DML_SKIP = new Set(['withClause', 'relation']);

type Nodes = PgNode[] | undefined;

const str = (node: unknown): string | undefined => {
  const s = (node as { String?: { sval?: string } } | undefined)?.String;
  return s ? (s.sval ?? '') : undefined;
};

/** The one `{Type: fields}` pair of a wrapped node. */
function unwrap(wrapped: unknown): [string, PgNode] | undefined {
  if (wrapped === null || typeof wrapped !== 'object') return undefined;
  for (const k in wrapped as PgNode) return [k, (wrapped as PgNode)[k] as PgNode];
  return undefined;
}

/** Options of DO / CREATE FUNCTION: DefElem name → its argument. */
function defElems(list: Nodes): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const item of list ?? []) {
    const d = (item as { DefElem?: PgNode }).DefElem;
    if (d && typeof d.defname === 'string') out.set(d.defname, d.arg);
  }
  return out;
}

/** A dollar quote for `body` whose tag does not occur in it. */
function dollarQuote(body: string): string {
  let tag = '$pc$';
  for (let i = 1; body.includes(tag); i++) tag = `$pc${i}$`;
  return tag + body + tag;
}

/** The text of one raw statement (locations are byte offsets into the UTF-8 text). */
function statementText(text: string, raw: RawStatement): string {
  const start = raw.stmt_location ?? 0;
  if (!/[^\x00-\x7f]/.test(text))
    return raw.stmt_len === undefined ? text.slice(start) : text.slice(start, start + raw.stmt_len);
  const bytes = Buffer.from(text, 'utf8');
  const end = raw.stmt_len === undefined ? bytes.length : start + raw.stmt_len;
  return bytes.subarray(start, end).toString('utf8');
}

/** Splits a PL/pgSQL assignment `target := expr` (or `target = expr`) at its top-level operator. */
export function splitAssignment(text: string): [string, string] | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const close = text.indexOf(c, i + 1);
      if (close < 0) return undefined;
      i = close;
    } else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && c === ':' && text[i + 1] === '=') return [text.slice(0, i), text.slice(i + 2)];
    else if (depth === 0 && c === '=') return [text.slice(0, i), text.slice(i + 1)];
  }
  return undefined;
}

export class StatementWalker {
  private readonly out: (SqlUnit | undefined)[] = [];
  private readonly effects: SqlStateEffect[] = [];
  /** PREPAREd/DEALLOCATEd earlier in this same text (null: deallocated). */
  private readonly overlay: Map<string, readonly SqlUnit[] | null> = new Map();
  private overlayCleared = false;
  /** Functions created earlier in this same text (a name's bodies merged). */
  private localFunctions: Map<string, SqlUnit> | undefined;
  /** Views, rules and triggers created earlier in this same text, by relation. */
  private localRelations: Map<string, SqlUnit> | undefined;
  private literalDependent = false;
  private stateDependent = false;
  /** > 0 while walking what does not run (plain EXPLAIN): no units are emitted. */
  private silent = 0;
  private depth = 0;
  /** Names of the CTEs visible where the walk is (innermost last). */
  private readonly cteScopes: string[][] = [];
  private statements = 0;
  private parses = 0;
  /** Schemas put on the search_path earlier in this text. */
  private localSchemas: string[] | undefined;

  constructor(private readonly state: SqlSessionState | undefined) {}

  /** Analyses a whole text (every statement in it). Throws on a parse error. */
  run(text: string): WalkResult {
    this.text(text, undefined);
    return {
      units: this.out as SqlUnit[],
      effects: this.effects,
      literalDependent: this.literalDependent,
      stateDependent: this.stateDependent,
    };
  }

  /** Whether the walk so far read the session state (also after it threw). */
  get readsState(): boolean {
    return this.stateDependent;
  }

  // ── texts ────────────────────────────────────────────────────────────────

  /** Parses SQL text; every statement becomes a unit, taken in by `parent` when there is one. */
  private text(text: string, parent: UnitBuilder | undefined): void {
    if (text.length === 0) return; // the parser refuses an empty text; there is nothing in it
    if (++this.depth > MAX_TEXT_DEPTH) throw new SqlAnalysisError('statements nested too deeply to analyse');
    try {
      if (text.length > MAX_STATEMENTS && countSemicolons(text) > MAX_STATEMENTS) {
        throw new SqlAnalysisError(`more than ${MAX_STATEMENTS} statements in one text`);
      }
      for (const raw of this.parse(text)) {
        const stmt = raw.stmt;
        if (!stmt) continue;
        for (const type in stmt) {
          const unit = this.statement(type, stmt[type] as PgNode, text, raw);
          parent?.absorb(unit);
        }
      }
    } finally {
      this.depth--;
    }
  }

  /** An expression (PL/pgSQL conditions, defaults, assignments): walked into `b`, as Postgres does by prefixing SELECT. */
  private expression(text: string, b: UnitBuilder): void {
    if (++this.depth > MAX_TEXT_DEPTH) throw new SqlAnalysisError('statements nested too deeply to analyse');
    try {
      const stmts = this.parse(`SELECT ${text}`);
      for (const [i, raw] of stmts.entries()) {
        const [type, node] = unwrap(raw.stmt) ?? [];
        if (!type || !node) continue;
        if (i === 0 && type === 'SelectStmt') this.select(node, b);
        else b.absorb(this.statement(type, node));
      }
    } finally {
      this.depth--;
    }
  }

  private parse(text: string): RawStatement[] {
    this.countParse();
    return parseSql(text);
  }

  private countParse(): void {
    if (++this.parses > MAX_PARSES) {
      throw new SqlAnalysisError(`more than ${MAX_PARSES} statements and expressions to parse in one text`);
    }
  }

  // ── statements ──────────────────────────────────────────────────────────

  /** One statement → one unit (emitted before the units nested in it). */
  private statement(type: string, node: PgNode, text?: string, raw?: RawStatement): SqlUnit {
    const b = new UnitBuilder(type, categoryOf(type, node));
    if (b.category === 'unknown') b.note(`${type} is not in the category table`);
    if (++this.statements > MAX_STATEMENTS) {
      throw new SqlAnalysisError(`more than ${MAX_STATEMENTS} statements to analyse in one text`);
    }
    const slot = this.silent ? -1 : this.out.push(undefined) - 1;
    switch (type) {
      case 'SelectStmt':
        this.select(node, b);
        break;
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt':
        this.dml(type, node, b);
        break;
      case 'TruncateStmt':
        b.where = 'absent';
        this.fields(node, b);
        break;
      case 'CopyStmt':
        this.copy(node, b);
        break;
      case 'ExplainStmt':
        this.explain(node, b);
        break;
      case 'PrepareStmt':
        this.prepare(node, b);
        break;
      case 'ExecuteStmt':
        this.execute(node, b);
        break;
      case 'DeallocateStmt':
        this.deallocate(node.isall ? undefined : String(node.name ?? ''));
        break;
      case 'DiscardStmt':
        if (node.target === 'DISCARD_ALL') {
          this.deallocate(undefined);
          b.note('DISCARD ALL resets the session authorization');
        }
        break;
      case 'VariableSetStmt':
        if (b.category === 'admin')
          b.note(`SET ${String(node.name ?? '').toLowerCase()} is a privilege change`);
        if (String(node.name ?? '').toLowerCase() === 'search_path' && node.kind === 'VAR_SET_VALUE') {
          // each value is one schema name (a string keeps its case upstream; tables are reported lower-case)
          this.searchPath(((node.args as Nodes) ?? []).map((a) => constantOf(a) ?? ''));
        }
        break;
      case 'DoStmt':
        this.doBlock(node, b);
        break;
      case 'CreateFunctionStmt':
        this.createFunction(
          node,
          b,
          text !== undefined && raw !== undefined ? statementText(text, raw) : undefined,
        );
        break;
      case 'DefineStmt':
      case 'AlterOperatorStmt':
      case 'AlterTypeStmt':
      case 'CreateRangeStmt':
      case 'CreateCastStmt':
      case 'CreateOpClassStmt':
      case 'AlterOpFamilyStmt':
      case 'CreateConversionStmt':
      case 'CreateTransformStmt':
        this.supportFunctions(node, b);
        this.fields(node, b);
        break;
      case 'CreateTrigStmt': {
        // what the trigger runs: its function (and WHEN condition), on every use of the table
        const body = new UnitBuilder('TriggerBody', 'read');
        this.functionName(node.funcname as Nodes, body);
        if (node.whenClause) this.value(node.whenClause, body);
        this.hook(node.relation, body, b);
        this.fields(node, b, new Set(['whenClause']));
        break;
      }
      case 'RuleStmt': {
        const body = new UnitBuilder('RuleActions', 'read');
        this.value(node.actions, body);
        if (node.whereClause) this.value(node.whereClause, body);
        this.hook(node.relation, body, b);
        this.fields(node, b, new Set(['actions', 'whereClause']));
        break;
      }
      case 'ViewStmt': {
        const body = new UnitBuilder('ViewQuery', 'read');
        this.value(node.query, body);
        this.hook(node.view, body, b);
        this.fields(node, b, new Set(['query']));
        break;
      }
      case 'CreateEventTrigStmt':
        this.functionName(node.funcname as Nodes, b);
        this.fields(node, b);
        break;
      case 'DropStmt':
        // DROP FUNCTION forgets nothing: it may fail, or drop one overload of several (see session-state.ts).
        if (RELATION_DROPS.has(node.removeType as string)) {
          for (const obj of (node.objects as Nodes) ?? []) {
            const names = ((obj as { List?: { items?: Nodes } }).List?.items ?? []).map(str);
            this.addTable(
              names.filter((n): n is string => n !== undefined),
              b,
            );
          }
        }
        break;
      case 'CreateTableAsStmt':
        if (b.category === 'write') b.note('creates a table and fills it');
        this.fields(node, b);
        break;
      default:
        this.fields(node, b);
    }
    const unit = b.finish();
    if (slot >= 0) this.out[slot] = unit;
    return unit;
  }

  private select(node: PgNode, b: UnitBuilder): void {
    const scoped = this.enterWith(node, b);
    for (const k in node) {
      if (k === 'withClause') continue;
      const v = node[k];
      if (v === null || typeof v !== 'object') continue;
      if (k === 'larg' || k === 'rarg') this.select(v as PgNode, b);
      else this.value(v, b);
    }
    if (scoped) this.cteScopes.pop();
    if (Array.isArray(node.lockingClause) && node.lockingClause.length > 0) {
      b.escalate('write', 'row lock (FOR UPDATE/SHARE)');
    }
    if (node.intoClause) b.escalate('write', 'SELECT INTO creates a table');
  }

  private dml(type: string, node: PgNode, b: UnitBuilder): void {
    const rel = node.relation as PgNode | undefined;
    if (rel) {
      this.table(rel, b, false);
      const name = String(rel.relname ?? '').toLowerCase();
      const schema = typeof rel.schemaname === 'string' ? rel.schemaname.toLowerCase() : 'pg_catalog';
      if (name === 'pg_settings' && schema === 'pg_catalog') {
        b.escalate('admin', 'writing pg_settings is SET');
      }
    }
    const scoped = this.enterWith(node, b);
    this.fields(node, b, DML_SKIP);
    if (scoped) this.cteScopes.pop();
    if (type === 'UpdateStmt' || type === 'DeleteStmt') {
      const where = node.whereClause;
      if (where === undefined) b.where = 'absent';
      else if (triviallyTrue(where)) {
        b.where = 'absent';
        b.note('WHERE does not depend on the rows: counts as absent');
      } else b.where = 'present';
    }
  }

  private copy(node: PgNode, b: UnitBuilder): void {
    // The parse tree leaves out an empty file name: COPY t TO '' looks like COPY t TO STDOUT, so the
    // file name's value (empty or not) decides the category and the shape cache must not serve it.
    this.literalDependent = true;
    if (node.is_program) {
      b.copyProgram = true;
      b.note('COPY … PROGRAM runs a program on the database server');
    } else if (node.filename !== undefined) {
      b.note(node.is_from ? 'COPY reads a server file' : 'COPY writes a server file');
    }
    if (node.relation) this.table(node.relation as PgNode, b, false);
    this.fields(node, b, new Set(['relation']));
  }

  private explain(node: PgNode, b: UnitBuilder): void {
    // Any ANALYZE option counts as executing, whatever its value: option values are literals.
    const analyze = defElems(node.options as Nodes).has('analyze');
    if (analyze) {
      this.value(node.query, b);
      return;
    }
    b.note('EXPLAIN without ANALYZE does not run the statement');
    const inner = new UnitBuilder('ExplainStmt', 'read');
    this.silent++;
    try {
      this.value(node.query, inner);
    } finally {
      this.silent--;
    }
    b.mention(inner);
  }

  private prepare(node: PgNode, b: UnitBuilder): void {
    const [type, inner] = unwrap(node.query) ?? [];
    if (!type || !inner) throw new SqlAnalysisError('PREPARE without a statement');
    const start = this.out.length;
    const unit = this.statement(type, inner);
    const units = freezeUnits(this.silent ? [unit] : (this.out.slice(start) as SqlUnit[]));
    const name = String(node.name ?? '');
    this.effects.push({ op: 'prepare', name, units });
    this.overlay.set(name, units);
    b.absorb(unit);
    this.fields(node, b, new Set(['query']));
  }

  private execute(node: PgNode, b: UnitBuilder): void {
    const name = String(node.name ?? '');
    let units: readonly SqlUnit[] | null | undefined;
    if (this.overlay.has(name)) units = this.overlay.get(name);
    else if (!this.overlayCleared) {
      this.stateDependent = true;
      units = this.state?.lookup(name);
    }
    if (!units || units.length === 0) {
      this.stateDependent = true; // another session state might know the name
      throw new SqlAnalysisError(`EXECUTE of unknown prepared statement "${name}"`);
    }
    // A name prepared more than once in the session may hold several statements: take in all of them.
    for (const u of units) b.absorb(u);
    if (!this.silent) this.out.push(...units);
    this.fields(node, b); // parameters may call functions
  }

  private deallocate(name: string | undefined): void {
    if (name === undefined) {
      this.effects.push({ op: 'deallocate_all' });
      this.overlay.clear();
      this.overlayCleared = true;
    } else {
      this.effects.push({ op: 'deallocate', name });
      this.overlay.set(name, null);
    }
  }

  private doBlock(node: PgNode, b: UnitBuilder): void {
    this.literalDependent = true;
    const opts = defElems(node.args as Nodes);
    const language = (str(opts.get('language')) ?? 'plpgsql').toLowerCase();
    const body = str(opts.get('as'));
    if (body === undefined) throw new SqlAnalysisError('DO without a body');
    if (language !== 'plpgsql') {
      b.markDynamic(`DO block in language ${language} cannot be analysed`);
      return;
    }
    let funcs: PgNode[];
    try {
      this.countParse();
      funcs = parsePlpgsql(`DO ${dollarQuote(body)}`);
    } catch (err) {
      throw new SqlAnalysisError(`DO body: ${(err as Error).message}`);
    }
    this.plpgsql(funcs, b);
  }

  /** CREATE FUNCTION/PROCEDURE: the body is analysed into its own builder, taken in by the CREATE and remembered for later calls. */
  private createFunction(node: PgNode, b: UnitBuilder, text: string | undefined): void {
    const what = node.is_procedure ? 'procedure' : 'function';
    const body = new UnitBuilder(node.is_procedure ? 'ProcedureBody' : 'FunctionBody', 'read');
    this.functionBody(node, body, text, what);
    const unit = body.finish();
    b.absorb(unit);
    const names = ((node.funcname as Nodes) ?? []).map(str);
    const name = names[names.length - 1]?.toLowerCase();
    if (name) {
      const frozen = freezeUnits([unit])[0];
      this.effects.push({ op: 'function', name, body: frozen });
      const earlier = this.localFunctions?.get(name);
      (this.localFunctions ??= new Map()).set(name, earlier ? mergeBodies(earlier, frozen) : frozen);
    }
  }

  private functionBody(node: PgNode, b: UnitBuilder, text: string | undefined, what: string): void {
    this.fields(node, b); // parameter defaults, SET options, a BEGIN ATOMIC/RETURN body
    const opts = defElems(node.options as Nodes);
    const as = opts.get('as');
    if (as === undefined) return;
    this.literalDependent = true;
    const items = ((as as { List?: { items?: Nodes } }).List?.items ?? [as]).map(str);
    const body = items[0] ?? '';
    const language = (str(opts.get('language')) ?? 'sql').toLowerCase();
    switch (language) {
      case 'sql':
        this.text(body, b);
        break;
      case 'plpgsql': {
        if (text === undefined) {
          throw new SqlAnalysisError(`a ${what} defined inside another statement cannot be analysed`);
        }
        let funcs: PgNode[];
        try {
          this.countParse();
          funcs = parsePlpgsql(text);
        } catch (err) {
          throw new SqlAnalysisError(`${what} body: ${(err as Error).message}`);
        }
        this.plpgsql(funcs, b);
        break;
      }
      case 'internal': {
        // `AS 'pg_read_file'` gives a built-in a new name: report the built-in
        const name = body.trim().toLowerCase();
        b.note(`wraps the internal function ${name}`);
        this.calledFunction(name, undefined, undefined, b);
        break;
      }
      case 'c':
        b.markDynamic(`a C ${what} runs native code that cannot be analysed`);
        break;
      default:
        b.markDynamic(`a ${what} in language ${language} cannot be analysed`);
    }
  }

  /** A view, rule or trigger on `relation`: what `body` runs is taken in now and by later uses of it. */
  private hook(relation: unknown, body: UnitBuilder, b: UnitBuilder): void {
    const unit = freezeUnits([body.finish()])[0];
    b.absorb(unit);
    const name = String((relation as PgNode | undefined)?.relname ?? '').toLowerCase();
    if (!name) return;
    this.effects.push({ op: 'relation', name, body: unit });
    const earlier = this.localRelations?.get(name);
    (this.localRelations ??= new Map()).set(name, earlier ? mergeBodies(earlier, unit) : unit);
  }

  /** A relation with a view, rule or trigger created in this text or session: what using it runs. */
  private relationHooks(name: string, b: UnitBuilder): void {
    const local = this.localRelations?.get(name);
    if (local) this.absorbHook(name, local, b);
    if (this.state && this.state.relationCount > 0) {
      const body = this.state.lookupRelation(name);
      if (body) {
        this.stateDependent = true;
        this.absorbHook(name, body, b);
      }
    }
  }

  private absorbHook(name: string, body: SqlUnit, b: UnitBuilder): void {
    b.note(`${name} has a view, rule or trigger created in this session (${body.category})`);
    b.absorb(body);
  }

  /**
   * The functions an aggregate, operator, cast, type, operator class, conversion or transform is defined
   * with: they run later, each time the object is used. An aggregate is also remembered like a created
   * function, so `SELECT agg(x)` takes in what its support functions do.
   */
  private supportFunctions(node: PgNode, b: UnitBuilder): void {
    const aggregate = node.kind === 'OBJECT_AGGREGATE';
    const into = aggregate ? new UnitBuilder('AggregateDefinition', 'read') : b;
    const call = (names: (string | undefined)[]) => {
      const parts = names.filter((n): n is string => n !== undefined && n !== '');
      const name = parts[parts.length - 1];
      if (name)
        this.calledFunction(name.toLowerCase(), parts[parts.length - 2]?.toLowerCase(), undefined, into);
    };
    const objectName = (o: unknown) => call(((o as PgNode | undefined)?.objname as Nodes)?.map(str) ?? []);
    for (const list of [node.definition, node.options, node.params] as Nodes[]) {
      for (const item of list ?? []) {
        const d = (item as { DefElem?: PgNode }).DefElem;
        if (!d || !SUPPORT_FUNCTION_OPTIONS.has(String(d.defname))) continue;
        const [t, v] = unwrap(d.arg) ?? [];
        if (t === 'TypeName') call(((v?.names as Nodes) ?? []).map(str));
        else if (t === 'List') call(((v?.items as Nodes) ?? []).map(str));
        else if (t === 'String') {
          this.literalDependent = true; // `sfunc = 'name'`: a string literal names the function
          call([String(v?.sval ?? '')]);
        }
      }
    }
    objectName(node.func); // CREATE CAST … WITH FUNCTION
    objectName(node.fromsql); // CREATE TRANSFORM
    objectName(node.tosql);
    if (Array.isArray(node.func_name)) call((node.func_name as Nodes)!.map(str)); // CREATE CONVERSION
    for (const item of [...((node.items as Nodes) ?? [])]) {
      const i = (item as { CreateOpClassItem?: PgNode }).CreateOpClassItem;
      if (i?.itemtype === 2) objectName(i.name); // FUNCTION n name(args)
    }
    if (into === b) return;
    const unit = into.finish();
    b.absorb(unit);
    const names = ((node.defnames as Nodes) ?? []).map(str);
    const name = names[names.length - 1]?.toLowerCase();
    if (name) {
      const frozen = freezeUnits([unit])[0];
      this.effects.push({ op: 'function', name, body: frozen });
      const earlier = this.localFunctions?.get(name);
      (this.localFunctions ??= new Map()).set(name, earlier ? mergeBodies(earlier, frozen) : frozen);
    }
  }

  // ── PL/pgSQL ────────────────────────────────────────────────────────────

  private plpgsql(value: unknown, b: UnitBuilder): void {
    if (Array.isArray(value)) {
      for (const v of value) if (v !== null && typeof v === 'object') this.plpgsql(v, b);
      return;
    }
    const o = value as PgNode;
    for (const k in o) {
      const v = o[k];
      if (v === null || typeof v !== 'object') continue;
      switch (k) {
        case 'PLpgSQL_expr':
          this.plExpression(v as PgNode, b);
          break;
        case 'PLpgSQL_stmt_dynexecute':
        case 'PLpgSQL_stmt_dynfors':
          this.plDynamic(
            (v as PgNode).query,
            b,
            k === 'PLpgSQL_stmt_dynexecute' ? 'EXECUTE' : 'FOR … IN EXECUTE',
          );
          this.plpgsql(v, b);
          break;
        case 'PLpgSQL_stmt_open':
        case 'PLpgSQL_stmt_return_query': {
          const dyn = (v as PgNode).dynquery;
          if (dyn)
            this.plDynamic(dyn, b, k === 'PLpgSQL_stmt_open' ? 'OPEN … FOR EXECUTE' : 'RETURN QUERY EXECUTE');
          this.plpgsql(v, b);
          break;
        }
        default:
          this.plpgsql(v, b);
      }
    }
  }

  private plExpression(expr: PgNode, b: UnitBuilder): void {
    const query = typeof expr.query === 'string' ? expr.query : '';
    const mode = typeof expr.parseMode === 'number' ? expr.parseMode : 0;
    switch (mode) {
      case 0: // a whole statement
        this.text(query, b);
        break;
      case 1: // a type name
        break;
      case 2: // an expression
        this.expression(query, b);
        break;
      case 3:
      case 4:
      case 5: {
        // an assignment: target := expression
        const parts = splitAssignment(query);
        if (!parts) throw new SqlAnalysisError(`PL/pgSQL assignment not understood: ${query}`);
        this.expression(parts[0], b);
        this.expression(parts[1], b);
        break;
      }
      default:
        throw new SqlAnalysisError(`PL/pgSQL expression of unknown kind ${mode}`);
    }
  }

  /** EXECUTE <expr> in PL/pgSQL: a constant string is analysed as SQL; anything else is dynamic. */
  private plDynamic(expr: unknown, b: UnitBuilder, what: string): void {
    const query = (expr as { PLpgSQL_expr?: { query?: string } } | undefined)?.PLpgSQL_expr?.query;
    if (query !== undefined) this.countParse();
    const constant = query === undefined ? undefined : constantString(query);
    if (constant !== undefined) {
      b.note(`PL/pgSQL ${what} of a constant string: analysed`);
      this.text(constant, b);
    } else {
      b.markDynamic(`PL/pgSQL ${what} of a computed string`);
    }
  }

  // ── trees ───────────────────────────────────────────────────────────────

  private value(v: unknown, b: UnitBuilder): void {
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === 'object') this.value(x, b);
      return;
    }
    this.fields(v as PgNode, b);
  }

  /**
   * Walks the fields of a node. Unwrapped structs are recognised by their keys as they go by: a RangeVar
   * (`relation`, IntoClause.rel …) by `relname`, a FuncCall (CallStmt.funccall) by `funcname` + `funcformat`.
   */
  private fields(o: PgNode, b: UnitBuilder, skip?: Set<string>): void {
    for (const k in o) {
      const v = o[k];
      if (v === null || typeof v !== 'object') {
        if (k === 'relname' && typeof v === 'string') {
          this.table(o, b, true);
          return;
        }
        continue;
      }
      if (skip?.has(k)) continue;
      const c = k.charCodeAt(0);
      if (c >= 65 && c <= 90) this.node(k, v as PgNode, b);
      else {
        if (k === 'funcname' && o.funcformat !== undefined) this.funcCall(o, b);
        this.value(v, b);
      }
    }
  }

  private node(type: string, v: PgNode, b: UnitBuilder): void {
    let kind = NODE_KINDS.get(type);
    if (kind === undefined) {
      kind = type.endsWith('Stmt') ? Kind.Statement : Kind.Walk;
      NODE_KINDS.set(type, kind);
    }
    switch (kind) {
      case Kind.Leaf:
        return;
      case Kind.Walk: // FuncCall included: fields() recognises it as it walks it
        this.fields(v, b);
        return;
      case Kind.Table:
        this.table(v, b, true);
        return;
      case Kind.Select:
        this.select(v, b);
        return;
      case Kind.Statement:
        b.absorb(this.statement(type, v));
        return;
    }
  }

  /**
   * Walks a WITH clause and leaves its CTE names in scope for the rest of the statement (the caller
   * pops them when it returns true). A parse error abandons the whole walk, scopes included.
   */
  private enterWith(node: PgNode, b: UnitBuilder): boolean {
    const w = node.withClause as PgNode | undefined;
    if (!w) return false;
    const ctes = (w.ctes as Nodes) ?? [];
    const names = ctes.map((c) =>
      String((c as { CommonTableExpr?: PgNode }).CommonTableExpr?.ctename ?? '').toLowerCase(),
    );
    // WITH RECURSIVE: every CTE sees all of them; otherwise a CTE sees only the ones before it
    const scope = w.recursive ? [...names] : [];
    this.cteScopes.push(scope);
    for (let i = 0; i < ctes.length; i++) {
      this.value(ctes[i], b);
      if (!w.recursive) scope.push(names[i]);
    }
    return true;
  }

  private table(rv: PgNode, b: UnitBuilder, cteAware: boolean): void {
    const rel = String(rv.relname ?? '').toLowerCase();
    const schema = typeof rv.schemaname === 'string' ? rv.schemaname.toLowerCase() : undefined;
    if (!schema && cteAware && this.inCteScope(rel)) return; // a CTE, not a table
    if (this.localRelations !== undefined || (this.state !== undefined && this.state.relationCount > 0)) {
      this.relationHooks(rel, b);
    }
    if (!schema) {
      this.unqualifiedTable(rel, b);
      return;
    }
    const catalog = typeof rv.catalogname === 'string' ? rv.catalogname.toLowerCase() : undefined;
    if (catalog) b.addTable(`${catalog}.${schema}.${rel}`);
    b.addTable(`${schema}.${rel}`);
    b.addTable(rel);
  }

  /**
   * A table named without a schema resolves through search_path: it is reported bare, in the default
   * path's schemas (public; pg_catalog for pg_* names), and in the schemas this text put on the path
   * (the session's own are added when the analysis is served).
   */
  private unqualifiedTable(rel: string, b: UnitBuilder): void {
    b.addTable(rel);
    b.addUnqualified(rel);
    if (rel.startsWith('pg_')) b.addTable(`pg_catalog.${rel}`);
    b.addTable(`public.${rel}`);
    if (this.localSchemas) for (const s of this.localSchemas) b.addTable(`${s}.${rel}`);
  }

  /** SET search_path / set_config('search_path'): later unqualified names may resolve in these schemas. */
  private searchPath(schemas: string[]): void {
    this.literalDependent = true; // the schema names are literals (`SET search_path = 'x'`)
    const names = schemas
      .flatMap((s) => s.split(','))
      .map((s) =>
        s
          .trim()
          .replace(/^"(.*)"$/, '$1')
          .toLowerCase(),
      )
      .filter((s) => s !== '' && s !== '$user');
    if (names.length === 0) return;
    this.localSchemas = [...new Set([...(this.localSchemas ?? []), ...names])];
    this.effects.push({ op: 'search_path', schemas: names });
  }

  private inCteScope(name: string): boolean {
    for (const scope of this.cteScopes) if (scope.includes(name)) return true;
    return false;
  }

  private addTable(names: string[], b: UnitBuilder): void {
    if (names.length === 0) return;
    const lower = names.map((n) => n.toLowerCase());
    if (lower.length === 1) {
      this.unqualifiedTable(lower[0], b);
      return;
    }
    for (let i = 0; i < lower.length; i++) b.addTable(lower.slice(i).join('.'));
  }

  private functionName(funcname: Nodes, b: UnitBuilder): void {
    const names = (funcname ?? []).map(str);
    const name = names[names.length - 1];
    if (name) this.calledFunction(name.toLowerCase(), names[names.length - 2]?.toLowerCase(), undefined, b);
  }

  private funcCall(fc: PgNode, b: UnitBuilder): void {
    const names = ((fc.funcname as Nodes) ?? []).map(str);
    const name = names[names.length - 1];
    if (!name) return;
    this.calledFunction(name.toLowerCase(), names[names.length - 2]?.toLowerCase(), fc.args as Nodes, b);
  }

  private calledFunction(name: string, schema: string | undefined, args: Nodes, b: UnitBuilder): void {
    b.addFunction(name);
    if (DYNAMIC_FUNCTIONS.has(name) || (schema !== undefined && DYNAMIC_FUNCTIONS.has(`${schema}.${name}`))) {
      b.markDynamic(`${name}() runs a query or command given as a string`);
    }
    if (Object.hasOwn(DYNAMIC_FUNCTION_ARITIES, name) && args?.length === DYNAMIC_FUNCTION_ARITIES[name]) {
      b.markDynamic(`${name}() with ${args.length} arguments runs a query given as a string`);
    }
    if (Object.hasOwn(FUNCTION_CATEGORIES, name)) b.escalate(FUNCTION_CATEGORIES[name], `calls ${name}()`);
    else {
      for (const [prefix, category] of FUNCTION_PREFIX_CATEGORIES) {
        if (name.startsWith(prefix)) b.escalate(category, `calls ${name}()`);
      }
    }
    if (name === SET_CONFIG) this.setConfig(args, b);
    // A body created earlier in this text and one created earlier in the session: both may be what runs
    // (another overload, or a CREATE that failed upstream).
    const local = this.localFunctions?.get(name);
    if (local) this.absorbCreated(name, local, b);
    if (this.state && this.state.functionCount > 0) {
      const body = this.state.lookupFunction(name);
      if (body) {
        this.stateDependent = true;
        this.absorbCreated(name, body, b);
      }
    }
  }

  private absorbCreated(name: string, body: SqlUnit, b: UnitBuilder): void {
    b.note(`${name}() was created in this session (${body.category})`);
    b.absorb(body);
  }

  private setConfig(args: Nodes, b: UnitBuilder): void {
    const setting = constantOf(args?.[0]);
    if (setting === undefined) {
      b.escalate('admin', 'set_config() of a computed setting name');
      return;
    }
    this.literalDependent = true;
    const name = setting.trim().toLowerCase();
    if (SENSITIVE_SETTINGS.has(name)) b.escalate('admin', `set_config('${name}') is a privilege change`);
    else b.escalate('session', `set_config('${name}') changes the session`);
    if (name === 'search_path') {
      const value = constantOf(args?.[1]);
      if (value === undefined) b.escalate('admin', 'set_config() of search_path to a computed value');
      else this.searchPath([value]);
    }
  }
}

function countSemicolons(text: string): number {
  let n = 0;
  for (let i = text.indexOf(';'); i >= 0; i = text.indexOf(';', i + 1)) n++;
  return n;
}

/** The string value of a constant argument ('x' or 'x'::type), else undefined. */
function constantOf(arg: unknown): string | undefined {
  const [type, node] = unwrap(arg) ?? [];
  if (type === 'TypeCast') return constantOf((node as PgNode).arg);
  if (type !== 'A_Const') return undefined;
  const sval = (node as { sval?: { sval?: string } }).sval;
  return sval ? (sval.sval ?? '') : undefined;
}

/** The value of a PL/pgSQL expression that is a single string constant, else undefined. */
function constantString(expr: string): string | undefined {
  let stmts: RawStatement[];
  try {
    stmts = parseSql(`SELECT ${expr}`);
  } catch {
    return undefined;
  }
  if (stmts.length !== 1) return undefined;
  const select = (stmts[0].stmt as { SelectStmt?: PgNode } | undefined)?.SelectStmt;
  if (!select) return undefined;
  for (const k in select) {
    if (k !== 'targetList' && k !== 'limitOption' && k !== 'op') return undefined;
  }
  const targets = select.targetList as Nodes;
  if (targets?.length !== 1) return undefined;
  const res = (targets[0] as { ResTarget?: PgNode }).ResTarget;
  if (!res || res.name !== undefined) return undefined;
  return constantOf(res.val);
}

/** Does the expression refer to the rows at all (a column, or WHERE CURRENT OF)? */
function mentionsRow(v: unknown): boolean {
  if (Array.isArray(v)) {
    for (const x of v) if (x !== null && typeof x === 'object' && mentionsRow(x)) return true;
    return false;
  }
  const o = v as PgNode;
  for (const k in o) {
    if (k === 'ColumnRef' || k === 'CurrentOfExpr') return true;
    const x = o[k];
    if (x !== null && typeof x === 'object' && mentionsRow(x)) return true;
  }
  return false;
}

const sameColumn = (a: unknown, b: unknown): boolean => {
  const fa = (a as { ColumnRef?: { fields?: Nodes } })?.ColumnRef?.fields;
  const fb = (b as { ColumnRef?: { fields?: Nodes } })?.ColumnRef?.fields;
  if (!fa || !fb || fa.length !== fb.length) return false;
  return fa.every((f, i) => str(f) !== undefined && str(f) === str(fb[i]));
};

/**
 * A WHERE that does not filter rows counts as absent: one that reads no column (`WHERE true`,
 * `WHERE 1=1`, `WHERE 'a'='a'`, `WHERE 1=2` too: it is all or nothing), an OR with such a branch,
 * an AND of such parts, and a column compared with itself (`id = id`). A heuristic against the
 * usual "look, a WHERE" evasions, not a prover; literal values are never read.
 */
export function triviallyTrue(where: unknown): boolean {
  if (where === null || typeof where !== 'object' || !mentionsRow(where)) return true;
  const [type, node] = unwrap(where) ?? [];
  if (!node) return false;
  if (type === 'BoolExpr') {
    const args = (node.args as Nodes) ?? [];
    if (node.boolop === 'OR_EXPR') return args.some(triviallyTrue);
    if (node.boolop === 'AND_EXPR') return args.every(triviallyTrue);
    return false;
  }
  if (type === 'TypeCast') return triviallyTrue(node.arg);
  if (type === 'A_Expr' && node.kind === 'AEXPR_OP') {
    const op = str((node.name as Nodes)?.[(node.name as Nodes)!.length - 1]);
    return (op === '=' || op === '>=' || op === '<=') && sameColumn(node.lexpr, node.rexpr);
  }
  if (type === 'A_Expr' && node.kind === 'AEXPR_NOT_DISTINCT') return sameColumn(node.lexpr, node.rexpr);
  return false;
}
