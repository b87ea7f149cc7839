// Approvals in Redis, so any replica can list and resolve them and the replica holding the waiting
// session learns of it at once (pub/sub), with a periodic re-check so a missed message cannot strand it.
// Keys: `<prefix>:approval:{<id>}` (JSON, expires after `keepMs`), `<prefix>:approvals` (zset by creation ms),
// channel `<prefix>:approvals:events` (message = id). State changes are compare-and-set on the approval's
// key (a script: the new JSON is written only if the key still holds what was read), so two replicas voting
// at once cannot both win. Every multi-key step is key by key, so a Redis Cluster store works the same.
import { PortcullisError } from '../errors.js';
import { isClusterClient, type RedisClient, redisClient } from '../redis/client.js';
import type { ApprovalStatus, Identity } from '../types.js';
import type { Approval, ApprovalService, ApprovalWaitOptions, NewApproval, VoteOptions } from './types.js';
import { applyVote, newApproval } from './vote.js';

export interface RedisApprovalsOptions {
  url: string;
  prefix: string;
  /** How long resolved and expired approvals stay visible. */
  keepMs?: number;
  /** Re-check interval for waiting approvals (a missed pub/sub message is found within this). */
  recheckMs?: number;
  now?: () => number;
}

interface Waiter {
  resolve: (a: Approval) => void;
  /** Ends the wait with this status unless the approval was resolved first (written to Redis). */
  settle: (status: ApprovalStatus) => Promise<void>;
  /** Votes already reported through onVote. */
  seenVotes: number;
  onVote?: ApprovalWaitOptions['onVote'];
}

/**
 * Compare-and-set: KEYS[1] = the approval; ARGV = the JSON read, the JSON to write, the TTL (ms) to use when
 * the key has none. Writes (keeping the key's remaining TTL) only if the key still holds what was read.
 */
const CAS_LUA = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then ttl = tonumber(ARGV[3]) end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
return 1
`;
type CasCommand = { approvalCas(key: string, was: string, now: string, ttlMs: number): Promise<number> };

export class RedisApprovals implements ApprovalService {
  private readonly redis: RedisClient;
  private readonly sub: RedisClient;
  private readonly prefix: string;
  private readonly keepMs: number;
  private readonly now: () => number;
  private readonly waiters = new Map<string, Waiter>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  // Transitions from this process take turns (fewer lost compare-and-sets).
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: RedisApprovalsOptions) {
    const conn = { protocol: 2 as const, maxRetriesPerRequest: 2, lazyConnect: false };
    this.redis = redisClient(opts.url, conn);
    this.sub = redisClient(opts.url, conn);
    this.redis.defineCommand('approvalCas', { numberOfKeys: 1, lua: CAS_LUA });
    this.redis.on('error', () => {});
    this.sub.on('error', () => {});
    this.prefix = opts.prefix;
    this.keepMs = opts.keepMs ?? 7 * 24 * 3600_000;
    this.now = opts.now ?? Date.now;
    this.sub.subscribe(this.channel).catch(() => {});
    this.sub.on('message', (_ch: string, id: string) => void this.check(id));
    this.timer = setInterval(() => {
      for (const id of this.waiters.keys()) void this.check(id);
    }, opts.recheckMs ?? 1000);
    this.timer.unref();
  }

  private get channel() {
    return `${this.prefix}:approvals:events`;
  }
  private key(id: string) {
    return `${this.prefix}:approval:{${id}}`;
  }
  private get index() {
    return `${this.prefix}:approvals`;
  }

  async request(req: NewApproval, opts: ApprovalWaitOptions = {}): Promise<Approval> {
    const createdAt = this.now();
    const a = newApproval(req, createdAt);
    await this.serial(async () => {
      try {
        // The approval first, then the listing index (its own key: another slot on a cluster).
        await this.redis.set(this.key(a.id), JSON.stringify(a), 'PX', req.timeoutMs + this.keepMs);
        await this.redis.zadd(this.index, createdAt, a.id);
        await this.redis.zremrangebyscore(this.index, 0, createdAt - this.keepMs);
      } catch (err) {
        throw new PortcullisError('store', `cannot store the approval: ${(err as Error).message}`);
      }
    });
    await this.publish(a.id);
    return new Promise<Approval>((resolve) => {
      const done = (final: Approval) => {
        clearTimeout(expiry);
        this.waiters.delete(a.id);
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(final);
      };
      const settle = (status: ApprovalStatus): Promise<void> =>
        this.transition(a.id, (cur) => {
          if (cur.status === 'pending') {
            cur.status = status;
            cur.resolvedAt = this.now();
          }
        })
          .then(done)
          .catch(() => done({ ...a, status, resolvedAt: this.now() }));
      const onAbort = () => void settle('cancelled');
      const expiry = setTimeout(() => void settle('expired'), req.timeoutMs);
      this.waiters.set(a.id, { resolve: done, settle, seenVotes: 0, onVote: opts.onVote });
      if (opts.signal?.aborted) return void settle('cancelled');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      opts.onPending?.(a);
    });
  }

  async list(filter: { status?: ApprovalStatus } = {}): Promise<Approval[]> {
    const ids = await this.redis.zrevrange(this.index, 0, 499);
    if (ids.length === 0) return [];
    const values = isClusterClient(this.redis)
      ? await Promise.all(ids.map((id) => this.redis.get(this.key(id)).catch(() => null)))
      : (((await this.redis.mget(ids.map((id) => this.key(id)))) ?? []) as (string | null)[]);
    const out: Approval[] = [];
    for (const v of values) {
      if (typeof v !== 'string') continue;
      const a = this.expireIfDue(JSON.parse(v) as Approval);
      if (!filter.status || a.status === filter.status) out.push(a);
    }
    return out;
  }

  async get(id: string): Promise<Approval | undefined> {
    const v = await this.redis.get(this.key(id));
    return v ? this.expireIfDue(JSON.parse(v) as Approval) : undefined;
  }

  async resolve(
    id: string,
    approver: Identity,
    verdict: 'approve' | 'deny',
    reason?: string,
    opts?: VoteOptions,
  ): Promise<Approval> {
    return this.transition(id, (a) => applyVote(a, approver, verdict, reason, this.now(), opts));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    // Waits still open end as cancelled, in Redis too, so other replicas do not list them as pending.
    await Promise.allSettled([...this.waiters.values()].map((w) => w.settle('cancelled')));
    // quit() on a client that never connected waits for it (reconnecting, keeping the process alive).
    const end = async (c: RedisClient) => {
      if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
      else c.disconnect();
    };
    await Promise.allSettled([end(this.sub), end(this.redis)]);
  }

  // An approval past its expiry reads as expired even before the waiting replica marks it.
  private expireIfDue(a: Approval): Approval {
    if (a.status === 'pending' && this.now() >= a.expiresAt) return { ...a, status: 'expired' };
    return a;
  }

  /** Optimistic read-modify-write: `change` may throw to refuse; retried when another replica wrote first. */
  private transition(id: string, change: (a: Approval) => void): Promise<Approval> {
    return this.serial(() => this.transitionNow(id, change));
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => {});
    return run;
  }

  private async transitionNow(id: string, change: (a: Approval) => void): Promise<Approval> {
    const key = this.key(id);
    for (let attempt = 0; attempt < 20; attempt++) {
      const raw = await this.redis.get(key);
      if (!raw) throw new PortcullisError('policy', `no approval ${id}`);
      const a = JSON.parse(raw) as Approval;
      change(a);
      const swapped = await (this.redis as unknown as CasCommand).approvalCas(
        key,
        raw,
        JSON.stringify(a),
        this.keepMs,
      );
      if (swapped === 1) {
        await this.publish(id);
        return a;
      }
    }
    throw new PortcullisError('store', `approval ${id} is changing too often; try again`);
  }

  private async publish(id: string): Promise<void> {
    await this.redis.publish(this.channel, id).catch(() => 0);
  }

  private async check(id: string): Promise<void> {
    const w = this.waiters.get(id);
    if (!w) return;
    try {
      const a = await this.get(id);
      if (a && a.status !== 'pending' && a.status !== 'expired') w.resolve(a);
      else if (a && a.status === 'pending' && a.votes.length > w.seenVotes) {
        const fresh = a.votes.slice(w.seenVotes);
        w.seenVotes = a.votes.length;
        for (const v of fresh) w.onVote?.(a, v);
      }
    } catch {
      // Redis away: the periodic re-check tries again; the expiry timer still ends the wait.
    }
  }
}
