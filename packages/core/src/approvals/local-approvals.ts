// Approvals held in this process: for the file store and single-process gateways. The Redis-backed
// service shares them across replicas.
import { PortcullisError } from '../errors.js';
import type { ApprovalStatus, Identity } from '../types.js';
import type { Approval, ApprovalService, ApprovalWaitOptions, NewApproval, VoteOptions } from './types.js';
import { applyVote, newApproval } from './vote.js';

export class LocalApprovals implements ApprovalService {
  private readonly approvals = new Map<string, Approval>();
  private readonly waiters = new Map<string, (status?: ApprovalStatus) => void>();
  private readonly voteHooks = new Map<string, NonNullable<ApprovalWaitOptions['onVote']>>();
  private readonly timers = new Set<NodeJS.Timeout>();

  /** `keepMs`: how long resolved approvals stay listed (as in Redis, 7 days by default). */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly keepMs = 7 * 24 * 3600_000,
  ) {}

  request(req: NewApproval, opts: ApprovalWaitOptions = {}): Promise<Approval> {
    const createdAt = this.now();
    this.prune(createdAt);
    const a = newApproval(req, createdAt);
    this.approvals.set(a.id, a);
    return new Promise<Approval>((resolve) => {
      const finish = (status?: ApprovalStatus) => {
        if (status && a.status === 'pending') {
          a.status = status;
          a.resolvedAt = this.now();
        }
        clearTimeout(timer);
        this.timers.delete(timer);
        this.waiters.delete(a.id);
        this.voteHooks.delete(a.id);
        opts.signal?.removeEventListener('abort', onAbort);
        resolve(a);
      };
      const onAbort = () => finish('cancelled');
      const timer = setTimeout(() => finish('expired'), req.timeoutMs);
      this.timers.add(timer);
      this.waiters.set(a.id, finish);
      if (opts.onVote) this.voteHooks.set(a.id, opts.onVote);
      if (opts.signal?.aborted) return finish('cancelled');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      opts.onPending?.(a);
    });
  }

  async list(filter: { status?: ApprovalStatus } = {}): Promise<Approval[]> {
    const all = [...this.approvals.values()];
    return (filter.status ? all.filter((a) => a.status === filter.status) : all).sort(
      (x, y) => y.createdAt - x.createdAt,
    );
  }

  async get(id: string): Promise<Approval | undefined> {
    return this.approvals.get(id);
  }

  async resolve(
    id: string,
    approver: Identity,
    verdict: 'approve' | 'deny',
    reason?: string,
    opts?: VoteOptions,
  ): Promise<Approval> {
    const a = this.approvals.get(id);
    if (!a) throw new PortcullisError('policy', `no approval ${id}`);
    applyVote(a, approver, verdict, reason, this.now(), opts);
    if (a.status !== 'pending') this.waiters.get(id)?.();
    else this.voteHooks.get(id)?.(a, a.votes[a.votes.length - 1]);
    return a;
  }

  // Resolved approvals stay visible for keepMs, then go, so a long-running process does not grow.
  private prune(now: number): void {
    for (const [id, a] of this.approvals) {
      if (a.status !== 'pending' && (a.resolvedAt ?? a.createdAt) < now - this.keepMs)
        this.approvals.delete(id);
    }
  }

  /** Pending approvals end as cancelled: their sessions are closing with the gateway. */
  async close(): Promise<void> {
    for (const finish of [...this.waiters.values()]) finish('cancelled');
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
