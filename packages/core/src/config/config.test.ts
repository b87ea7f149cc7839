import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, formatConfigProblem } from '../errors.js';
import { configSchema, loadConfig, loadStoreConfig, parseConfig } from './index.js';

const repo = new URL('../../../../', import.meta.url).pathname;
const EXAMPLE = join(repo, 'configs/example.yaml');
const BROKEN = join(repo, 'configs/broken-example.yaml');
const ENV = { ORDERS_DB_PASSWORD: 's3cret', PAYMENTS_API_TOKEN: 'tok-123' };

let dir: string;

/** A folder holding the files the example config refers to. */
async function exampleDir(): Promise<string> {
  const d = await mkdtemp(join(dir, 'example-'));
  await mkdir(join(d, 'tls'));
  await mkdir(join(d, 'keys'));
  await writeFile(join(d, 'tls/cert.pem'), 'cert');
  await writeFile(join(d, 'tls/key.pem'), 'key');
  await writeFile(join(d, 'keys/deploy_ed25519'), 'key');
  await copyFile(EXAMPLE, join(d, 'portcullis.yaml'));
  return d;
}

/** Parses a snippet in a scratch folder; returns the formatted problems. */
function problemsOf(yaml: string, env: Record<string, string> = {}): string[] {
  return parseConfig(yaml, { file: 'c.yaml', env, baseDir: dir }).problems.map(formatConfigProblem);
}

const HEAD = `version: 1
identity:
  issuers:
    - { issuer: "https://idp/", audience: portcullis, jwks_uri: "https://idp/jwks" }
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-config-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('configs/example.yaml (the SPEC example)', () => {
  test('passes, and normalises to the documented values', async () => {
    const d = await exampleDir();
    const text = await readFile(join(d, 'portcullis.yaml'), 'utf8');
    const r = parseConfig(text, { file: join(d, 'portcullis.yaml'), env: ENV });
    expect(r.problems.map(formatConfigProblem)).toEqual([]);
    const c = r.config!;
    expect(c.connections.map((x) => `${x.name}/${x.protocol}`)).toEqual([
      'orders-db/postgres',
      'build-vm/ssh',
      'payments-api/http',
    ]);
    expect(Object.keys(c.policies)).toEqual(['db-guardrails', 'shell-guardrails', 'api-guardrails']);
    expect(c.identity.issuers[0]).toEqual({
      issuer: 'https://login.example.com/',
      audience: 'portcullis',
      jwksUri: 'https://login.example.com/.well-known/jwks.json',
      groupsClaim: 'groups',
      clockToleranceMs: 30_000,
    });
    expect(c.store).toMatchObject({
      url: 'redis://127.0.0.1:6379/0',
      keyPrefix: 'portcullis',
      retentionMs: 30 * 86_400_000,
      onFailure: 'close',
    });
    expect(c.limits).toEqual({
      maxMessageBytes: 64 * 1024 * 1024,
      maxHeaderBytes: 64 * 1024,
      handshakeTimeoutMs: 10_000,
      idleTimeoutMs: 3_600_000,
      drainTimeoutMs: 30_000,
      maxBodyInspectBytes: 1024 * 1024,
      recordRows: 100,
      recordResultBytes: 64 * 1024,
      recordStreamBytes: 32 * 1024 * 1024,
    });
    const [pg, ssh, http] = c.connections;
    if (pg.protocol !== 'postgres' || ssh.protocol !== 'ssh' || http.protocol !== 'http')
      throw new Error('order');
    expect(pg.upstream.password).toBe('s3cret');
    expect(pg.tls).toEqual({
      certFile: join(d, 'tls/cert.pem'),
      keyFile: join(d, 'tls/key.pem'),
      required: false,
    });
    expect(ssh.hostKeyFile).toBe(join(d, 'keys/ssh_host_ed25519'));
    expect(ssh.upstream.privateKeyFile).toBe(join(d, 'keys/deploy_ed25519'));
    expect(http.upstream.headers).toEqual({ Authorization: 'Bearer tok-123' });
    const db = c.policies['db-guardrails'];
    expect(db.rules.map((x) => x.name)).toEqual([
      'reads',
      'no-file-or-network-functions',
      'delete-needs-where',
      'writes-reviewed',
    ]);
    expect(db.rules[0].when).toEqual({ sql: { category: ['read'] } });
    expect(db.rules[2].when.sql).toEqual({ statements: ['DeleteStmt', 'UpdateStmt'], where: 'absent' });
    expect(db.rules[3]).toMatchObject({
      action: 'review',
      approvers: ['dba'],
      minApprovals: 1,
      timeoutMs: 300_000,
    });
    expect(db.masking.columns).toEqual([{ match: 'users.password_hash', with: 'redact' }]);
    expect(db.masking.replacement).toBe('[MASKED:{type}]');
    expect(db).toMatchObject({
      default: 'deny',
      onParseError: 'deny',
      functionCall: 'deny',
      envAllow: ['LANG', 'LC_*'],
    });
    const sh = c.policies['shell-guardrails'];
    expect(sh).toMatchObject({
      default: 'allow',
      interactive: 'allow',
      interactiveUnknown: 'deny',
      portForwarding: 'deny',
      agentForwarding: 'deny',
    });
    expect(sh.rules[0].when.shell).toEqual({ commands: ['rm'], args: ['-rf', '-fr', '--no-preserve-root'] });
    expect(sh.rules[3]).toMatchObject({ approvers: ['sre'], timeoutMs: 300_000 });
    const api = c.policies['api-guardrails'];
    expect(api.rules[0].when.http).toEqual({
      methods: ['POST', 'PUT', 'PATCH', 'DELETE'],
      paths: ['/v1/payments/**'],
    });
    expect(api.masking.jsonPaths).toEqual(['$..card_number']);
    // The SPEC's elided SSH keys ("AAAA...") are accepted but flagged: they can never match.
    expect(r.warnings.map((w) => w.path)).toEqual([
      'identity.ssh_keys[0].public_key',
      'connections[1].upstream.host_key',
    ]);
  });

  test('without its environment variables and files, every missing one is named at its position', async () => {
    const text = await readFile(EXAMPLE, 'utf8');
    const r = parseConfig(text, { file: 'configs/example.yaml', env: {}, baseDir: join(dir, 'empty') });
    const lines = text.split('\n');
    const pw = lines.findIndex((l) => l.includes('${ORDERS_DB_PASSWORD}'));
    const tok = lines.findIndex((l) => l.includes('${PAYMENTS_API_TOKEN}'));
    const out = r.problems.map(formatConfigProblem);
    expect(out).toContain(
      `configs/example.yaml:${pw + 1}:${lines[pw].indexOf('${') + 1}: connections[0].upstream.password: environment variable ORDERS_DB_PASSWORD is not set`,
    );
    expect(out).toContain(
      `configs/example.yaml:${tok + 1}:${lines[tok].indexOf('${') + 1}: connections[2].upstream.headers.Authorization: environment variable PAYMENTS_API_TOKEN is not set`,
    );
    expect(out.filter((l) => l.includes('does not exist'))).toHaveLength(3);
    expect(r.config).toBeUndefined();
  });
});

describe('configs/broken-example.yaml', () => {
  test('reports every error, with line, column and key path, sorted by line', async () => {
    const text = await readFile(BROKEN, 'utf8');
    const r = parseConfig(text, { file: 'configs/broken-example.yaml', env: {} });
    const F = 'configs/broken-example.yaml';
    expect(r.problems.map(formatConfigProblem)).toEqual([
      `${F}:3:10: version: must be 1, not 2`,
      `${F}:10:24: identity.issuers[0].clock_tolerance: "30 seconds" is not a duration (e.g. 250ms, 30s, 5m, 1h, 30d)`,
      `${F}:15:15: store.on_failure: "ignore" is not one of: close, continue`,
      `${F}:18:3: admin.auditor: unknown key "auditor" (did you mean "auditors"?)`,
      `${F}:20:22: limits.max_message_bytes: "64 potatoes" is not a size (e.g. 1024, 64KiB, 64MiB, 1MB)`,
      `${F}:27:13: connections[0].upstream.port: must be <= 65535, not 99999`,
      `${F}:29:17: connections[0].upstream.password: environment variable BROKEN_EXAMPLE_UNSET_PASSWORD is not set`,
      `${F}:31:11: connections[1].name: duplicate connection name "orders-db" (also connections[0])`,
      `${F}:33:13: connections[1].listen: listen address 127.0.0.1:15432 is already used by connections[0]`,
      `${F}:34:5: connections[1].upstream: missing required key "host"`,
      `${F}:37:13: connections[1].policy: unknown policy "db-guardrail" (defined: db-guardrails)`,
      `${F}:39:15: connections[2].protocol: "telnet" is not one of: postgres, ssh, http`,
      `${F}:45:14: policies.db-guardrails.default: "maybe" is not one of: allow, deny, review`,
      `${F}:48:34: policies.db-guardrails.rules[0].when.sql.category: "reed" is not one of: read, write, ddl, admin, transaction, session, call, unknown`,
      `${F}:50:15: policies.db-guardrails.rules[1].name: duplicate rule name "reads" in policy db-guardrails (also rules[0])`,
      `${F}:51:17: policies.db-guardrails.rules[1].when.shell: a shell rule cannot match on postgres connection "orders-db" (which uses this policy; it needs sql rules)`,
      `${F}:53:9: policies.db-guardrails.rules[2]: action review needs "approvers" (the groups that may approve)`,
      `${F}:56:18: policies.db-guardrails.rules[2].timeout: "soon" is not a duration (e.g. 250ms, 30s, 5m, 1h, 30d)`,
      `${F}:58:17: policies.db-guardrails.rules[3].when.http: an http rule cannot match on postgres connection "orders-db" (which uses this policy; it needs sql rules)`,
      `${F}:58:31: policies.db-guardrails.rules[3].when.http.body: invalid regular expression (RE2 syntax): error parsing regexp: invalid or unsupported Perl syntax: \`(?=\``,
      `${F}:61:33: policies.db-guardrails.rules[4].when.sql.tables[0]: glob "users[0" has an unclosed "["`,
      `${F}:63:1: telemetri: unknown key "telemetri" (did you mean "telemetry"?)`,
    ]);
    expect(r.config).toBeUndefined();
  });

  test('loadConfig throws a ConfigError carrying all of them', async () => {
    const err = await loadConfig(BROKEN, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toHaveLength(22);
    expect((err as ConfigError).kind).toBe('config');
  });
});

describe('schema problems point at the right place', () => {
  test('unknown keys at any depth, at the key itself', () => {
    const out = problemsOf(`${HEAD}connections:
  - name: db
    protocol: postgres
    listen: 127.0.0.1:0
    upstream: { host: h, port: 5432, user: u, pasword: x }
    policy: p
policies:
  p:
    allow_groups: [a]
    rules:
      - { name: r, when: { sql: { category: read, tabels: [t] } }, action: allow }
    masking: { detectors: [email], jsonpaths: [] }
`);
    expect(out).toEqual([
      'c.yaml:9:47: connections[0].upstream.pasword: unknown key "pasword" (did you mean "password"?)',
      'c.yaml:15:51: policies.p.rules[0].when.sql.tabels: unknown key "tabels" (did you mean "tables"?)',
      'c.yaml:16:36: policies.p.masking.jsonpaths: unknown key "jsonpaths" (did you mean "json_paths"?)',
    ]);
  });

  test('types, required keys and protocol shapes', () => {
    const out = problemsOf(`${HEAD}connections:
  - name: vm
    protocol: ssh
    listen: "127.0.0.1:70000"
    upstream: { host: h, port: "22", user: u, private_key_file: /nonexistent/key }
    policy: p
  - protocol: http
    listen: 127.0.0.1:0
    host_key_file: ./k
    upstream: { url: "ftp://x" }
    policy: p
policies:
  p:
    allow_groups: ai-agents
`);
    expect(out).toEqual([
      'c.yaml:6:5: connections[0]: missing required key "host_key_file"',
      'c.yaml:8:13: connections[0].listen: port 70000 is out of range (0-65535)',
      'c.yaml:9:5: connections[0].upstream: missing "host_key" (pin the upstream host key)',
      'c.yaml:9:32: connections[0].upstream.port: must be an integer, not "22"',
      'c.yaml:9:65: connections[0].upstream.private_key_file: private key file /nonexistent/key does not exist',
      'c.yaml:11:5: connections[1]: missing required key "name"',
      'c.yaml:13:5: connections[1].host_key_file: unknown key "host_key_file" (allowed: name, protocol, listen, tls, upstream, policy)',
      'c.yaml:14:22: connections[1].upstream.url: URL scheme must be http or https, not "ftp"',
      'c.yaml:18:19: policies.p.allow_groups: must be a list, not "ai-agents"',
    ]);
  });

  test('a rule whose protocol does not fit the connections using its policy', () => {
    const out = problemsOf(
      `${HEAD}connections:
  - { name: vm, protocol: ssh, listen: "127.0.0.1:0", host_key_file: ./hk, policy: p,
      upstream: { host: h, port: 22, user: u, private_key: "\${KEY}", insecure_skip_host_key: true } }
policies:
  p:
    allow_groups: [a]
    rules:
      - { name: r1, when: { sql: { category: write } }, action: deny }
      - { name: r2, when: { shell: { commands: rm }, http: { methods: GET } }, action: deny }
      - { name: r3, when: {}, action: deny }
      - { name: r4, when: { groups: [x] }, action: deny }
      - { name: r5, when: { shell: { dynamic: true } }, action: review, approvers: [] }
`,
      { KEY: 'k' },
    );
    expect(out).toEqual([
      'c.yaml:12:29: policies.p.rules[0].when.sql: a sql rule cannot match on ssh connection "vm" (which uses this policy; it needs shell rules)',
      'c.yaml:13:54: policies.p.rules[1].when.http: only one of sql, shell, http per rule (also has shell)',
      'c.yaml:14:21: policies.p.rules[2].when: needs one of sql, shell, http',
      'c.yaml:15:21: policies.p.rules[3].when: needs one of sql, shell, http',
      'c.yaml:16:9: policies.p.rules[4]: action review needs "approvers" (the groups that may approve)',
    ]);
  });

  test('YAML syntax errors and duplicate keys have positions', () => {
    expect(problemsOf('version: 1\nidentity:\n  issuers: [\n')[0]).toMatch(
      /^c\.yaml:\d+:\d+: \(document\): /,
    );
    expect(problemsOf('version: 1\nversion: 1\n')).toEqual([
      'c.yaml:2:1: (document): Map keys must be unique',
    ]);
    expect(problemsOf('')).toEqual([
      'c.yaml:1:1: (document): the file is empty (expected "version: 1" and the config)',
    ]);
    expect(problemsOf('- a\n- b\n')[0]).toMatch(/^c\.yaml:1:1: \(document\): must be a mapping/);
    expect(problemsOf('version: 1\n')).toEqual(['c.yaml:1:1: (document): missing required key "identity"']);
  });

  test('a __proto__ key is an unknown key, not a prototype', () => {
    const out = problemsOf(`${HEAD}__proto__: { polluted: true }\n`);
    expect(out).toEqual([
      'c.yaml:5:1: __proto__: unknown key "__proto__" (allowed: version, identity, store, admin, approvals, telemetry, limits, connections, policies)',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('loadStoreConfig (the CLI readers of recordings and approvals)', () => {
  test('an unset upstream secret elsewhere does not stop it; a problem in store does', async () => {
    const f = join(dir, 'reader.yaml');
    const body = `connections:\n  - { name: api, protocol: http, listen: "127.0.0.1:0", upstream: { url: "http://x", headers: { A: "\${NOT_SET_HERE}" } }, policy: p }\npolicies:\n  p: { allow_groups: [a] }\nadmin: { listen: "127.0.0.1:8900" }\n`;
    await writeFile(f, `${HEAD}store: { url: "redis://127.0.0.1:6379/2", key_prefix: "\${PFX}" }\n${body}`);
    await expect(loadConfig(f, { PFX: 'x' })).rejects.toThrow(/NOT_SET_HERE is not set/);
    const c = await loadStoreConfig(f, { PFX: 'audit' });
    expect(c.store).toMatchObject({ url: 'redis://127.0.0.1:6379/2', keyPrefix: 'audit' });
    expect(c.admin.listen).toBe('127.0.0.1:8900');
    await writeFile(f, `${HEAD}store: { url: "redis://127.0.0.1:6379/2", on_failure: maybe }\n${body}`);
    await expect(loadStoreConfig(f, {})).rejects.toThrow(/store\.on_failure: "maybe" is not one of/);
  });
});

describe('environment variables', () => {
  test('${VAR}, ${VAR:-default} and $${literal}', () => {
    const yaml = `${HEAD}connections:
  - name: api
    protocol: http
    listen: 127.0.0.1:0
    upstream:
      url: "http://\${API_HOST}:\${API_PORT:-8080}"
      headers: { X-A: "$\${NOT_A_VAR}", X-B: "pre-\${TOKEN}-post" }
    policy: p
policies: { p: { allow_groups: [a] } }
`;
    const r = parseConfig(yaml, { file: 'c.yaml', env: { API_HOST: '127.0.0.1', TOKEN: 't' }, baseDir: dir });
    expect(r.problems).toEqual([]);
    const c = r.config!.connections[0];
    if (c.protocol !== 'http') throw new Error('http');
    expect(c.upstream.url).toBe('http://127.0.0.1:8080');
    expect(c.upstream.headers).toEqual({ 'X-A': '${NOT_A_VAR}', 'X-B': 'pre-t-post' });
    // Each missing variable is its own problem, pointing inside the value.
    const missing = problemsOf(yaml, {});
    expect(missing).toEqual([
      'c.yaml:10:20: connections[0].upstream.url: environment variable API_HOST is not set',
      'c.yaml:11:50: connections[0].upstream.headers.X-B: environment variable TOKEN is not set',
    ]);
  });

  test('a substituted value is validated like a written one', () => {
    const out = problemsOf(`${HEAD}store: { url: "\${STORE}" }\n`, { STORE: 'mysql://x' });
    expect(out).toEqual([
      'c.yaml:5:15: store.url: "mysql://x" must be redis://…, rediss://…, redis-cluster://host:port,host:port…, rediss-cluster://… or file:DIR',
    ]);
  });

  test('a whole ${VAR} where a number is wanted is read as a number; digits stay a string elsewhere', () => {
    const conn = (port: string, password: string) =>
      `${HEAD}connections:\n  - { name: db, protocol: postgres, listen: "127.0.0.1:1", policy: p, upstream: { host: h, port: ${port}, user: u, password: ${password} } }\npolicies:\n  p: { allow_groups: [a] }\n`;
    const ok = parseConfig(conn('"${PORT}"', '"${PASS}"'), {
      file: 'c.yaml',
      env: { PORT: '5433', PASS: '12345' },
    });
    expect(ok.problems).toEqual([]);
    const up = ok.config!.connections[0].upstream as { port: number; password: string };
    expect(up.port).toBe(5433);
    expect(up.password).toBe('12345');
    expect(problemsOf(conn('"${PORT}"', 'x'), { PORT: 'abc' })).toEqual([
      expect.stringMatching(/connections\[0\]\.upstream\.port: must be an integer/),
    ]);
    expect(problemsOf(conn('"5433"', 'x'), {})).toEqual([
      expect.stringMatching(/upstream\.port: must be an integer/),
    ]);
  });
});

describe('files', () => {
  test('jwks_file is resolved against the config folder and must be a public JWKS', async () => {
    const d = await mkdtemp(join(dir, 'jwks-'));
    await writeFile(
      join(d, 'good.json'),
      JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AA' }] }),
    );
    await writeFile(
      join(d, 'private.json'),
      JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AA', d: 'BB' }] }),
    );
    await writeFile(join(d, 'notjson.json'), 'nope');
    const yaml = (f: string) =>
      `version: 1\nidentity:\n  issuers:\n    - { issuer: "https://i/", audience: a, jwks_file: ${f} }\n`;
    const ok = parseConfig(yaml('./good.json'), { file: join(d, 'c.yaml'), env: {} });
    expect(ok.problems).toEqual([]);
    expect(ok.config!.identity.issuers[0].jwksFile).toBe(join(d, 'good.json'));
    const msg = (f: string) =>
      parseConfig(yaml(f), { file: join(d, 'c.yaml'), env: {} }).problems.map((p) => p.message);
    expect(msg('private.json')).toEqual([expect.stringMatching(/holds private or symmetric key material/)]);
    expect(msg('notjson.json')).toEqual([expect.stringMatching(/is not JSON/)]);
    expect(msg('missing.json')).toEqual([expect.stringMatching(/does not exist/)]);
    expect(
      parseConfig(`version: 1\nidentity:\n  issuers:\n    - { issuer: "https://i/", audience: a }\n`, {
        file: 'c.yaml',
        env: {},
      }).problems.map(formatConfigProblem),
    ).toEqual(['c.yaml:4:7: identity.issuers[0]: missing "jwks_uri" or "jwks_file"']);
  });
});

describe('identity', () => {
  test('the same SSH key listed twice is refused', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtt4WIv6gcH0r1lMn2Fh5v2xSBt0Rz9y3n0ZxO1y1bN';
    const out = problemsOf(`version: 1
identity:
  ssh_keys:
    - { public_key: "${key} a", subject: a }
    - { public_key: "${key} b", subject: b }
`);
    expect(out).toEqual([
      'c.yaml:5:21: identity.ssh_keys[1].public_key: the same key is already listed at identity.ssh_keys[0]',
    ]);
  });
});

describe('defaults', () => {
  test('a minimal file gets every documented default', () => {
    const r = parseConfig(
      `${HEAD}policies:\n  p: { allow_groups: [a], rules: [{ name: r, when: { sql: { category: write } }, action: review, approvers: [dba] }] }\n`,
      {
        file: join(dir, 'min.yaml'),
        env: {},
      },
    );
    expect(r.problems).toEqual([]);
    const c = r.config!;
    expect(c.store).toEqual({
      url: `file:${join(dir, 'data/sessions')}`,
      keyPrefix: 'portcullis',
      retentionMs: 30 * 86_400_000,
      onFailure: 'close',
      maxFramesPerSession: 1_000_000,
      failureTimeoutMs: 5_000,
    });
    expect(c.admin).toEqual({ auditors: [] });
    expect(c.approvals).toEqual({ defaultTimeoutMs: 300_000 });
    expect(c.telemetry).toEqual({ serviceName: 'portcullis' });
    expect(c.connections).toEqual([]);
    expect(c.policies.p).toEqual({
      name: 'p',
      allowGroups: ['a'],
      default: 'deny',
      onParseError: 'deny',
      fallbackReview: {
        name: 'default',
        when: {},
        action: 'review',
        approvers: ['dba'],
        minApprovals: 1,
        timeoutMs: 300_000,
      },
      interactive: 'allow',
      interactiveUnknown: 'deny',
      portForwarding: 'deny',
      agentForwarding: 'deny',
      functionCall: 'deny',
      envAllow: ['LANG', 'LC_*'],
      rules: [
        {
          name: 'r',
          when: { sql: { category: ['write'] } },
          action: 'review',
          approvers: ['dba'],
          minApprovals: 1,
          timeoutMs: 300_000,
        },
      ],
      masking: { detectors: [], columns: [], jsonPaths: [], replacement: '[MASKED:{type}]' },
    });
  });

  test('a review no rule produced goes to the policy approvers, else to its review rules’ approvers', () => {
    const parse = (p: string) =>
      parseConfig(`${HEAD}approvals: { default_timeout: 2m }\npolicies:\n  p: ${p}\n`, {
        file: 'c.yaml',
        env: {},
        baseDir: dir,
      });
    const own = parse('{ allow_groups: [a], default: review, approvers: [leads] }');
    expect(own.config!.policies.p.fallbackReview).toMatchObject({
      approvers: ['leads'],
      minApprovals: 1,
      timeoutMs: 120_000,
    });
    expect(own.warnings).toEqual([]);
    const borrowed = parse(
      '{ allow_groups: [a], on_parse_error: review, rules: [{ name: w, when: { sql: { category: write } }, action: review, approvers: [dba, sre] }, { name: x, when: { sql: { category: ddl } }, action: review, approvers: [dba] }] }',
    );
    expect(borrowed.config!.policies.p.fallbackReview.approvers).toEqual(['dba', 'sre']);
    expect(borrowed.warnings).toEqual([]);
    const nobody = parse('{ allow_groups: [a], default: review }');
    expect(nobody.problems).toEqual([]);
    expect(nobody.warnings.map((w) => `${w.line}:${w.col} ${w.path}: ${w.message}`)).toEqual([
      '7:36 policies.p.default: nobody can approve these reviews: set policies.p.approvers (otherwise each one is denied after approvals.default_timeout)',
    ]);
  });

  test('snake_case keys from the SPEC are accepted and mapped', () => {
    const r = parseConfig(
      `version: 1
identity:
  issuers: [{ issuer: "https://i/", audience: [a, b], jwks_uri: "https://i/j", groups_claim: roles, clock_tolerance: 1m30s }]
approvals: { default_timeout: 10m }
policies:
  p:
    allow_groups: [a]
    rules:
      - { name: r1, when: { sql: { copy_program: true } }, action: review, approvers: [x], min_approvals: 2 }
      - { name: r2, when: { sql: { functions: dblink } }, action: review, approvers: [x], timeout: 250ms }
      - { name: r3, when: { http: { methods: post, headers: { Content-Type: "*json*" }, json: { "$.amount": 5 } } }, action: deny }
    masking: { json_paths: ["$..card"], replacement: "***" }
`,
      { file: 'c.yaml', env: {}, baseDir: dir },
    );
    expect(r.problems.map(formatConfigProblem)).toEqual([]);
    const c = r.config!;
    expect(c.identity.issuers[0]).toMatchObject({
      audience: ['a', 'b'],
      groupsClaim: 'roles',
      clockToleranceMs: 90_000,
    });
    const rules = c.policies.p.rules;
    expect(rules[0]).toMatchObject({
      when: { sql: { copy_program: true } },
      minApprovals: 2,
      timeoutMs: 600_000,
    });
    expect(rules[1]).toMatchObject({ when: { sql: { functions: ['dblink'] } }, timeoutMs: 250 });
    expect(rules[2].when.http).toEqual({
      methods: ['POST'],
      headers: { 'content-type': '*json*' },
      json: { '$.amount': 5 },
    });
    expect(c.policies.p.masking).toMatchObject({ jsonPaths: ['$..card'], replacement: '***' });
  });
});

describe('configSchema', () => {
  test('every key has a description (docs/config.md is generated from it)', () => {
    const missing: string[] = [];
    const walk = (s: Record<string, unknown>, path: string) => {
      const props = s.properties as Record<string, Record<string, unknown>> | undefined;
      for (const [k, v] of Object.entries(props ?? {})) {
        if (typeof v.description !== 'string' || v.description === '') missing.push(`${path}.${k}`);
        walk(v, `${path}.${k}`);
      }
      for (const key of ['items', 'additionalProperties'] as const) {
        if (s[key] && typeof s[key] === 'object') walk(s[key] as Record<string, unknown>, `${path}[]`);
      }
      for (const alt of (s.oneOf ?? []) as Record<string, unknown>[]) walk(alt, path);
    };
    walk(configSchema as unknown as Record<string, unknown>, '');
    expect(missing).toEqual([]);
  });
});
