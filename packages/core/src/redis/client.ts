// One place that turns a store URL into an ioredis client: a single server (`redis://`, `rediss://`) or a
// Redis Cluster (`redis-cluster://host:port,host:port/`, `rediss-cluster://…` for TLS), seeded from the
// listed nodes. Recording and approvals keep every multi-key operation inside one hash slot (`{id}` tags)
// or do it key by key when the client is a cluster, so the same code runs on both.
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisClient = Redis | Cluster;

const REDIS_URL = /^(rediss?)(-cluster)?:\/\//;

/** `redis://`, `rediss://`, `redis-cluster://`, `rediss-cluster://`. */
export function isRedisUrl(url: string): boolean {
  return REDIS_URL.test(url);
}

export function isClusterUrl(url: string): boolean {
  return /^rediss?-cluster:\/\//.test(url);
}

export interface ParsedRedisUrl {
  cluster: boolean;
  tls: boolean;
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  db?: number;
}

/** Parses a store URL; throws with a message naming what is wrong. */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  const m = REDIS_URL.exec(url);
  if (!m) throw new Error(`"${url}" is not a redis://, rediss://, redis-cluster:// or rediss-cluster:// URL`);
  const cluster = m[2] !== undefined;
  const rest = url.slice(m[0].length);
  const at = rest.lastIndexOf('@', rest.indexOf('/') < 0 ? rest.length : rest.indexOf('/'));
  const auth = at >= 0 ? rest.slice(0, at) : '';
  const afterAuth = at >= 0 ? rest.slice(at + 1) : rest;
  const slash = afterAuth.indexOf('/');
  const hosts = slash < 0 ? afterAuth : afterAuth.slice(0, slash);
  const path = slash < 0 ? '' : afterAuth.slice(slash + 1).split('?')[0];
  const nodes = hosts
    .split(',')
    .filter((h) => h !== '')
    .map((h) => {
      const hm = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h);
      if (!hm) throw new Error(`"${url}": bad host "${h}"`);
      const port = hm[2] === undefined ? 6379 : Number(hm[2]);
      if (!(port > 0 && port < 65536)) throw new Error(`"${url}": bad port in "${h}"`);
      return { host: hm[1].replace(/^\[|\]$/g, ''), port };
    });
  if (nodes.length === 0) throw new Error(`"${url}": no host`);
  if (!cluster && nodes.length > 1)
    throw new Error(`"${url}": several hosts need redis-cluster:// (or rediss-cluster://)`);
  let db: number | undefined;
  if (path !== '') {
    if (!/^\d+$/.test(path)) throw new Error(`"${url}": the database must be a number, not "${path}"`);
    db = Number(path);
    if (cluster && db !== 0) throw new Error(`"${url}": Redis Cluster has only database 0`);
  }
  // user:password@, :password@, or a lone password@.
  const colon = auth.indexOf(':');
  const username = colon > 0 ? decodeURIComponent(auth.slice(0, colon)) : undefined;
  const password =
    colon >= 0
      ? decodeURIComponent(auth.slice(colon + 1))
      : auth === ''
        ? undefined
        : decodeURIComponent(auth);
  return {
    cluster,
    tls: m[1] === 'rediss',
    nodes,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(db !== undefined ? { db } : {}),
  };
}

/** The URL without credentials, for logs and health reports. */
export function describeRedisUrl(url: string): string {
  try {
    const p = parseRedisUrl(url);
    const scheme = `${p.tls ? 'rediss' : 'redis'}${p.cluster ? '-cluster' : ''}`;
    return `${scheme}://${p.nodes.map((n) => `${n.host}:${n.port}`).join(',')}${p.db !== undefined ? `/${p.db}` : ''}`;
  } catch {
    return '(invalid redis URL)';
  }
}

/** A client for the URL with these options (for a cluster they apply to every node's connection). */
export function redisClient(url: string, options: RedisOptions): RedisClient {
  const p = parseRedisUrl(url);
  if (!p.cluster) return new Redis(url, options);
  const { lazyConnect, enableOfflineQueue, maxRetriesPerRequest, retryStrategy, ...nodeOptions } = options;
  return new Cluster(p.nodes, {
    lazyConnect,
    enableOfflineQueue,
    ...(typeof maxRetriesPerRequest === 'number' ? { maxRedirections: 16 } : {}),
    clusterRetryStrategy: retryStrategy ? (times) => retryStrategy(times) ?? null : undefined,
    redisOptions: {
      ...nodeOptions,
      maxRetriesPerRequest,
      ...(p.username ? { username: p.username } : {}),
      ...(p.password ? { password: p.password } : {}),
      ...(p.tls ? { tls: {} } : {}),
    },
  });
}

export function isClusterClient(c: RedisClient): c is Cluster {
  return c instanceof Cluster;
}
