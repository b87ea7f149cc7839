// The gateway: one per process. It owns the identity verifier, the compiled policies, the analyzers,
// the recording store and the approvals, and opens a Session for each agent connection.
import type { ApprovalService } from '../approvals/index.js';
import { LocalApprovals, RedisApprovals, WebhookNotifier, withWebhook } from '../approvals/index.js';
import type { Config, ConnectionConfig } from '../config/types.js';
import { ForbiddenError, PortcullisError, StoreUnavailableError } from '../errors.js';
import { IdentityVerifier } from '../identity/index.js';
import { CommandJudge, CompiledPolicy } from '../policy/index.js';
import { openStore, type RecordStore } from '../record/index.js';
import { isRedisUrl } from '../redis/client.js';
import {
  createLogger,
  type Logger,
  Metrics,
  noopTelemetry,
  startTelemetry,
  type Telemetry,
} from '../telemetry/index.js';
import type { Identity, OpenSessionOptions, Session } from '../types.js';
import { GatewaySession } from './gateway-session.js';

export interface GatewayOptions {
  store?: RecordStore;
  approvals?: ApprovalService;
  log?: Logger;
  metrics?: Metrics;
  /** OTLP export; default: started from config.telemetry (a no-op without otlp_endpoint). */
  telemetry?: Telemetry;
  /** Skip loading analyzers no connection needs (default: derived from the connections). */
  analyzers?: { sql?: boolean; shell?: boolean };
}

export class Gateway {
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly telemetry: Telemetry;
  private readonly policies = new Map<string, CompiledPolicy>();
  private readonly sessions = new Set<GatewaySession>();
  private closing = false;

  private constructor(
    readonly config: Config,
    readonly identity: IdentityVerifier,
    readonly store: RecordStore,
    readonly approvals: ApprovalService,
    readonly judge: CommandJudge,
    opts: GatewayOptions,
  ) {
    this.log = opts.log ?? createLogger();
    this.metrics = opts.metrics ?? new Metrics();
    this.telemetry = opts.telemetry ?? noopTelemetry;
    for (const c of config.connections) {
      const policy = config.policies[c.policy];
      if (!policy)
        throw new PortcullisError('config', `connection ${c.name}: unknown policy ${c.policy}`, 'policy');
      this.policies.set(c.name, new CompiledPolicy(policy, { home: connectionHome(c) }));
    }
  }

  static async create(config: Config, opts: GatewayOptions = {}): Promise<Gateway> {
    const protocols = new Set(config.connections.map((c) => c.protocol));
    const judge = await CommandJudge.create(
      opts.analyzers ?? { sql: protocols.has('postgres'), shell: protocols.has('ssh') },
    );
    const store = opts.store ?? (await openStore(config.store));
    const log = opts.log ?? createLogger();
    let approvals = opts.approvals ?? defaultApprovals(config);
    if (config.approvals.webhookUrl) {
      approvals = withWebhook(approvals, new WebhookNotifier({ url: config.approvals.webhookUrl, log }));
    }
    const metrics = opts.metrics ?? new Metrics();
    const telemetry = opts.telemetry ?? (await startTelemetry(config.telemetry, { log, metrics }));
    return new Gateway(config, new IdentityVerifier(config.identity), store, approvals, judge, {
      ...opts,
      log,
      metrics,
      telemetry,
    });
  }

  connection(name: string): ConnectionConfig {
    const c = this.config.connections.find((x) => x.name === name);
    if (!c) throw new PortcullisError('config', `unknown connection ${name}`, 'connections');
    return c;
  }

  policyFor(connection: string): CompiledPolicy {
    const p = this.policies.get(connection);
    if (!p) throw new PortcullisError('config', `unknown connection ${connection}`, 'connections');
    return p;
  }

  /** Verifies a JWT; throws AuthError with a distinct reason. */
  authenticateToken(token: string): Promise<Identity> {
    return this.identity.verifyToken(token);
  }

  authenticateSshKey(algo: string, keyData: Buffer): Identity | undefined {
    return this.identity.identifySshKey(algo, keyData);
  }

  /** Opens a session: refuses identities outside allow_groups, and any session while the store is down (on_failure: close). */
  async open(opts: OpenSessionOptions): Promise<Session> {
    const connection = this.connection(opts.connection);
    const policy = this.policyFor(opts.connection);
    if (this.closing) throw new PortcullisError('store', 'the gateway is shutting down');
    if (!policy.admits(opts.identity)) {
      this.metrics.inc('portcullis_sessions_refused_total', {
        connection: connection.name,
        reason: 'allow_groups',
      });
      throw new ForbiddenError(
        `${opts.identity.subject} is not in a group allowed to use ${connection.name} (allow_groups: ${policy.config.allowGroups.join(', ') || 'none'})`,
      );
    }
    if (this.config.store.onFailure === 'close' && !this.store.healthy()) {
      this.metrics.inc('portcullis_sessions_refused_total', { connection: connection.name, reason: 'store' });
      throw new StoreUnavailableError('new sessions are refused until recording works again');
    }
    const session = new GatewaySession(this, connection, policy, opts);
    this.sessions.add(session);
    session.closed.then(() => this.sessions.delete(session));
    this.telemetry.session(session);
    return session;
  }

  /** Listeners bound and the store reachable. */
  ready(): boolean {
    return !this.closing && this.store.healthy();
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.sessions].map((s) => s.close('gateway shutting down')));
    await this.approvals.close();
    await this.store.close();
    await this.telemetry.shutdown();
  }
}

// Approvals live beside the recordings: in Redis every replica shares them; with the file store they are per process.
function defaultApprovals(config: Config): ApprovalService {
  if (isRedisUrl(config.store.url)) {
    return new RedisApprovals({ url: config.store.url, prefix: config.store.keyPrefix });
  }
  return new LocalApprovals();
}

/** Relative paths and `~` in SSH rules mean the upstream user's home. */
export function connectionHome(c: ConnectionConfig): string | undefined {
  if (c.protocol !== 'ssh') return undefined;
  return c.upstream.user === 'root' ? '/root' : `/home/${c.upstream.user}`;
}
