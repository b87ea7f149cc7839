// Bench fixture: a real sshd and Portcullis (one SSH listener, default-allow policy with a few
// rules, masking on, recording to a file store with on_failure: continue — every output byte is
// recorded and the store falls behind at these rates) in front of it. Prints one JSON line, then waits.
// Usage: node gateway.mjs WORKDIR
import { join } from 'node:path';
import { startSshd } from '../../e2e/support/sshd.js';
import {
  Gateway,
  generateDevKeys,
  mintToken,
  parseConfig,
  type SshConnection,
  silentLogger,
} from '../../packages/core/src/index.js';
import { startSshListener } from '../../packages/ssh/src/index.js';

const dir = process.argv[2] as string;
const sshd = await startSshd();
const keys = await generateDevKeys(join(dir, 'keys'), { force: true });
const store = process.env.PORTCULLIS_BENCH_STORE ?? `file:${join(dir, 'sessions')}`;
const yaml = `
version: 1
identity:
  issuers: [{ issuer: https://portcullis.dev.local/, audience: portcullis, jwks_file: ${keys.jwks} }]
store: { url: "${store}", key_prefix: "bench-ssh", on_failure: continue }
connections:
  - name: vm
    protocol: ssh
    listen: 127.0.0.1:0
    host_key_file: ${join(dir, 'gw_host_key')}
    upstream: { host: 127.0.0.1, port: ${sshd.port}, user: ${sshd.user}, private_key_file: ${sshd.clientKeyFile}, host_key: "${sshd.hostKey}" }
    policy: shell
policies:
  shell:
    allow_groups: [ai-agents]
    default: allow
    rules:
      - name: no-destructive
        when: { shell: { commands: [rm], args: ["-rf"] } }
        action: deny
      - name: no-dynamic
        when: { shell: { dynamic: true } }
        action: deny
    masking: { detectors: [aws_access_key, private_key, jwt, api_key] }
`;
const parsed = parseConfig(yaml, { file: join(dir, 'portcullis.yaml'), env: process.env });
if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
const gateway = await Gateway.create(parsed.config, { log: silentLogger });
const listener = await startSshListener(gateway, parsed.config.connections[0] as SshConnection);
const token = await mintToken({ keyFile: keys.signingJwk, sub: 'bench', groups: ['ai-agents'], ttl: '2h' });
process.stdout.write(
  `${JSON.stringify({ sshdPort: sshd.port, user: sshd.user, clientKey: sshd.clientKeyFile, gatewayPort: listener.address.port, token })}\n`,
);
const stop = async () => {
  await listener.close();
  await gateway.close();
  await sshd.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
