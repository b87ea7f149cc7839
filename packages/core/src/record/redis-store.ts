// The Redis backend: meta hash `<prefix>:{<id>}:meta`, frames stream `<prefix>:{<id>}:frames`, index zset
// `<prefix>:sessions`. Stream entry ids are `0-<seq>`, which makes a re-sent XADD a no-op (Redis refuses
// an id at or below the top; the append script skips those), so a batch cut by a disconnect can be sent again whole.
import { type Redis, ReplyError } from 'ioredis';
import { StoreUnavailableError } from '../errors.js';
import { describeRedisUrl, isClusterClient, type RedisClient, redisClient } from '../redis/client.js';
import type { Frame, SessionMeta } from '../types.js';
import type { StoredEntry } from './chain.js';
import { decodeMeta, encodeMeta, parseStoredFrame } from './meta-fields.js';
import type { Backend, SessionFilter, WriteOp, WriteResult } from './store.js';

export interface RedisBackendOptions {
  url: string;
  keyPrefix: string;
  retentionMs: number;
  maxFrames: number;
  log: (msg: string) => void;
  connectTimeoutMs?: number;
}

type Pipeline = ReturnType<Redis['pipeline']>;

/**
 * The commands of one write, as pipelines: one on a single server; one per hash slot group on a cluster
 * (a session's meta and frames share the `{id}` tag; the index is its own key). Each command remembers
 * the session it belongs to, so an error lands on that session alone.
 */
class Batch {
  private readonly pipes = new Map<string, { p: Pipeline; owners: string[] }>();
  constructor(
    private readonly client: RedisClient,
    private readonly split: boolean,
  ) {}

  /** The pipeline for one command on `slot`'s keys, on behalf of session `owner`. */
  on(slot: string, owner: string): Pipeline {
    const k = this.split ? slot : '';
    let e = this.pipes.get(k);
    if (!e) {
      e = { p: this.client.pipeline() as Pipeline, owners: [] };
      this.pipes.set(k, e);
    }
    e.owners.push(owner);
    return e.p;
  }

  async exec(): Promise<{ err: Error | null; owner: string }[]> {
    const done = await Promise.all(
      [...this.pipes.values()].map(async ({ p, owners }) => {
        const res = await p.exec();
        if (!res) throw new Error('pipeline aborted');
        return res.map(([err], i) => ({ err, owner: owners[i] ?? '' }));
      }),
    );
    return done.flat();
  }
}
const INDEX_SLOT = '\0index';
type AppendCommand = { recAppend(...args: (string | number | Buffer)[]): unknown };

/**
 * One call per session per batch: KEYS = frames stream, meta hash; ARGV = maxlen, ttl ms ("" = none), and
 * the batch's frames packed into one byte string (see `packFrames`): per frame `seq NUL t NUL kind NUL enc NUL
 * hash NUL <byte length of data> NUL data`. One argument instead of six per frame keeps the client's
 * per-argument encoding (and its garbage) off the data path. A Buffer rather than a string: the client
 * flattens and re-encodes a string argument into large strings that land in V8's old space until a full GC
 * (about half of what outlived the young generation under pgbench -c 8), while it copies a Buffer as is.
 * An id at or below the stream's top is a frame already stored by an earlier try of this batch: skipped.
 * Both keys share the {id} hash tag (cluster-safe).
 */
const APPEND_LUA = `
local b = ARGV[3]
local pos, n, blen = 1, 0, #b
while pos <= blen do
  local seq, t, kind, enc, hash, len, at = string.match(b,
    '^([^%z]+)%z([^%z]+)%z([^%z]+)%z([^%z]+)%z([^%z]+)%z(%d+)%z()', pos)
  if not at then return redis.error_reply('ERR portcullis: malformed frame batch at byte ' .. pos) end
  local stop = at + tonumber(len)
  local r = redis.pcall('XADD', KEYS[1], '0-' .. seq,
    'seq', seq, 't', t, 'kind', kind, 'enc', enc, 'data', string.sub(b, at, stop - 1), 'hash', hash)
  if type(r) == 'table' and r.err then
    if not string.find(r.err, 'equal or smaller', 1, true) then return redis.error_reply(r.err) end
  else
    n = n + 1
  end
  pos = stop
end
-- The per-session cap, once per batch rather than per entry (a stream may pass it by one batch).
if n > 0 then redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[1]) end
if ARGV[2] ~= '' then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return n
`;

/** One frame's header in the append script's packed form (the data's length is in bytes: Lua counts bytes). */
function frameHeader(f: Frame, dataBytes: number): string {
  return `${f.seq}\0${f.t}\0${f.kind}\0${f.enc ?? 'json'}\0${f.hash}\0${dataBytes}\0`;
}

/** Frames in the append script's packed form, as one Buffer (each data string is encoded once, in place). */
export function packFrames(frames: readonly Frame[]): Buffer {
  const lengths = new Array<number>(frames.length);
  let total = 0;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    // Frame data is flat (JSON.stringify or base64 output), so measuring it is a scan, not a copy.
    const n = Buffer.byteLength(f.data, 'utf8');
    lengths[i] = n;
    // seq, t and the byte length are ≤ 16 digits each; kind ≤ 8, enc 4, hash 64, six separators.
    total += n + 140;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    at += out.write(frameHeader(f, lengths[i]), at, 'latin1');
    at += out.write(f.data, at, 'utf8');
  }
  return out.subarray(0, at);
}

const READ_CHUNK = 5000;
const TRANSIENT =
  /^(OOM|LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS|MOVED|ASK|NOSCRIPT|EXECABORT)\b/;

export class RedisBackend implements Backend {
  readonly describe: string;
  private readonly redis: RedisClient;
  private readonly cluster: boolean;
  private readonly followers = new Set<RedisClient>();
  /** Meta of sessions still running, re-sent whole after a reconnect in case the server lost it. */
  private readonly live = new Map<string, Record<string, string>>();
  private readonly needsMeta = new Set<string>();
  private readonly expiredAt = new Map<string, number>();
  private readonly refreshMs: number;
  private wasReady = false;
  private lastErrorLog = 0;

  constructor(private readonly o: RedisBackendOptions) {
    this.describe = describeRedisUrl(o.url);
    this.refreshMs = Math.max(1000, Math.min(3_600_000, o.retentionMs / 10));
    this.redis = redisClient(o.url, this.clientOptions());
    this.cluster = isClusterClient(this.redis);
    this.redis.defineCommand('recAppend', { numberOfKeys: 2, lua: APPEND_LUA });
    this.redis.on('error', (err: Error) => this.logError(err));
    this.redis.on('ready', () => {
      if (this.wasReady) for (const id of this.live.keys()) this.needsMeta.add(id);
      this.wasReady = true;
    });
  }

  private clientOptions() {
    return {
      protocol: 2 as const,
      lazyConnect: true,
      // Fail fast while disconnected: the writer keeps its own bounded queue and spool.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(50 * times, 500),
      connectTimeout: this.o.connectTimeoutMs ?? 3000,
      commandTimeout: 10_000,
    };
  }

  private logError(err: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 5000) return;
    this.lastErrorLog = now;
    this.o.log(`recording: redis ${this.describe}: ${err.message}`);
  }

  /** Connects, waiting up to the connect timeout; never throws (health reports the state). */
  async connect(): Promise<void> {
    await this.redis.connect().catch((err: Error) => this.logError(err));
  }

  available(): boolean {
    return this.redis.status === 'ready';
  }

  private async ready(): Promise<void> {
    const deadline = Date.now() + (this.o.connectTimeoutMs ?? 3000);
    while (!this.available()) {
      if (Date.now() >= deadline) throw new StoreUnavailableError(`redis ${this.describe} is not reachable`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  metaKey(id: string): string {
    return `${this.o.keyPrefix}:{${id}}:meta`;
  }
  framesKey(id: string): string {
    return `${this.o.keyPrefix}:{${id}}:frames`;
  }
  get indexKey(): string {
    return `${this.o.keyPrefix}:sessions`;
  }

  async write(ops: WriteOp[]): Promise<WriteResult> {
    if (this.redis.status !== 'ready') throw new Error(`not connected (${this.redis.status})`);
    const b = new Batch(this.redis, this.cluster);
    const frames = new Map<string, Frame[]>();
    const ends: Extract<WriteOp, { op: 'meta' }>[] = [];
    const ttl = this.o.retentionMs;
    for (const op of ops) {
      const id = op.id;
      if (op.op === 'frame') {
        const list = frames.get(id);
        if (list) list.push(op.frame);
        else frames.set(id, [op.frame]);
      } else if (op.phase === 'end') {
        ends.push(op);
      } else {
        b.on(id, id).hset(this.metaKey(id), encodeMeta(op.fields));
        if (op.phase === 'start') {
          b.on(INDEX_SLOT, id).zadd(this.indexKey, Number(op.fields.started_at ?? Date.now()), id);
          b.on(id, id).pexpire(this.metaKey(id), ttl);
        }
      }
    }
    const now = Date.now();
    const endIds = new Set(ends.map((e) => e.id));
    for (const [id, list] of frames) {
      if (this.needsMeta.has(id)) this.sendFullMeta(b, id);
      // Refreshed now and then while a session runs, and once more at its end.
      const refresh = endIds.has(id) || now - (this.expiredAt.get(id) ?? 0) >= this.refreshMs;
      if (refresh) this.expiredAt.set(id, now);
      (b.on(id, id) as unknown as AppendCommand).recAppend(
        this.framesKey(id),
        this.metaKey(id),
        this.o.maxFrames,
        refresh ? ttl : '',
        packFrames(list),
      );
    }
    // End marks go after the frames, so a reader that sees "closed" finds every frame already there.
    for (const op of ends) {
      b.on(op.id, op.id).hset(this.metaKey(op.id), encodeMeta(op.fields));
      if (!frames.has(op.id)) {
        b.on(op.id, op.id).pexpire(this.framesKey(op.id), ttl);
        b.on(op.id, op.id).pexpire(this.metaKey(op.id), ttl);
      }
    }
    const rejected = new Map<string, string>();
    for (const { err, owner } of await b.exec()) {
      if (!err) continue;
      // Connection trouble and a busy or read-only server pass: the batch is sent again.
      if (!(err instanceof ReplyError) || TRANSIENT.test(err.message)) throw err;
      // The server refuses this session's keys (e.g. WRONGTYPE): retrying cannot help, and must not
      // hold up every other session.
      rejected.set(owner, err.message);
    }
    // Book-keeping only once the batch is in.
    for (const op of ops) {
      if (op.op !== 'meta') continue;
      if (op.phase === 'start') this.live.set(op.id, encodeMeta(op.fields));
      else if (op.phase === 'end') {
        this.live.delete(op.id);
        this.needsMeta.delete(op.id);
        this.expiredAt.delete(op.id);
      } else {
        const m = this.live.get(op.id);
        if (m) Object.assign(m, encodeMeta(op.fields));
      }
    }
    for (const id of frames.keys()) this.needsMeta.delete(id);
    return { rejected };
  }

  private sendFullMeta(b: Batch, id: string): void {
    const m = this.live.get(id);
    if (!m) return;
    b.on(id, id).hset(this.metaKey(id), m);
    b.on(INDEX_SLOT, id).zadd(this.indexKey, Number(m.started_at ?? Date.now()), id);
    b.on(id, id).pexpire(this.metaKey(id), this.o.retentionMs);
  }

  async getSession(id: string): Promise<SessionMeta | undefined> {
    await this.ready();
    const h = await this.redis.hgetall(this.metaKey(id));
    return decodeMeta(h);
  }

  async listSessions(filter: SessionFilter): Promise<SessionMeta[]> {
    await this.ready();
    const limit = filter.limit ?? 1000;
    let skip = filter.offset ?? 0;
    const out: SessionMeta[] = [];
    const page = 500;
    let from = 0;
    const min = filter.since !== undefined ? String(filter.since) : '-inf';
    for (;;) {
      const ids = await this.redis.zrevrangebyscore(this.indexKey, '+inf', min, 'LIMIT', from, page);
      if (ids.length === 0) break;
      from += ids.length;
      const res = await this.hgetallMany(ids.map((id) => this.metaKey(id)));
      const gone: string[] = [];
      for (let i = 0; i < ids.length; i++) {
        const [err, h] = res[i] ?? [];
        if (err) throw err;
        const meta = decodeMeta((h ?? {}) as Record<string, string>);
        if (!meta) {
          gone.push(ids[i]);
          continue;
        }
        if (!matches(meta, filter)) continue;
        if (skip > 0) {
          skip--;
          continue;
        }
        out.push(meta);
        if (out.length >= limit) return out;
      }
      // Index entries whose session expired: tidy them as we pass.
      if (gone.length > 0) await this.redis.zrem(this.indexKey, ...gone).catch(() => undefined);
      if (ids.length < page) break;
    }
    return out;
  }

  /** [error, hash] per key: one pipeline on a single server, one command per key on a cluster (keys span slots). */
  private async hgetallMany(keys: string[]): Promise<[Error | null, unknown][]> {
    if (this.cluster)
      return Promise.all(
        keys.map((k) =>
          this.redis.hgetall(k).then(
            (h): [Error | null, unknown] => [null, h],
            (e: Error): [Error | null, unknown] => [e, null],
          ),
        ),
      );
    const p = this.redis.pipeline();
    for (const k of keys) p.hgetall(k);
    return ((await p.exec()) ?? []) as [Error | null, unknown][];
  }

  async readEntries(id: string, fromSeq: number, count: number): Promise<StoredEntry[]> {
    await this.ready();
    const out: StoredEntry[] = [];
    let start = fromSeq <= 1 ? '-' : `0-${fromSeq}`;
    while (out.length < count) {
      const n = Math.min(READ_CHUNK, count - out.length);
      const raw = await this.redis.xrange(this.framesKey(id), start, '+', 'COUNT', n);
      for (const [, fields] of raw) out.push(parseStoredFrame(pairs(fields)));
      if (raw.length < n) break;
      start = `(${raw[raw.length - 1][0]}`;
    }
    return out;
  }

  async *follow(id: string, fromSeq: number, signal?: AbortSignal): AsyncIterable<Frame> {
    await this.ready();
    // XREAD BLOCK holds its connection: each follower gets its own.
    const conn: RedisClient = isClusterClient(this.redis)
      ? this.redis.duplicate(undefined, {
          enableOfflineQueue: true,
          lazyConnect: false,
          redisOptions: { ...this.redis.options.redisOptions, maxRetriesPerRequest: null },
        })
      : this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: false });
    conn.on('error', (err: Error) => this.logError(err));
    this.followers.add(conn);
    const onAbort = () => conn.disconnect();
    signal?.addEventListener('abort', onAbort, { once: true });
    let last = fromSeq <= 1 ? '0-0' : `0-${fromSeq - 1}`;
    const key = this.framesKey(id);
    try {
      while (!signal?.aborted) {
        let res: unknown;
        try {
          res = await conn.xread('COUNT', 1000, 'BLOCK', 1000, 'STREAMS', key, last);
        } catch (err) {
          if (signal?.aborted || conn.status === 'end') return;
          this.logError(err as Error);
          await new Promise((r) => setTimeout(r, 500));
          continue;
        }
        const entries = streamEntries(res);
        if (entries.length === 0) {
          // Nothing new for a second: stop if the session is over (or gone).
          const status = await this.redis.hget(this.metaKey(id), 'status').catch(() => 'active');
          if (status !== 'active') {
            const rest = await this.redis.xrange(key, `(${last}`, '+').catch(() => []);
            for (const [, fields] of rest) {
              const f = parseStoredFrame(pairs(fields));
              if (!('invalid' in f)) yield f;
            }
            return;
          }
          continue;
        }
        for (const [entryId, fields] of entries) {
          last = entryId;
          const f = parseStoredFrame(pairs(fields));
          if ('invalid' in f) continue;
          yield f;
          if (f.kind === 'close') return;
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.followers.delete(conn);
      conn.disconnect();
    }
  }

  async sweep(): Promise<void> {
    if (this.redis.status !== 'ready') return;
    await this.redis.zremrangebyscore(this.indexKey, '-inf', `(${Date.now() - this.o.retentionMs}`);
  }

  async close(): Promise<void> {
    for (const c of this.followers) c.disconnect();
    this.followers.clear();
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}

function pairs(fields: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) o[fields[i]] = fields[i + 1];
  return o;
}

function streamEntries(res: unknown): [string, string[]][] {
  if (!Array.isArray(res)) return [];
  const out: [string, string[]][] = [];
  for (const stream of res) {
    if (!Array.isArray(stream) || !Array.isArray(stream[1])) continue;
    for (const e of stream[1] as unknown[]) {
      if (Array.isArray(e) && typeof e[0] === 'string' && Array.isArray(e[1]))
        out.push([e[0], e[1] as string[]]);
    }
  }
  return out;
}

export function matches(meta: SessionMeta, f: SessionFilter): boolean {
  if (f.connection !== undefined && meta.connection !== f.connection) return false;
  if (f.subject !== undefined && meta.subject !== f.subject) return false;
  if (f.protocol !== undefined && meta.protocol !== f.protocol) return false;
  if (f.status !== undefined && meta.status !== f.status) return false;
  if (f.since !== undefined && meta.started_at < f.since) return false;
  return true;
}
