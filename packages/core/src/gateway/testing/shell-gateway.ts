// A gateway with one SSH connection (`vm`, upstream user deploy) and a shell policy whose rules a test
// writes, for judging shell lines and file operations in process. A file store in a temp dir; close() removes it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../config/index.js';
import { DEV_AUDIENCE, DEV_ISSUER, generateDevKeys } from '../../identity/index.js';
import type { Identity, Session } from '../../types.js';
import { Gateway } from '../gateway.js';

export const shellAgent: Identity = {
  subject: 'agent-1',
  groups: ['ai-agents'],
  issuer: DEV_ISSUER,
  method: 'jwt',
};

export interface ShellGateway {
  gateway: Gateway;
  open(): Promise<Session>;
  close(): Promise<void>;
}

/** `rules`: the YAML of the policy's rule list, indented as list items under `rules:` (6 spaces). */
export async function shellGateway(rules: string): Promise<ShellGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-shell-gw-'));
  const keys = await generateDevKeys(join(dir, 'keys'));
  const hostKey = readFileSync(keys.sshHostKeyPub, 'utf8').split(' ').slice(0, 2).join(' ');
  const parsed = parseConfig(
    `version: 1
identity:
  issuers: [{ issuer: ${DEV_ISSUER}, audience: ${DEV_AUDIENCE}, jwks_file: ${keys.jwks} }]
store: { url: "file:${join(dir, 'sessions')}" }
connections:
  - name: vm
    protocol: ssh
    listen: "127.0.0.1:0"
    host_key_file: ${keys.sshHostKey}
    upstream: { host: 127.0.0.1, port: 22, user: deploy, private_key_file: ${keys.sshHostKey}, host_key: "${hostKey}" }
    policy: shell
policies:
  shell:
    allow_groups: [ai-agents]
    default: allow
    rules:
${rules}
`,
    { file: join(dir, 'p.yaml'), env: {} },
  );
  if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
  const gateway = await Gateway.create(parsed.config, { analyzers: { sql: false, shell: true } });
  return {
    gateway,
    open: () => gateway.open({ connection: 'vm', identity: shellAgent, client: { address: '127.0.0.1' } }),
    close: async () => {
      await gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
