// The Postgres listener: accepts agent connections and runs a SessionProxy for each.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Gateway, Listener, PostgresConnection } from '@portcullis/core';
import { CancelKeys } from './cancel-keys.js';
import { CatalogLookup } from './catalog-lookup.js';
import { SessionProxy } from './session-proxy.js';

/** "host:port", "[v6]:port" or ":port". */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen.trim());
  if (!m) throw new Error(`invalid listen address ${JSON.stringify(listen)} (expected host:port)`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port: Number(m[3]) };
}

export interface PostgresListener extends Listener {
  /** Sessions currently open (for tests and metrics). */
  readonly activeSessions: number;
}

export async function startPostgresListener(
  gateway: Gateway,
  connection: PostgresConnection,
): Promise<PostgresListener> {
  const { host, port } = parseListen(connection.listen);
  const tlsContext = connection.tls
    ? tls.createSecureContext({
        cert: readFileSync(connection.tls.certFile),
        key: readFileSync(connection.tls.keyFile),
      })
    : undefined;
  const cancelKeys = new CancelKeys();
  const catalogs = new Map<string, CatalogLookup>();
  const proxies = new Set<SessionProxy>();
  const limits = gateway.config.limits;
  const catalog = (database: string | undefined) => {
    const key = database ?? '';
    let c = catalogs.get(key);
    if (!c) {
      c = new CatalogLookup(connection.upstream, database ?? connection.upstream.user, {
        timeoutMs: limits.handshakeTimeoutMs,
        maxMessageBytes: limits.maxMessageBytes,
      });
      catalogs.set(key, c);
    }
    return c;
  };

  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => {});
    const proxy = new SessionProxy(socket, {
      gateway,
      connection,
      tlsContext,
      cancelKeys,
      catalog,
      onClose: (p) => proxies.delete(p),
    });
    proxies.add(proxy);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) =>
    gateway.log.error('postgres: listener error', { connection: connection.name, error: e.message }),
  );
  const addr = server.address() as net.AddressInfo;
  gateway.log.info('postgres: listening', {
    connection: connection.name,
    address: `${addr.address}:${addr.port}`,
  });

  return {
    name: connection.name,
    protocol: 'postgres',
    address: { host: addr.address, port: addr.port },
    get activeSessions() {
      return proxies.size;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const p of [...proxies]) p.terminate('the gateway is shutting down');
      await Promise.all([...catalogs.values()].map((c) => c.close()));
      await closed;
    },
  };
}
