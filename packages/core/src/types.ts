// The types at the seam between listeners and core. Defined once here, imported everywhere.
import type { Action, ConnectionConfig } from './config/types.js';

export type { Action } from './config/types.js';
export type Protocol = 'postgres' | 'ssh' | 'http';

// ── identity ────────────────────────────────────────────────────────────────
export interface Identity {
  subject: string;
  groups: string[];
  /** The token issuer, or "ssh-key" for `identity.ssh_keys`. */
  issuer: string;
  method: 'jwt' | 'ssh_key';
  /** Token expiry, ms since epoch (JWT only). */
  expiresAt?: number;
}

export interface ClientInfo {
  address: string;
  port?: number;
  /** What the client said about itself: psql application_name, SSH client banner, User-Agent. */
  software?: string;
  /** The user name the client asked for (informational only: the gateway logs in as its own). */
  user?: string;
}

// ── commands: what a listener hands core to judge ──────────────────────────
export interface SqlCommand {
  kind: 'sql';
  text: string;
  protocol: 'simple' | 'extended';
  /** Extended protocol: the statement name of the Parse ("" = unnamed). */
  statementName?: string;
  /** Extended protocol: parameters as text (null = SQL NULL), for the record and the approval digest. */
  params?: (string | null)[];
}

/** A Postgres FunctionCall ('F') protocol message: judged by the policy's `function_call`. */
export interface PgFunctionCallCommand {
  kind: 'pg_function_call';
  oid: number;
}

export interface ShellCommand {
  kind: 'shell';
  text: string;
  /** exec request, a pty line, or an scp exec. */
  source: 'exec' | 'interactive';
  /** Interactive only: was the line typed at a shell prompt? `unknown` → policy's `interactive_unknown`;
   * `start` → the request for an interactive (pty) shell itself, judged by the policy's `interactive`. */
  context?: 'prompt' | 'unknown' | 'start';
}

export type FileOp =
  | 'open-read'
  | 'open-write'
  | 'read'
  | 'write'
  | 'remove'
  | 'rename'
  | 'mkdir'
  | 'rmdir'
  | 'readdir'
  | 'stat'
  | 'setstat'
  | 'symlink'
  | 'readlink'
  | 'realpath';

/** An SFTP operation (or an scp transfer), judged against `shell.paths` (and `shell.commands` via the op's equivalent command). */
export interface FileCommand {
  kind: 'file';
  op: FileOp;
  paths: string[];
  via: 'sftp' | 'scp';
}

/** A side door: port forwarding, agent forwarding, X11. Judged by the policy's `port_forwarding`/`agent_forwarding`. */
export interface ForwardCommand {
  kind: 'forward';
  type: 'direct-tcpip' | 'tcpip-forward' | 'streamlocal' | 'agent' | 'x11';
  host?: string;
  port?: number;
}

export interface HttpCommand {
  kind: 'http';
  method: string;
  /** The request-target exactly as received (path + query, not normalised). */
  target: string;
  /** Header names lower-cased; repeated headers as arrays. */
  headers: Record<string, string | string[]>;
  body?: Uint8Array;
  /** The body was longer than the inspection cap: body/json rules fail closed. */
  bodyTruncated?: boolean;
  websocket?: boolean;
}

export type Command =
  | SqlCommand
  | PgFunctionCallCommand
  | ShellCommand
  | FileCommand
  | ForwardCommand
  | HttpCommand;

// ── analysis: the facts the policy matches ─────────────────────────────────
/** One statement (top-level or nested: CTE writes, DO bodies, EXPLAIN ANALYZE targets, PREPAREd bodies). */
export interface SqlUnit {
  kind: 'sql';
  category: SqlCategory;
  /** Parse-node name, e.g. SelectStmt, DeleteStmt. */
  statement: string;
  tables: string[]; // lower-case, schema-qualified when the statement qualifies them ("public.users" and "users")
  functions: string[]; // lower-case, schema stripped
  where?: 'absent' | 'present'; // UPDATE/DELETE only
  copyProgram: boolean;
  dynamic: boolean;
  /** Why this unit was flagged (for reasons and explain). */
  notes?: string[];
}

export type SqlCategory = 'read' | 'write' | 'ddl' | 'admin' | 'transaction' | 'session' | 'call' | 'unknown';

/** One command that would run. */
export interface ShellUnit {
  kind: 'shell';
  /** Command name after quote removal and basename (`/bin/rm` → `rm`); "" when unknown (dynamic). */
  command: string;
  args: string[];
  /** Path-like arguments and redirection targets, `~`/`$HOME` expanded. */
  paths: string[];
  dynamic: boolean;
  notes?: string[];
  /** `args[0..argc)` are the command's own words; later entries are synthetic normalised flags (e.g. `-rf` for `-r -f`). */
  argc?: number;
}

export interface HttpUnit {
  kind: 'http';
  /** Every method the request may mean (the real one and any override header's). */
  methods: string[];
  /** A form body over the inspection cap: a `_method` in its unread part cannot be ruled out. */
  methodsUnknown?: boolean;
  /** The normalised path (percent-decoded unreserved chars, dot segments and // removed). */
  path: string;
  /** Other paths some servers read the same target as (deny and review rules match these too). */
  pathReadings?: string[];
  /** Names lower-cased, `_` read as `-` (CGI, PHP and WSGI merge the two). */
  headers: Record<string, string[]>;
  /** Names lower-cased, `.` and space read as `_` (PHP); `;` also splits when present. */
  query: Record<string, string[]>;
  bodyText?: string;
  /** Other texts the body decodes to (UTF-8 beside a declared charset, form-decoded, JSON strings unescaped). */
  bodyReadings?: string[];
  json?: unknown;
  /** The body as other parsers read it: a form binder (fields as a document), a lenient JSON parser. */
  jsonReadings?: unknown[];
  bodyTruncated: boolean;
  notes?: string[];
}

export type Unit = SqlUnit | ShellUnit | HttpUnit;

export interface Analysis {
  units: Unit[];
  /** Set when (part of) the input could not be parsed: the policy's `on_parse_error` applies. */
  parseError?: string;
  /** Shell: the working directory after the command, when a `cd` changed it (null: no longer known). */
  cwd?: string | null;
  /** Per-session state changes (PREPARE, DEALLOCATE …) that take effect only if the command is allowed to run. */
  commit?: () => void;
  /**
   * Shell and file commands: files this command writes, downloads or uploads (absolute where the
   * directory is known). The session remembers them: running one later is not trusted.
   */
  written?: readonly string[];
}

// ── decisions ───────────────────────────────────────────────────────────────
export interface Decision {
  action: Action;
  /** Names of the rules that produced the action; built-ins are named by their key: `default`,
   * `on_parse_error`, `allow_groups`, `interactive`, `interactive_unknown`, `port_forwarding`,
   * `agent_forwarding`, `function_call`, `approval`. */
  rules: string[];
  /** One line, shown to the agent, recorded, explained. */
  reason: string;
  /** Set when the decision went through review. */
  approval?: { id: string; status: ApprovalStatus; by?: string[]; reason?: string };
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';

// ── recording ───────────────────────────────────────────────────────────────
export type FrameKind =
  | 'open'
  | 'auth'
  | 'query'
  | 'command'
  | 'request'
  | 'decision'
  | 'approval'
  | 'input'
  | 'output'
  | 'result'
  | 'resize'
  | 'error'
  | 'close';

/** A stored frame. `data` is JSON text, or base64 when `enc` is "b64" (bytes: input/output). */
export interface Frame {
  seq: number;
  t: number;
  kind: FrameKind;
  data: string;
  enc?: 'json' | 'b64';
  hash: string;
}

export interface SessionMeta {
  id: string;
  connection: string;
  protocol: Protocol;
  subject: string;
  groups: string[];
  client: string;
  started_at: number; // ms epoch
  ended_at?: number;
  status: 'active' | 'closed' | 'failed';
  truncated?: boolean;
  /** Set when the session ends: how many frames it recorded and the last frame's hash (so verify sees a cut tail). */
  frames?: number;
  last_hash?: string;
  [extra: string]: unknown;
}

// ── masking ─────────────────────────────────────────────────────────────────
export interface MaskColumn {
  table?: string;
  column: string;
}

export interface Masker {
  /** Masks one complete value. Returns the same string when nothing was masked. */
  value(text: string, column?: MaskColumn): string;
  /**
   * value() of bytes[start, end) as UTF-8 (or latin1) text, without decoding a value that holds
   * nothing: undefined when nothing was masked, else the masked text (a column with a rule always
   * gets its text). Only for UTF-8 or latin1 (a pre-scan of the bytes stands for one of the text).
   */
  valueBytes?(
    bytes: Uint8Array,
    start: number,
    end: number,
    column?: MaskColumn,
    encoding?: 'utf8' | 'latin1',
  ): string | undefined;
  /** A streaming masker for a byte stream (values split across chunks are still masked). */
  stream(): StreamMasker;
  /** Masks every string inside a parsed JSON document (and redacts the policy's json_paths). */
  json(doc: unknown): unknown;
  /** Masked values so far, by detector. */
  readonly counts: Record<string, number>;
  /**
   * A streaming masker for a JSON body: json_paths redacted as the document flows (any size, no
   * parse), then the detectors over the text. `failed`: the body was not JSON (paths stopped applying).
   */
  jsonStream?(): StreamMasker & { readonly failed: boolean };
  /**
   * json() for a complete body as bytes, without parsing it into objects: strings masked as json()
   * masks them, json_paths redacted, everything else (numbers, keys, spacing) byte for byte.
   * The input itself (as a Buffer) when nothing changed; undefined when it is not one JSON text.
   */
  maskJsonBytes?(body: Uint8Array): Buffer | undefined;
  /** The column rule covering a column, if any (`null`: a listener that can should send SQL NULL). */
  columnRule?(column: MaskColumn): 'redact' | 'mask' | 'hash' | 'null' | undefined;
  /**
   * A column some column rule covers among these tables' columns (a qualified rule first, else a bare one),
   * or undefined: a listener applies that rule to the computed result columns (`secret || ''`, a whole-row
   * reference) of a statement that reads these tables, since nothing maps them back to a column.
   */
  ruledColumnOf?(tables: readonly string[]): MaskColumn | undefined;
}

export interface StreamMasker {
  /** Returns the bytes safe to emit now; keeps a bounded tail that may still grow into a secret. */
  write(chunk: Uint8Array): Uint8Array;
  /** Emits everything held (call on end of stream, or after a short idle bound for interactive use). */
  flush(): Uint8Array;
  /** Bytes currently held back. */
  readonly pending: number;
}

// ── the session seam ───────────────────────────────────────────────────────
export interface JudgeOptions {
  /** Aborts a wait for approval (client went away): the approval is cancelled, the decision is deny. */
  signal?: AbortSignal;
  /** Called once when a review starts, so the listener can tell the agent it is waiting. */
  onPending?: (approval: { id: string; expiresAt: number; approvers: string[] }) => void;
  /**
   * Return a `review` without creating an approval: the command is not complete yet (a Postgres Parse
   * before its Bind), and the listener judges it again with everything that will run (text + parameters).
   */
  deferReview?: boolean;
  /**
   * The interactive shell a line belongs to (SSH: one per channel). Each keeps its own working
   * directory: a `cd` on one channel says nothing of where another channel's shell stands.
   */
  shell?: string;
  /**
   * SQL: called before the decision with every table the statement reads or writes (its analysis'), so a
   * listener can treat the statement's computed result columns as covered by those tables' column rules.
   */
  onSqlTables?: (tables: readonly string[]) => void;
}

export interface Session {
  readonly id: string;
  readonly connection: ConnectionConfig;
  readonly identity: Identity;
  /** Analyses, evaluates, records the command and its decision, and waits out a review. */
  judge(command: Command, opts?: JudgeOptions): Promise<Decision>;
  /** A masker bound to this session's policy; its counts feed metrics and the record. */
  masker(): Masker;
  /** May an SSH `env` request with this name be forwarded (the policy's env_allow; LD_*, PATH … never)? */
  allowEnv(name: string): boolean;
  /** Records a frame (input, output, result, resize, error …). Never blocks. */
  record(kind: FrameKind, data: unknown): void;
  /** Resolves with a reason when core wants the session closed (e.g. the store is down and on_failure is close). */
  readonly shutdown: Promise<string>;
  close(reason?: string): Promise<void>;
}

export interface OpenSessionOptions {
  connection: string;
  identity: Identity;
  client: ClientInfo;
}

/** A running listener, returned by each protocol package's `start…Listener(gateway, connection)`. */
export interface Listener {
  readonly name: string;
  readonly protocol: Protocol;
  /** The bound address (port 0 in config → the real port here). */
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}
