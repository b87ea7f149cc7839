// A real upstream API (node:http on 127.0.0.1:0) that remembers every request it received, a gateway
// with an HTTP listener in front of it, and dev tokens. Everything lives in one temp dir.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import {
  Gateway,
  generateDevKeys,
  type HttpConnection,
  type Listener,
  mintToken,
  parseConfig,
} from '@portcullis/core';
import { startHttpListener } from '@portcullis/http';

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export const CARD = '4111 1111 1111 1111';
export const EMAIL = 'alice@example.com';
/** Real binary (NUL bytes) that happens to hold an email: passed through unmasked. */
export const BINARY = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]),
  Buffer.from(` ${EMAIL}`),
]);

export interface Upstream {
  port: number;
  seen: Seen[];
  /** Text messages the upstream received over WebSockets. */
  wsSeen: string[];
  close(): Promise<void>;
}

function serverFrame(opcode: number, text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload]);
}

/** The upstream API. Routes under /resp/* shape the response; everything else answers {ok, path}. */
export async function startUpstream(): Promise<Upstream> {
  const seen: Seen[] = [];
  const wsSeen: string[] = [];
  const server = http.createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({
      method: req.method!,
      url: req.url!,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    const url = new URL(req.url!, 'http://x');
    const json = (doc: unknown, extra: Record<string, string> = {}) => {
      const text = JSON.stringify(doc);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
        ...extra,
      });
      res.end(text);
    };
    switch (url.pathname) {
      case '/resp/json':
        return json({
          user: { email: EMAIL, card_number: '5500-0000-0000-0004', note: `card ${CARD}` },
          id: 1,
        });
      case '/resp/bigint': {
        const text = `{"id": 12345678901234567890, "price": 1.50, "email": "${EMAIL}"}`;
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(text);
      }
      case '/resp/text':
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        return res.end(`hello ${EMAIL} your card is ${CARD}\n`);
      case '/resp/chunked': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        // The card number is split across two chunks on the wire.
        res.write(`first chunk card ${CARD.slice(0, 7)}`);
        await new Promise((r) => setTimeout(r, 30));
        return res.end(`${CARD.slice(7)} end\n`);
      }
      case '/resp/gzip':
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        return res.end(gzipSync(JSON.stringify({ email: EMAIL, card: CARD })));
      case '/resp/br':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'br' });
        return res.end(brotliCompressSync(`mail ${EMAIL}`));
      case '/resp/deflate':
        res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'deflate' });
        return res.end(deflateSync(`<p>${EMAIL}</p>`));
      case '/resp/zstd':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'zstd' });
        return res.end('not really zstd');
      case '/resp/binary':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return res.end(BINARY);
      case '/resp/octet-text':
        // Text labelled binary (an upstream's JSON export as application/octet-stream).
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return res.end(Buffer.from(`raw ${EMAIL}`));
      case '/resp/stream': {
        // N MiB of text, streamed with backpressure.
        const total = Number(url.searchParams.get('mb') ?? '1') * 1024 * 1024;
        const line = Buffer.from(`${'x'.repeat(60)} ${EMAIL} ${'y'.repeat(44)}\n`);
        const block = Buffer.concat(Array.from({ length: 512 }, () => line));
        res.writeHead(200, { 'content-type': url.searchParams.get('type') ?? 'text/plain' });
        let sent = 0;
        const pump = () => {
          while (sent < total) {
            const b = block.subarray(0, Math.min(block.length, total - sent));
            sent += b.length;
            if (!res.write(b)) return void res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      case '/resp/echo-headers':
        return json({ headers: req.headers });
      default:
        return json({ ok: true, method: req.method, path: url.pathname });
    }
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: '' });
    const key = String(req.headers['sec-websocket-key']);
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.write(serverFrame(1, `hello ${EMAIL}`));
    let buf = Buffer.alloc(0);
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 6) {
        const len = buf[1]! & 0x7f; // test messages are short
        if (buf.length < 6 + len) break;
        const mask = buf.subarray(2, 6);
        const payload = Buffer.from(buf.subarray(6, 6 + len).map((b, i) => b ^ mask[i % 4]!));
        const opcode = buf[0]! & 0x0f;
        buf = buf.subarray(6 + len);
        if (opcode === 8) return socket.end(serverFrame(8, ''));
        wsSeen.push(payload.toString());
        socket.write(serverFrame(1, `echo: ${payload}`));
      }
    });
    socket.on('error', () => undefined);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    seen,
    wsSeen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Harness {
  upstream: Upstream;
  gateway: Gateway;
  listener: Listener;
  url: string;
  dir: string;
  token(groups?: string[], opts?: { sub?: string; ttl?: string; now?: number }): Promise<string>;
  close(): Promise<void>;
}

export const POLICY = `
    allow_groups: [ai-agents]
    default: allow
    rules:
      - name: no-payment-writes
        when: { http: { methods: [POST, PUT, PATCH, DELETE], paths: ["/v1/payments", "/v1/payments/**"] } }
        action: deny
        reason: payments are read-only for agents
      - name: no-admin
        when: { http: { paths: ["/admin", "/admin/**"] } }
        action: deny
      - name: no-drop
        when: { http: { paths: ["/v1/sql", "/v1/orders"], body: "(?i)drop\\\\s+table" } }
        action: deny
      - name: refunds-reviewed
        when: { http: { paths: ["/v1/refunds/**"] } }
        action: review
        approvers: [payments-owners]
        timeout: 1s
    masking:
      detectors: [credit_card, email]
      json_paths: ["$..card_number"]
`;

export async function startHarness(opts: { maxBodyInspect?: string } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-http-'));
  const keys = await generateDevKeys(join(dir, 'keys'));
  const upstream = await startUpstream();
  const yaml = `
version: 1
identity:
  issuers:
    - issuer: https://portcullis.dev.local/
      audience: portcullis
      jwks_file: ${keys.jwks}
store:
  url: file:${join(dir, 'sessions')}
limits:
  max_body_inspect_bytes: ${opts.maxBodyInspect ?? '64KiB'}
connections:
  - name: api
    protocol: http
    listen: 127.0.0.1:0
    upstream:
      url: http://127.0.0.1:${upstream.port}
      headers: { Authorization: "Bearer upstream-secret-token", X-Gateway: portcullis }
    policy: api
policies:
  api:${POLICY}`;
  const parsed = parseConfig(yaml, { file: join(dir, 'portcullis.yaml'), env: {} });
  if (!parsed.config) throw new Error(`bad test config: ${JSON.stringify(parsed.problems)}`);
  const gateway = await Gateway.create(parsed.config);
  const listener = await startHttpListener(gateway, parsed.config.connections[0] as HttpConnection);
  return {
    upstream,
    gateway,
    listener,
    dir,
    url: `http://127.0.0.1:${listener.address.port}`,
    token: (groups = ['ai-agents'], o = {}) =>
      mintToken({
        keyFile: keys.signingJwk,
        sub: o.sub ?? 'agent-1',
        groups,
        ttl: o.ttl ?? '1h',
        now: o.now,
      }),
    async close() {
      await listener.close();
      await gateway.close();
      await upstream.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
