// A Portcullis session for HTTP is one client TCP connection under one identity. The first request's
// bearer token opens it; later requests on the connection must carry a valid token too. A refreshed
// token for the same subject and groups keeps the session; a different identity closes it and opens
// a new one on the same connection.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { AuthError, type Gateway, type Identity, type Session } from '@portcullis/core';
import type { CallOwner, UpstreamCall } from './upstream-call.js';

export class BearerError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'BearerError';
  }
}

export class AgentConnection implements CallOwner {
  private token?: string;
  private session?: Session;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private gone?: AbortController;
  readonly inflight = new Set<UpstreamCall>();

  constructor(
    private readonly gateway: Gateway,
    private readonly connectionName: string,
    private readonly socket: Socket,
  ) {
    socket.once('close', () => {
      this.closed = true;
      this.gone?.abort();
      for (const call of this.inflight) call.clientGone();
      this.inflight.clear();
      void this.session?.close('client disconnected');
    });
  }

  /** Aborted when the agent's connection closes (a response can go away no other way before it is sent). */
  get signal(): AbortSignal {
    if (!this.gone) {
      this.gone = new AbortController();
      if (this.closed) this.gone.abort();
    }
    return this.gone.signal;
  }

  /** The session for this request's identity. Throws BearerError/AuthError (401) or ForbiddenError (403). */
  sessionFor(req: IncomingMessage): Promise<Session> {
    const token = bearerToken(req);
    // Fast path: the same token as the open session's, not expired.
    if (token === this.token && this.session && !expired(this.session.identity))
      return Promise.resolve(this.session);
    // Serialised: pipelined requests must not open two sessions.
    const next = this.queue.then(() => this.resolve(token, req));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async resolve(token: string, req: IncomingMessage): Promise<Session> {
    if (token === this.token && this.session && !expired(this.session.identity)) return this.session;
    const identity = await this.gateway.authenticateToken(token);
    if (expired(identity)) throw new AuthError('token expired');
    if (this.session && sameIdentity(this.session.identity, identity)) {
      this.token = token;
      return this.session;
    }
    if (this.session) {
      const old = this.session;
      this.session = undefined;
      this.token = undefined;
      await old.close('a different identity took over the connection');
    }
    const session = await this.gateway.open({
      connection: this.connectionName,
      identity,
      client: {
        address: this.socket.remoteAddress ?? 'unknown',
        port: this.socket.remotePort,
        software: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
      },
    });
    if (this.closed) {
      await session.close('client disconnected');
      throw new AuthError('client disconnected');
    }
    this.session = session;
    this.token = token;
    void session.shutdown.then((reason) => {
      this.gateway.log.warn('http session shut down by core', { session: session.id, reason });
      this.socket.destroy();
      void session.close(reason);
    });
    return session;
  }

  /** The open session, if any (for WebSocket relays that outlive the request). */
  get current(): Session | undefined {
    return this.session;
  }
}

function bearerToken(req: IncomingMessage): string {
  const values = req.headersDistinct.authorization;
  if (!values || values.length === 0) throw new BearerError('missing bearer token');
  if (values.length > 1) throw new BearerError('more than one Authorization header');
  const m = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(values[0]!);
  if (!m) throw new BearerError('malformed Authorization header (want: Bearer <JWT>)');
  return m[1]!;
}

function expired(identity: Identity): boolean {
  return identity.expiresAt !== undefined && identity.expiresAt <= Date.now();
}

function sameIdentity(a: Identity, b: Identity): boolean {
  return (
    a.subject === b.subject &&
    a.issuer === b.issuer &&
    a.groups.length === b.groups.length &&
    a.groups.every((g) => b.groups.includes(g))
  );
}
