// The bench's Postgres connection and policy (three rules, every masking detector, a column rule), shared by
// the bench gateway and the in-process cost bench so both judge and mask the same way.
import { type Config, parseConfig } from '../../packages/core/src/index.js';

export function benchConfig(o: {
  jwksFile: string;
  store: string;
  keyPrefix: string;
  database: string;
  port?: number;
}): Config {
  const yaml = `
version: 1
identity:
  issuers: [{ issuer: https://portcullis.dev.local/, audience: portcullis, jwks_file: ${o.jwksFile} }]
store: { url: "${o.store}", key_prefix: "${o.keyPrefix}" }
connections:
  - name: db
    protocol: postgres
    listen: 127.0.0.1:${o.port ?? 0}
    upstream: { host: 127.0.0.1, port: 5432, database: ${o.database}, user: postgres, tls: disable }
    policy: db
policies:
  db:
    allow_groups: [ai-agents]
    default: deny
    rules:
      - name: reads
        when: { sql: { category: [read, session, transaction] } }
        action: allow
      - name: no-file-functions
        when: { sql: { functions: [pg_read_file, pg_read_binary_file, pg_ls_dir, lo_import, lo_export, dblink] } }
        action: deny
      - name: delete-needs-where
        when: { sql: { statements: [DeleteStmt, UpdateStmt], where: absent } }
        action: deny
    masking:
      detectors: [email, credit_card, us_ssn, phone, iban, aws_access_key, private_key, jwt, api_key]
      columns: [ { match: "users.password_hash", with: redact } ]
`;
  const parsed = parseConfig(yaml, { file: 'bench-postgres.yaml', env: {} });
  if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}
