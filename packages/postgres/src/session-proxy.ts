// One agent connection: startup and the agent's login, the gateway's upstream login, then the
// relay. Every statement goes to `session.judge` before a byte of it reaches the upstream; a denied
// one is replaced by a harmless statement that fails in the upstream's parser and whose error is
// rewritten into the denial, so the upstream's own transaction state and skip-to-Sync behaviour
// are exactly what Postgres does for a failed statement. Results are masked on the way back.
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';
import {
  AuthError,
  type Decision,
  denialMessage,
  ForbiddenError,
  type Gateway,
  LimitError,
  type MaskColumn,
  type Masker,
  type PostgresConnection,
  type Session,
  type SqlCommand,
  StoreUnavailableError,
} from '@portcullis/core';
import { serialize } from 'pg-protocol';
import { BackendFrameError, type BackendFramer, RelayOutput } from './backend-framer.js';
import {
  type ColumnDescription,
  decodeCommandTag,
  decodeCopyFormat,
  decodeFields,
  decodeNotification,
  decodeParameterStatus,
  decodeReadyStatus,
  decodeRowDescription,
  fieldValue,
} from './backend-reader.js';
import {
  authentication,
  backendKeyData,
  copyData,
  errorResponse,
  negotiateProtocolVersion,
  noticeResponse,
  notificationResponse,
  readyForQuery,
  SSL_NO,
  SSL_YES,
} from './backend-writer.js';
import type { CancelKeys } from './cancel-keys.js';
import type { CatalogLookup } from './catalog-lookup.js';
import {
  CANCEL_REQUEST,
  decodeBind,
  decodeCancelRequest,
  decodeExecute,
  decodeFunctionCall,
  decodeParse,
  decodePassword,
  decodeQuery,
  decodeStartupParams,
  decodeTarget,
  type FrontendMessage,
  FrontendProtocolError,
  FrontendReader,
  GSSENC_REQUEST,
  SSL_REQUEST,
} from './frontend-reader.js';
import {
  BinaryCopyMasker,
  type ColumnPlan,
  maskCopyTextInto,
  maskDataRowInto,
  maskFields,
  planColumns,
  previewRow,
  ruleComputedColumns,
  type TextEncoding,
} from './result-masking.js';
import {
  loginUpstream,
  sendUpstreamCancel,
  type UpstreamConnection,
  UpstreamError,
} from './upstream-auth.js';

export interface ProxyContext {
  gateway: Gateway;
  connection: PostgresConnection;
  /** Present when the listener has a certificate. */
  tlsContext?: tls.SecureContext;
  cancelKeys: CancelKeys;
  catalog(database: string | undefined): CatalogLookup;
  /** Called once when the proxy is finished (both sockets closed). */
  onClose(proxy: SessionProxy): void;
}

/** Client-only encodings whose multi-byte characters can contain ASCII bytes (normalised as Postgres
 * does: letters and digits only, here upper case). */
const UNSAFE_CLIENT_ENCODINGS = new Set([
  'SJIS',
  'SHIFTJIS',
  'SHIFTJIS2004',
  'BIG5',
  'GBK',
  'GB18030',
  'UHC',
  'JOHAB',
  'WIN932',
  'WIN936',
  'WIN949',
  'WIN950',
  'MSKANJI',
  'CP932',
  'CP936',
  'CP949',
  'CP950',
  'WINDOWS932',
  'WINDOWS936',
  'WINDOWS949',
  'WINDOWS950',
]);

/** True for an encoding name (any spelling Postgres accepts: `S.JIS`, `shift-jis`, `Windows932`) whose
 * characters can hide a quote or backslash from a UTF-8 reader. */
export function unsafeClientEncoding(name: string): boolean {
  return UNSAFE_CLIENT_ENCODINGS.has(name.toUpperCase().replace(/[^A-Z0-9]/g, ''));
}

/** Ends the session: the upstream is in a state the gateway refuses to relay (SQLSTATE `code`). */
class SessionRefusal extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Startup parameters passed on to the upstream (names compared case-insensitively, as Postgres
 * looks settings up); others (notably `options`, which can set any GUC) are dropped. */
const FORWARDED_PARAMS = new Set([
  'application_name',
  'client_encoding',
  'datestyle',
  'timezone',
  'intervalstyle',
  'extra_float_digits',
]);
/** While a judgement is pending the agent's socket is paused once this much is queued. */
const HOLD_BYTES = 1 << 20;

/** What the upstream owes us for each message forwarded, in order (the extended protocol answers in order). */
type Expect =
  // answered up to ReadyForQuery; `ruled`: a Query reading tables with column rules (see ruledColumnOf)
  | { k: 'sync'; from: 'Q' | 'F' | 'S'; poisonSeq: number; ruled?: MaskColumn }
  | { k: 'parse' }
  | { k: 'bind' }
  | { k: 'close' }
  | { k: 'describe-stmt' }
  | { k: 'describe-portal'; portal: string; swallow: boolean }
  | { k: 'execute'; portal: string; ruled?: MaskColumn };

interface ResultState {
  cols: ColumnDescription[];
  /** The column rule for computed columns (the statement reads a ruled table), if any. */
  ruled?: MaskColumn;
  columns: string[];
  plan?: ColumnPlan[];
  inspect: boolean;
  rows: number;
  preview: (string | null)[][];
  previewBytes: number;
  previewFull: boolean;
  maskedBefore: Record<string, number>;
}

export class SessionProxy {
  private agent: net.Socket;
  private agentTls = false;
  private readonly reader: FrontendReader;
  private phase: 'startup' | 'password' | 'connecting' | 'ready' | 'closed' = 'startup';
  private pumping = false;
  private arrivedWhilePumping = false;
  private startup = new Map<string, string>();
  private session?: Session;
  private masker?: Masker;
  private upstream?: UpstreamConnection;
  private framer?: BackendFramer;
  private agentKey?: { pid: number; secret: number };
  private readonly abort = new AbortController();
  private handshakeTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private lastActivity = Date.now();
  private readonly limits;

  // relay state
  private readonly expects: Expect[] = [];
  private expectHead = 0;
  private discarding = false;
  private readonly deniedStatements = new Set<string>();
  /** Named statements this connection's own Parse created; a Bind of any other name runs a SQL PREPARE. */
  private readonly parsedStatements = new Set<string>();
  /** Statements held for review at Parse: each Bind is judged with its parameters, one approval per Bind. */
  private readonly reviewedStatements = new Map<string, string>();
  private readonly deniedPortals = new Set<string>();
  private readonly describedPortals = new Set<string>();
  private readonly portalColumns = new Map<string, ColumnDescription[]>();
  /**
   * Statements and portals that read tables some column rule covers: their computed result columns
   * (`secret || ''`, `ARRAY[secret]`, a whole row) get that rule, since no table column maps them back.
   */
  private readonly ruledStatements = new Map<string, MaskColumn>();
  private readonly ruledPortals = new Map<string, MaskColumn>();
  /** Set by the last judge of SQL (its tables' covering column rule), read right after it. */
  private judgedRuled: MaskColumn | undefined;
  private readonly onSqlTables = (tables: readonly string[]): void => {
    this.judgedRuled = this.masker?.ruledColumnOf?.(tables);
  };
  private readonly nonce = randomBytes(6).toString('hex');
  private poisonSeq = 0;
  private readonly poisons = new Map<string, { seq: number; decision: Decision }>();
  private result?: ResultState;
  private copyOut?: {
    binary?: BinaryCopyMasker;
    rows: number;
    preview: string[];
    maskedBefore: Record<string, number>;
  };
  private encoding: TextEncoding = 'utf8';
  /** The upstream's client_encoding as it last reported it. */
  private encodingName = 'UTF8';
  /** An Execute was forwarded and no Sync after it: the upstream reports setting changes only at ReadyForQuery. */
  private executedSinceSync = false;
  /** Waiting for the upstream to answer every statement forwarded so far (see settle()). */
  private readonly settleWaiters: (() => void)[] = [];
  private stalled = false;
  /** A DataRow that arrived while its columns' names were being looked up: processed first on resume. */
  private replay?: Buffer;
  private upstreamCorked = false;
  private readonly maskContexts = new Map<string, MaskColumn>();
  private upstreamPausedForAgent = false;
  private agentPausedForUpstream = false;
  private agentPausedForHold = false;

  constructor(
    socket: net.Socket,
    private readonly ctx: ProxyContext,
  ) {
    this.agent = socket;
    this.limits = ctx.gateway.config.limits;
    this.reader = new FrontendReader({ maxMessageBytes: this.limits.maxMessageBytes });
    socket.setNoDelay(true);
    this.attachAgent(socket);
    this.handshakeTimer = setTimeout(() => {
      const e = new LimitError('handshake_timeout', `no session within ${this.limits.handshakeTimeoutMs} ms`);
      this.fatal('08P01', `portcullis: ${e.message}`);
    }, this.limits.handshakeTimeoutMs);
    this.handshakeTimer.unref();
  }

  get sessionId(): string | undefined {
    return this.session?.id;
  }

  // ── agent socket ──────────────────────────────────────────────────────────
  private attachAgent(s: net.Socket): void {
    s.on('data', (d: Buffer) => {
      this.lastActivity = Date.now();
      this.reader.push(d);
      if (this.pumping) this.arrivedWhilePumping = true;
      else this.pump();
    });
    s.on('error', () => this.finish('client connection error'));
    s.on('close', () => this.finish('client disconnected'));
    s.on('end', () => this.finish('client disconnected'));
    s.on('drain', () => {
      if (this.upstreamPausedForAgent) {
        this.upstreamPausedForAgent = false;
        this.upstream?.socket.resume();
      }
    });
  }

  private writeAgent(b: Buffer): void {
    if (this.phase === 'closed') return;
    if (!this.agent.write(b) && this.upstream && !this.upstreamPausedForAgent) {
      this.upstreamPausedForAgent = true;
      this.upstream.socket.pause();
    }
  }

  private writeUpstream(b: Buffer): void {
    const up = this.upstream;
    if (!up || this.phase === 'closed') return;
    if (!up.socket.write(b) && !this.agentPausedForUpstream) {
      this.agentPausedForUpstream = true;
      this.agent.pause();
    }
  }

  private updateAgentFlow(): void {
    if (!this.agentPausedForUpstream && !this.agentPausedForHold) this.agent.resume();
    else this.agent.pause();
  }

  /** Ends the session with a FATAL error the agent can read. */
  private fatal(code: string, message: string): void {
    if (this.phase === 'closed') return;
    this.agent.end(errorResponse({ severity: 'FATAL', code, message }));
    this.finish(message);
  }

  /** Closes everything once; records the close through the session. */
  finish(reason: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.idleTimer);
    this.abort.abort();
    if (this.agentKey) this.ctx.cancelKeys.release(this.agentKey.pid);
    const up = this.upstream;
    if (up && !up.socket.destroyed) {
      up.socket.end(serialize.end());
      setTimeout(() => up.socket.destroy(), 1000).unref();
    }
    if (!this.agent.destroyed) {
      this.agent.end();
      setTimeout(() => this.agent.destroy(), 1000).unref();
    }
    const s = this.session;
    if (s) {
      s.close(reason).catch((e: Error) =>
        this.ctx.gateway.log.warn('postgres: session close failed', { session: s.id, error: e.message }),
      );
    }
    this.ctx.onClose(this);
    this.wakeSettled();
  }

  /** Listener shutdown: tell the agent why, then close. */
  terminate(reason: string): void {
    this.fatal('57P01', `portcullis: terminating connection: ${reason}`);
  }

  // ── frontend pump ─────────────────────────────────────────────────────────
  private pump(): void {
    if (this.pumping || this.phase === 'closed') return;
    this.pumping = true;
    this.run()
      .catch((e: Error) => this.onFrontendError(e))
      .finally(() => {
        this.pumping = false;
        if (this.agentPausedForHold) {
          this.agentPausedForHold = false;
          this.updateAgentFlow();
        }
        // Bytes that arrived while the last await was pending have not been looked at yet.
        if (this.arrivedWhilePumping && this.phase !== 'closed' && this.phase !== 'connecting') {
          this.arrivedWhilePumping = false;
          this.pump();
        }
      });
  }

  private onFrontendError(e: Error): void {
    if (e instanceof FrontendProtocolError) {
      this.ctx.gateway.log.warn('postgres: bad frontend message', {
        session: this.session?.id,
        error: e.message,
      });
      this.session?.record('error', { message: e.message, code: e.code });
      this.fatal(e.code, `portcullis: ${e.message}`);
      return;
    }
    this.ctx.gateway.log.error('postgres: session failed', { session: this.session?.id, error: e.message });
    this.fatal('XX000', `portcullis: internal error: ${e.message}`);
  }

  private async run(): Promise<void> {
    const up = this.upstream?.socket;
    if (up) {
      up.cork();
      this.upstreamCorked = true;
    }
    try {
      for (;;) {
        if (this.phase === 'closed' || this.phase === 'connecting') return;
        const m = this.reader.next();
        if (!m) return;
        if (this.phase === 'startup') await this.onStartupPacket(m);
        else if (this.phase === 'password') await this.onPassword(m);
        else await this.onMessage(m);
      }
    } finally {
      if (this.upstreamCorked) {
        this.upstreamCorked = false;
        this.upstream?.socket.uncork();
      }
    }
  }

  // ── startup ───────────────────────────────────────────────────────────────
  private async onStartupPacket(m: FrontendMessage): Promise<void> {
    switch (m.code) {
      case SSL_REQUEST: {
        if (this.agentTls) throw new FrontendProtocolError('SSLRequest after TLS was established');
        if (!this.ctx.tlsContext) {
          this.agent.write(SSL_NO);
          return;
        }
        // Plaintext sent after SSLRequest would be trusted as if encrypted (CVE-2021-23214).
        if (this.reader.buffered > 0)
          throw new FrontendProtocolError('received unencrypted data after SSL request');
        this.agent.write(SSL_YES);
        this.upgradeAgentTls();
        return;
      }
      case GSSENC_REQUEST:
        this.agent.write(SSL_NO);
        return;
      case CANCEL_REQUEST:
        await this.onCancelRequest(m.body);
        return;
      default:
        break;
    }
    const major = m.code >>> 16;
    const minor = m.code & 0xffff;
    if (major !== 3) {
      this.fatal('0A000', `portcullis: unsupported frontend protocol ${major}.${minor}: server supports 3.0`);
      return;
    }
    this.startup = decodeStartupParams(m.body);
    if (!this.startup.has('user')) {
      this.fatal('28000', 'portcullis: no user name specified in the startup packet');
      return;
    }
    if (this.ctx.connection.tls?.required && !this.agentTls) {
      this.fatal(
        '28000',
        `portcullis: connection ${this.ctx.connection.name} requires TLS (sslmode=require)`,
      );
      return;
    }
    const replication = (this.startup.get('replication') ?? 'false').toLowerCase();
    if (!['false', 'off', 'no', '0'].includes(replication)) {
      this.fatal('28000', 'portcullis: replication connections are not allowed through the gateway');
      return;
    }
    this.reader.startupPhase = false;
    const unknownOptions = [...this.startup.keys()].filter((k) => k.startsWith('_pq_.'));
    if (minor > 0 || unknownOptions.length > 0) this.agent.write(negotiateProtocolVersion(0, unknownOptions));
    this.phase = 'password';
    this.agent.write(authentication(3));
  }

  private upgradeAgentTls(): void {
    const plain = this.agent;
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    plain.removeAllListeners('close');
    plain.removeAllListeners('drain');
    plain.on('error', () => {});
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: this.ctx.tlsContext });
    this.agent = secure;
    this.agentTls = true;
    this.attachAgent(secure);
  }

  private async onCancelRequest(body: Buffer): Promise<void> {
    const { pid, secret } = decodeCancelRequest(body);
    this.phase = 'connecting';
    this.agent.end();
    const key = this.ctx.cancelKeys.lookup(pid, secret);
    if (key) {
      try {
        await sendUpstreamCancel(this.ctx.connection.upstream, key, this.limits.handshakeTimeoutMs);
      } catch (e) {
        this.ctx.gateway.log.warn('postgres: cancel request failed', { error: (e as Error).message });
      }
    }
    this.finish('cancel request');
  }

  private async onPassword(m: FrontendMessage): Promise<void> {
    if (m.type !== 'p')
      throw new FrontendProtocolError(`expected password response, got message type ${m.type}`);
    const token = decodePassword(m.body);
    const g = this.ctx.gateway;
    const user = this.startup.get('user') ?? '';
    this.phase = 'connecting';
    this.agent.pause();
    let identity: Awaited<ReturnType<Gateway['authenticateToken']>>;
    try {
      identity = await g.authenticateToken(token);
    } catch (e) {
      const reason = e instanceof AuthError ? e.message : `authentication failed: ${(e as Error).message}`;
      g.log.info('postgres: agent authentication failed', {
        connection: this.ctx.connection.name,
        user,
        reason,
      });
      this.fatal('28P01', `portcullis: ${reason}`);
      return;
    }
    if (this.phase !== 'connecting') return;
    try {
      this.session = await g.open({
        connection: this.ctx.connection.name,
        identity,
        client: {
          address: this.agent.remoteAddress ?? 'unknown',
          port: this.agent.remotePort,
          software: this.startup.get('application_name'),
          user,
        },
      });
    } catch (e) {
      if (e instanceof ForbiddenError) this.fatal('28000', `portcullis: ${e.message}`);
      else if (e instanceof StoreUnavailableError) this.fatal('57P03', `portcullis: ${e.message}`);
      else this.fatal('XX000', `portcullis: cannot open a session: ${(e as Error).message}`);
      return;
    }
    const session = this.session;
    if (this.phase !== 'connecting') {
      await session.close('client disconnected during login');
      return;
    }
    session.shutdown.then(
      (why) => this.fatal('57P01', `portcullis: terminating connection: ${why}`),
      () => {},
    );
    this.masker = session.masker();
    // Postgres looks startup settings up case-insensitively: CLIENT_ENCODING=SJIS sets it too.
    for (const [k, encoding] of this.startup) {
      if (k.toLowerCase() !== 'client_encoding' || !unsafeClientEncoding(encoding)) continue;
      // In these encodings a multi-byte character can end in `\` or `'`: the server would read the
      // statement differently from the UTF-8 text that was judged.
      session.record('error', { message: `client_encoding ${encoding} refused`, code: '0A000' });
      this.fatal('0A000', `portcullis: client_encoding ${encoding} is not supported (use UTF8)`);
      return;
    }
    const upstreamParams: Record<string, string> = {};
    for (const [k, v] of this.startup) if (FORWARDED_PARAMS.has(k.toLowerCase())) upstreamParams[k] = v;
    try {
      this.upstream = await loginUpstream(this.ctx.connection.upstream, {
        database: this.startup.get('database') ?? this.ctx.connection.upstream.user,
        params: upstreamParams,
        timeoutMs: this.limits.handshakeTimeoutMs,
        maxMessageBytes: this.limits.maxMessageBytes,
      });
    } catch (e) {
      const err = e as Error;
      const code = e instanceof UpstreamError ? e.code : '08006';
      g.log.warn('postgres: upstream login failed', { session: session.id, error: err.message });
      session.record('error', { message: `upstream login failed: ${err.message}`, code });
      this.fatal(code, `portcullis: upstream login failed: ${err.message}`);
      return;
    }
    const up = this.upstream;
    if (this.phase !== 'connecting') {
      up.socket.destroy();
      return;
    }
    // What the upstream reports is what it will read with, whatever spelling got it there.
    const upstreamEncoding = up.parameters.get('client_encoding') ?? 'UTF8';
    if (unsafeClientEncoding(upstreamEncoding)) {
      up.socket.destroy();
      session.record('error', { message: `client_encoding ${upstreamEncoding} refused`, code: '0A000' });
      this.fatal('0A000', `portcullis: client_encoding ${upstreamEncoding} is not supported (use UTF8)`);
      return;
    }
    this.framer = up.framer;
    this.agentKey = this.ctx.cancelKeys.register(up.backendKey);
    this.encoding = encodingOf(upstreamEncoding);
    this.encodingName = upstreamEncoding;
    up.socket.on('data', (d: Buffer) => {
      this.lastActivity = Date.now();
      this.framer?.push(d);
      this.drainBackend();
    });
    up.socket.on('error', (e) => {
      g.log.warn('postgres: upstream connection error', { session: session.id, error: e.message });
      this.finish(`upstream connection error: ${e.message}`);
    });
    up.socket.on('close', () => this.finish('upstream closed the connection'));
    up.socket.on('drain', () => {
      if (this.agentPausedForUpstream) {
        this.agentPausedForUpstream = false;
        this.updateAgentFlow();
      }
    });
    clearTimeout(this.handshakeTimer);
    this.armIdleTimer();
    this.agent.cork();
    this.agent.write(authentication(0));
    for (const ps of up.parameterStatus) this.agent.write(ps);
    this.agent.write(backendKeyData(this.agentKey.pid, this.agentKey.secret));
    this.agent.write(readyForQuery(up.txStatus));
    this.agent.uncork();
    this.phase = 'ready';
    this.agent.resume();
    up.socket.resume();
    this.drainBackend();
    // Messages the agent pipelined behind its password are processed once the pump returns.
  }

  private armIdleTimer(): void {
    const idle = this.limits.idleTimeoutMs;
    const check = () => {
      const quiet = Date.now() - this.lastActivity;
      if (quiet >= idle) {
        const e = new LimitError('idle_timeout', `no traffic for ${Math.round(quiet / 1000)} s`);
        this.session?.record('error', { message: e.message, code: '57P05' });
        this.fatal('57P05', `portcullis: terminating connection: ${e.message}`);
        return;
      }
      this.idleTimer = setTimeout(check, idle - quiet + 5);
      this.idleTimer.unref();
    };
    this.idleTimer = setTimeout(check, idle);
    this.idleTimer.unref();
  }

  // ── ready: one frontend message ───────────────────────────────────────────
  private async onMessage(m: FrontendMessage): Promise<void> {
    switch (m.type) {
      case 'Q': {
        const text = decodeQuery(m.body);
        const refused = await this.encodingGate(text);
        if (this.phase !== 'ready') return;
        const d = refused ?? (await this.judgeSql({ kind: 'sql', text, protocol: 'simple' }));
        if (d === undefined) this.writeUpstream(m.raw);
        else if (d.action === 'allow') {
          this.writeUpstream(m.raw);
          // Statement names may have changed under us (PREPARE/DEALLOCATE/DISCARD): forget our denials.
          if (/prepare|deallocate|discard/i.test(text)) {
            this.deniedStatements.clear();
            this.reviewedStatements.clear();
            this.parsedStatements.clear();
          }
        } else this.writeUpstream(serialize.query(this.poison(d)));
        this.executedSinceSync = false; // its ReadyForQuery reports what the Executes before it changed
        this.expect({ k: 'sync', from: 'Q', poisonSeq: this.poisonSeq, ruled: this.judgedRuled });
        return;
      }
      case 'P': {
        const p = decodeParse(m.body);
        const refused = await this.encodingGate(p.text);
        if (this.phase !== 'ready') return;
        const d =
          refused ??
          (await this.judgeSql(
            { kind: 'sql', text: p.text, protocol: 'extended', statementName: p.name },
            true,
          ));
        this.reviewedStatements.delete(p.name);
        if (this.judgedRuled) this.ruledStatements.set(p.name, this.judgedRuled);
        else this.ruledStatements.delete(p.name);
        if (d?.action === 'review') {
          // Preparing runs nothing; what runs is decided per Bind, when the parameters are known.
          this.deniedStatements.delete(p.name);
          this.parsedStatements.add(p.name);
          this.reviewedStatements.set(p.name, p.text);
          this.writeUpstream(m.raw);
        } else if (d === undefined || d.action === 'allow') {
          this.deniedStatements.delete(p.name);
          this.parsedStatements.add(p.name);
          this.writeUpstream(m.raw);
        } else {
          this.parsedStatements.delete(p.name);
          this.deniedStatements.add(p.name);
          this.writeUpstream(serialize.parse({ name: p.name, text: this.poison(d) }));
        }
        this.expect({ k: 'parse' });
        return;
      }
      case 'B': {
        const b = decodeBind(m.body);
        this.describedPortals.delete(b.portal);
        this.portalColumns.delete(b.portal);
        this.judgedRuled = undefined;
        const reviewed = this.reviewedStatements.get(b.statement);
        // A name no Parse of ours created was made by SQL PREPARE: binding it runs what EXECUTE would.
        const prepared =
          reviewed === undefined &&
          b.statement !== '' &&
          !this.parsedStatements.has(b.statement) &&
          !this.deniedStatements.has(b.statement);
        const d =
          reviewed !== undefined || prepared
            ? await this.judge({
                kind: 'sql',
                text: reviewed ?? `EXECUTE "${b.statement.replace(/"/g, '""')}"`,
                protocol: 'extended',
                statementName: b.statement,
                params: b.params,
              })
            : undefined;
        const ruled = d ? this.judgedRuled : this.ruledStatements.get(b.statement);
        // Not cleared at ReadyForQuery (a pipelined Bind may come before an earlier query's end): rebinding
        // a name replaces it, Close removes it; a bound on how many are kept, oldest first.
        this.ruledPortals.delete(b.portal);
        if (ruled) {
          if (this.ruledPortals.size >= 4096)
            this.ruledPortals.delete(this.ruledPortals.keys().next().value!);
          this.ruledPortals.set(b.portal, ruled);
        }
        if (this.deniedStatements.has(b.statement) || (d && d.action !== 'allow')) {
          this.deniedPortals.add(b.portal);
          this.writeUpstream(
            serialize.bind({
              portal: b.portal,
              statement: this.poison(d ?? this.deniedDecision(b.statement)),
            }),
          );
        } else {
          this.deniedPortals.delete(b.portal);
          this.writeUpstream(m.raw);
        }
        this.expect({ k: 'bind' });
        return;
      }
      case 'E': {
        const e = decodeExecute(m.body);
        if (this.deniedPortals.has(e.portal)) {
          this.writeUpstream(serialize.execute({ portal: this.poison(this.deniedDecision(e.portal)) }));
        } else {
          if (!this.describedPortals.has(e.portal)) {
            // Masking needs the portal's columns; ask for them and keep the answer from the agent.
            this.writeUpstream(serialize.describe({ type: 'P', name: e.portal }));
            this.describedPortals.add(e.portal);
            this.expect({ k: 'describe-portal', portal: e.portal, swallow: true });
          }
          this.writeUpstream(m.raw);
        }
        this.executedSinceSync = true;
        this.expect({ k: 'execute', portal: e.portal, ruled: this.ruledPortals.get(e.portal) });
        return;
      }
      case 'D': {
        const t = decodeTarget(m.body, 'Describe message');
        const denied = t.kind === 'S' ? this.deniedStatements.has(t.name) : this.deniedPortals.has(t.name);
        if (denied) {
          this.writeUpstream(
            serialize.describe({ type: t.kind, name: this.poison(this.deniedDecision(t.name)) }),
          );
        } else {
          if (t.kind === 'P') this.describedPortals.add(t.name);
          this.writeUpstream(m.raw);
        }
        this.expect(
          t.kind === 'S' ? { k: 'describe-stmt' } : { k: 'describe-portal', portal: t.name, swallow: false },
        );
        return;
      }
      case 'C': {
        const t = decodeTarget(m.body, 'Close message');
        if (t.kind === 'S') {
          this.deniedStatements.delete(t.name);
          this.reviewedStatements.delete(t.name);
          this.parsedStatements.delete(t.name);
          this.ruledStatements.delete(t.name);
        } else {
          this.deniedPortals.delete(t.name);
          this.describedPortals.delete(t.name);
          this.portalColumns.delete(t.name);
          this.ruledPortals.delete(t.name);
        }
        this.writeUpstream(m.raw);
        this.expect({ k: 'close' });
        return;
      }
      case 'S':
        this.executedSinceSync = false;
        this.writeUpstream(m.raw);
        this.expect({ k: 'sync', from: 'S', poisonSeq: this.poisonSeq });
        return;
      case 'F': {
        const { oid } = decodeFunctionCall(m.body);
        const d = await this.judge({ kind: 'pg_function_call', oid });
        this.writeUpstream(d.action === 'allow' ? m.raw : serialize.query(this.poison(d)));
        this.expect({ k: 'sync', from: 'F', poisonSeq: this.poisonSeq });
        return;
      }
      case 'H':
      case 'd':
      case 'c':
      case 'f':
        this.writeUpstream(m.raw);
        return;
      case 'X':
        // finish() sends the upstream its own Terminate.
        this.finish('client terminated the session');
        return;
      default:
        throw new FrontendProtocolError(`unexpected message type ${m.type} after startup`);
    }
  }

  /**
   * SQL text with non-ASCII characters is judged as UTF-8; the upstream reads it in its client_encoding.
   * ASCII reads the same in every encoding Postgres has, so only non-ASCII text needs this: it waits
   * for the ReadyForQuery of every statement already forwarded (one of them may change
   * client_encoding, which the upstream reports only then: an unsafe one ends the session, see
   * onBackendMessage), then is refused when the upstream's encoding is not UTF-8 (LATIN1 é is not
   * UTF-8 é: a table or function name would not be the one judged). After an Execute with no Sync yet
   * there is no report to wait for: refused. Returns the denial, or undefined to judge the text.
   */
  private async encodingGate(text: string): Promise<Decision | undefined> {
    if (!/[^\x00-\x7f]/.test(text)) return undefined;
    const deny = (reason: string): Decision => ({ action: 'deny', rules: ['client_encoding'], reason });
    if (this.executedSinceSync)
      return deny(
        'SQL text with non-ASCII characters after an Execute with no Sync: the client_encoding the upstream will read it with is not known yet (send Sync first)',
      );
    await this.settle();
    if (this.encoding === 'utf8') return undefined;
    return deny(
      `SQL text with non-ASCII characters cannot be judged in client_encoding ${this.encodingName} (use UTF8)`,
    );
  }

  /** True while a ReadyForQuery is owed for a message already forwarded. */
  private outstanding(): boolean {
    for (let i = this.expectHead; i < this.expects.length; i++)
      if (this.expects[i]!.k === 'sync') return true;
    return false;
  }

  /** Waits for the ReadyForQuery of everything forwarded so far (it carries any setting the statements changed). */
  private async settle(): Promise<void> {
    if (!this.outstanding()) return;
    const up = this.upstream;
    const corked = this.upstreamCorked;
    if (corked) up?.socket.uncork();
    if (this.reader.buffered > HOLD_BYTES && !this.agentPausedForHold) {
      this.agentPausedForHold = true;
      this.agent.pause();
    }
    await new Promise<void>((resolve) => this.settleWaiters.push(resolve));
    if (corked && this.phase !== 'closed') up?.socket.cork();
  }

  private wakeSettled(): void {
    if (this.settleWaiters.length > 0 && (this.phase === 'closed' || !this.outstanding()))
      for (const w of this.settleWaiters.splice(0)) w();
  }

  /** Judges SQL; undefined when there is no statement at all (empty query: nothing can run). */
  private async judgeSql(c: SqlCommand, deferReview = false): Promise<Decision | undefined> {
    this.judgedRuled = undefined;
    if (/^[\s;]*$/.test(c.text)) return undefined;
    return this.judge(c, deferReview);
  }

  private async judge(c: Parameters<Session['judge']>[0], deferReview = false): Promise<Decision> {
    const session = this.session;
    if (!session) throw new Error('no session');
    // Let what is already forwarded go while this one waits (it may wait for a human).
    const corked = this.upstreamCorked;
    if (corked) this.upstream?.socket.uncork();
    if (this.reader.buffered > HOLD_BYTES && !this.agentPausedForHold) {
      this.agentPausedForHold = true;
      this.agent.pause();
    }
    let d: Decision;
    try {
      d = await session.judge(c, {
        deferReview,
        onSqlTables: this.onSqlTables,
        signal: this.abort.signal,
        onPending: (a) => {
          this.writeAgent(
            noticeResponse({
              code: '01000',
              message: `portcullis: waiting for approval ${a.id} from ${a.approvers.join(', ') || 'an approver'} (until ${new Date(a.expiresAt).toISOString()})`,
            }),
          );
        },
      });
    } catch (e) {
      // Fail closed: a judge that cannot decide is a deny.
      d = {
        action: 'deny',
        rules: ['internal'],
        reason: `cannot judge the statement: ${(e as Error).message}`,
      };
    }
    if (corked) this.upstream?.socket.cork();
    if (this.agentPausedForHold && this.reader.buffered < HOLD_BYTES) {
      this.agentPausedForHold = false;
      this.updateAgentFlow();
    }
    return d;
  }

  /** A name the upstream rejects in its parser, carrying the decision to put in the agent's error. */
  private poison(d: Decision): string {
    const seq = ++this.poisonSeq;
    const token = `portcullis_denied_${this.nonce}_${seq}`;
    this.poisons.set(token, { seq, decision: d });
    return token;
  }

  private deniedDecision(name: string): Decision {
    return {
      action: 'deny',
      rules: ['denied_statement'],
      reason: `prepared statement or portal ${JSON.stringify(name)} was denied earlier in this session`,
    };
  }

  private expect(e: Expect): void {
    if (this.discarding) {
      // After an extended-protocol error the upstream ignores every message (Query included) until Sync.
      if (e.k !== 'sync' || e.from !== 'S') return;
      this.discarding = false;
    }
    this.expects.push(e);
  }

  private head(): Expect | undefined {
    return this.expects[this.expectHead];
  }

  private pop(): void {
    this.expectHead++;
    if (this.expectHead > 1024 && this.expectHead * 2 > this.expects.length) {
      this.expects.splice(0, this.expectHead);
      this.expectHead = 0;
    }
  }

  // ── backend relay ─────────────────────────────────────────────────────────
  private drainBackend(): void {
    const f = this.framer;
    if (!f || this.stalled || this.phase !== 'ready') return;
    // One write per upstream read: a run of unchanged messages is a view of the chunk they came in;
    // once a message is rewritten, the rest is gathered in one buffer (rewritten rows written in place).
    const out = idleRelayOutput ?? new RelayOutput(); // a new one only if a drain ran inside another
    idleRelayOutput = undefined;
    out.sizeHint = f.buffered + (f.buffered >> 2) + 1024;
    const emit = () => {
      const b = out.take();
      if (b) {
        this.writeAgent(b);
        // The socket took every byte at once: the gathered buffer may serve the next read.
        if (this.agent.writableLength === 0) out.recycle();
      }
      idleRelayOutput = out;
    };
    try {
      if (this.replay) {
        const r = this.replay;
        this.replay = undefined;
        const res = this.onBackendMessage(r[0]!, r, 0, r.length, out);
        if (res === STALL) this.replay = r;
        else if (res === PASS) out.pass(r, 0, r.length);
        else if (res !== DROP && res !== WRITTEN) out.pass(res, 0, res.length);
      }
      while (!this.stalled && f.next()) {
        const res = this.onBackendMessage(f.type, f.buf, f.start, f.end, out);
        if (res === PASS) out.pass(f.buf, f.start, f.end);
        else if (res === STALL) {
          this.replay = f.buf.subarray(f.start, f.end);
          break;
        } else if (res !== DROP && res !== WRITTEN) out.pass(res, 0, res.length);
      }
    } catch (e) {
      emit();
      this.onBackendError(e as Error);
      return;
    }
    emit();
    this.wakeSettled();
  }

  private onBackendError(e: Error): void {
    if (e instanceof SessionRefusal) {
      this.session?.record('error', { message: e.message, code: e.code });
      this.fatal(e.code, `portcullis: ${e.message}`);
      return;
    }
    const msg = e instanceof BackendFrameError ? e.message : `malformed upstream message: ${e.message}`;
    this.ctx.gateway.log.error('postgres: upstream stream failed', { session: this.session?.id, error: msg });
    this.session?.record('error', { message: msg, code: '08P01' });
    this.fatal(e instanceof BackendFrameError && e.limit ? '54000' : '08P01', `portcullis: ${msg}`);
  }

  /**
   * Returns PASS (forward unchanged), DROP, STALL (process again later), WRITTEN (the rewritten
   * message is already in `out`), or the bytes to send instead.
   */
  private onBackendMessage(
    type: number,
    buf: Buffer,
    start: number,
    end: number,
    out: RelayOutput,
  ): Buffer | typeof PASS | typeof DROP | typeof STALL | typeof WRITTEN {
    switch (type) {
      case 0x44 /* D DataRow */:
        {
          let r = this.result;
          if (!r) {
            const h = this.head();
            const cols = h?.k === 'execute' ? this.portalColumns.get(h.portal) : undefined;
            if (!cols) return PASS;
            r = this.startResult(cols, h?.k === 'execute' ? h.ruled : undefined);
          }
          let plan = r.plan;
          if (!plan) {
            if (!this.namesReady(r.cols)) return STALL;
            plan = this.planResult(r);
          }
          r.rows++;
          const at =
            r.inspect && this.masker
              ? maskDataRowInto(buf, start, end, plan, this.masker, this.encoding, out)
              : -1;
          if (!r.previewFull) this.addPreview(r, plan, at < 0 ? buf : out.buf, at < 0 ? start : at);
          return at < 0 ? PASS : WRITTEN;
        }
      case 0x54 /* T RowDescription */:
        {
          const cols = decodeRowDescription(buf, start, end);
          const h = this.head();
          if (h?.k === 'describe-portal') {
            this.portalColumns.set(h.portal, cols);
            this.pop();
            this.namesReady(cols);
            return h.swallow ? DROP : PASS;
          }
          if (h?.k === 'describe-stmt') {
            this.pop();
            return PASS;
          }
          this.startResult(cols, h?.k === 'sync' ? h.ruled : undefined);
          this.namesReady(cols);
          return PASS;
        }
      case 0x6e /* n NoData */:
        {
          const h = this.head();
          if (h?.k === 'describe-portal') {
            this.portalColumns.set(h.portal, []);
            this.pop();
            return h.swallow ? DROP : PASS;
          }
          if (h?.k === 'describe-stmt') this.pop();
          return PASS;
        }
      case 0x31 /* 1 ParseComplete */:
      case 0x32 /* 2 BindComplete */:
      case 0x33 /* 3 CloseComplete */:
        this.pop();
        return PASS;
      case 0x43 /* C CommandComplete */:
        {
          this.endResult(decodeCommandTag(buf, start, end));
          if (this.head()?.k === 'execute') this.pop();
          return PASS;
        }
      case 0x73 /* s PortalSuspended */:
        this.endResult('portal suspended');
        this.pop();
        return PASS;
      case 0x49 /* I EmptyQueryResponse */:
        if (this.head()?.k === 'execute') this.pop();
        return PASS;
      case 0x45 /* E ErrorResponse */:
        return this.onUpstreamError(buf, start, end);
      case 0x5a /* Z ReadyForQuery */:
        {
          const status = decodeReadyStatus(buf, start, end);
          this.endResult(undefined);
          this.copyOut = undefined;
          for (let h = this.head(); h; h = this.head()) {
            this.pop();
            if (h.k === 'sync') {
              for (const [t, p] of this.poisons) if (p.seq <= h.poisonSeq) this.poisons.delete(t);
              break;
            }
          }
          this.discarding = false;
          if (status === 'I') {
            // Portals end with the transaction.
            this.deniedPortals.clear();
            this.describedPortals.clear();
            this.portalColumns.clear();
          }
          return PASS;
        }
      case 0x48 /* H CopyOutResponse */:
        {
          const binary = decodeCopyFormat(buf, start, end) === 1;
          const masker = this.masker;
          this.copyOut = {
            binary: binary && masker ? new BinaryCopyMasker(masker, this.encoding) : undefined,
            rows: 0,
            preview: [],
            maskedBefore: { ...(masker?.counts ?? {}) },
          };
          return PASS;
        }
      case 0x64 /* d CopyData */:
        return this.onCopyData(buf, start, end, out);
      case 0x63 /* c CopyDone */:
        {
          const c = this.copyOut;
          if (c) {
            this.session?.record('result', {
              tag: 'COPY TO STDOUT',
              rows: c.rows,
              masked: this.maskedSince(c.maskedBefore),
              sample: c.preview,
            });
            this.copyOut = undefined;
          }
          return PASS;
        }
      case 0x4e /* N NoticeResponse */:
        {
          const masker = this.masker;
          if (!masker) return PASS;
          return maskFields('N', decodeFields(buf, start, end), masker).message ?? PASS;
        }
      case 0x41 /* A NotificationResponse */:
        {
          const masker = this.masker;
          if (!masker) return PASS;
          const n = decodeNotification(buf, start, end);
          const payload = masker.value(n.payload);
          return payload === n.payload ? PASS : notificationResponse(n.pid, n.channel, payload);
        }
      case 0x53 /* S ParameterStatus */:
        {
          const p = decodeParameterStatus(buf, start, end);
          if (p.name === 'client_encoding') {
            // A function, a policy that allows admin, or a review let it change. Text after this is
            // judged as UTF-8 but read in the new encoding: an unsafe one ends the session here.
            if (unsafeClientEncoding(p.value))
              throw new SessionRefusal(
                `client_encoding ${p.value} is not supported (use UTF8); the session is closed`,
                '0A000',
              );
            this.encoding = encodingOf(p.value);
            this.encodingName = p.value;
          }
          return PASS;
        }
      case 0x4b /* K */:
      case 0x52 /* R */:
        // Authentication and keys belong to the gateway's login; never relayed after it.
        return DROP;
      default:
        return PASS;
    }
  }

  private onUpstreamError(buf: Buffer, start: number, end: number): Buffer | typeof PASS {
    const fields = decodeFields(buf, start, end);
    let out: Buffer | typeof PASS = PASS;
    const message = fieldValue(fields, 'M') ?? '';
    const at = message.indexOf(`portcullis_denied_${this.nonce}_`);
    let recorded: { message: string; code: string };
    if (at >= 0) {
      const token = /portcullis_denied_[0-9a-f]+_\d+/.exec(message.slice(at))?.[0] ?? '';
      const p = this.poisons.get(token);
      this.poisons.delete(token);
      const text = p ? denialMessage(p.decision) : 'portcullis: denied';
      out = errorResponse({ severity: 'ERROR', code: '42501', message: text });
      recorded = { message: text, code: '42501' };
    } else {
      const masked = this.masker ? maskFields('E', fields, this.masker) : { message: undefined, fields };
      if (masked.message) out = masked.message;
      recorded = {
        message: fieldValue(masked.fields, 'M') ?? '',
        code: fieldValue(fields, 'C') ?? '',
        ...(fieldValue(masked.fields, 'D') ? { detail: fieldValue(masked.fields, 'D') } : {}),
      };
    }
    this.endResult(undefined, recorded);
    this.copyOut = undefined;
    // An error in an extended-protocol message makes the upstream skip to Sync: drop what it will never answer.
    let h = this.head();
    if (h && h.k !== 'sync') {
      while (h && !(h.k === 'sync' && h.from === 'S')) {
        this.pop();
        h = this.head();
      }
      if (!h) this.discarding = true;
    }
    return out;
  }

  private onCopyData(
    buf: Buffer,
    start: number,
    end: number,
    out: RelayOutput,
  ): Buffer | typeof PASS | typeof WRITTEN {
    const c = this.copyOut;
    const masker = this.masker;
    if (!c || !masker) return PASS;
    c.rows++;
    if (c.binary) {
      const masked = c.binary.mask(buf.subarray(start + 5, end));
      return masked ? copyData(masked) : PASS;
    }
    // A text row: masked as value() masks the whole line, field by field (core's maskFieldsBytes).
    const at = maskCopyTextInto(buf, start, end, masker, this.encoding, out);
    if (c.preview.length < this.limits.recordRows) {
      const b = at < 0 ? buf : out.buf;
      const from = (at < 0 ? start : at) + 5;
      const to = at < 0 ? end : out.len;
      c.preview.push(b.toString(this.encoding, from, Math.min(to, from + 4096 * 4)).slice(0, 4096));
    }
    return at < 0 ? PASS : WRITTEN;
  }

  // ── results ───────────────────────────────────────────────────────────────
  private startResult(cols: ColumnDescription[], ruled?: MaskColumn): ResultState {
    const r: ResultState = {
      cols,
      ruled,
      columns: cols.map((c) => c.name),
      inspect: false,
      rows: 0,
      preview: [],
      previewBytes: 0,
      previewFull: this.limits.recordRows <= 0,
      maskedBefore: { ...(this.masker?.counts ?? {}) },
    };
    this.result = r;
    return r;
  }

  private catalog(): CatalogLookup {
    return this.ctx.catalog(this.ctx.connection.upstream.database ?? this.startup.get('database'));
  }

  private planResult(r: ResultState): ColumnPlan[] {
    const catalog = this.catalog();
    const plan = planColumns(r.cols, (o) => catalog.cached(o), this.masker, this.maskContexts);
    if (r.ruled && this.masker) ruleComputedColumns(plan, r.cols, r.ruled, this.masker, this.maskContexts);
    r.plan = plan;
    r.inspect = plan.some((p) => p.mode !== 0);
    return plan;
  }

  /** True when every table of these columns has known names; else stalls the relay to look them up. */
  private namesReady(cols: ColumnDescription[]): boolean {
    const catalog = this.catalog();
    let missing: number[] | undefined;
    for (const c of cols)
      if (c.tableOid !== 0 && catalog.cached(c.tableOid) === undefined) (missing ??= []).push(c.tableOid);
    if (!missing) return true;
    if (this.stalled) return false;
    this.stalled = true;
    this.upstream?.socket.pause();
    catalog.resolve([...new Set(missing)]).then(
      () => {
        this.stalled = false;
        if (!this.upstreamPausedForAgent) this.upstream?.socket.resume();
        this.drainBackend();
      },
      (e: Error) => {
        // Without table names, column rules cannot apply: fail closed.
        this.stalled = false;
        this.onBackendError(new Error(`cannot resolve result columns for masking: ${e.message}`));
      },
    );
    return false;
  }

  private addPreview(r: ResultState, plan: ColumnPlan[], buf: Buffer, start: number): void {
    if (r.preview.length >= this.limits.recordRows || r.previewBytes >= this.limits.recordResultBytes) {
      r.previewFull = true;
      return;
    }
    const row = previewRow(buf, start, plan, this.encoding);
    for (const v of row) r.previewBytes += v === null ? 4 : v.length;
    r.preview.push(row);
  }

  private endResult(tag: string | undefined, error?: { message: string; code: string }): void {
    const r = this.result;
    this.result = undefined;
    if (!this.session) return;
    // Frame shape: core's record/FRAMES.md (postgres result: tag, rows, columns, sample).
    if (!r) {
      if (tag !== undefined) this.session.record('result', { tag, rows: rowCountOf(tag) });
      else if (error) this.session.record('result', { error });
      return;
    }
    this.session.record('result', {
      tag,
      columns: r.columns,
      rows: r.rows,
      masked: this.maskedSince(r.maskedBefore),
      sample: r.preview,
      ...(r.previewFull ? { sample_truncated: true } : {}),
      ...(error ? { error } : {}),
    });
  }

  private maskedSince(before: Record<string, number>): Record<string, number> {
    const out: Record<string, number> = {};
    const now = this.masker?.counts ?? {};
    for (const [k, v] of Object.entries(now)) {
      const d = v - (before[k] ?? 0);
      if (d > 0) out[k] = d;
    }
    return out;
  }
}

const PASS = Symbol('pass');
const DROP = Symbol('drop');
const STALL = Symbol('stall');
const WRITTEN = Symbol('written');
/** The relay's output gatherer, shared by every session (a drain runs to its end before another starts). */
let idleRelayOutput: RelayOutput | undefined = new RelayOutput();

function encodingOf(clientEncoding: string | undefined): TextEncoding {
  const e = (clientEncoding ?? 'UTF8').toUpperCase().replace(/[-_]/g, '');
  // Other encodings are read byte for byte (latin1 round-trips every byte), so nothing is corrupted.
  return e === 'UTF8' || e === 'UNICODE' ? 'utf8' : 'latin1';
}

function rowCountOf(tag: string): number | undefined {
  const n = Number(tag.split(' ').at(-1));
  return Number.isFinite(n) ? n : undefined;
}
