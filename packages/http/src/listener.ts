// The HTTP listener: an HTTP/1.1 reverse proxy that authenticates the agent, judges each request
// before any byte of it goes upstream, and masks what comes back.
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import {
  AuthError,
  type Decision,
  denialMessage,
  ForbiddenError,
  type Gateway,
  type HttpCommand,
  type HttpConnection,
  type Listener,
  parseTarget,
  type Session,
  StoreUnavailableError,
} from '@portcullis/core';
import { Pool } from 'undici';
import { AgentConnection, BearerError } from './agent-session.js';
import { framingProblem } from './framing.js';
import { judgedHeaders, upstreamRequestHeaders } from './headers.js';
import { readUpTo } from './response-body.js';
import { JSON_MASK_CAP, UpstreamCall } from './upstream-call.js';
import { handleUpgrade } from './websocket.js';

export { JSON_MASK_CAP };

export interface HttpListenerOptions {
  /** Upstream connections kept per listener (default 128). */
  upstreamConnections?: number;
}

interface Upstream {
  pool: Pool;
  origin: URL;
  basePath: string;
  tls?: { ca?: Buffer };
}

const kConn = Symbol('portcullis.agentConnection');
type TaggedSocket = Socket & { [kConn]?: AgentConnection };

export async function startHttpListener(
  gateway: Gateway,
  connection: HttpConnection,
  opts: HttpListenerOptions = {},
): Promise<Listener> {
  const limits = gateway.config.limits;
  const origin = new URL(connection.upstream.url);
  if (origin.protocol !== 'http:' && origin.protocol !== 'https:') {
    throw new Error(`connection ${connection.name}: upstream.url must be http:// or https://`);
  }
  const ca = connection.upstream.caFile ? readFileSync(connection.upstream.caFile) : undefined;
  const upstream: Upstream = {
    origin,
    basePath: origin.pathname.replace(/\/+$/, ''),
    tls: origin.protocol === 'https:' ? { ca } : undefined,
    pool: new Pool(origin.origin, {
      connections: opts.upstreamConnections ?? 128,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: 0, // a slow upstream is the agent's problem; the agent sees the wait
      bodyTimeout: limits.idleTimeoutMs,
      connect: ca ? { ca } : undefined,
    }),
  };
  const proto = connection.tls ? 'https' : 'http';

  const serverOptions: http.ServerOptions = {
    insecureHTTPParser: false,
    maxHeaderSize: limits.maxHeaderBytes,
    requestTimeout: 0, // reviewed requests may wait minutes for an approver
    headersTimeout: limits.handshakeTimeoutMs,
    keepAliveTimeout: Math.min(limits.idleTimeoutMs, 120_000),
    noDelay: true,
  };
  const server = connection.tls
    ? https.createServer({
        ...serverOptions,
        cert: readFileSync(connection.tls.certFile),
        key: readFileSync(connection.tls.keyFile),
      })
    : http.createServer(serverOptions);

  const agentConnection = (socket: Socket): AgentConnection => {
    const s = socket as TaggedSocket;
    s[kConn] ??= new AgentConnection(gateway, connection.name, socket);
    return s[kConn];
  };
  const ctx: RequestContext = { gateway, connection, upstream, proto, agentConnection };

  server.on('request', (req, res) => void handleRequest(ctx, req, res));
  // Answer 100-continue only once the request is authenticated: no body is read for strangers.
  server.on('checkContinue', (req, res) => {
    (req as ContinueRequest).needsContinue = true;
    void handleRequest(ctx, req, res);
  });
  server.on(
    'upgrade',
    (req: IncomingMessage, socket: Socket, head: Buffer) => void handleUpgrade(ctx, req, socket, head),
  );
  // Node hands CONNECT to this event (never to 'request'): refused, the tunnel is never opened.
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    const body = JSON.stringify({ error: 'method_not_allowed', reason: 'CONNECT is not proxied' });
    socket.on('error', () => socket.destroy());
    socket.end(
      `HTTP/1.1 405 Method Not Allowed\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    gateway.log.warn('http request refused by the parser', { connection: connection.name, code: err.code });
    const reason =
      err.code === 'HPE_HEADER_OVERFLOW' ? 'headers too large (limit max_header_bytes)' : parserReason(err);
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({ error: 'bad_request', reason });
    if (socket.writable) {
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    } else socket.destroy();
  });

  const [host, portText] = splitListen(connection.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(portText), host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const address = { host, port: typeof addr === 'object' && addr ? addr.port : Number(portText) };
  gateway.log.info('http listener started', {
    connection: connection.name,
    address: `${host}:${address.port}`,
  });

  return {
    name: connection.name,
    protocol: 'http',
    address,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), limits.drainTimeoutMs);
      await closed;
      clearTimeout(timer);
      // Upstream bodies still in flight after the drain are cut rather than waited for.
      const drained = await Promise.race([
        upstream.pool.close().then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 1000).unref()),
      ]);
      if (!drained) await upstream.pool.destroy();
    },
  };
}

export interface RequestContext {
  gateway: Gateway;
  connection: HttpConnection;
  upstream: Upstream;
  proto: 'http' | 'https';
  agentConnection(socket: Socket): AgentConnection;
}

type ContinueRequest = IncomingMessage & { needsContinue?: boolean };

function splitListen(listen: string): [string, string] {
  const i = listen.lastIndexOf(':');
  return [listen.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', listen.slice(i + 1)];
}

function parserReason(err: NodeJS.ErrnoException): string {
  const reason = (err as { reason?: string }).reason;
  return `malformed request (${err.code ?? 'parse error'}${reason ? `: ${reason}` : ''})`;
}

/** Sends a JSON error. `close` when the request body was not read in full (never forward or re-read it). */
export function replyJson(
  res: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  extra: Record<string, string> = {},
  close = false,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.shouldKeepAlive = res.shouldKeepAlive && !close;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(text);
}

/** Maps an authentication/authorisation failure to its reply. Returns false if `err` is something else. */
export function replyAuthFailure(res: ServerResponse, err: unknown, close: boolean): boolean {
  if (err instanceof BearerError || err instanceof AuthError) {
    const reason = err instanceof AuthError ? err.reason : err.reason;
    const desc = reason.replace(/["\\]/g, "'");
    replyJson(
      res,
      401,
      { error: 'unauthorized', reason },
      { 'www-authenticate': `Bearer realm="portcullis", error="invalid_token", error_description="${desc}"` },
      close,
    );
    return true;
  }
  if (err instanceof ForbiddenError) {
    replyJson(res, 403, { error: 'denied', rule: 'allow_groups', reason: err.message }, {}, close);
    return true;
  }
  if (err instanceof StoreUnavailableError) {
    replyJson(res, 503, { error: 'unavailable', reason: err.message }, { 'retry-after': '5' }, true);
    return true;
  }
  return false;
}

export function denialBody(decision: Decision): Record<string, unknown> {
  return {
    error: 'denied',
    rule: decision.rules.join(', ') || 'default',
    rules: decision.rules,
    reason: decision.reason,
    message: denialMessage(decision),
    ...(decision.approval
      ? { approval: decision.approval.id, approval_status: decision.approval.status }
      : {}),
  };
}

function hasBody(req: IncomingMessage): boolean {
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}

/** The upstream path for a request-target: the normalised form that was judged, under the upstream's base path. */
export function upstreamPath(base: string, target: string): string {
  let path: string;
  let query = '';
  try {
    const t = parseTarget(target);
    path = t.forwardPath === '*' ? '/' : t.forwardPath;
    query = t.hasQuery ? `?${t.rawQuery}` : '';
  } catch {
    // Only reached when a reviewer approved an unparsable target: send what they saw.
    path = target.startsWith('/') ? target.split('#')[0]! : '/';
  }
  return `${base}${path}${query}`;
}

export function judgedCommand(
  req: IncomingMessage,
  body: Buffer | undefined,
  truncated: boolean,
  websocket = false,
): HttpCommand {
  return {
    kind: 'http',
    method: req.method ?? 'GET',
    target: req.url ?? '/',
    headers: judgedHeaders(req),
    body,
    bodyTruncated: truncated,
    websocket: websocket || undefined,
  };
}

async function handleRequest(ctx: RequestContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { gateway, connection, upstream } = ctx;
  const limits = gateway.config.limits;
  const started = performance.now();
  const problem = framingProblem(req);
  if (problem) return replyJson(res, 400, { error: 'bad_request', reason: problem }, {}, true);
  if (req.method === 'CONNECT' || req.method === 'TRACE' || req.method === 'TRACK') {
    // TRACE echoes the request the upstream received, injected credentials included.
    return replyJson(
      res,
      405,
      { error: 'method_not_allowed', reason: `${req.method} is not proxied` },
      {},
      true,
    );
  }
  const withBody = hasBody(req);

  let session: Session;
  try {
    session = await ctx.agentConnection(req.socket).sessionFor(req);
  } catch (err) {
    if (replyAuthFailure(res, err, withBody)) return;
    gateway.log.error('http session open failed', { error: (err as Error).message });
    return replyJson(res, 500, { error: 'internal', reason: 'could not open a session' }, {}, true);
  }

  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limits.maxMessageBytes) {
    return replyJson(
      res,
      413,
      { error: 'too_large', reason: `body over limit max_message_bytes (${limits.maxMessageBytes})` },
      {},
      true,
    );
  }

  // Read the body up to the inspection cap; the rest waits in the socket until the verdict.
  let head: { chunks: Buffer[]; size: number; complete: boolean } = { chunks: [], size: 0, complete: true };
  if (withBody) {
    if ((req as ContinueRequest).needsContinue) res.writeContinue();
    try {
      head = await readUpTo(req, limits.maxBodyInspectBytes);
    } catch {
      return; // the client went away mid-body
    }
  }
  const bodyBytes = head.size > 0 ? Buffer.concat(head.chunks, head.size) : undefined;
  const command = judgedCommand(
    req,
    bodyBytes && !head.complete ? bodyBytes.subarray(0, limits.maxBodyInspectBytes) : bodyBytes,
    !head.complete,
  );

  // The agent's connection closing is the only way a response can go away before it is sent.
  const agent = ctx.agentConnection(req.socket);
  const decision = await session.judge(command, { signal: agent.signal });
  if (agent.signal.aborted) return;
  if (decision.action !== 'allow') return replyJson(res, 403, denialBody(decision), {}, !head.complete);

  // Allowed: forward. The inspected chunks go first, then whatever is still arriving.
  let body: Buffer | Readable | null = null;
  if (withBody && head.complete) body = bodyBytes ?? null;
  else if (withBody) {
    let sent = 0;
    body = Readable.from(
      (async function* () {
        for (const c of head.chunks) yield c;
        for await (const c of req as AsyncIterable<Buffer>) {
          sent += c.length;
          if (head.size + sent > limits.maxMessageBytes) throw new Error('body over limit max_message_bytes');
          yield c;
        }
      })(),
      { objectMode: false },
    );
  }

  const call = new UpstreamCall(
    agent,
    session,
    req,
    res,
    command,
    started,
    limits.recordResultBytes,
    upstreamFailed,
  );
  upstream.pool.dispatch(
    {
      method: req.method as 'GET',
      path: upstreamPath(upstream.basePath, req.url ?? '/'),
      headers: upstreamRequestHeaders(req, {
        clientAddress: req.socket.remoteAddress ?? '',
        proto: ctx.proto,
        upstreamHost: upstream.origin.host,
        inject: connection.upstream.headers,
        websocket: false,
      }),
      body,
    },
    call,
  );
}

/** The upstream could not be reached or failed before its response head: 502. */
function upstreamFailed(call: UpstreamCall, err: Error): void {
  const reason = `upstream request failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
  call.session.record('error', { message: reason, code: 'upstream' });
  replyJson(call.res, 502, { error: 'bad_gateway', reason }, {}, !call.req.complete);
}
