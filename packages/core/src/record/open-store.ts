// openStore: picks the backend from the URL and wires recorders → writer → backend, with the health and
// on_failure bookkeeping the gateway relies on.
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StoreConfig } from '../config/types.js';
import { PortcullisError } from '../errors.js';
import { isRedisUrl } from '../redis/client.js';
import type { Frame, SessionMeta } from '../types.js';
import { type VerifyResult, verifyChain } from './chain.js';
import { FileBackend } from './file-store.js';
import { Recorder } from './recorder.js';
import { RedisBackend } from './redis-store.js';
import type { Backend, RecordStore, SessionFilter, SessionRecorder, WriteOp } from './store.js';
import { SESSION_ID } from './store.js';
import { Writer } from './writer.js';

export interface OpenStoreOptions {
  spoolDir?: string;
  log?: (msg: string) => void;
  /** For readers (the CLI): no retention sweeps. */
  readOnly?: boolean;
  /** Batch cadence, default 5 ms. */
  flushMs?: number;
  /** Operations per batch, default 1000 (bounds the time one batch holds the event loop). */
  batchOps?: number;
  /** Bytes per batch, default 4 MiB. */
  batchBytes?: number;
  /** Memory kept for unstored frames before spooling to disk, default 64 MiB. */
  memoryBytes?: number;
  /** Redis: connections writing in parallel, each session always on the same one (default 2). */
  writers?: number;
}

const STORE_DEFAULTS = {
  keyPrefix: 'portcullis',
  retentionMs: 30 * 24 * 3_600_000,
  onFailure: 'close' as const,
  maxFramesPerSession: 1_000_000,
  failureTimeoutMs: 5000,
};

/** A StoreConfig from a URL alone (`--store redis://… --prefix X`, `--store file:DIR`). */
export function storeConfigFromUrl(url: string, overrides: Partial<StoreConfig> = {}): StoreConfig {
  return { ...STORE_DEFAULTS, ...overrides, url };
}

/** `file:DIR`, `file:./rel`, `file:///abs` → a directory path (relative to the working directory). */
export function fileStoreDir(url: string): string {
  if (url.startsWith('file://')) return fileURLToPath(url);
  return resolve(url.slice('file:'.length));
}

export async function openStore(cfg: StoreConfig, opts: OpenStoreOptions = {}): Promise<RecordStore> {
  const log = opts.log ?? ((msg: string) => process.stderr.write(`${msg}\n`));
  const backends: Backend[] = [];
  if (isRedisUrl(cfg.url)) {
    // Two connections, each with one batch in flight: the client builds one batch while Redis runs the other.
    const n = Math.max(1, opts.writers ?? (opts.readOnly ? 1 : 2));
    for (let i = 0; i < n; i++) {
      backends.push(
        new RedisBackend({
          url: cfg.url,
          keyPrefix: cfg.keyPrefix,
          retentionMs: cfg.retentionMs,
          maxFrames: cfg.maxFramesPerSession,
          log,
        }),
      );
    }
    await Promise.all(backends.map((b) => (b as RedisBackend).connect()));
  } else if (cfg.url.startsWith('file:')) {
    const f = new FileBackend({
      dir: fileStoreDir(cfg.url),
      retentionMs: cfg.retentionMs,
      maxFrames: cfg.maxFramesPerSession,
      log,
    });
    if (!opts.readOnly) await f.init();
    backends.push(f);
  } else {
    throw new PortcullisError(
      'config',
      `store.url ${JSON.stringify(cfg.url)}: expected redis://, rediss://, redis-cluster://, rediss-cluster:// or file:DIR`,
      'store.url',
    );
  }
  const store = new Store(cfg, backends, { ...opts, log });
  if (!opts.readOnly) await store.start();
  return store;
}

class Store implements RecordStore {
  private readonly writers: Writer[];
  /** Reads, sweeps and follows go through the first backend. */
  private readonly backend: Backend;
  private readonly recorders = new Map<string, Recorder>();
  /** Sessions the store refused (logged once). */
  private readonly refused = new Set<string>();
  private checkTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly log: (msg: string) => void;

  constructor(
    private readonly cfg: StoreConfig,
    private readonly backends: Backend[],
    opts: OpenStoreOptions & { log: (msg: string) => void },
  ) {
    this.log = opts.log;
    this.backend = backends[0];
    // A dead gateway's spool is replayed only into the store it was meant for.
    const spoolTag = createHash('sha256').update(`${cfg.url}\n${cfg.keyPrefix}`).digest('hex').slice(0, 12);
    this.writers = backends.map(
      (b) =>
        new Writer(b, {
          flushMs: opts.flushMs ?? 5,
          batchOps: opts.batchOps ?? 1000,
          batchBytes: opts.batchBytes ?? 4 << 20,
          memoryBytes: Math.floor((opts.memoryBytes ?? 64 << 20) / backends.length),
          spoolDir: opts.spoolDir ?? cfg.spoolDir ?? join(tmpdir(), 'portcullis-spool'),
          spoolTag,
          log: opts.log,
          onStored: (ops, rejected) => this.onStored(ops, rejected),
        }),
    );
  }

  /** A session's operations always go through the same writer, which keeps them in order. */
  private writerFor(id: string): Writer {
    if (this.writers.length === 1) return this.writers[0];
    let h = 2166136261;
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
    return this.writers[(h >>> 0) % this.writers.length];
  }

  /** Writers only: replay spools left by dead processes, then keep retention in check. */
  async start(): Promise<void> {
    await this.writers[0]
      .adoptLeftovers()
      .catch((err: Error) => this.log(`recording: spool recovery failed: ${err.message}`));
    await this.backend
      .sweep()
      .catch((err: Error) => this.log(`recording: retention sweep failed: ${err.message}`));
    this.sweepTimer = setInterval(
      () => {
        this.backend
          .sweep()
          .catch((err: Error) => this.log(`recording: retention sweep failed: ${err.message}`));
      },
      Math.max(1000, Math.min(600_000, this.cfg.retentionMs / 4)),
    );
    this.sweepTimer.unref();
  }

  private onStored(ops: WriteOp[], rejected?: Map<string, string>): void {
    for (const op of ops) this.recorders.get(op.id)?.onStored(op);
    if (!rejected) return;
    for (const [id, why] of rejected) {
      const rec = this.recorders.get(id);
      if (rec?.isFailed || this.refused.has(id)) continue;
      if (rec) this.refused.add(id);
      this.log(`recording: store ${this.backend.describe} refused session ${id}: ${why}`);
      if (this.cfg.onFailure === 'close') rec?.fail(`recording store refused this session's frames: ${why}`);
    }
  }

  startSession(meta: SessionMeta): SessionRecorder {
    if (this.closed) throw new PortcullisError('store', 'the recording store is closed');
    if (!SESSION_ID.test(meta.id))
      throw new PortcullisError('store', `invalid session id ${JSON.stringify(meta.id)}`);
    if (this.recorders.has(meta.id)) {
      throw new PortcullisError('store', `session ${meta.id} is already being recorded`);
    }
    const writer = this.writerFor(meta.id);
    const rec = new Recorder(
      {
        push: (op) => writer.push(op),
        maxFrames: this.cfg.maxFramesPerSession,
        failureTimeoutMs: this.cfg.failureTimeoutMs,
        log: this.log,
        forget: (r) => {
          if (this.recorders.get(r.id) === r) this.recorders.delete(r.id);
          this.refused.delete(r.id);
        },
      },
      meta,
    );
    this.recorders.set(meta.id, rec);
    if (!this.checkTimer && this.cfg.onFailure === 'close') {
      this.checkTimer = setInterval(
        () => this.checkFailures(),
        Math.min(250, Math.max(10, this.cfg.failureTimeoutMs / 4)),
      );
      this.checkTimer.unref();
    }
    return rec;
  }

  // on_failure: close — a session is told to close when the store has taken nothing (failed or hung
  // writes) for failureTimeoutMs while that session had frames waiting. A store that is merely slow
  // keeps working through its spool.
  // The check runs from a timer, and timers run before the I/O callbacks that piled up while the event loop
  // was busy: a suspect is judged again from setImmediate, after those callbacks had their turn.
  private checkFailures(confirm = false): void {
    const now = Date.now();
    const timeout = this.cfg.failureTimeoutMs;
    for (const rec of this.recorders.values()) {
      if (rec.isFailed || rec.pendingSince === undefined) continue;
      const writer = this.writerFor(rec.id);
      const stalled = writer.stalledSince();
      if (stalled === undefined || now - Math.max(stalled, rec.pendingSince) < timeout) continue;
      if (!confirm) {
        setImmediate(() => this.checkFailures(true));
        return;
      }
      const why = writer.lastError && writer.failingSince !== undefined ? `: ${writer.lastError}` : '';
      rec.fail(
        `recording store ${this.backend.describe} could not store frames for ${Math.round(timeout / 1000)}s${why}`,
      );
    }
  }

  healthy(): boolean {
    return (
      !this.closed &&
      this.backends.every((b) => b.available()) &&
      this.writers.every((w) => {
        const stalled = w.stalledSince();
        return (
          w.failingSince === undefined &&
          (stalled === undefined || Date.now() - stalled < this.cfg.failureTimeoutMs)
        );
      })
    );
  }

  backlog(): number {
    return this.writers.reduce((n, w) => n + w.backlog, 0);
  }

  flush(timeoutMs = this.cfg.failureTimeoutMs): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    return Promise.all(this.writers.map((w) => w.drain(deadline))).then((all) => all.every(Boolean));
  }

  listSessions(filter: SessionFilter = {}): Promise<SessionMeta[]> {
    return this.backend.listSessions(filter);
  }

  async getSession(id: string): Promise<SessionMeta | undefined> {
    checkId(id);
    return this.backend.getSession(id);
  }

  async readFrames(id: string, opts: { fromSeq?: number; count?: number } = {}): Promise<Frame[]> {
    checkId(id);
    const entries = await this.backend.readEntries(
      id,
      opts.fromSeq ?? 1,
      opts.count ?? Number.MAX_SAFE_INTEGER,
    );
    return entries.filter((e): e is Frame => !('invalid' in e));
  }

  async *follow(id: string, opts: { fromSeq?: number; signal?: AbortSignal } = {}): AsyncIterable<Frame> {
    checkId(id);
    yield* this.backend.follow(id, opts.fromSeq ?? 1, opts.signal);
  }

  async verify(id: string): Promise<VerifyResult> {
    checkId(id);
    const meta = await this.backend.getSession(id);
    if (!meta) throw new PortcullisError('store', `session ${id} not found`);
    const entries = await this.backend.readEntries(id, 1, Number.MAX_SAFE_INTEGER);
    return verifyChain(meta, entries);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.checkTimer) clearInterval(this.checkTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const deadline = Date.now() + this.cfg.failureTimeoutMs;
    await Promise.all(this.writers.map((w) => w.close(deadline)));
    await Promise.all(this.backends.map((b) => b.close()));
  }
}

function checkId(id: string): void {
  if (!SESSION_ID.test(id)) throw new PortcullisError('store', `invalid session id ${JSON.stringify(id)}`);
}
