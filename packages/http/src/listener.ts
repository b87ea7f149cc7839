// The HTTP listener: an HTTP/1.1 reverse proxy that authenticates the agent, judges each request
// before any byte of it goes upstream, and masks what comes back.
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
import { type Dispatcher, Pool } from 'undici';
import { AgentConnection, BearerError } from './agent-session.js';
import { framingProblem } from './framing.js';
import { agentResponseHeaders, redactedHeaders, upstreamRequestHeaders } from './headers.js';
import {
  bodyMode,
  contentCodings,
  decoders,
  maskJsonResponse,
  maskStream,
  readUpTo,
} from './response-body.js';
import { handleUpgrade } from './websocket.js';

/** JSON responses up to this size are parsed and masked value by value; larger ones as a text stream. */
export const JSON_MASK_CAP = 8 * 1024 * 1024;

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
    replyJson(res, 403, { error: 'forbidden', reason: err.message }, {}, close);
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
    headers: redactedHeaders(req.headersDistinct),
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
  if (req.method === 'CONNECT') {
    return replyJson(res, 405, { error: 'method_not_allowed', reason: 'CONNECT is not proxied' }, {}, true);
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

  const abort = new AbortController();
  const onGone = () => abort.abort();
  res.once('close', onGone);
  const decision = await session.judge(command, { signal: abort.signal });
  if (decision.action !== 'allow') {
    res.off('close', onGone);
    if (abort.signal.aborted) return;
    return replyJson(res, 403, denialBody(decision), {}, !head.complete);
  }

  // Allowed: forward. The inspected chunks go first, then whatever is still arriving.
  let sent = 0;
  const body = withBody
    ? Readable.from(
        (async function* () {
          for (const c of head.chunks) yield c;
          if (!head.complete) {
            for await (const c of req as AsyncIterable<Buffer>) {
              sent += c.length;
              if (head.size + sent > limits.maxMessageBytes)
                throw new Error('body over limit max_message_bytes');
              yield c;
            }
          }
        })(),
        { objectMode: false },
      )
    : null;

  let up: Dispatcher.ResponseData;
  try {
    up = await upstream.pool.request({
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
      signal: abort.signal,
    });
  } catch (err) {
    res.off('close', onGone);
    if (abort.signal.aborted) return;
    const reason = `upstream request failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    session.record('error', { message: reason, code: 'upstream' });
    return replyJson(res, 502, { error: 'bad_gateway', reason }, {}, !req.complete);
  }
  res.off('close', onGone);
  await relayResponse(ctx, session, req, res, up, command, started);
}

type UpstreamResponse = Dispatcher.ResponseData;

async function relayResponse(
  ctx: RequestContext,
  session: Session,
  req: IncomingMessage,
  res: ServerResponse,
  up: UpstreamResponse,
  command: HttpCommand,
  started: number,
): Promise<void> {
  const limits = ctx.gateway.config.limits;
  const recordCap = limits.recordResultBytes;
  const contentType = headerValue(up.headers['content-type']);
  const mode = bodyMode(req.method ?? 'GET', up.statusCode, contentType);
  const masker = session.masker();
  const before = { ...masker.counts };
  const preview: Buffer[] = [];
  let previewSize = 0;
  let bytesOut = 0;
  const tap = (b: Uint8Array) => {
    bytesOut += b.length;
    if (previewSize < recordCap) {
      const part = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, recordCap - previewSize));
      preview.push(Buffer.from(part));
      previewSize += part.length;
    }
  };
  const finish = (extra: Record<string, unknown> = {}) => {
    const masked: Record<string, number> = {};
    for (const [k, v] of Object.entries(masker.counts))
      if (v !== (before[k] ?? 0)) masked[k] = v - (before[k] ?? 0);
    session.record('result', {
      status: up.statusCode,
      headers: redactedHeaders(up.headers),
      mode,
      bytes: bytesOut,
      masked,
      preview:
        mode === 'binary'
          ? undefined
          : (preview.length === 1 ? preview[0]! : Buffer.concat(preview)).toString('utf8'),
      request: { headers: command.headers, body: requestPreview(command, recordCap, session) },
      ms: Math.round((performance.now() - started) * 1000) / 1000,
      ...extra,
    });
  };

  try {
    if (mode === 'none') {
      res.writeHead(up.statusCode, agentResponseHeaders(up.headers));
      res.end();
      discard(up.body);
      return finish();
    }
    if (mode === 'binary') {
      res.writeHead(up.statusCode, agentResponseHeaders(up.headers));
      await pipeline(
        up.body,
        counting((n) => (bytesOut += n)),
        res,
      );
      return finish();
    }
    let codings: string[];
    try {
      codings = contentCodings(up.headers['content-encoding']);
    } catch (err) {
      discard(up.body);
      session.record('error', { message: (err as Error).message, code: 'mask' });
      return replyJson(res, 502, { error: 'bad_gateway', reason: (err as Error).message });
    }
    const drop = ['content-length', 'content-encoding', 'content-md5', 'digest', 'etag'];
    const decoded: Readable = codings.length > 0 ? chain(up.body, decoders(codings)) : up.body;

    if (mode === 'json') {
      const head = await readUpTo(decoded, JSON_MASK_CAP);
      if (head.complete) {
        const whole = head.chunks.length === 1 ? head.chunks[0]! : Buffer.concat(head.chunks, head.size);
        const masked = maskJsonResponse(masker, whole);
        const headers = agentResponseHeaders(up.headers, drop);
        if (masked) {
          // The masked body is ours and never reused: the preview is a view of it, not a copy.
          bytesOut += masked.length;
          preview.push(masked.subarray(0, recordCap));
          previewSize = Math.min(masked.length, recordCap);
          headers['content-length'] = String(masked.length);
          res.writeHead(up.statusCode, headers);
          res.end(masked);
          return finish();
        }
      }
      // Too big or not JSON after all: the text masker takes it from here.
      res.writeHead(up.statusCode, agentResponseHeaders(up.headers, drop));
      const rest = head.complete ? null : decoded;
      await pipeline(prepend(head.chunks, rest), maskStream(masker, tap), res);
      return finish({ mode: 'json-as-text' });
    }

    res.writeHead(up.statusCode, agentResponseHeaders(up.headers, drop));
    await pipeline(decoded, maskStream(masker, tap), res);
    return finish();
  } catch (err) {
    discard(up.body);
    session.record('error', {
      message: `response relay failed: ${(err as Error).message}`,
      code: 'upstream',
    });
    if (!res.headersSent) replyJson(res, 502, { error: 'bad_gateway', reason: 'upstream response failed' });
    else res.destroy();
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function requestPreview(command: HttpCommand, cap: number, session: Session): string | undefined {
  if (!command.body || command.body.length === 0) return undefined;
  const text = Buffer.from(
    command.body.buffer,
    command.body.byteOffset,
    Math.min(command.body.length, cap),
  ).toString('utf8');
  return session.masker().value(text);
}

function chain(src: Readable, stages: NodeJS.ReadWriteStream[]): Readable {
  let cur: NodeJS.ReadableStream = src;
  for (const s of stages) {
    cur.on('error', (e: Error) => (s as unknown as Readable).destroy(e));
    cur = cur.pipe(s);
  }
  return cur as unknown as Readable;
}

function prepend(chunks: Buffer[], rest: Readable | null): Readable {
  const out = new PassThrough();
  for (const c of chunks) out.write(c);
  if (rest) {
    rest.on('error', (e) => out.destroy(e));
    rest.pipe(out);
    rest.resume();
  } else out.end();
  return out;
}

function counting(add: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      add(chunk.length);
      cb(null, chunk);
    },
  });
}

/** Drops an upstream body we will not relay (undici reports the abort as an error: expected here). */
function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}
