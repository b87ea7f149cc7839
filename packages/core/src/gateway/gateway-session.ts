// One agent connection. judge() is the only way a command reaches an upstream: analyse, evaluate,
// record, and — for a review — wait for approvers.
import { randomUUID } from 'node:crypto';
import { SqlSessionState } from '../analyze/sql/index.js';
import type { Approval } from '../approvals/index.js';
import type { ConnectionConfig } from '../config/types.js';
import { createMasker, DEFAULT_REPLACEMENT } from '../mask/index.js';
import type { CompiledPolicy, Judgement } from '../policy/index.js';
import type { SessionRecorder } from '../record/index.js';
import type { MetricHandle, Metrics } from '../telemetry/index.js';
import type {
  Command,
  Decision,
  FrameKind,
  Identity,
  JudgeOptions,
  Masker,
  OpenSessionOptions,
  Session,
} from '../types.js';
import {
  approvalCommandText,
  commandDigest,
  commandFrameKind,
  commandText,
  redactSqlPasswords,
} from './command-text.js';
import type { Gateway } from './gateway.js';

/** Written files a session remembers (a script run from one of them is not trusted). */
const WRITTEN_PATHS_KEPT = 1024;

export class GatewaySession implements Session {
  readonly id = randomUUID();
  readonly identity: Identity;
  readonly shutdown: Promise<string>;
  readonly closed: Promise<void>;
  private readonly recorder: SessionRecorder;
  private readonly sqlState = new SqlSessionState();
  /** The interactive shell's working directory as far as judged lines tell (undefined: home; null: unknown). */
  private shellCwd: string | null | undefined;
  /** The same, per shell, for lines judged with `opts.shell` (one per SSH channel). */
  private readonly shellCwds = new Map<string, string | null | undefined>();
  private credentialMark: string | undefined;
  /** Files this session's allowed commands wrote or uploaded (bounded, oldest forgotten first). */
  private readonly written = new Set<string>();
  private readonly startedAt = Date.now();
  private sessionMasker?: Masker;
  private markClosed!: () => void;
  private isClosed = false;
  private streamBytes = 0;
  private unrecordedBytes = 0;
  private streamCapped = false;
  /** Aborted by close(): a review still waiting ends as cancelled, recorded before the close frame. */
  private readonly closing = new AbortController();
  private readonly reviews = new Set<Promise<Decision>>();
  /** Counted for the session list's badges; stored in the meta at close. */
  private readonly tally = { commands: 0, denied: 0, reviewed: 0 };

  constructor(
    private readonly gateway: Gateway,
    readonly connection: ConnectionConfig,
    private readonly policy: CompiledPolicy,
    opts: OpenSessionOptions,
  ) {
    this.identity = opts.identity;
    this.closed = new Promise((r) => {
      this.markClosed = r;
    });
    const client = opts.client.port ? `${opts.client.address}:${opts.client.port}` : opts.client.address;
    this.recorder = gateway.store.startSession({
      id: this.id,
      connection: connection.name,
      protocol: connection.protocol,
      subject: opts.identity.subject,
      groups: opts.identity.groups,
      client,
      started_at: this.startedAt,
      status: 'active',
    });
    this.shutdown = this.recorder.failed.then((why) => `recording failed: ${why}`);
    this.recorder.record('open', {
      protocol: connection.protocol,
      connection: connection.name,
      client,
      software: opts.client.software,
      user: opts.client.user,
      policy: policy.name,
    });
    this.recorder.record('auth', {
      subject: opts.identity.subject,
      groups: opts.identity.groups,
      issuer: opts.identity.issuer,
      method: opts.identity.method,
    });
    gateway.metrics.inc('portcullis_sessions_total', { protocol: connection.protocol });
    gateway.metrics.inc('portcullis_sessions_active', { protocol: connection.protocol });
  }

  async judge(command: Command, opts: JudgeOptions = {}): Promise<Decision> {
    const started = performance.now();
    let j: Judgement;
    try {
      j = this.gateway.judge.judge(command, {
        policy: this.policy,
        identity: this.identity,
        sqlState: this.sqlState,
        home: this.policy.home,
        // A pty shell keeps its directory from line to line (`cd /etc`, then `cat shadow`); exec starts at home.
        cwd:
          command.kind === 'shell' && command.source === 'interactive' ? this.cwdOf(opts.shell) : undefined,
        written: this.written,
      });
    } catch (err) {
      // An analyzer fault must never let a command through.
      this.gateway.log.error('judge failed', { session: this.id, error: (err as Error).message });
      j = {
        decision: {
          action: 'deny',
          rules: ['on_parse_error'],
          reason: `internal analysis error: ${(err as Error).message}`,
        },
        reviewRules: [],
      };
    }
    if (command.kind === 'sql' && opts.onSqlTables) {
      const tables: string[] = [];
      for (const u of j.analysis?.units ?? []) if (u.kind === 'sql') tables.push(...u.tables);
      opts.onSqlTables(tables);
    }
    const raw = commandText(command);
    const text = this.masker().value(
      command.kind === 'sql' ? redactSqlPasswords(raw, this.secretMark()) : raw,
    );
    this.recorder.record(commandFrameKind(command), { kind: command.kind, text, ...frameExtras(command) });
    let decision = j.decision;
    const deferred = decision.action === 'review' && opts.deferReview === true;
    this.recorder.record('decision', {
      ...decision,
      ms: round(performance.now() - started),
      ...(deferred ? { deferred: true } : {}),
    });
    handles(this.gateway.metrics).judgeSeconds.inc((performance.now() - started) / 1000);
    const span = this.gateway.telemetry.judge(this, command, decision, started);

    this.tally.commands++;
    if (decision.action === 'review' && !deferred) {
      this.tally.reviewed++;
      const review = this.review(command, text, j, opts);
      this.reviews.add(review);
      try {
        decision = await review;
      } finally {
        this.reviews.delete(review);
      }
    }
    if (decision.action === 'deny') this.tally.denied++;
    // A named Parse (statementName, no params) that goes upstream — allowed, or held for review at each
    // Bind — shares the names of SQL PREPARE: a later `EXECUTE name` can run it, so the SQL state learns it.
    if (
      command.kind === 'sql' &&
      command.statementName &&
      command.params === undefined &&
      (decision.action === 'allow' || deferred)
    ) {
      this.sqlState.prepareStatement(
        command.statementName,
        (j.analysis?.units ?? []).filter((u) => u.kind === 'sql'),
      );
    }
    if (decision.action === 'allow') {
      j.analysis?.commit?.();
      if (j.analysis?.written) this.remember(j.analysis.written);
      if (command.kind === 'shell' && command.source === 'interactive' && j.analysis?.cwd !== undefined) {
        if (opts.shell === undefined) this.shellCwd = j.analysis.cwd;
        else this.shellCwds.set(opts.shell, j.analysis.cwd);
      }
    }
    handles(this.gateway.metrics).commands(this.connection.protocol, decision.action).inc();
    span.end(decision);
    return decision;
  }

  private cwdOf(shell: string | undefined): string | null | undefined {
    return shell === undefined ? this.shellCwd : this.shellCwds.get(shell);
  }

  private async review(command: Command, text: string, j: Judgement, opts: JudgeOptions): Promise<Decision> {
    const rule = j.reviewRules[0];
    // Every review carries its rule (or the policy's fallback); an empty list would be an unbounded wait.
    const timeoutMs =
      j.reviewRules.length > 0
        ? Math.min(...j.reviewRules.map((r) => r.timeoutMs))
        : this.gateway.config.approvals.defaultTimeoutMs;
    const m = this.gateway.metrics;
    m.inc('portcullis_approvals_pending');
    const digest = commandDigest(command);
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.closing.signal]) : this.closing.signal;
    let approval: Approval;
    try {
      approval = await this.gateway.approvals.request(
        {
          session: this.id,
          connection: this.connection.name,
          subject: this.identity.subject,
          groups: this.identity.groups,
          command: approvalCommandText(command, text),
          digest,
          rule: j.decision.rules.join(', '),
          reason: j.decision.reason,
          approvers: rule?.approvers ?? [],
          minApprovals: Math.max(1, ...j.reviewRules.map((r) => r.minApprovals)),
          timeoutMs,
        },
        {
          signal,
          onPending: (a) => {
            this.recorder.record('approval', {
              step: 'requested',
              id: a.id,
              rule: a.rule,
              approvers: a.approvers,
              min_approvals: a.minApprovals,
              digest: a.digest,
              expires_at: a.expiresAt,
            });
            opts.onPending?.({ id: a.id, expiresAt: a.expiresAt, approvers: a.approvers });
          },
          // With min_approvals above one, each vote is its own step in the record.
          onVote: (a, v) =>
            this.recorder.record('approval', {
              step: 'vote',
              id: a.id,
              by: v.by,
              verdict: v.verdict,
              reason: v.reason,
              approvals: a.votes.filter((x) => x.verdict === 'approve').length,
              min_approvals: a.minApprovals,
            }),
        },
      );
    } catch (err) {
      // No approval store, no approval: fail closed.
      const reason = `approval could not be requested: ${(err as Error).message}`;
      this.recorder.record('approval', { step: 'failed', error: (err as Error).message });
      const decision: Decision = { action: 'deny', rules: j.decision.rules, reason };
      this.recorder.record('decision', decision);
      return decision;
    } finally {
      m.inc('portcullis_approvals_pending', {}, -1);
    }
    const votes = approval.votes.map((v) => v.by);
    const lastReason = approval.votes.at(-1)?.reason;
    this.recorder.record('approval', { step: approval.status, id: approval.id, votes: approval.votes });
    const base = {
      rules: j.decision.rules,
      approval: { id: approval.id, status: approval.status, by: votes, reason: lastReason },
    };
    let decision: Decision;
    // The approval binds to the digest of the command it was created for: nothing else runs under it.
    if (approval.status === 'approved' && approval.digest !== digest) {
      decision = {
        action: 'deny',
        ...base,
        reason: `approval ${approval.id} is for a different command (digest mismatch)`,
      };
      this.recorder.record('decision', decision);
      return decision;
    }
    switch (approval.status) {
      case 'approved':
        decision = {
          action: 'allow',
          ...base,
          reason: `approved by ${votes.join(', ')}${lastReason ? `: ${lastReason}` : ''}`,
        };
        break;
      case 'denied':
        decision = {
          action: 'deny',
          ...base,
          reason: `approval ${approval.id} denied by ${votes.at(-1)}${lastReason ? `: ${lastReason}` : ''}`,
        };
        break;
      case 'cancelled':
        decision = { action: 'deny', ...base, reason: `approval ${approval.id} cancelled` };
        break;
      default:
        decision = {
          action: 'deny',
          ...base,
          reason: `approval ${approval.id} expired after ${Math.round(timeoutMs / 1000)}s with no decision`,
        };
    }
    this.recorder.record('decision', decision);
    return decision;
  }

  private remember(paths: readonly string[]): void {
    for (const p of paths) {
      this.written.delete(p);
      this.written.add(p);
    }
    while (this.written.size > WRITTEN_PATHS_KEPT) this.written.delete(this.written.values().next().value!);
  }

  /** The policy's replacement for a credential (`[MASKED:api_key]` by default). */
  private secretMark(): string {
    this.credentialMark ??= (this.policy.config.masking.replacement ?? DEFAULT_REPLACEMENT).replaceAll(
      '{type}',
      'api_key',
    );
    return this.credentialMark;
  }

  masker(): Masker {
    if (!this.sessionMasker) {
      const h = handles(this.gateway.metrics);
      this.sessionMasker = createMasker(this.policy.config.masking, {
        onMask: (detector) => h.masked(detector).inc(),
      });
    }
    return this.sessionMasker;
  }

  allowEnv(name: string): boolean {
    return this.policy.allowsEnv(name);
  }

  record(kind: FrameKind, data: unknown): void {
    if (this.isClosed) return;
    if ((kind === 'output' || kind === 'input') && data instanceof Uint8Array) {
      // Bulk transfers would outrun any store: past the budget, count instead of record, and say so once.
      this.streamBytes += data.length;
      if (this.streamBytes > this.gateway.config.limits.recordStreamBytes) {
        this.unrecordedBytes += data.length;
        if (!this.streamCapped) {
          this.streamCapped = true;
          this.recorder.record('error', {
            message: `recording limit reached: input/output beyond limits.record_stream_bytes (${this.gateway.config.limits.recordStreamBytes} bytes) is counted, not recorded`,
            code: 'record_stream_bytes',
          });
        }
        return;
      }
    }
    this.recorder.record(kind, data);
  }

  async close(reason = 'client disconnected'): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.reviews.size > 0) {
      // A waiting review ends as cancelled; its approval and decision frames go before the close frame.
      this.closing.abort();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.reviews]),
        new Promise((r) => {
          timer = setTimeout(r, 5000);
        }),
      ]);
      clearTimeout(timer);
    }
    const maskedBy = { ...(this.sessionMasker?.counts ?? {}) };
    this.recorder.record('close', {
      reason,
      masked: maskedBy,
      ...(this.unrecordedBytes ? { unrecorded_stream_bytes: this.unrecordedBytes } : {}),
    });
    this.gateway.metrics.inc('portcullis_sessions_active', { protocol: this.connection.protocol }, -1);
    const masked = Object.values(maskedBy).reduce((a, b) => a + b, 0);
    try {
      await this.recorder.end('closed', undefined, { ...this.tally, masked, masked_by: maskedBy });
    } finally {
      this.markClosed();
    }
  }
}

function frameExtras(c: Command): Record<string, unknown> {
  switch (c.kind) {
    case 'sql':
      return { protocol: c.protocol, statement: c.statementName };
    case 'shell':
      return { source: c.source, context: c.context };
    case 'file':
      return { op: c.op, paths: c.paths, via: c.via };
    case 'forward':
      return { type: c.type, host: c.host, port: c.port };
    case 'http':
      return { method: c.method, target: c.target, body_bytes: c.body?.length ?? 0, websocket: c.websocket };
    default:
      return {};
  }
}

// Per-statement and per-value counters: label keys built once per gateway, not on every increment.
interface HotHandles {
  judgeSeconds: MetricHandle;
  commands(protocol: string, decision: string): MetricHandle;
  masked(detector: string): MetricHandle;
}
const hotHandles = new WeakMap<Metrics, HotHandles>();
function handles(metrics: Metrics): HotHandles {
  let h = hotHandles.get(metrics);
  if (!h) {
    const commands = new Map<string, MetricHandle>();
    const masked = new Map<string, MetricHandle>();
    h = {
      judgeSeconds: metrics.handle('portcullis_judge_seconds_sum'),
      commands(protocol, decision) {
        const key = `${protocol}\0${decision}`;
        let c = commands.get(key);
        if (!c) {
          c = metrics.handle('portcullis_commands_total', { protocol, decision });
          commands.set(key, c);
        }
        return c;
      },
      masked(detector) {
        let c = masked.get(detector);
        if (!c) {
          c = metrics.handle('portcullis_masked_values_total', { detector });
          masked.set(detector, c);
        }
        return c;
      },
    };
    hotHandles.set(metrics, h);
  }
  return h;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
