// The JSON schema of the YAML file (snake_case keys, as users write them). Every key carries a
// `description` so docs/config.md can be generated from this object. Formats (duration, size,
// listen, re2, glob …) are registered in validate.ts.

type Schema = Record<string, unknown>;

const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const int = (description: string, extra: Schema = {}): Schema => ({ type: 'integer', description, ...extra });
const duration = (description: string): Schema => ({ type: 'string', format: 'duration', description });
const size = (description: string): Schema => ({
  description,
  anyOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', format: 'size' },
  ],
});
const list = (description: string, items: Schema, extra: Schema = {}): Schema => ({
  type: 'array',
  description,
  items,
  ...extra,
});
const strList = (description: string, item: Schema = {}): Schema =>
  list(description, { type: 'string', minLength: 1, ...item });
/** A key that takes one value or a list of them (a list matches if any item matches). */
const oneOrMany = (description: string, item: Schema = {}): Schema => ({
  description,
  anyOf: [
    { type: 'string', minLength: 1, ...item },
    { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, ...item } },
  ],
});
const obj = (description: string, properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  description,
  properties,
  ...(required.length > 0 ? { required } : {}),
  additionalProperties: false,
});
const map = (description: string, values: Schema, keys?: Schema): Schema => ({
  type: 'object',
  description,
  ...(keys ? { propertyNames: keys } : {}),
  additionalProperties: values,
});

export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]*$';
const name = (description: string): Schema => str(description, { pattern: NAME_PATTERN });

export const ALLOWED_JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export const DETECTORS = [
  'email',
  'credit_card',
  'us_ssn',
  'phone',
  'iban',
  'aws_access_key',
  'aws_secret_key',
  'private_key',
  'jwt',
  'api_key',
] as const;

export const SQL_CATEGORIES = [
  'read',
  'write',
  'ddl',
  'admin',
  'transaction',
  'session',
  'call',
  'unknown',
] as const;

const issuer = obj(
  'An OIDC issuer whose tokens are accepted. Tokens are matched to an issuer by their `iss` claim.',
  {
    issuer: str('The exact `iss` claim value, e.g. https://login.example.com/', { minLength: 1 }),
    audience: {
      description: 'The `aud` the token must carry (one value, or a list of which any one will do).',
      anyOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
      ],
    },
    jwks_uri: str(
      'Where the signing keys are published (JWKS over HTTPS). Exactly one of jwks_uri, jwks_file.',
      {
        format: 'url',
      },
    ),
    jwks_file: str('A local JWKS file (relative to the config file). Exactly one of jwks_uri, jwks_file.', {
      minLength: 1,
    }),
    groups_claim: str('The claim holding the groups: a list, or a space-separated string. Default: groups.', {
      minLength: 1,
    }),
    clock_tolerance: duration('Allowed clock skew for exp/nbf. Default: 30s.'),
    algorithms: list(
      'Signature algorithms accepted. Default: all asymmetric ones (RS*, PS*, ES*, EdDSA). Never none, never HMAC.',
      { type: 'string', enum: [...ALLOWED_JWT_ALGORITHMS] },
      { minItems: 1 },
    ),
  },
  ['issuer', 'audience'],
);

const sshKey = obj(
  'An SSH public key that authenticates as an identity.',
  {
    public_key: str('The key as in authorized_keys: "ssh-ed25519 AAAA… comment".', {
      format: 'ssh-public-key',
    }),
    subject: str('The identity (subject) this key authenticates as.', { minLength: 1 }),
    groups: strList('Groups of that identity.'),
  },
  ['public_key', 'subject'],
);

const identity = obj('Who may connect: OIDC token issuers and SSH keys.', {
  issuers: list('Accepted OIDC issuers; several at once are fine.', issuer),
  ssh_keys: list('SSH public keys mapped to identities (SSH listeners only).', sshKey),
});

const store = obj('Where sessions are recorded.', {
  url: str(
    'redis://host:port/db, rediss://… (TLS), redis-cluster://host:port,host:port (Redis Cluster; rediss-cluster:// for TLS), or file:DIR. Default: file:./data/sessions.',
    {
      format: 'store-url',
    },
  ),
  key_prefix: str('Prefix of every Redis key. Default: portcullis.', { minLength: 1 }),
  retention: duration('How long recordings are kept. Default: 30d.'),
  on_failure: str('When frames cannot be stored: close the session (default) or continue unrecorded.', {
    enum: ['close', 'continue'],
  }),
  max_frames_per_session: int('Safety cap on frames per session. Default: 1000000.', { minimum: 1 }),
  failure_timeout: duration('How long frames may stay unstored before on_failure applies. Default: 5s.'),
  spool_dir: str('A local directory to spool frames to while the store is away.', { minLength: 1 }),
});

const admin = obj('The admin API, metrics and web UI.', {
  listen: str('host:port of the admin API, health, metrics and web UI.', { format: 'listen' }),
  auditors: strList('Groups that may list and replay sessions. Default: none.'),
  oidc: obj(
    'Optional "Sign in with …" button in the web UI (OIDC authorization code + PKCE; a public client).',
    {
      issuer: str('The issuer to sign in with (one of identity.issuers). Default: the first issuer.', {
        format: 'url',
      }),
      client_id: str('The OAuth client id registered at the issuer for the web UI.', { minLength: 1 }),
      scope: str('Scopes asked for. Default: "openid profile".', { minLength: 1 }),
    },
    ['client_id'],
  ),
});

const approvals = obj('Human review of commands.', {
  webhook_url: str(
    'Optional webhook called with JSON on every approval create/resolve (Slack-compatible text).',
    {
      format: 'url',
    },
  ),
  default_timeout: duration('How long a review waits when the rule sets no timeout. Default: 5m.'),
});

const telemetry = obj('OpenTelemetry export.', {
  otlp_endpoint: str('OTLP/HTTP endpoint for traces and metrics, e.g. http://127.0.0.1:4318.', {
    format: 'url',
  }),
  service_name: str('service.name of the exported telemetry. Default: portcullis.', { minLength: 1 }),
});

const limits = obj('Limits; each refusal names the limit it hit.', {
  max_message_bytes: size('Largest protocol message accepted. Default: 64MiB.'),
  max_header_bytes: size('Largest HTTP header block accepted. Default: 64KiB.'),
  handshake_timeout: duration('Time allowed for a client to connect and authenticate. Default: 10s.'),
  idle_timeout: duration('A session with no traffic for this long is closed. Default: 1h.'),
  drain_timeout: duration('On shutdown, how long sessions may finish. Default: 30s.'),
  max_body_inspect_bytes: size(
    'HTTP request bodies are judged up to this size; larger ones fail body rules closed. Default: 1MiB.',
  ),
  record_rows: int('Rows of each result that are recorded. Default: 100.', { minimum: 0 }),
  record_result_bytes: size('Bytes of each result that are recorded. Default: 64KiB.'),
  record_stream_bytes: size(
    'Bytes of terminal/exec input and output recorded per session; beyond it a marker frame says how much was not recorded (bulk transfers would otherwise outrun the store). Default: 32MiB.',
  ),
});

const tls = obj(
  'TLS offered to agents on this listener.',
  {
    cert_file: str('PEM certificate (chain), relative to the config file.', { minLength: 1 }),
    key_file: str('PEM private key, relative to the config file.', { minLength: 1 }),
    required: bool('Refuse clients that do not use TLS. Default: false.'),
  },
  ['cert_file', 'key_file'],
);

const connName = name('A unique name for this connection (used in recordings and `policy explain`).');
const connListen = str('host:port the listener binds (port 0 picks a free port).', { format: 'listen' });
const connPolicy = name('The name of the policy (under `policies`) that judges this connection.');
const port = int('TCP port.', { minimum: 1, maximum: 65535 });
const host = str('Host name or IP address.', { minLength: 1 });

const postgresConnection = obj(
  'A Postgres listener.',
  {
    name: connName,
    protocol: { type: 'string', const: 'postgres', description: 'postgres | ssh | http' },
    listen: connListen,
    tls,
    upstream: obj(
      'The real database; the gateway logs in with these credentials.',
      {
        host,
        port,
        database: str('Database name (default: as the agent asked).', { minLength: 1 }),
        user: str('User the gateway logs in as.', { minLength: 1 }),
        password: str('Password (use ${VAR} to read it from the environment).'),
        tls: str('TLS to the upstream: disable | prefer (default) | require | verify-full.', {
          enum: ['disable', 'prefer', 'require', 'verify-full'],
        }),
        ca_file: str('CA bundle for verify-full, relative to the config file.', { minLength: 1 }),
      },
      ['host', 'port', 'user'],
    ),
    policy: connPolicy,
  },
  ['name', 'protocol', 'listen', 'upstream', 'policy'],
);

const sshConnection = obj(
  'An SSH listener.',
  {
    name: connName,
    protocol: { type: 'string', const: 'ssh', description: 'postgres | ssh | http' },
    listen: connListen,
    host_key_file: str('The listener host key (OpenSSH format); generated at start when missing.', {
      minLength: 1,
    }),
    upstream: obj(
      'The real SSH host; the gateway logs in with its own key and pins the host key.',
      {
        host,
        port,
        user: str('User the gateway logs in as.', { minLength: 1 }),
        private_key_file: str('The gateway private key for the upstream, relative to the config file.', {
          minLength: 1,
        }),
        private_key: str('The private key itself (e.g. from ${VAR}), instead of private_key_file.', {
          minLength: 1,
        }),
        host_key: str('The upstream host key, pinned: "ssh-ed25519 AAAA…". A mismatch refuses the session.', {
          format: 'ssh-public-key',
        }),
        insecure_skip_host_key: bool('Accept any upstream host key (tests only). Default: false.'),
      },
      ['host', 'port', 'user'],
    ),
    policy: connPolicy,
  },
  ['name', 'protocol', 'listen', 'host_key_file', 'upstream', 'policy'],
);

const httpConnection = obj(
  'An HTTP listener (reverse proxy).',
  {
    name: connName,
    protocol: { type: 'string', const: 'http', description: 'postgres | ssh | http' },
    listen: connListen,
    tls,
    upstream: obj(
      'The real API.',
      {
        url: str('Base URL of the upstream API.', { format: 'url' }),
        headers: map('Headers injected into every upstream request (use ${VAR} for secrets).', {
          type: 'string',
        }),
        ca_file: str('CA bundle for an https upstream, relative to the config file.', { minLength: 1 }),
      },
      ['url'],
    ),
    policy: connPolicy,
  },
  ['name', 'protocol', 'listen', 'upstream', 'policy'],
);

const sqlMatch = obj('Matches SQL statements (postgres connections).', {
  category: oneOrMany('Statement category.', { enum: [...SQL_CATEGORIES] }),
  statements: oneOrMany('Postgres parse-node names, e.g. SelectStmt, DeleteStmt.', {
    pattern: '^[A-Z][A-Za-z]*$',
  }),
  tables: oneOrMany('Tables touched (glob; schema-qualified or bare).', { format: 'glob' }),
  functions: oneOrMany('Functions called (schema-insensitive, case-insensitive; glob).', { format: 'glob' }),
  where: str('UPDATE/DELETE with or without a WHERE clause.', { enum: ['absent', 'present'] }),
  copy_program: bool('COPY … TO/FROM PROGRAM.'),
  dynamic: bool('SQL built at run time (EXECUTE of a string in PL/pgSQL, …).'),
});

const shellMatch = obj('Matches shell commands (ssh connections).', {
  commands: oneOrMany('Every command that would run (basename; glob).', { format: 'glob' }),
  args: oneOrMany('Arguments, exact or glob.', { format: 'glob' }),
  paths: oneOrMany('Globs against every path-like argument and redirection target (~ and $HOME expanded).', {
    format: 'glob',
  }),
  dynamic: bool('A command whose real program cannot be known statically (eval, | sh, $VAR as command …).'),
});

const httpMatch = obj('Matches HTTP requests (http connections).', {
  methods: oneOrMany('Request methods (override headers included).', { pattern: '^[A-Za-z]+$' }),
  paths: oneOrMany('Globs over the normalised path.', { format: 'glob' }),
  headers: map('Header name → glob of the value.', { type: 'string', format: 'glob' }),
  query: map('Query parameter → glob of the value.', { type: 'string', format: 'glob' }),
  body: str('A regular expression (RE2 syntax) searched in the request body.', { format: 're2' }),
  json: map('JSONPath → expected value (a glob for strings).', {}, { type: 'string', format: 'jsonpath' }),
});

const rule = obj(
  'A rule: when it matches, its action applies (deny > review > allow across all matching rules).',
  {
    name: name('Unique within the policy; named in decisions and recordings.'),
    // "Exactly one of sql, shell, http" is checked in semantic.ts, with a clearer message than oneOf's.
    when: obj(
      'What the rule matches: exactly one of sql, shell, http (keys ANDed, list items ORed), plus optional groups.',
      {
        sql: sqlMatch,
        shell: shellMatch,
        http: httpMatch,
        groups: strList('Only identities in one of these groups.'),
      },
    ),
    action: str('allow | deny | review.', { enum: ['allow', 'deny', 'review'] }),
    approvers: strList('Groups whose members may approve (required for review).'),
    min_approvals: int('Approvals needed. Default: 1.', { minimum: 1 }),
    timeout: duration(
      'How long a review waits before it is denied. Default: approvals.default_timeout (5m).',
    ),
    reason: str('A human reason shown to the agent.'),
  },
  ['name', 'when', 'action'],
);

const masking = obj('What is masked in data flowing back to the agent.', {
  detectors: list(
    'Detectors to run on every value.',
    { type: 'string', enum: [...DETECTORS] },
    { uniqueItems: true },
  ),
  columns: list(
    'Column rules (Postgres).',
    obj(
      'A column to mask regardless of content.',
      {
        match: str('"table.column" or a bare column name.', { minLength: 1 }),
        with: str('redact | mask | hash | null.', { enum: ['redact', 'mask', 'hash', 'null'] }),
      },
      ['match', 'with'],
    ),
  ),
  json_paths: list('JSONPath expressions redacted in JSON responses.', {
    type: 'string',
    format: 'jsonpath',
  }),
  replacement: str('Replacement text; {type} is the detector name. Default: [MASKED:{type}].'),
});

const allowDeny = (description: string): Schema => str(description, { enum: ['allow', 'deny'] });

const policy = obj(
  'A policy: who may connect and how commands are judged.',
  {
    allow_groups: strList('Groups allowed to connect; other identities are refused at connect time.'),
    default: str('Action when no rule matches: deny (default) | allow | review.', {
      enum: ['allow', 'deny', 'review'],
    }),
    on_parse_error: str('What cannot be parsed: deny (default) | review.', { enum: ['deny', 'review'] }),
    approvers: strList(
      'Groups that may approve a review no rule produced (default: review, on_parse_error: review). Default: every approver group of the policy’s review rules.',
    ),
    interactive: allowDeny('SSH: interactive shells (exec is always judged). Default: allow.'),
    interactive_unknown: allowDeny(
      'SSH: a pty line not typed at a shell prompt (REPL, editor, heredoc). Default: deny.',
    ),
    port_forwarding: allowDeny('SSH: port forwarding. Default: deny.'),
    agent_forwarding: allowDeny('SSH: agent forwarding. Default: deny.'),
    function_call: allowDeny('Postgres: FunctionCall protocol messages. Default: deny.'),
    env_allow: strList('SSH: env requests forwarded for these names (globs). Default: [LANG, LC_*].', {
      format: 'glob',
    }),
    rules: list('Rules, all evaluated; the most restrictive matching action wins.', rule),
    masking,
  },
  ['allow_groups'],
);

export const configSchema = {
  $id: 'https://portcullis.dev/schema/config.json',
  title: 'Portcullis configuration',
  ...obj(
    'The portcullis.yaml file.',
    {
      version: { type: 'integer', const: 1, description: 'Config format version: 1.' },
      identity,
      store,
      admin,
      approvals,
      telemetry,
      limits,
      connections: list('Listeners, one per upstream system.', {
        type: 'object',
        description: 'A listener; `protocol` selects the shape.',
        discriminator: { propertyName: 'protocol' },
        properties: { protocol: { type: 'string', description: 'postgres | ssh | http' } },
        required: ['protocol'],
        oneOf: [postgresConnection, sshConnection, httpConnection],
      }),
      policies: map('Policies by name.', policy, { type: 'string', pattern: NAME_PATTERN }),
    },
    ['version', 'identity'],
  ),
} as const;
