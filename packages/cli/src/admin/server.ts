// The admin API on admin.listen: health, readiness, Prometheus metrics, sessions for auditors and
// approvals for approvers. Every /api route takes a bearer JWT from the configured issuers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthError, ForbiddenError, type Gateway, type Identity, PortcullisError } from '@portcullis/core';
import { SECURITY_HEADERS } from './headers.js';
import { openapi } from './openapi.js';
import { FailureLimiter } from './rate-limit.js';
import { serveUi } from './static.js';

export interface AdminServer {
  address: { host: string; port: number };
  close(): Promise<void>;
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

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 64 * 1024;

export async function startAdminServer(
  gateway: Gateway,
  listen: string,
  opts: { uiDir?: string } = {},
): Promise<AdminServer> {
  const limiter = new FailureLimiter();
  const auditors = new Set(gateway.config.admin.auditors);
  const approverGroups = new Set(
    Object.values(gateway.config.policies).flatMap((p) => p.rules.flatMap((r) => r.approvers)),
  );
  const requireAuditor = async (ctx: RequestContext) => {
    const id = await ctx.identity();
    if (!id.groups.some((g) => auditors.has(g))) throw new HttpError(403, `${id.subject} is not an auditor`);
    return id;
  };

  const routes: [string, RegExp, Handler][] = [
    ['GET', /^\/api\/openapi\.json$/, async () => openapi],
    ['GET', /^\/api\/me$/, async (ctx) => {
      const id = await ctx.identity();
      return {
        subject: id.subject,
        groups: id.groups,
        auditor: id.groups.some((g) => auditors.has(g)),
        approver: id.groups.some((g) => approverGroups.has(g)),
      };
    }],
    ['GET', /^\/api\/sessions$/, async (ctx) => {
      await requireAuditor(ctx);
      const q = ctx.url.searchParams;
      return gateway.store.listSessions({
        connection: q.get('connection') ?? undefined,
        subject: q.get('subject') ?? undefined,
        protocol: q.get('protocol') ?? undefined,
        status: q.get('status') ?? undefined,
        since: q.has('since') ? Number(q.get('since')) : undefined,
        limit: Math.min(Number(q.get('limit') ?? 100), 1000),
        offset: Number(q.get('offset') ?? 0),
      });
    }],
    ['GET', /^\/api\/sessions\/([\w-]+)$/, async (ctx) => {
      await requireAuditor(ctx);
      const s = await gateway.store.getSession(ctx.params[0]);
      if (!s) throw new HttpError(404, 'no such session');
      return s;
    }],
    ['GET', /^\/api\/sessions\/([\w-]+)\/verify$/, async (ctx) => {
      await requireAuditor(ctx);
      return gateway.store.verify(ctx.params[0]);
    }],
    ['GET', /^\/api\/sessions\/([\w-]+)\/frames$/, async (ctx) => {
      await requireAuditor(ctx);
      const q = ctx.url.searchParams;
      if (q.get('follow') === '1') {
        await followFrames(gateway, ctx, q.has('from') ? Number(q.get('from')) : undefined);
        return STREAMED;
      }
      return gateway.store.readFrames(ctx.params[0], {
        fromSeq: q.has('from') ? Number(q.get('from')) : undefined,
        count: Math.min(Number(q.get('count') ?? 1000), 10_000),
      });
    }],
    ['GET', /^\/api\/approvals$/, async (ctx) => {
      const id = await ctx.identity();
      if (!id.groups.some((g) => auditors.has(g) || approverGroups.has(g))) {
        throw new HttpError(403, `${id.subject} is neither an approver nor an auditor`);
      }
      const status = ctx.url.searchParams.get('status') ?? undefined;
      return gateway.approvals.list(status ? { status: status as never } : {});
    }],
    ['POST', /^\/api\/approvals\/([\w-]+)\/(approve|deny)$/, async (ctx) => {
      const id = await ctx.identity();
      const body = await ctx.body();
      const reason = typeof body.reason === 'string' ? body.reason.slice(0, 1000) : undefined;
      const found = await gateway.approvals.get(ctx.params[0]);
      if (!found) throw new HttpError(404, 'no such approval');
      return gateway.approvals.resolve(ctx.params[0], id, ctx.params[1] as 'approve' | 'deny', reason);
    }],
  ];

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const client = req.socket.remoteAddress ?? '?';
    const send = (status: number, body: unknown, type = 'application/json') => {
      const text = type === 'application/json' ? JSON.stringify(body) : String(body);
      res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS });
      res.end(text);
    };
    try {
      if (url.pathname.startsWith('/api/') && limiter.blocked(client)) {
        return send(429, { error: 'too many failed token attempts; try again later' });
      }
      if (req.method === 'GET' && url.pathname === '/healthz') return send(200, { status: 'ok' });
      if (req.method === 'GET' && url.pathname === '/readyz') {
        const ready = gateway.ready();
        return send(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', store: gateway.store.healthy() });
      }
      if (req.method === 'GET' && url.pathname === '/metrics') {
        gateway.metrics.set('portcullis_sessions_active', {}, gateway.activeSessions);
        return send(200, gateway.metrics.render(), 'text/plain; version=0.0.4');
      }
      for (const [method, re, handler] of routes) {
        const m = re.exec(url.pathname);
        if (!m || req.method !== method) continue;
        let cached: Promise<Identity> | undefined;
        const ctx: RequestContext = {
          req,
          url,
          params: m.slice(1),
          res,
          identity: () =>
            (cached ??= bearer(gateway, req).catch((err) => {
              if (err instanceof AuthError) limiter.fail(client);
              throw err;
            })),
          body: () => readJson(req),
        };
        const result = await handler(ctx);
        if (result !== STREAMED) send(200, result);
        return;
      }
      if (req.method === 'GET' && !url.pathname.startsWith('/api/') && (await serveUi(url.pathname, res, opts.uiDir))) return;
      send(404, { error: 'not found' });
    } catch (err) {
      if (res.headersSent) return void res.end();
      if (err instanceof HttpError) return send(err.status, { error: err.message });
      if (err instanceof AuthError) {
        res.setHeader('www-authenticate', 'Bearer');
        return send(401, { error: 'unauthorized', reason: err.reason });
      }
      if (err instanceof ForbiddenError) return send(403, { error: 'forbidden', reason: err.message });
      if (err instanceof PortcullisError) return send(409, { error: err.message });
      gateway.log.error('admin API error', { path: url.pathname, error: (err as Error).message });
      send(500, { error: 'internal error' });
    }
  });
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


// Server-sent events: every frame from the beginning (so a late viewer misses nothing), then live ones.
async function followFrames(gateway: Gateway, ctx: RequestContext, fromSeq?: number): Promise<void> {
  const id = ctx.params[0];
  if (!(await gateway.store.getSession(id))) throw new HttpError(404, 'no such session');
  const ac = new AbortController();
  ctx.req.on('close', () => ac.abort());
  ctx.res.writeHead(200, { 'content-type': 'text/event-stream', ...SECURITY_HEADERS });
  const keepAlive = setInterval(() => ctx.res.write(': keep-alive\n\n'), 15_000);
  try {
    for await (const frame of gateway.store.follow(id, { fromSeq, signal: ac.signal })) {
      ctx.res.write(`id: ${frame.seq}\nevent: frame\ndata: ${JSON.stringify(frame)}\n\n`);
    }
    ctx.res.write('event: end\ndata: {}\n\n');
  } catch (err) {
    if (!ac.signal.aborted) ctx.res.write(`event: error\ndata: ${JSON.stringify({ error: (err as Error).message })}\n\n`);
  } finally {
    clearInterval(keepAlive);
    ctx.res.end();
  }
}

async function bearer(gateway: Gateway, req: http.IncomingMessage): Promise<Identity> {
  const h = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  if (!m) throw new AuthError('missing bearer token');
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
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return v && typeof v === 'object' ? v : {};
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

export function splitHostPort(listen: string): [string, string] {
  const i = listen.lastIndexOf(':');
  if (i < 0) return ['127.0.0.1', listen];
  return [listen.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', listen.slice(i + 1)];
}
