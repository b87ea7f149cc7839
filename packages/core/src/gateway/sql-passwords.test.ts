// Role passwords in SQL (`CREATE ROLE … PASSWORD '…'`, psql's \password) never reach the recording.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { DEV_AUDIENCE, DEV_ISSUER, generateDevKeys } from '../identity/index.js';
import type { Identity } from '../types.js';
import { redactSqlPasswords } from './command-text.js';
import { Gateway } from './gateway.js';

describe('redactSqlPasswords', () => {
  it.each([
    ["CREATE ROLE bob LOGIN PASSWORD 'hunter2'", "CREATE ROLE bob LOGIN PASSWORD 'X'"],
    [
      "alter user bob with encrypted password 'it''s secret' valid until 'infinity'",
      "alter user bob with encrypted password 'X' valid until 'infinity'",
    ],
    ["ALTER ROLE bob PASSWORD E'a\\'b\\\\c'", "ALTER ROLE bob PASSWORD 'X'"],
    ['ALTER ROLE bob PASSWORD $$p4ss$$', "ALTER ROLE bob PASSWORD 'X'"],
    ['ALTER ROLE bob PASSWORD $t$p4$$ss$t$', "ALTER ROLE bob PASSWORD 'X'"],
    ["ALTER USER bob PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a:b'", "ALTER USER bob PASSWORD 'X'"],
    [
      "CREATE USER a PASSWORD 'x'; CREATE USER b PASSWORD 'y'",
      "CREATE USER a PASSWORD 'X'; CREATE USER b PASSWORD 'X'",
    ],
    ['ALTER ROLE bob PASSWORD NULL', 'ALTER ROLE bob PASSWORD NULL'],
    ['SELECT password FROM users', 'SELECT password FROM users'],
  ])('%s', (sql, want) => {
    expect(redactSqlPasswords(sql, 'X')).toBe(want);
  });
});

describe('recorded SQL', () => {
  let dir: string;
  let g: Gateway;
  const agent: Identity = { subject: 'agent-1', groups: ['dba'], issuer: DEV_ISSUER, method: 'jwt' };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-sqlpw-'));
    const { jwks } = await generateDevKeys(join(dir, 'keys'));
    const parsed = parseConfig(
      `version: 1
identity:
  issuers: [{ issuer: ${DEV_ISSUER}, audience: ${DEV_AUDIENCE}, jwks_file: ${jwks} }]
store: { url: "file:${join(dir, 'sessions')}" }
connections:
  - { name: db, protocol: postgres, listen: "127.0.0.1:0", upstream: { host: 127.0.0.1, port: 5432, database: x, user: postgres }, policy: db }
policies:
  db: { allow_groups: [dba], default: allow }
`,
      { file: join(dir, 'p.yaml'), env: {} },
    );
    if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
    g = await Gateway.create(parsed.config, { analyzers: { sql: true, shell: false } });
  });
  afterAll(async () => {
    await g?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a role password is replaced in the query frame; the statement is still judged as written', async () => {
    const s = await g.open({ connection: 'db', identity: agent, client: { address: '127.0.0.1', port: 1 } });
    const d = await s.judge({
      kind: 'sql',
      text: "CREATE ROLE app LOGIN PASSWORD 'Tr0ub4dor&3'",
      protocol: 'simple',
    });
    expect(d.action).toBe('allow');
    await s.close('done');
    await g.store.flush();
    const frames = await g.store.readFrames(s.id);
    const all = frames.map((f) => f.data).join('\n');
    expect(all).not.toContain('Tr0ub4dor');
    const q = frames.find((f) => f.kind === 'query');
    expect(JSON.parse(q!.data).text).toBe("CREATE ROLE app LOGIN PASSWORD '[MASKED:api_key]'");
  });
});
