// The listener against a real upstream (node:http) that records what reached it: requests an agent
// shapes so that a denied request reaches the upstream (or reaches it as something other than what was
// judged), and responses shaped so that a masked value would reach the agent. Families: request line,
// methods, headers, framing, WebSocket, response labels/charsets/codings/ranges/headers/chunks.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import {
  Gateway,
  generateDevKeys,
  type HttpConnection,
  type Listener,
  mintToken,
  parseConfig,
  silentLogger,
} from '@portcullis/core';
import { WebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpListener } from './listener.js';
import { JSON_MASK_CAP } from './upstream-call.js';

const EMAIL = 'alice@example.com';
const CARD = '4111 1111 1111 1111';
/** Not a valid card (no Luhn): only the json_path can mask it. */
const CARD_NUMBER = 'tok-0000-1234';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  trailers: Record<string, string | undefined>;
  body: string;
}

const utf32 = (s: string) => {
  const b = Buffer.alloc(s.length * 4);
  for (let i = 0; i < s.length; i++) b.writeUInt32LE(s.charCodeAt(i), i * 4);
  return b;
};
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
  Buffer.from(`tEXt ${EMAIL}`),
]);

/** Response shapes, by path under /resp/. */
const responses: Record<string, (res: ServerResponse) => void | Promise<void>> = {
  'octet-json': (res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(JSON.stringify({ email: EMAIL, card_number: CARD_NUMBER }));
  },
  'octet-json-gzip': (res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' });
    res.end(gzipSync(JSON.stringify({ email: EMAIL })));
  },
  svg: (res) => {
    res.writeHead(200, { 'content-type': 'image/svg+xml' });
    res.end(`<svg xmlns="http://www.w3.org/2000/svg"><text>${EMAIL}</text></svg>`);
  },
  png: (res) => {
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(PNG);
  },
  'html-json': (res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(JSON.stringify({ user: { card_number: CARD_NUMBER, email: EMAIL } }));
  },
  ndjson: (res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.end(`{"card_number":"${CARD_NUMBER}"}\n{"card_number":"${CARD_NUMBER}"}\n`);
  },
  'utf16-labelled': (res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-16le' });
    res.end(Buffer.from(JSON.stringify({ email: EMAIL, card_number: CARD_NUMBER }), 'utf16le'));
  },
  'utf16-text-bom': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(Buffer.from(`\ufeffmail ${EMAIL}`, 'utf16le'));
  },
  'utf16-json-unlabelled': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(Buffer.from(JSON.stringify({ email: EMAIL }), 'utf16le'));
  },
  'utf16-binary-label': (res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(Buffer.from(`\ufeffmail ${EMAIL}`, 'utf16le'));
  },
  jsonp: (res) => {
    res.writeHead(200, { 'content-type': 'application/javascript' });
    res.end(`/**/ cb_123({"card_number":"${CARD_NUMBER}","email":"${EMAIL}"});`);
  },
  xssi: (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`)]}',\n{"card_number":"${CARD_NUMBER}"}`);
  },
  sse: async (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`event: a\ndata: {"card_number":"${CARD_NUMBER}",`);
    await new Promise((r) => setTimeout(r, 5));
    res.write(`"n":1}\n\ndata: {"user":{"card_number":"${CARD_NUMBER}"}}\n\ndata: mail ${EMAIL}\n\n`);
    res.end();
  },
  'json-bom': (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`\ufeff${JSON.stringify({ card_number: CARD_NUMBER, email: EMAIL })}`);
  },
  'shift-jis': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=shift_jis' });
    res.end(Buffer.from(`mail ${EMAIL}`, 'latin1'));
  },
  utf7: (res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-7' });
    res.end('mail alice+AEA-example.com');
  },
  utf32: (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(utf32(`mail ${EMAIL}`));
  },
  'gzip-br': (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip, br' });
    res.end(brotliCompressSync(gzipSync(JSON.stringify({ email: EMAIL }))));
  },
  'te-gzip': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'gzip, chunked' });
    res.end(gzipSync(`mail ${EMAIL}`));
  },
  'partial-bytes': (res) => {
    res.writeHead(206, { 'content-type': 'text/plain', 'content-range': 'bytes 5-12/40' });
    res.end('1111 1111');
  },
  'partial-json-items': (res) => {
    res.writeHead(206, { 'content-type': 'application/json', 'content-range': 'items 0-0/3' });
    res.end(JSON.stringify([{ email: EMAIL }]));
  },
  headers: (res) => {
    res.writeHead(302, {
      location: `/users?email=${EMAIL}`,
      'x-owner': EMAIL,
      'content-disposition': `attachment; filename="${EMAIL}.csv"`,
      'set-cookie': `last=${EMAIL}; Path=/`,
      'content-type': 'text/plain',
    });
    res.end('moved');
  },
  'tiny-chunks': async (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (const c of `card ${CARD} mail ${EMAIL}\n`) {
      res.write(c);
      await new Promise((r) => setImmediate(r));
    }
    res.end();
  },
  'tiny-json-chunks': async (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    for (const c of JSON.stringify({ card_number: CARD_NUMBER, n: `x ${CARD}` })) {
      res.write(c);
      await new Promise((r) => setImmediate(r));
    }
    res.end();
  },
  'early-hints': async (res) => {
    res.writeEarlyHints({ link: `</u/${EMAIL}>; rel=preload` });
    await new Promise((r) => setTimeout(r, 10));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  },
  'big-json': async (res) => {
    // Over the JSON cap (masked as a stream): the json_path must still apply.
    res.writeHead(200, { 'content-type': 'application/json' });
    const filler = `"${'x'.repeat(1024 * 1024)}"`;
    res.write('{"pad":[');
    for (let i = 0; i * 1024 * 1024 <= JSON_MASK_CAP; i++) {
      if (!res.write(`${filler},`)) await new Promise((r) => res.once('drain', r));
    }
    res.end(`"end"],"card_number":"${CARD_NUMBER}"}`);
  },
};

interface Upstream {
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  const seen: Seen[] = [];
  const server = http.createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    seen.push({
      method: req.method!,
      url: req.url!,
      headers: req.headers,
      trailers: req.trailers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    const name = /^\/resp\/([^/?]+)/.exec(req.url!)?.[1];
    const shape = name ? responses[name] : undefined;
    if (shape) return shape(res);
    const text = JSON.stringify({ ok: true });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': text.length });
    res.end(text);
  });
  server.on('upgrade', (req: IncomingMessage, socket) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers, trailers: {}, body: '' });
    if (req.url !== '/v1/ws-binary') return socket.destroy();
    const key = String(req.headers['sec-websocket-key']);
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const frame = (payload: Buffer) => Buffer.concat([Buffer.from([0x82, payload.length]), payload]);
    socket.write(frame(Buffer.from(JSON.stringify({ email: EMAIL }))));
    socket.write(frame(PNG));
    socket.on('error', () => undefined);
    socket.on('data', () => socket.destroy()); // the agent's close frame
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let dir: string;
let upstream: Upstream;
let gateway: Gateway;
let listener: Listener;
let token: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-http-evasions-'));
  const keys = await generateDevKeys(join(dir, 'keys'));
  upstream = await startUpstream();
  const yaml = `
version: 1
identity:
  issuers: [{ issuer: https://portcullis.dev.local/, audience: portcullis, jwks_file: ${keys.jwks} }]
store: { url: "file:${join(dir, 'sessions')}" }
limits: { max_body_inspect_bytes: 64KiB }
connections:
  - name: api
    protocol: http
    listen: 127.0.0.1:0
    upstream: { url: "http://127.0.0.1:${upstream.port}", headers: { Authorization: "Bearer upstream-secret" } }
    policy: api
policies:
  api:
    allow_groups: [ai-agents]
    default: deny
    rules:
      - { name: reads, when: { http: { methods: [GET, HEAD, OPTIONS] } }, action: allow }
      - { name: writes, when: { http: { methods: [POST, PUT, PATCH], paths: ["/v1/**"] } }, action: allow }
      - { name: dry-run-deletes, when: { http: { methods: [DELETE], paths: ["/v1/jobs/*"], headers: { x-dry-run: "true" } } }, action: allow }
      - { name: no-payment-writes, when: { http: { methods: [POST, PUT, PATCH, DELETE], paths: ["/v1/payments", "/v1/payments/**"] } }, action: deny }
      - { name: no-admin, when: { http: { paths: ["/admin", "/admin/**"] } }, action: deny }
      - { name: no-export, when: { http: { methods: [GET], paths: ["/v1/export"] } }, action: deny }
      - { name: no-drop, when: { http: { paths: ["/v1/sql"], body: "(?i)drop\\\\s+table" } }, action: deny }
    masking: { detectors: [email, credit_card], json_paths: ["$..card_number"] }
`;
  const parsed = parseConfig(yaml, { file: join(dir, 'portcullis.yaml'), env: {} });
  if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
  gateway = await Gateway.create(parsed.config, { log: silentLogger });
  listener = await startHttpListener(gateway, parsed.config.connections[0] as HttpConnection);
  token = await mintToken({ keyFile: keys.signingJwk, sub: 'agent-1', groups: ['ai-agents'], ttl: '1h' });
});
afterAll(async () => {
  await listener?.close();
  await gateway?.close();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Raw {
  status: number;
  head: string;
  body: Buffer;
  /** Every response on the connection, in order (status codes). */
  statuses: number[];
}

/** Exact bytes in (no client library to fix them up), everything the gateway answers until it closes. */
function raw(bytes: string | Buffer | (string | Buffer)[], waitMs = 1500): Promise<Raw> {
  return new Promise((resolve) => {
    const sock = connect(listener.address.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const parts = (Array.isArray(bytes) ? bytes : [bytes]).map((p) =>
      typeof p === 'string' ? p.replaceAll('@TOKEN@', token) : p,
    );
    const finish = () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const text = all.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({
        status: Number(text.slice(9, 12)) || 0,
        head: end >= 0 ? text.slice(0, end) : text,
        body: end >= 0 ? all.subarray(end + 4) : Buffer.alloc(0),
        statuses,
      });
    };
    const timer = setTimeout(() => sock.destroy(), waitMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('close', finish);
    sock.on('error', () => undefined);
    sock.on('connect', async () => {
      for (const p of parts) {
        sock.write(p);
        if (parts.length > 1) await new Promise((r) => setTimeout(r, 50));
      }
    });
  });
}

// The token is minted in beforeAll, after the tables are built: raw() fills it in.
const auth = () => 'Authorization: Bearer @TOKEN@\r\n';
const request = (line: string, headers = '', body = '') =>
  `${line} HTTP/1.1\r\nHost: api\r\n${auth()}${headers}${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}Connection: close\r\n\r\n${body}`;
const since = (n: number) => upstream.seen.slice(n);

describe('requests that must not reach the upstream', () => {
  const cases: [string, string, number][] = [
    ['GET on the asterisk-form (judged as *, was sent as GET /)', request('GET *'), 403],
    ['TRACE (echoes the injected upstream credentials)', request('TRACE /v1/x'), 405],
    ['TRACK (not a method Node parses)', request('TRACK /v1/x'), 400],
    ['CONNECT', 'CONNECT api:443 HTTP/1.1\r\nHost: api:443\r\n\r\n', 405],
    ['Rails format suffix', request('POST /v1/payments.json', '', '{}'), 403],
    ['trailing dot (Windows/IIS drop it)', request('GET /admin./users'), 403],
    ['encoded ? in the path', request('GET /admin%3F.css'), 403],
    ['dotless i', request('GET /adm%C4%B1n'), 403],
    ['HEAD of a GET-denied path', request('HEAD /v1/export'), 403],
    [
      'override header spelt with underscores',
      request('POST /v1/jobs/1', 'X_HTTP_Method_Override: DELETE\r\n', '{}'),
      403,
    ],
    [
      'GET with an override (an allow rule for GET is not enough)',
      request('GET /v1/jobs/1', 'X-HTTP-Method-Override: DELETE\r\n'),
      403,
    ],
    ['GET with _method', request('GET /v1/jobs/1?_method=DELETE'), 403],
    [
      '_method in a multipart body',
      request(
        'POST /v1/jobs/1',
        'Content-Type: multipart/form-data; boundary=b\r\n',
        '--b\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--b--\r\n',
      ),
      403,
    ],
    [
      'a header the allow rule needs, listed in Connection (stripped before the upstream)',
      `DELETE /v1/jobs/1 HTTP/1.1\r\nHost: api\r\n${auth()}X-Dry-Run: true\r\nConnection: close, X-Dry-Run\r\n\r\n`,
      403,
    ],
    [
      'two different Content-Types',
      request('POST /v1/sql', 'Content-Type: text/plain\r\nContent-Type: application/json\r\n', '{"q":"x"}'),
      403,
    ],
    [
      'a body regex hidden by a JSON escape',
      request('POST /v1/sql', 'Content-Type: application/json\r\n', '{"q":"drop\\u0020table x"}'),
      403,
    ],
    [
      'a body regex hidden by form encoding',
      request('POST /v1/sql', 'Content-Type: application/x-www-form-urlencoded\r\n', 'q=drop+table+x'),
      403,
    ],
    [
      'a websocket upgrade that is not a GET',
      request(
        'POST /v1/ws',
        'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n',
      ),
      400,
    ],
    [
      'an h2c upgrade',
      `GET /v1/x HTTP/1.1\r\nHost: api\r\n${auth()}Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n`,
      400,
    ],
    [
      'a websocket upgrade (odd casing) to a denied path',
      `GET /admin/ws HTTP/1.1\r\nHost: api\r\n${auth()}Upgrade: WebSocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      403,
    ],
    [
      'Transfer-Encoding: chunked, identity',
      `POST /v1/x HTTP/1.1\r\nHost: api\r\n${auth()}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
      400,
    ],
    [
      'Content-Length with commas',
      `POST /v1/x HTTP/1.1\r\nHost: api\r\n${auth()}Content-Length: 2, 2\r\n\r\n{}`,
      400,
    ],
  ];
  it.each(cases)('%s', async (_what, bytes, status) => {
    const before = upstream.seen.length;
    const res = await raw(bytes);
    expect(res.status).toBe(status);
    await new Promise((r) => setTimeout(r, 30));
    expect(since(before)).toEqual([]);
  });

  it('a pipelined denied request behind an allowed one in the same packet is judged on its own', async () => {
    const before = upstream.seen.length;
    const res = await raw(
      `GET /v1/payments/7 HTTP/1.1\r\nHost: api\r\n${auth()}\r\nDELETE /v1/payments/7 HTTP/1.1\r\nHost: api\r\n${auth()}Connection: close\r\n\r\n`,
    );
    expect(res.statuses).toEqual([200, 403]);
    expect(since(before).map((s) => `${s.method} ${s.url}`)).toEqual(['GET /v1/payments/7']);
  });

  it('Expect: 100-continue: the body judged is the body read, and a denied one never goes upstream', async () => {
    const before = upstream.seen.length;
    const body = 'drop table users';
    const res = await raw([
      `POST /v1/sql HTTP/1.1\r\nHost: api\r\n${auth()}Expect: 100-continue\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      body,
    ]);
    expect(res.statuses).toEqual([100, 403]);
    expect(since(before)).toEqual([]);
  });
});

describe('what the upstream sees is what was judged', () => {
  it('a leading // goes upstream as one / (a WHATWG URL parser would read //evil as a host)', async () => {
    const before = upstream.seen.length;
    expect((await raw(request('DELETE //evil/v1/payments/7'))).status).toBe(403); // default deny: no allow rule
    const res = await raw(request('GET //evil/v1/payments/7'));
    expect(res.status).toBe(200);
    const seen = since(before);
    expect(seen.map((s) => s.url)).toEqual(['/evil/v1/payments/7']);
    expect(new URL(seen[0]!.url, 'http://x').pathname).toBe('/evil/v1/payments/7');
  });

  it('OPTIONS * goes upstream as OPTIONS /', async () => {
    const before = upstream.seen.length;
    expect((await raw(request('OPTIONS *'))).status).toBe(200);
    expect(since(before).map((s) => `${s.method} ${s.url}`)).toEqual(['OPTIONS /']);
  });

  it('path and host overrides, forwarding claims, Range and Accept-Charset never reach the upstream', async () => {
    const before = upstream.seen.length;
    const res = await raw(
      request(
        'GET /v1/public',
        'X-Original-URL: /admin/delete\r\nX-Rewrite-URL: /admin\r\nX-Forwarded-Prefix: /admin\r\nX-Forwarded-Port: 1\r\nX-Host: evil\r\nTrue-Client-IP: 1.2.3.4\r\nRequest-Range: bytes=0-3\r\nRange: bytes=0-3\r\nAccept-Charset: utf-16\r\n',
      ),
    );
    expect(res.status).toBe(200);
    const h = since(before)[0]!.headers;
    for (const name of [
      'x-original-url',
      'x-rewrite-url',
      'x-forwarded-prefix',
      'x-forwarded-port',
      'x-host',
      'true-client-ip',
      'request-range',
      'range',
      'accept-charset',
    ])
      expect(h[name], name).toBeUndefined();
  });

  it('a header listed in Connection is neither judged nor forwarded; the request still goes', async () => {
    const before = upstream.seen.length;
    const res = await raw(
      `GET /v1/x HTTP/1.1\r\nHost: api\r\n${auth()}X-Note: hi\r\nConnection: close, X-Note\r\n\r\n`,
    );
    expect(res.status).toBe(200);
    expect(since(before)[0]!.headers['x-note']).toBeUndefined();
  });

  it('framing the gateway re-does: Content-Length with leading zeros, chunk extensions, trailers dropped', async () => {
    const before = upstream.seen.length;
    const a = await raw(
      `POST /v1/x HTTP/1.1\r\nHost: api\r\n${auth()}Content-Length: 0002\r\nConnection: close\r\n\r\n{}`,
    );
    expect(a.status).toBe(200);
    const b = await raw(
      `POST /v1/x HTTP/1.1\r\nHost: api\r\n${auth()}Transfer-Encoding: Chunked\r\nTrailer: X-HTTP-Method-Override\r\nConnection: close\r\n\r\n2;ext=1\r\n{}\r\n0\r\nX-HTTP-Method-Override: DELETE\r\n\r\n`,
    );
    expect(b.status).toBe(200);
    const [sa, sb] = since(before);
    expect(sa!.headers['content-length']).toBe('2');
    expect(sa!.body).toBe('{}');
    expect(sb!.body).toBe('{}');
    expect(sb!.headers['x-http-method-override']).toBeUndefined();
    expect(sb!.trailers).toEqual({});
  });
});

describe('responses that must not reach the agent unmasked', () => {
  const get = (path: string, method = 'GET', extra = '') => raw(request(`${method} ${path}`, extra), 5000);
  const text = (r: Raw) => r.body.toString('utf8');
  const chunkedText = (r: Raw) =>
    (/transfer-encoding: chunked/i.test(r.head) ? dechunk(r.body) : r.body).toString('utf8');

  const masked: [string, string][] = [
    ['JSON labelled application/octet-stream', '/resp/octet-json'],
    ['gzip JSON labelled application/octet-stream', '/resp/octet-json-gzip'],
    ['SVG labelled image/svg+xml', '/resp/svg'],
    ['JSON labelled text/html (json_paths still apply)', '/resp/html-json'],
    ['JSON lines (json_paths on every line)', '/resp/ndjson'],
    ['UTF-16 JSON with its charset', '/resp/utf16-labelled'],
    ['UTF-16 text with a BOM and no charset', '/resp/utf16-text-bom'],
    ['UTF-16 JSON without a charset', '/resp/utf16-json-unlabelled'],
    ['UTF-16 labelled binary', '/resp/utf16-binary-label'],
    ['a Shift_JIS text', '/resp/shift-jis'],
    ['JSON with a UTF-8 BOM (json_paths still apply)', '/resp/json-bom'],
    ['JSONP (an agent can ask for ?callback=)', '/resp/jsonp'],
    ['JSON behind an anti-XSSI prefix', '/resp/xssi'],
    ['server-sent events carrying JSON', '/resp/sse'],
    ['stacked Content-Encoding: gzip, br', '/resp/gzip-br'],
    ['Transfer-Encoding: gzip, chunked', '/resp/te-gzip'],
    ['a 206 that is a whole JSON document', '/resp/partial-json-items'],
    ['text in one-byte chunks', '/resp/tiny-chunks'],
    ['JSON in one-byte chunks', '/resp/tiny-json-chunks'],
  ];
  it.each(masked)('%s is masked', async (_what, path) => {
    const res = await get(path);
    expect(res.status).toBeLessThan(300);
    const body = chunkedText(res);
    expect(body).not.toContain(EMAIL);
    expect(body).not.toContain(CARD);
    expect(body).not.toContain(CARD_NUMBER);
    expect(body).not.toMatch(/\u0000/);
    expect(body).toMatch(/\[MASKED:(email|credit_card|json_path)\]/);
    expect(res.head).not.toMatch(/content-encoding/i);
  });

  it('real binary passes through byte for byte', async () => {
    const res = await get('/resp/png');
    expect(res.status).toBe(200);
    expect(Buffer.compare(dechunkIf(res), PNG)).toBe(0);
  });

  it('a JSON body over the JSON cap still has its json_paths masked', async () => {
    const res = await get('/resp/big-json');
    expect(res.status).toBe(200);
    const body = chunkedText(res);
    expect(body.length).toBeGreaterThan(JSON_MASK_CAP);
    expect(body).not.toContain(CARD_NUMBER);
    expect(body.endsWith('"card_number":"[MASKED:json_path]"}')).toBe(true);
  });

  const refused: [string, string, RegExp][] = [
    ['a byte range (the secret could be split at its edge)', '/resp/partial-bytes', /partial/],
    ['a charset the gateway cannot read (UTF-7)', '/resp/utf7', /charset/],
  ];
  it.each(refused)('%s is refused with 502', async (_what, path, why) => {
    const res = await get(path);
    expect(res.status).toBe(502);
    expect(JSON.parse(text(res)).reason).toMatch(why);
  });

  it('UTF-32 text is never relayed (cut once found)', async () => {
    const res = await get('/resp/utf32');
    expect(res.body.toString('latin1')).not.toMatch(/a\0\0\0l\0\0\0i\0\0\0c\0\0\0e/);
    expect(
      res.status === 502 || res.body.length === 0 || !/0\r\n\r\n$/.test(res.body.toString('latin1')),
    ).toBe(true);
  });

  it.each(['GET', 'HEAD'])('response headers are masked (%s)', async (method) => {
    const res = await get('/resp/headers', method);
    expect(res.status).toBe(302);
    expect(res.head).not.toContain(EMAIL);
    expect(res.head).toMatch(/location: \/users\?email=\[MASKED:email\]/i);
    expect(res.head).toMatch(/x-owner: \[MASKED:email\]/i);
  });

  it('websocket binary messages that read as text are masked; real binary ones pass unchanged', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${listener.address.port}/v1/ws-binary`, {
      headers: { authorization: `Bearer ${token}` },
    } as never);
    ws.binaryType = 'arraybuffer';
    const got = await new Promise<Buffer[]>((resolve, reject) => {
      const out: Buffer[] = [];
      ws.onerror = () => reject(new Error('websocket error'));
      ws.onmessage = (e) => {
        out.push(Buffer.from(e.data as ArrayBuffer));
        if (out.length === 2) resolve(out);
      };
    });
    ws.close();
    expect(got[0]!.toString()).toBe('{"email":"[MASKED:email]"}');
    expect(Buffer.compare(got[1]!, PNG)).toBe(0);
  });

  it('1xx hints are not relayed (their headers are never unmasked)', async () => {
    const res = await get('/resp/early-hints');
    expect(res.statuses).toEqual([200]);
    expect(res.head).not.toContain(EMAIL);
  });
});

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = Number.parseInt(b.subarray(at, eol).toString('latin1'), 16);
    if (!size) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

function dechunkIf(r: Raw): Buffer {
  return /transfer-encoding: chunked/i.test(r.head) ? dechunk(r.body) : r.body;
}
