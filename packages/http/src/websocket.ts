// WebSocket upgrades: the upgrade request is judged like any request; once allowed, frames are relayed.
// Client→upstream bytes are forwarded as they are and recorded (`input`); upstream→client frames are
// parsed, text messages masked with the streaming masker and re-framed, and recorded (`output`).
// permessage-deflate is never negotiated (the offer is stripped), so every text frame can be masked.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { Transform } from 'node:stream';
import type { Session, StreamMasker } from '@portcullis/core';
import { AuthError, ForbiddenError, StoreUnavailableError } from '@portcullis/core';
import { BearerError } from './agent-session.js';
import { framingProblem } from './framing.js';
import { upstreamRequestHeaders } from './headers.js';
import { denialBody, judgedCommand, type RequestContext, upstreamPath } from './listener.js';
import { looksLikeText } from './response-body.js';
import {
  encodeFrame,
  OP_BINARY,
  OP_CONTINUATION,
  OP_TEXT,
  WsFrameReader,
  WsProtocolError,
} from './websocket-frames.js';

function rawReply(
  socket: Socket,
  status: number,
  body: Record<string, unknown>,
  extra: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  const head = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}`, 'content-type: application/json'];
  for (const [k, v] of Object.entries(extra)) head.push(`${k}: ${v}`);
  head.push(`content-length: ${Buffer.byteLength(text)}`, 'connection: close');
  if (socket.writable) socket.end(`${head.join('\r\n')}\r\n\r\n${text}`);
  else socket.destroy();
}

export async function handleUpgrade(
  ctx: RequestContext,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
): Promise<void> {
  const { gateway, upstream, connection } = ctx;
  socket.on('error', () => socket.destroy());
  if (String(req.headers.upgrade).toLowerCase() !== 'websocket') {
    return rawReply(socket, 400, { error: 'bad_request', reason: 'only websocket upgrades are supported' });
  }
  // RFC 6455: the opening handshake is a GET; anything else would reach the upstream unjudged as a body.
  if (req.method !== 'GET') {
    return rawReply(socket, 400, { error: 'bad_request', reason: 'a websocket upgrade must be a GET' });
  }
  const problem = framingProblem(req);
  if (problem) return rawReply(socket, 400, { error: 'bad_request', reason: problem });

  let session: Session;
  try {
    session = await ctx.agentConnection(socket).sessionFor(req);
  } catch (err) {
    if (err instanceof BearerError || err instanceof AuthError) {
      return rawReply(
        socket,
        401,
        { error: 'unauthorized', reason: err.reason },
        { 'www-authenticate': 'Bearer realm="portcullis"' },
      );
    }
    if (err instanceof ForbiddenError)
      return rawReply(socket, 403, { error: 'denied', rule: 'allow_groups', reason: err.message });
    if (err instanceof StoreUnavailableError)
      return rawReply(socket, 503, { error: 'unavailable', reason: err.message });
    return rawReply(socket, 500, { error: 'internal', reason: 'could not open a session' });
  }

  const abort = new AbortController();
  socket.once('close', () => abort.abort());
  const decision = await session.judge(judgedCommand(req, undefined, false, true), { signal: abort.signal });
  if (abort.signal.aborted) return;
  if (decision.action !== 'allow') return rawReply(socket, 403, denialBody(decision));

  const limits = gateway.config.limits;
  const client = upstream.origin.protocol === 'https:' ? https : http;
  const upReq = client.request({
    protocol: upstream.origin.protocol,
    host: upstream.origin.hostname,
    port: upstream.origin.port || (upstream.origin.protocol === 'https:' ? 443 : 80),
    method: req.method,
    path: upstreamPath(upstream.basePath, req.url ?? '/'),
    headers: upstreamRequestHeaders(req, {
      clientAddress: socket.remoteAddress ?? '',
      proto: ctx.proto,
      upstreamHost: upstream.origin.host,
      inject: connection.upstream.headers,
      websocket: true,
    }),
    agent: false,
    ca: upstream.tls?.ca,
  });
  upReq.on('error', (err: NodeJS.ErrnoException) => {
    session.record('error', {
      message: `websocket upstream failed: ${err.code ?? err.message}`,
      code: 'upstream',
    });
    rawReply(socket, 502, {
      error: 'bad_gateway',
      reason: `upstream request failed: ${err.code ?? err.message}`,
    });
  });
  upReq.on('response', (res) => {
    // The upstream refused the upgrade: relay its answer (masking is not needed for a refusal's status line,
    // but its body may carry data: it is dropped).
    res.resume();
    rawReply(socket, 502, {
      error: 'bad_gateway',
      reason: `upstream refused the websocket upgrade (${res.statusCode})`,
    });
  });
  upReq.on('upgrade', (upRes, upSocket: Socket, upHead: Buffer) => {
    const lines = [`HTTP/1.1 101 ${upRes.statusMessage || 'Switching Protocols'}`];
    const raw = upRes.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i]!.toLowerCase() === 'sec-websocket-extensions') continue;
      lines.push(`${raw[i]}: ${raw[i + 1]}`);
    }
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    session.record('result', { status: 101, websocket: true });
    relay(session, socket, upSocket, head, upHead, limits.maxMessageBytes, limits.recordResultBytes);
  });
  upReq.end();
}

function relay(
  session: Session,
  client: Socket,
  up: Socket,
  clientHead: Buffer,
  upHead: Buffer,
  maxPayload: number,
  recordCap: number,
): void {
  const fail = (why: string) => {
    session.record('error', { message: `websocket: ${why}`, code: 'protocol' });
    client.destroy();
    up.destroy();
  };
  client.on('close', () => up.destroy());
  up.on('close', () => client.destroy());
  up.on('error', () => client.destroy());

  // Agent → upstream: forwarded unchanged, read only to record.
  const fromClient = new WsFrameReader(maxPayload, true);
  const inbound = new Transform({
    transform(chunk: Buffer, _e, cb) {
      try {
        for (const f of fromClient.push(chunk)) {
          if (f.opcode < 8) session.record('input', f.payload.subarray(0, recordCap));
        }
      } catch (err) {
        fail((err as Error).message);
        return cb();
      }
      cb(null, chunk);
    },
  });

  // Upstream → agent: text frames masked and re-framed.
  const fromUp = new WsFrameReader(maxPayload);
  const masker = session.masker();
  let text: StreamMasker | undefined;
  let inText = false;
  const outbound = new Transform({
    transform(chunk: Buffer, _e, cb) {
      try {
        for (const f of fromUp.push(chunk)) {
          if (f.rsv !== 0) throw new WsProtocolError('compressed or extended frame cannot be masked');
          // A binary message that reads as text (JSON sent as binary) is masked like a text one.
          const starts =
            f.opcode === OP_TEXT || (f.opcode === OP_BINARY && looksLikeText(f.payload.subarray(0, 1024)));
          if (starts || (f.opcode === OP_CONTINUATION && inText)) {
            if (starts) text = masker.stream();
            inText = !f.fin;
            let out = Buffer.from(text!.write(f.payload));
            if (f.fin) out = Buffer.concat([out, text!.flush()]);
            if (out.length > 0) session.record('output', out.subarray(0, recordCap));
            this.push(encodeFrame(f.fin, f.opcode, out));
          } else {
            if (f.opcode < 8) {
              inText = f.opcode === OP_CONTINUATION ? inText : false;
              session.record('output', f.payload.subarray(0, recordCap));
            }
            this.push(encodeFrame(f.fin, f.opcode, f.payload));
          }
        }
      } catch (err) {
        fail((err as Error).message);
        return cb();
      }
      cb();
    },
  });

  if (upHead.length > 0) outbound.write(upHead);
  if (clientHead.length > 0) inbound.write(clientHead);
  client.pipe(inbound).pipe(up);
  up.pipe(outbound).pipe(client);
}
