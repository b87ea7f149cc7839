// The admin API on admin.listen: health, readiness, Prometheus metrics, sessions for auditors and
// approvals for approvers. Every /api route but the OpenAPI document and the OIDC login helpers takes
// a bearer JWT from the configured issuers; repeated bad tokens from one address get 429.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Approval,
  AuthError,
  ForbiddenError,
  type Gateway,
  type Identity,
  PortcullisError,
} from '@portcullis/core';
import { SECURITY_HEADERS } from './headers.js';
import { OidcLogin } from './oidc.js';
import { openapi } from './openapi.js';
import {
  APPROVAL_STATUSES,
  enumParam,
  HttpError,
  intParam,
  PROTOCOLS,
  SESSION_STATUSES,
  sinceParam,
  textParam,
} from './query.js';
import { FailureLimiter } from './rate-limit.js';
import { serveUi } from './static.js';

export interface AdminServer {
  address: { host: string; port: number };
  close(): Promise<void>;
}

export interface AdminServerOptions {
  /** The bundled web UI (default: packages/cli/dist/ui). */
  uiDir?: string;
  /** Failed token attempts per client address before 429 (default 10 per minute). */
  authFailures?: { max?: number; windowMs?: number };
  /** Keep-alive comment interval of the server-sent event streams (default 15 s). */
  keepAliveMs?: number;
}

type Handler = (ctx: RequestContext) => Promise<unknown>;

/** A handler that wrote the response itself (server-sent events). */
const STREAMED = Symbol('streamed');

interface RequestContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  params: string[];
  identity: () => Promise<Identity>;
  body: () => Promise<Record<string, unknown>>;
}

const MAX_BODY = 64 * 1024;
// Session ids as the store accepts them (SESSION_ID), approval ids are UUIDs.
const ID = '([A-Za-z0-9][A-Za-z0-9._:-]{0,127})';

export async function startAdminServer(
  gateway: Gateway,
  listen: string,
  opts: AdminServerOptions = {},
): Promise<AdminServer> {
  const limiter = new FailureLimiter(opts.authFailures?.max, opts.authFailures?.windowMs);
  const oidc = gateway.config.admin.oidc ? new OidcLogin(gateway, gateway.config.admin.oidc) : undefined;
  const auditors = new Set(gateway.config.admin.auditors);
  const approverGroups = new Set(
    Object.values(gateway.config.policies).flatMap((p) => [
      ...p.fallbackReview.approvers,
      ...p.rules.flatMap((r) => r.approvers),
    ]),
  );
  gateway.metrics.define(
    'portcullis_admin_auth_failures_total',
    'counter',
    'Admin API requests with a missing or bad token',
  );
  const isAuditor = (id: Identity) => id.groups.some((g) => auditors.has(g));
  const isApprover = (id: Identity) => id.groups.some((g) => approverGroups.has(g));
  const requireAuditor = async (ctx: RequestContext) => {
    const id = await ctx.identity();
    if (!isAuditor(id))
      throw new ForbiddenError(`${id.subject} is not in an auditor group (admin.auditors)`, 'admin.auditors');
    return id;
  };
  const requireSession = async (id: string) => {
    const s = await gateway.store.getSession(id);
    if (!s) throw new HttpError(404, `no session ${id}`);
    return s;
  };
  // Auditors see every approval; an approver sees those their groups may resolve.
  const visible = (id: Identity, a: Approval) =>
    isAuditor(id) || a.approvers.some((g) => id.groups.includes(g));

  const routes: [string, RegExp, Handler][] = [
    ['GET', /^\/api\/openapi\.json$/, async () => openapi],
    [
      'GET',
      /^\/api\/oidc$/,
      async () => {
        if (!oidc) throw new HttpError(404, 'OIDC login is not configured (admin.oidc)');
        return oidc.describe();
      },
    ],
    [
      'POST',
      /^\/api\/oidc\/token$/,
      async (ctx) => {
        if (!oidc) throw new HttpError(404, 'OIDC login is not configured (admin.oidc)');
        const body = await ctx.body();
        const text = (k: string) =>
          typeof body[k] === 'string' && body[k] ? (body[k] as string) : undefined;
        const code = text('code');
        const verifier = text('code_verifier');
        const redirect = text('redirect_uri');
        if (!code || !verifier || !redirect)
          throw new HttpError(400, 'code, code_verifier and redirect_uri are required');
        return { token: await oidc.exchange(code, verifier, redirect) };
      },
    ],
    [
      'GET',
      /^\/api\/me$/,
      async (ctx) => {
        const id = await ctx.identity();
        const auditor = isAuditor(id);
        const approver = isApprover(id);
        if (!auditor && !approver) {
          throw new ForbiddenError(`${id.subject} is neither an auditor nor an approver`, 'admin.auditors');
        }
        return { subject: id.subject, groups: id.groups, auditor, approver };
      },
    ],
    [
      'GET',
      /^\/api\/sessions$/,
      async (ctx) => {
        await requireAuditor(ctx);
        const q = ctx.url.searchParams;
        const limit = intParam(q, 'limit', 100, 1, 1000);
        const offset = intParam(q, 'offset', 0, 0, 1_000_000);
        // One more than asked tells whether a next page exists.
        const list = await gateway.store.listSessions({
          connection: textParam(q, 'connection'),
          subject: textParam(q, 'subject'),
          protocol: enumParam(q, 'protocol', PROTOCOLS),
          status: enumParam(q, 'status', SESSION_STATUSES),
          since: sinceParam(q),
          limit: limit + 1,
          offset,
        });
        if (list.length > limit) ctx.res.setHeader('x-next-offset', String(offset + limit));
        return list.slice(0, limit);
      },
    ],
    [
      'GET',
      new RegExp(`^/api/sessions/${ID}$`),
      async (ctx) => {
        await requireAuditor(ctx);
        return requireSession(ctx.params[0]);
      },
    ],
    [
      'GET',
      new RegExp(`^/api/sessions/${ID}/verify$`),
      async (ctx) => {
        await requireAuditor(ctx);
        await requireSession(ctx.params[0]);
        return gateway.store.verify(ctx.params[0]);
      },
    ],
    [
      'GET',
      new RegExp(`^/api/sessions/${ID}/frames$`),
      async (ctx) => {
        await requireAuditor(ctx);
        const q = ctx.url.searchParams;
        await requireSession(ctx.params[0]);
        const follow = enumParam(q, 'follow', ['0', '1'] as const) === '1';
        // A reconnecting EventSource sends the last seq it saw.
        const lastEventId = Number(ctx.req.headers['last-event-id']);
        const from =
          Number.isInteger(lastEventId) && lastEventId > 0
            ? lastEventId + 1
            : intParam(q, 'from', 1, 1, Number.MAX_SAFE_INTEGER);
        if (follow) {
          await followFrames(gateway, ctx, from, opts.keepAliveMs ?? 15_000);
          return STREAMED;
        }
        return gateway.store.readFrames(ctx.params[0], {
          fromSeq: from,
          count: intParam(q, 'count', 1000, 1, 10_000),
        });
      },
    ],
    [
      'GET',
      /^\/api\/approvals$/,
      async (ctx) => {
        const id = await ctx.identity();
        if (!isAuditor(id) && !isApprover(id)) {
          throw new ForbiddenError(`${id.subject} is neither an approver nor an auditor`, 'approvers');
        }
        const status = enumParam(ctx.url.searchParams, 'status', APPROVAL_STATUSES);
        const all = await gateway.approvals.list(status ? { status } : {});
        return all.filter((a) => visible(id, a));
      },
    ],
    [
      'GET',
      new RegExp(`^/api/approvals/${ID}$`),
      async (ctx) => {
        const id = await ctx.identity();
        const a = await gateway.approvals.get(ctx.params[0]);
        if (!a || !visible(id, a)) throw new HttpError(404, `no approval ${ctx.params[0]}`);
        return a;
      },
    ],
    [
      'POST',
      new RegExp(`^/api/approvals/${ID}/(approve|deny)$`),
      async (ctx) => {
        const id = await ctx.identity();
        const body = await ctx.body();
        if (body.reason !== undefined && typeof body.reason !== 'string')
          throw new HttpError(400, 'reason: expected a string');
        const reason =
          typeof body.reason === 'string' && body.reason.trim()
            ? body.reason.trim().slice(0, 1000)
            : undefined;
        // Optional: the digest of the command the approver reviewed; a vote for another command is refused (409).
        if (
          body.digest !== undefined &&
          (typeof body.digest !== 'string' || !/^[0-9a-f]{64}$/.test(body.digest))
        )
          throw new HttpError(400, "digest: expected the approval's sha256 digest (64 hex digits)");
        const found = await gateway.approvals.get(ctx.params[0]);
        if (!found) throw new HttpError(404, `no approval ${ctx.params[0]}`);
        // Self-approval and approvers outside the rule's groups are refused by the vote rules (403).
        return gateway.approvals.resolve(ctx.params[0], id, ctx.params[1] as 'approve' | 'deny', reason, {
          digest: body.digest as string | undefined,
        });
      },
    ],
  ];

  const server = http.createServer(async (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://admin');
    } catch {
      res.writeHead(400, { 'content-type': 'application/json', ...SECURITY_HEADERS });
      return void res.end(JSON.stringify({ error: 'bad request target' }));
    }
    const client = req.socket.remoteAddress ?? '?';
    const send = (
      status: number,
      body: unknown,
      type = 'application/json',
      headers: Record<string, string> = {},
    ) => {
      const text = type === 'application/json' ? JSON.stringify(body) : String(body);
      res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS, ...headers });
      res.end(text);
    };
    try {
      const api = url.pathname.startsWith('/api/');
      if (api) {
        const wait = limiter.retryAfter(client);
        if (wait > 0) {
          return send(429, { error: 'too many failed token attempts; try again later' }, 'application/json', {
            'retry-after': String(Math.ceil(wait / 1000)),
          });
        }
      }
      if (req.method === 'GET' && url.pathname === '/healthz') return send(200, { status: 'ok' });
      if (req.method === 'GET' && url.pathname === '/readyz') {
        const ready = gateway.ready();
        return send(ready ? 200 : 503, {
          status: ready ? 'ready' : 'not ready',
          store: gateway.store.healthy(),
        });
      }
      if (req.method === 'GET' && url.pathname === '/metrics') {
        return send(200, gateway.metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
      }
      let allowed: string[] = [];
      for (const [method, re, handler] of routes) {
        const m = re.exec(url.pathname);
        if (!m) continue;
        if (req.method !== method) {
          allowed.push(method);
          continue;
        }
        allowed = [];
        let cached: Promise<Identity> | undefined;
        const ctx: RequestContext = {
          req,
          url,
          params: m.slice(1),
          res,
          identity: () =>
            (cached ??= bearer(gateway, req).catch((err) => {
              if (err instanceof AuthError) {
                limiter.fail(client);
                gateway.metrics.inc('portcullis_admin_auth_failures_total');
              }
              throw err;
            })),
          body: () => readJson(req),
        };
        const result = await handler(ctx);
        if (result !== STREAMED) send(200, result);
        return;
      }
      if (allowed.length > 0)
        return send(405, { error: `method ${req.method} not allowed` }, 'application/json', {
          allow: allowed.join(', '),
        });
      if (req.method === 'GET' && !api && (await serveUi(url.pathname, res, opts.uiDir))) return;
      send(404, { error: 'not found' });
    } catch (err) {
      if (res.headersSent) return void res.end();
      if (err instanceof HttpError)
        return send(err.status, { error: err.message }, 'application/json', err.headers);
      if (err instanceof AuthError) {
        return send(401, { error: 'unauthorized', reason: err.reason }, 'application/json', {
          'www-authenticate': 'Bearer realm="portcullis"',
        });
      }
      if (err instanceof ForbiddenError) return send(403, { error: 'forbidden', reason: err.message });
      if (err instanceof PortcullisError) return send(409, { error: 'conflict', reason: err.message });
      gateway.log.error('admin API error', { path: url.pathname, error: (err as Error).message });
      send(500, { error: 'internal error' });
    }
  });
  // Bounds how long a client may take to send a request (an SSE response may still run for hours).
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const [host, portText] = splitHostPort(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(portText), host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    address: { host: addr.address, port: addr.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// Server-sent events: every frame from `from` (the beginning by default, so a late viewer misses
// nothing), then live ones as any replica records them, then an `end` event after the close frame.
async function followFrames(
  gateway: Gateway,
  ctx: RequestContext,
  fromSeq: number,
  keepAliveMs: number,
): Promise<void> {
  const id = ctx.params[0];
  const ac = new AbortController();
  ctx.res.on('close', () => ac.abort());
  ctx.res.writeHead(200, {
    'content-type': 'text/event-stream',
    'x-accel-buffering': 'no',
    ...SECURITY_HEADERS,
  });
  ctx.res.flushHeaders();
  const keepAlive = setInterval(() => ctx.res.write(': keep-alive\n\n'), keepAliveMs);
  try {
    for await (const frame of gateway.store.follow(id, { fromSeq, signal: ac.signal })) {
      ctx.res.write(`id: ${frame.seq}\nevent: frame\ndata: ${JSON.stringify(frame)}\n\n`);
    }
    if (!ac.signal.aborted) ctx.res.write('event: end\ndata: {}\n\n');
  } catch (err) {
    if (!ac.signal.aborted)
      ctx.res.write(`event: error\ndata: ${JSON.stringify({ error: (err as Error).message })}\n\n`);
  } finally {
    clearInterval(keepAlive);
    ctx.res.end();
  }
}

async function bearer(gateway: Gateway, req: http.IncomingMessage): Promise<Identity> {
  const h = req.headers.authorization ?? '';
  if (!h) throw new AuthError('missing bearer token');
  const m = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)$/i.exec(h);
  if (!m) throw new AuthError('malformed Authorization header (expected Bearer <JWT>)');
  return gateway.authenticateToken(m[1]);
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'request body too large');
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'body must be a JSON object');
  return v as Record<string, unknown>;
}

export function splitHostPort(listen: string): [string, string] {
  const i = listen.lastIndexOf(':');
  if (i < 0) return ['127.0.0.1', listen];
  return [listen.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', listen.slice(i + 1)];
}
