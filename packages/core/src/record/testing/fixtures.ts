// Test fixtures: a throw-away key prefix on the machine's Redis, a private redis-server, session metas.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { StoreConfig } from '../../config/types.js';
import type { SessionMeta } from '../../types.js';

export const REDIS_URL = process.env.PORTCULLIS_TEST_REDIS ?? 'redis://127.0.0.1:6379/0';

export function randomPrefix(): string {
  return `test:rec:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
}

export function storeConfig(url: string, over: Partial<StoreConfig> = {}): StoreConfig {
  return {
    url,
    keyPrefix: randomPrefix(),
    retentionMs: 3_600_000,
    onFailure: 'close',
    maxFramesPerSession: 1_000_000,
    failureTimeoutMs: 5000,
    ...over,
  };
}

/** Deletes every key under the prefix (SCAN, never FLUSH). */
export async function dropPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const r = new Redis(url, { protocol: 2, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

let n = 0;
export function meta(over: Partial<SessionMeta> = {}): SessionMeta {
  return {
    id: `s${Date.now().toString(36)}${(n++).toString(36)}${Math.random().toString(36).slice(2, 6)}`,
    connection: 'orders-db',
    protocol: 'postgres',
    subject: 'agent-1',
    groups: ['ai-agents'],
    client: '127.0.0.1:50000',
    started_at: Date.now(),
    status: 'active',
    ...over,
  };
}

export function tempDir(name: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `portcullis-${name}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A private redis-server (append-only, fsync always) that the test may kill and restart. */
export class PrivateRedis {
  private proc: ChildProcess | undefined;
  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly extraArgs: string[] = [],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    this.proc = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--daemonize',
        'no',
        ...this.extraArgs,
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = new Redis(this.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      r.on('error', () => undefined);
      try {
        await r.connect();
        if ((await r.ping()) === 'PONG') {
          r.disconnect();
          return;
        }
      } catch {
        r.disconnect();
      }
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** SIGSTOP / SIGCONT: a server that hangs without closing connections. */
  pause(on: boolean): void {
    this.proc?.kill(on ? 'SIGSTOP' : 'SIGCONT');
  }

  /** SIGKILL: an outage, not a clean shutdown. */
  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }
}

/** A private three-master Redis Cluster on free ports (no replicas), built with `redis-cli --cluster create`. */
export class PrivateRedisCluster {
  readonly nodes: PrivateRedis[] = [];
  private constructor(readonly dir: string) {}

  static async start(dir: string): Promise<PrivateRedisCluster> {
    const c = new PrivateRedisCluster(dir);
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const nodeDir = join(dir, `node-${port}`);
      mkdirSync(nodeDir, { recursive: true });
      const node = new PrivateRedis(port, nodeDir, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--appendonly',
        'no',
      ]);
      c.nodes.push(node);
      await node.start();
    }
    await new Promise<void>((resolve, reject) => {
      const p = spawn(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...c.nodes.map((n) => `127.0.0.1:${n.port}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        {
          stdio: 'ignore',
        },
      );
      p.once('error', reject);
      p.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`redis-cli --cluster create exited ${code}`)),
      );
    });
    // Every node must agree the cluster is up before clients are told about it.
    const deadline = Date.now() + 15_000;
    for (const n of c.nodes) {
      const r = new Redis(n.url, { maxRetriesPerRequest: 0 });
      try {
        while (!/cluster_state:ok/.test(String(await r.call('CLUSTER', 'INFO')))) {
          if (Date.now() > deadline) throw new Error('the test cluster did not come up');
          await new Promise((res) => setTimeout(res, 100));
        }
      } finally {
        r.disconnect();
      }
    }
    return c;
  }

  get url(): string {
    return `redis-cluster://${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
  }

  async stop(): Promise<void> {
    for (const n of this.nodes) await n.kill();
  }
}
