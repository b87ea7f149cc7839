// The SSH listener: an ssh2 Server facing agents. Per connection: authenticate, open the core
// session (allow_groups), dial the upstream with the gateway's key, then route every channel.

import { createServer, type Socket } from 'node:net';
import {
  type ClientInfo,
  type Gateway,
  LimitError,
  type Listener,
  type Session,
  type SshConnection,
} from '@portcullis/core';
import type { AuthContext, Client, Connection } from 'ssh2';
import { AUTH_METHODS, identifyAgent } from './agent-auth.js';
import { ForwardingAgent } from './agent-forwarding.js';
import { SERVER_CIPHERS, SERVER_FALLBACK_CIPHERS } from './algorithms.js';
import { directStreamlocal, directTcpip, globalRequest, relayForwardedConnections } from './forwarding.js';
import { loadOrCreateHostKey } from './host-key.js';
import { type ChannelOwner, handleSessionChannel } from './session-channel.js';
import { watchChannelActivity } from './ssh2-internals.js';
import { Server } from './ssh2-runtime.js';
import { connectUpstream } from './upstream.js';

export interface SshListener extends Listener {
  /** The gateway's host key ("ssh-ed25519 AAAA…") for the agent's known_hosts. */
  readonly hostKey: string;
}

export async function startSshListener(gateway: Gateway, connection: SshConnection): Promise<SshListener> {
  const hostKey = loadOrCreateHostKey(connection.hostKeyFile);
  const { host, port } = parseListen(connection.listen);
  const server = new Server({
    hostKeys: [hostKey.privateKey],
    ident: 'Portcullis',
    algorithms: { cipher: [...SERVER_CIPHERS, ...SERVER_FALLBACK_CIPHERS] },
  });
  const live = new Set<AgentConnection>();
  const limits = gateway.config.limits;
  // limits.handshake_timeout runs from TCP accept: ssh2 only reports a connection once the client
  // has sent its version line, so the gateway owns the TCP server and hands sockets to ssh2.
  const accepted = new Map<string, { socket: Socket; at: number }>();
  const tcp = createServer((socket) => {
    const key = `${socket.remoteAddress}|${socket.remotePort}`;
    const at = Date.now();
    accepted.set(key, { socket, at });
    const silent = setTimeout(() => {
      if (!accepted.delete(key)) return;
      const e = new LimitError(
        'handshake_timeout',
        `no SSH version line within ${limits.handshakeTimeoutMs} ms`,
      );
      gateway.log.warn('ssh handshake timeout', {
        connection: connection.name,
        client: socket.remoteAddress,
        error: e.message,
      });
      socket.destroy();
    }, limits.handshakeTimeoutMs);
    silent.unref();
    socket.once('close', () => {
      clearTimeout(silent);
      accepted.delete(key);
    });
    server.injectSocket(socket);
  });
  server.on('connection', (client: Connection, info) => {
    const key = `${info.ip}|${info.port}`;
    const tcpConn = accepted.get(key);
    accepted.delete(key);
    const conn = new AgentConnection(
      gateway,
      connection,
      client,
      { address: info.ip, port: info.port, software: info.header?.versions?.software },
      { acceptedAt: tcpConn?.at ?? Date.now(), drop: () => tcpConn?.socket.destroy() },
    );
    live.add(conn);
    client.once('close', () => live.delete(conn));
  });
  server.on('error', (err: Error) =>
    gateway.log.error('ssh listener error', { connection: connection.name, error: err.message }),
  );
  tcp.on('error', (err: Error) =>
    gateway.log.error('ssh listener error', { connection: connection.name, error: err.message }),
  );
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, host, () => {
      tcp.removeListener('error', reject);
      resolve();
    });
  });
  const addr = tcp.address() as { address: string; port: number };
  gateway.log.info('ssh listener started', {
    connection: connection.name,
    address: `${addr.address}:${addr.port}`,
  });
  return {
    name: connection.name,
    protocol: 'ssh',
    address: { host: addr.address, port: addr.port },
    hostKey: hostKey.publicKey,
    async close() {
      await new Promise<void>((resolve) => {
        tcp.close(() => resolve());
        for (const c of live) c.end('gateway shutting down');
      });
    },
  };
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(listen.trim());
  if (!m) throw new Error(`listen must be host:port, got "${listen}"`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}

class AgentConnection implements ChannelOwner {
  session!: Session;
  upstream!: Client;
  private upstreamError: string | undefined;
  private readonly forwardingAgent = new ForwardingAgent(() => (this.closed ? undefined : this.agent));
  private readonly aborts = new Set<(message: string) => void>();
  private closed = false;
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  /** Why the gateway ended the connection (a limit), for the session's close frame. */
  private endReason: string | undefined;

  constructor(
    private readonly gateway: Gateway,
    private readonly connection: SshConnection,
    readonly agent: Connection,
    private readonly client: ClientInfo,
    tcp: { acceptedAt: number; drop: () => void },
  ) {
    // From TCP accept to authenticated: a client that never completes auth is dropped.
    const limitMs = gateway.config.limits.handshakeTimeoutMs;
    const handshake = setTimeout(
      () => {
        if (this.session) return;
        const e = new LimitError('handshake_timeout', `not authenticated within ${limitMs} ms`);
        this.log.warn('ssh handshake timeout', {
          connection: connection.name,
          client: client.address,
          error: e.message,
        });
        agent.end();
        setTimeout(tcp.drop, 500).unref(); // in case the client does not close its side
      },
      Math.max(0, limitMs - (Date.now() - tcp.acceptedAt)),
    );
    handshake.unref();
    if (!watchChannelActivity(agent, () => this.touch())) {
      // ssh2's internals changed shape: the connection is not watched, so say so loudly.
      this.log.error('ssh2 internals changed: limits.idle_timeout is not enforced for SSH', {
        connection: connection.name,
      });
    }
    agent.on('authentication', (ctx: AuthContext) => {
      this.authenticate(ctx).catch((err: Error) => {
        this.log.error('ssh authentication failed', { error: err.message });
        ctx.reject();
      });
    });
    agent.on('ready', () => {
      clearTimeout(handshake);
      this.ready();
      this.armIdleTimer();
    });
    agent.on('error', (err: Error) => this.log.debug('ssh agent connection error', { error: err.message }));
    agent.on('close', () => {
      clearTimeout(handshake);
      clearTimeout(this.idleTimer);
      this.teardown(this.endReason ?? 'client disconnected');
    });
  }

  get log() {
    return this.gateway.log;
  }

  private busy = 0;

  /** Marks the connection busy (a decision or an upstream open pending) until the release is called. */
  hold(): () => void {
    this.busy++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.busy--;
      this.touch();
    };
  }

  private touch(): void {
    this.lastActivity = Date.now();
  }

  // limits.idle_timeout: no channel data, open or request in either direction for that long
  // (keepalives and window adjusts do not count) closes the connection, naming the limit.
  private armIdleTimer(): void {
    const idle = this.gateway.config.limits.idleTimeoutMs;
    if (!(idle > 0)) return;
    const check = () => {
      if (this.closed) return;
      if (this.busy > 0) this.touch();
      const quiet = Date.now() - this.lastActivity;
      if (quiet < idle) {
        this.idleTimer = setTimeout(check, idle - quiet + 5);
        this.idleTimer.unref();
        return;
      }
      const e = new LimitError('idle_timeout', `no traffic for ${(quiet / 1000).toFixed(1)} s`);
      this.log.info('ssh idle timeout', { connection: this.connection.name, session: this.session?.id });
      this.session?.record('error', { message: e.message, code: 'limit', limit: 'idle_timeout' });
      this.endReason = e.message;
      this.end(e.message);
    };
    this.idleTimer = setTimeout(check, idle);
    this.idleTimer.unref();
  }

  allowAgentForwarding(): void {
    this.forwardingAgent.allowed = true;
  }

  track(abort: (message: string) => void): () => void {
    this.aborts.add(abort);
    return () => this.aborts.delete(abort);
  }

  end(message: string): void {
    const channels = [...this.aborts];
    for (const a of channels) a(`portcullis: ${message}`);
    if (channels.length === 0) {
      this.agent.end();
      return;
    }
    // OpenSSH exits on DISCONNECT without writing out channel data it has not printed yet: wait
    // (up to 1 s) for the client to close the aborted channels, so their last stderr line shows.
    const deadline = Date.now() + 1_000;
    const disconnect = () => {
      if (this.aborts.size > 0 && Date.now() < deadline) setTimeout(disconnect, 20).unref();
      else this.agent.end();
    };
    disconnect();
  }

  private async authenticate(ctx: AuthContext): Promise<void> {
    if (this.session) return ctx.reject();
    if (ctx.method === 'none') return ctx.reject(AUTH_METHODS);
    const outcome = await identifyAgent(this.gateway, ctx);
    if ('pending' in outcome) return ctx.accept(); // PK_OK: the client signs next
    if ('rejected' in outcome) {
      this.log.info('ssh auth rejected', {
        connection: this.connection.name,
        method: ctx.method,
        user: ctx.username,
        reason: outcome.rejected,
      });
      return ctx.reject(AUTH_METHODS);
    }
    let session: Session;
    try {
      session = await this.gateway.open({
        connection: this.connection.name,
        identity: outcome.identity,
        client: { ...this.client, user: ctx.username },
      });
    } catch (err) {
      this.log.info('ssh session refused', {
        connection: this.connection.name,
        subject: outcome.identity.subject,
        reason: (err as Error).message,
      });
      return ctx.reject([]);
    }
    if (this.closed) {
      await session.close('client disconnected during authentication');
      return;
    }
    // Waiting on a decision (an approval can take minutes) is the gateway's work, not idleness.
    const judge = session.judge.bind(session);
    session.judge = (command, opts) => {
      const release = this.hold();
      return judge(command, opts).finally(release);
    };
    this.session = session;
    session.shutdown.then((reason) => this.end(`session closed: ${reason}`)).catch(() => {});
    // Dial before accepting: channel opens that arrive right after auth success need it.
    try {
      this.upstream = await connectUpstream(this.connection.upstream, {
        timeoutMs: this.gateway.config.limits.handshakeTimeoutMs,
        agent: this.forwardingAgent,
      });
      this.upstream.on('close', () => this.end('upstream connection closed'));
      relayForwardedConnections(this);
    } catch (err) {
      this.upstreamError = (err as Error).message;
      this.log.error('ssh upstream failed', {
        connection: this.connection.name,
        session: session.id,
        error: this.upstreamError,
      });
      session.record('error', { message: this.upstreamError, code: 'upstream' });
    }
    ctx.accept();
  }

  private ready(): void {
    const agent = this.agent;
    if (this.upstreamError) {
      // The agent is who they said, but the upstream is not usable: say why on any channel, then go.
      const why = `portcullis: upstream unavailable: ${this.upstreamError}`;
      agent.on('session', (accept) => {
        const s = accept();
        const refuse = (acc: (() => import('ssh2').ServerChannel) | undefined) => {
          const ch = acc?.();
          if (!ch) return;
          ch.stderr.write(`${why}\n`);
          ch.exit(255);
          ch.end();
          setTimeout(() => agent.end(), 100);
        };
        s.on('pty', (a) => a?.());
        s.on('env', (a) => a?.());
        s.on('exec', (a) => refuse(a));
        s.on('shell', (a) => refuse(a));
        s.on('sftp', (_a, r) => {
          r?.();
          setTimeout(() => agent.end(), 100);
        });
      });
      return;
    }
    agent.on('session', (accept) => handleSessionChannel(this, accept()));
    // A forwarding request that fails inside the gateway is refused, never left to crash the process.
    const refused = (what: string, reject: (() => void) | undefined) => (err: Error) => {
      this.log.error('ssh forwarding request failed', { session: this.session.id, what, error: err.message });
      try {
        reject?.();
      } catch {
        // already answered
      }
    };
    agent.on('tcpip', (accept, reject, info) =>
      directTcpip(this, accept, reject, info).catch(refused('direct-tcpip', reject)),
    );
    agent.on('openssh.streamlocal', (accept, reject, info) =>
      directStreamlocal(this, accept, reject, info).catch(refused('streamlocal', reject)),
    );
    agent.on('request', (accept, reject, name, info) =>
      globalRequest(this, accept, reject, name, info).catch(refused(name, reject)),
    );
  }

  private teardown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const a of [...this.aborts]) a(`portcullis: ${reason}`);
    this.upstream?.end();
    void this.session?.close(reason);
  }
}
