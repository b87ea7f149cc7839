// Turns a valid (schema- and semantics-checked) document into the camelCase `Config`, with
// every default applied, durations in ms, sizes in bytes and file paths absolute.

import { resolvePath } from './semantic.js';
import type {
  AdminConfig,
  ApprovalsConfig,
  Config,
  ConnectionConfig,
  Detector,
  HttpMatch,
  IdentityConfig,
  LimitsConfig,
  MaskingConfig,
  PolicyConfig,
  RuleConfig,
  RuleWhen,
  ShellMatch,
  SqlMatch,
  StoreConfig,
  TelemetryConfig,
  TlsListenConfig,
  UpstreamTlsMode,
} from './types.js';
import { parseDuration, parseSize } from './units.js';

// The raw document is already validated; these views only spare casts below.
// biome-ignore lint/suspicious/noExplicitAny: validated YAML, read once here
type Raw = Record<string, any>;

export const DEFAULTS = {
  storeUrl: 'file:./data/sessions',
  keyPrefix: 'portcullis',
  retention: '30d',
  maxFramesPerSession: 1_000_000,
  storeFailureTimeout: '5s',
  approvalTimeout: '5m',
  serviceName: 'portcullis',
  groupsClaim: 'groups',
  clockTolerance: '30s',
  replacement: '[MASKED:{type}]',
  envAllow: ['LANG', 'LC_*'],
  limits: {
    max_message_bytes: '64MiB',
    max_header_bytes: '64KiB',
    handshake_timeout: '10s',
    idle_timeout: '1h',
    drain_timeout: '30s',
    max_body_inspect_bytes: '1MiB',
    record_rows: 100,
    record_result_bytes: '64KiB',
    record_stream_bytes: '32MiB',
  },
} as const;

const ms = (v: unknown, fallback: string): number =>
  parseDuration((v as string | undefined) ?? fallback) as number;
const bytes = (v: unknown, fallback: string): number =>
  parseSize((v as string | number | undefined) ?? fallback) as number;
const many = (v: unknown): string[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? (v as string[]) : [v as string];

export function normalise(raw: Raw, baseDir: string, file?: string): Config {
  const approvals: ApprovalsConfig = {
    webhookUrl: raw.approvals?.webhook_url,
    defaultTimeoutMs: ms(raw.approvals?.default_timeout, DEFAULTS.approvalTimeout),
  };
  const config: Config = {
    version: 1,
    ...(file ? { file } : {}),
    identity: identity(raw.identity ?? {}, baseDir),
    store: store(raw.store ?? {}, baseDir),
    admin: admin(raw.admin ?? {}, raw.identity?.issuers?.[0]?.issuer),
    approvals,
    telemetry: telemetry(raw.telemetry ?? {}),
    limits: limits(raw.limits ?? {}),
    connections: (raw.connections ?? []).map((c: Raw) => connection(c, baseDir)),
    policies: {},
  };
  for (const [name, p] of Object.entries((raw.policies ?? {}) as Record<string, Raw>)) {
    config.policies[name] = policy(name, p, approvals.defaultTimeoutMs);
  }
  return config;
}

function identity(raw: Raw, baseDir: string): IdentityConfig {
  return {
    issuers: (raw.issuers ?? []).map((i: Raw) => ({
      issuer: i.issuer,
      audience: i.audience,
      ...(i.jwks_uri !== undefined ? { jwksUri: i.jwks_uri } : {}),
      ...(i.jwks_file !== undefined ? { jwksFile: resolvePath(baseDir, i.jwks_file) } : {}),
      groupsClaim: i.groups_claim ?? DEFAULTS.groupsClaim,
      clockToleranceMs: ms(i.clock_tolerance, DEFAULTS.clockTolerance),
      ...(i.algorithms !== undefined ? { algorithms: i.algorithms } : {}),
    })),
    sshKeys: (raw.ssh_keys ?? []).map((k: Raw) => ({
      publicKey: k.public_key,
      subject: k.subject,
      groups: k.groups ?? [],
    })),
  };
}

function store(raw: Raw, baseDir: string): StoreConfig {
  const url: string = raw.url ?? DEFAULTS.storeUrl;
  return {
    // A relative file store lives beside the config file, like every other relative path.
    url: url.startsWith('file:') ? `file:${resolvePath(baseDir, url.slice(5))}` : url,
    keyPrefix: raw.key_prefix ?? DEFAULTS.keyPrefix,
    retentionMs: ms(raw.retention, DEFAULTS.retention),
    onFailure: raw.on_failure ?? 'close',
    maxFramesPerSession: raw.max_frames_per_session ?? DEFAULTS.maxFramesPerSession,
    failureTimeoutMs: ms(raw.failure_timeout, DEFAULTS.storeFailureTimeout),
    ...(raw.spool_dir !== undefined ? { spoolDir: resolvePath(baseDir, raw.spool_dir) } : {}),
  };
}

function admin(raw: Raw, firstIssuer: string | undefined): AdminConfig {
  const out: AdminConfig = {
    ...(raw.listen !== undefined ? { listen: raw.listen } : {}),
    auditors: raw.auditors ?? [],
  };
  const issuer = raw.oidc?.issuer ?? firstIssuer;
  if (raw.oidc?.client_id !== undefined && issuer !== undefined) {
    out.oidc = { issuer, clientId: raw.oidc.client_id, scope: raw.oidc.scope ?? 'openid profile' };
  }
  return out;
}

function telemetry(raw: Raw): TelemetryConfig {
  return {
    ...(raw.otlp_endpoint !== undefined ? { otlpEndpoint: raw.otlp_endpoint } : {}),
    serviceName: raw.service_name ?? DEFAULTS.serviceName,
  };
}

function limits(raw: Raw): LimitsConfig {
  const d = DEFAULTS.limits;
  return {
    maxMessageBytes: bytes(raw.max_message_bytes, d.max_message_bytes),
    maxHeaderBytes: bytes(raw.max_header_bytes, d.max_header_bytes),
    handshakeTimeoutMs: ms(raw.handshake_timeout, d.handshake_timeout),
    idleTimeoutMs: ms(raw.idle_timeout, d.idle_timeout),
    drainTimeoutMs: ms(raw.drain_timeout, d.drain_timeout),
    maxBodyInspectBytes: bytes(raw.max_body_inspect_bytes, d.max_body_inspect_bytes),
    recordRows: raw.record_rows ?? d.record_rows,
    recordResultBytes: bytes(raw.record_result_bytes, d.record_result_bytes),
    recordStreamBytes: bytes(raw.record_stream_bytes, d.record_stream_bytes),
  };
}

function tls(raw: Raw | undefined, baseDir: string): TlsListenConfig | undefined {
  if (!raw) return undefined;
  return {
    certFile: resolvePath(baseDir, raw.cert_file),
    keyFile: resolvePath(baseDir, raw.key_file),
    required: raw.required ?? false,
  };
}

function connection(raw: Raw, baseDir: string): ConnectionConfig {
  const base = { name: raw.name as string, listen: raw.listen as string, policy: raw.policy as string };
  const up: Raw = raw.upstream;
  if (raw.protocol === 'postgres') {
    const t = tls(raw.tls, baseDir);
    return {
      ...base,
      protocol: 'postgres',
      ...(t ? { tls: t } : {}),
      upstream: {
        host: up.host,
        port: up.port,
        ...(up.database !== undefined ? { database: up.database } : {}),
        user: up.user,
        ...(up.password !== undefined ? { password: up.password } : {}),
        tls: (up.tls ?? 'prefer') as UpstreamTlsMode,
        ...(up.ca_file !== undefined ? { caFile: resolvePath(baseDir, up.ca_file) } : {}),
      },
    };
  }
  if (raw.protocol === 'ssh') {
    return {
      ...base,
      protocol: 'ssh',
      hostKeyFile: resolvePath(baseDir, raw.host_key_file),
      upstream: {
        host: up.host,
        port: up.port,
        user: up.user,
        ...(up.private_key_file !== undefined
          ? { privateKeyFile: resolvePath(baseDir, up.private_key_file) }
          : {}),
        ...(up.private_key !== undefined ? { privateKey: up.private_key } : {}),
        ...(up.host_key !== undefined ? { hostKey: up.host_key } : {}),
        ...(up.insecure_skip_host_key === true ? { insecureSkipHostKey: true } : {}),
      },
    };
  }
  const t = tls(raw.tls, baseDir);
  return {
    ...base,
    protocol: 'http',
    ...(t ? { tls: t } : {}),
    upstream: {
      url: up.url,
      headers: up.headers ?? {},
      ...(up.ca_file !== undefined ? { caFile: resolvePath(baseDir, up.ca_file) } : {}),
    },
  };
}

function policy(name: string, raw: Raw, defaultTimeoutMs: number): PolicyConfig {
  const rules = (raw.rules ?? []).map((r: Raw) => rule(r, defaultTimeoutMs));
  const ruleApprovers = [
    ...new Set(
      rules.filter((r: RuleConfig) => r.action === 'review').flatMap((r: RuleConfig) => r.approvers),
    ),
  ] as string[];
  return {
    name,
    allowGroups: raw.allow_groups ?? [],
    default: raw.default ?? 'deny',
    onParseError: raw.on_parse_error ?? 'deny',
    fallbackReview: {
      name: 'default',
      when: {},
      action: 'review',
      approvers: raw.approvers ?? ruleApprovers,
      minApprovals: 1,
      timeoutMs: defaultTimeoutMs,
    },
    interactive: raw.interactive ?? 'allow',
    interactiveUnknown: raw.interactive_unknown ?? 'deny',
    portForwarding: raw.port_forwarding ?? 'deny',
    agentForwarding: raw.agent_forwarding ?? 'deny',
    functionCall: raw.function_call ?? 'deny',
    envAllow: raw.env_allow ?? [...DEFAULTS.envAllow],
    rules,
    masking: masking(raw.masking ?? {}),
  };
}

function rule(raw: Raw, defaultTimeoutMs: number): RuleConfig {
  return {
    name: raw.name,
    when: when(raw.when),
    action: raw.action,
    approvers: raw.approvers ?? [],
    minApprovals: raw.min_approvals ?? 1,
    timeoutMs: raw.timeout !== undefined ? ms(raw.timeout, '5m') : defaultTimeoutMs,
    ...(raw.reason !== undefined ? { reason: raw.reason } : {}),
  };
}

/** Drops absent keys so `'x' in match` means the user wrote it. */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function when(raw: Raw): RuleWhen {
  const out: RuleWhen = {};
  if (raw.sql) {
    const s: Raw = raw.sql;
    out.sql = defined<SqlMatch>({
      category: many(s.category),
      statements: many(s.statements),
      tables: many(s.tables),
      functions: many(s.functions),
      where: s.where,
      copy_program: s.copy_program,
      dynamic: s.dynamic,
    });
  }
  if (raw.shell) {
    const s: Raw = raw.shell;
    out.shell = defined<ShellMatch>({
      commands: many(s.commands),
      args: many(s.args),
      paths: many(s.paths),
      dynamic: s.dynamic,
    });
  }
  if (raw.http) {
    const h: Raw = raw.http;
    out.http = defined<HttpMatch>({
      methods: many(h.methods)?.map((m) => m.toUpperCase()),
      paths: many(h.paths),
      // Header names are case-insensitive; the analyzer lower-cases them too.
      headers: h.headers
        ? Object.fromEntries(
            Object.entries(h.headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]),
          )
        : undefined,
      query: h.query,
      body: h.body,
      json: h.json,
    });
  }
  if (raw.groups) out.groups = raw.groups;
  return out;
}

function masking(raw: Raw): MaskingConfig {
  return {
    detectors: (raw.detectors ?? []) as Detector[],
    columns: raw.columns ?? [],
    jsonPaths: raw.json_paths ?? [],
    replacement: raw.replacement ?? DEFAULTS.replacement,
  };
}
