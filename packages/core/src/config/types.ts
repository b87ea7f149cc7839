// The validated, normalised configuration. Durations are milliseconds, sizes are bytes,
// `${VAR}` references are already resolved. The YAML shape is in ../shared/SPEC.md;
// `schema.ts` validates it and `load.ts` turns it into these types.

export type Action = 'allow' | 'deny' | 'review';

export interface IssuerConfig {
  issuer: string;
  audience: string | string[];
  jwksUri?: string;
  jwksFile?: string;
  groupsClaim: string; // default "groups"
  clockToleranceMs: number; // default 30s
  algorithms?: string[]; // default: asymmetric algorithms only
}

export interface SshKeyIdentityConfig {
  publicKey: string; // "ssh-ed25519 AAAA... comment"
  subject: string;
  groups: string[];
}

export interface IdentityConfig {
  issuers: IssuerConfig[];
  sshKeys: SshKeyIdentityConfig[];
}

export interface StoreConfig {
  url: string; // redis://… | rediss://… | file:DIR
  keyPrefix: string; // default "portcullis"
  retentionMs: number; // default 30d
  onFailure: 'close' | 'continue'; // default close
  maxFramesPerSession: number; // MAXLEN safety cap, default 1,000,000
  failureTimeoutMs: number; // how long frames may stay unstored before on_failure applies, default 5s
  spoolDir?: string; // local spool when the store is away
}

export interface AdminConfig {
  listen?: string; // host:port
  auditors: string[];
  /** "Sign in with …" in the web UI: authorization code + PKCE against this issuer. */
  oidc?: AdminOidcConfig;
}

export interface AdminOidcConfig {
  issuer: string; // default: the first identity issuer
  clientId: string;
  scope: string; // default "openid profile"
}

export interface ApprovalsConfig {
  webhookUrl?: string;
  defaultTimeoutMs: number; // 5m
}

export interface TelemetryConfig {
  otlpEndpoint?: string;
  serviceName: string;
}

export interface LimitsConfig {
  maxMessageBytes: number; // 64MiB
  maxHeaderBytes: number; // 64KiB
  handshakeTimeoutMs: number; // 10s
  idleTimeoutMs: number; // 1h
  drainTimeoutMs: number; // 30s
  maxBodyInspectBytes: number; // 1MiB: HTTP bodies judged up to this size
  recordRows: number; // rows of each result recorded, 100
  recordResultBytes: number; // bytes of each result recorded, 64KiB
  recordStreamBytes: number; // input/output bytes recorded per session, 32MiB
}

export interface TlsListenConfig {
  certFile: string;
  keyFile: string;
  required: boolean;
}

export type UpstreamTlsMode = 'disable' | 'prefer' | 'require' | 'verify-full';

export interface PostgresUpstream {
  host: string;
  port: number;
  database?: string;
  user: string;
  password?: string;
  tls: UpstreamTlsMode;
  caFile?: string;
}

export interface SshUpstream {
  host: string;
  port: number;
  user: string;
  privateKeyFile?: string;
  privateKey?: string;
  hostKey?: string; // pinned "ssh-ed25519 AAAA..."; required unless insecure_skip_host_key
  insecureSkipHostKey?: boolean; // tests only: accept any upstream host key
}

export interface HttpUpstream {
  url: string;
  headers: Record<string, string>;
  caFile?: string;
}

interface ConnectionBase {
  name: string;
  listen: string; // host:port
  policy: string;
}

export interface PostgresConnection extends ConnectionBase {
  protocol: 'postgres';
  tls?: TlsListenConfig;
  upstream: PostgresUpstream;
}

export interface SshConnection extends ConnectionBase {
  protocol: 'ssh';
  hostKeyFile: string;
  upstream: SshUpstream;
}

export interface HttpConnection extends ConnectionBase {
  protocol: 'http';
  tls?: TlsListenConfig;
  upstream: HttpUpstream;
}

export type ConnectionConfig = PostgresConnection | SshConnection | HttpConnection;

/** The `when` of a rule: one of these protocol sections (keys ANDed, list items ORed). */
export interface SqlMatch {
  category?: string[];
  statements?: string[];
  tables?: string[];
  functions?: string[];
  where?: 'absent' | 'present';
  copy_program?: boolean;
  dynamic?: boolean;
}

export interface ShellMatch {
  commands?: string[];
  args?: string[]; // exact or glob
  paths?: string[]; // globs; ~ and $HOME expanded
  dynamic?: boolean;
}

export interface HttpMatch {
  methods?: string[];
  paths?: string[]; // globs over the normalised path
  headers?: Record<string, string>; // header name → glob of the value
  query?: Record<string, string>; // parameter → glob of the value
  body?: string; // regex (RE2 syntax, linear time)
  json?: Record<string, unknown>; // JSONPath → expected value (or glob for strings)
}

export interface RuleWhen {
  sql?: SqlMatch;
  shell?: ShellMatch;
  http?: HttpMatch;
  groups?: string[]; // optional: rule applies only to identities in one of these groups
}

export interface RuleConfig {
  name: string;
  when: RuleWhen;
  action: Action;
  approvers: string[];
  minApprovals: number; // default 1
  timeoutMs: number; // default approvals.defaultTimeoutMs
  reason?: string; // optional human reason shown to the agent
}

export type Detector =
  | 'email'
  | 'credit_card'
  | 'us_ssn'
  | 'phone'
  | 'iban'
  | 'aws_access_key'
  | 'aws_secret_key'
  | 'private_key'
  | 'jwt'
  | 'api_key';

export interface ColumnMaskRule {
  match: string; // "table.column" or "column"
  with: 'redact' | 'mask' | 'hash' | 'null';
}

export interface MaskingConfig {
  detectors: Detector[];
  columns: ColumnMaskRule[];
  jsonPaths: string[];
  replacement: string; // default "[MASKED:{type}]"
}

export interface PolicyConfig {
  name: string;
  allowGroups: string[];
  default: Action;
  onParseError: 'deny' | 'review';
  /**
   * Who approves a review that no rule produced (`default: review`, `on_parse_error: review`): the
   * policy's `approvers`, else every approver group of its review rules. Timeout: approvals.default_timeout.
   */
  fallbackReview: RuleConfig;
  interactive: 'allow' | 'deny';
  interactiveUnknown: 'allow' | 'deny';
  portForwarding: 'allow' | 'deny';
  agentForwarding: 'allow' | 'deny';
  functionCall: 'allow' | 'deny'; // Postgres FunctionCall protocol messages
  envAllow: string[]; // SSH env requests forwarded for these names/globs; default [LANG, LC_*]
  rules: RuleConfig[];
  masking: MaskingConfig;
}

export interface Config {
  version: 1;
  file?: string; // where it was loaded from
  identity: IdentityConfig;
  store: StoreConfig;
  admin: AdminConfig;
  approvals: ApprovalsConfig;
  telemetry: TelemetryConfig;
  limits: LimitsConfig;
  connections: ConnectionConfig[];
  policies: Record<string, PolicyConfig>;
}
