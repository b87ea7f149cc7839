// Starts a real gateway for an e2e test from a YAML string: dev keys and a JWKS in a temp dir,
// Redis recording under a unique key prefix, the listeners the config names; close() undoes it all.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Config,
  DEV_AUDIENCE,
  DEV_ISSUER,
  Gateway,
  generateDevKeys,
  type Listener,
  mintToken,
  parseConfig,
} from '@portcullis/core';
import { Redis } from 'ioredis';

export interface GatewayContext {
  /** The temp dir (keys, certs, anything the test writes). */
  dir: string;
  /** jwks.json of the dev signing key. */
  jwksFile: string;
  /** The dev issuer/audience, for `identity.issuers`. */
  issuer: string;
  audience: string;
  /** A unique Redis key prefix for this gateway (cleaned up on close). */
  keyPrefix: string;
  /** An `identity:` + `store:` block using the above; append connections/policies after it. */
  preamble: string;
}

export interface TestGateway extends GatewayContext {
  gateway: Gateway;
  config: Config;
  listeners: Map<string, Listener>;
  /** The bound port of a listener by connection name. */
  port(connection: string): number;
  token(opts?: { sub?: string; groups?: string[]; ttl?: string }): Promise<string>;
  redis(): Redis;
  close(): Promise<void>;
}

export async function startGateway(
  yaml: (ctx: GatewayContext) => string,
  opts: { env?: Record<string, string> } = {},
): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-gw-'));
  const keys = await generateDevKeys(join(dir, 'keys'));
  const keyPrefix = `test:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
  const ctx: GatewayContext = {
    dir,
    jwksFile: keys.jwks,
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    keyPrefix,
    preamble: [
      'version: 1',
      'identity:',
      '  issuers:',
      `    - issuer: ${DEV_ISSUER}`,
      `      audience: ${DEV_AUDIENCE}`,
      `      jwks_file: ${keys.jwks}`,
      'store:',
      '  url: redis://127.0.0.1:6379/0',
      `  key_prefix: "${keyPrefix}"`,
      '',
    ].join('\n'),
  };
  const text = yaml(ctx);
  const file = join(dir, 'portcullis.yaml');
  writeFileSync(file, text);
  const parsed = parseConfig(text, { file, env: { ...process.env, ...opts.env } });
  if (!parsed.config) {
    throw new Error(`test config invalid:\n${parsed.problems.map((p) => JSON.stringify(p)).join('\n')}`);
  }
  const config = parsed.config;
  const gateway = await Gateway.create(config);
  const listeners = new Map<string, Listener>();
  let redis: Redis | undefined;
  try {
    for (const c of config.connections) {
      let l: Listener;
      if (c.protocol === 'postgres')
        l = await (await import('@portcullis/postgres')).startPostgresListener(gateway, c);
      else if (c.protocol === 'ssh') l = await (await import('@portcullis/ssh')).startSshListener(gateway, c);
      else throw new Error(`startGateway: add the ${c.protocol} listener here`);
      listeners.set(c.name, l);
    }
  } catch (e) {
    await gateway.close();
    throw e;
  }
  return {
    ...ctx,
    gateway,
    config,
    listeners,
    port: (name) => {
      const l = listeners.get(name);
      if (!l) throw new Error(`no listener ${name}`);
      return l.address.port;
    },
    token: (o = {}) =>
      mintToken({
        keyFile: keys.signingJwk,
        sub: o.sub ?? 'agent-1',
        groups: o.groups ?? ['ai-agents'],
        ttl: o.ttl,
      }),
    redis: () => {
      redis ??= new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false, maxRetriesPerRequest: 1 });
      return redis;
    },
    close: async () => {
      await Promise.allSettled([...listeners.values()].map((l) => l.close()));
      await gateway.close();
      const r = redis ?? new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
      try {
        let cursor = '0';
        do {
          const [next, keys] = await r.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await r.del(...keys);
        } while (cursor !== '0');
      } finally {
        r.disconnect();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
