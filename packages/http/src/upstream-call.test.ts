// The dispatch-driven relay (upstream-call.ts) against a real upstream: the collected-JSON fast path must
// give the agent exactly what the masker gives for the whole body, however the body arrives (one chunk,
// many chunks, secrets split between chunks, compressed, chunked, huge), and every other path must behave
// as the streaming relay always did.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  createMasker,
  Gateway,
  generateDevKeys,
  type HttpConnection,
  type Listener,
  type MaskingConfig,
  mintToken,
  parseConfig,
  silentLogger,
} from '@portcullis/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpListener } from './listener.js';
import { JSON_MASK_CAP } from './upstream-call.js';

const MASKING = {
  detectors: ['email', 'credit_card', 'us_ssn', 'phone', 'iban', 'aws_access_key', 'jwt', 'api_key'],
  json_paths: ['$..card_number'],
};
const EMAIL = 'alice@example.com';
const CARD = '4111 1111 1111 1111';

/** JSON documents the fast path must mask exactly as maskJsonBytes does on the whole body. */
function documents(): Record<string, Buffer> {
  const items = Array.from({ length: 3000 }, (_, i) => ({
    id: i,
    owner: i % 97 === 0 ? `user${i}@example.com` : `user-${i}`,
    card: i % 251 === 0 ? CARD : `n-${i}`,
    card_number: i % 500 === 0 ? '5500-0000-0000-0004' : undefined,
    note: i % 333 === 0 ? `call +1 415 555 0100 or mail ${EMAIL} — ünïcödé \\ "quoted"` : 'ok',
  }));
  return {
    small: Buffer.from(JSON.stringify({ user: { email: EMAIL, card_number: 'x', note: `card ${CARD}` } })),
    escaped: Buffer.from('{"a":"al\\u0069ce@example.com","b":"4111\\u00201111 1111 1111","n":1.50}'),
    bigint: Buffer.from(`{"id": 12345678901234567890, "price": 1.50, "email": "${EMAIL}"}`),
    nothing: Buffer.from('{"items":[{"id":1,"name":"item-1"}]}'),
    large: Buffer.from(JSON.stringify({ items })),
    array: Buffer.from(JSON.stringify([EMAIL, 1, null, true, { k: CARD }])),
  };
}

interface Upstream {
  port: number;
  /** Paths whose request the upstream saw aborted by the gateway. */
  aborted: string[];
  close(): Promise<void>;
}

async function startUpstream(docs: Record<string, Buffer>): Promise<Upstream> {
  const aborted: string[] = [];
  const server = http.createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, 'http://x');
    const doc = docs[url.searchParams.get('doc') ?? 'small']!;
    const send = async (body: Buffer, headers: Record<string, string | number>, piece?: number) => {
      res.writeHead(200, headers);
      if (!piece) return res.end(body);
      // Small writes with pauses: the gateway sees many chunks, secrets split between them.
      for (let i = 0; i < body.length; i += piece) {
        res.write(body.subarray(i, i + piece));
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    };
    switch (url.pathname) {
      case '/json':
        return send(doc, { 'content-type': 'application/json', 'content-length': doc.length });
      case '/json-chunked':
        return send(doc, { 'content-type': 'application/json; charset=utf-8' }, 7);
      case '/json-gzip':
        return send(gzipSync(doc), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      case '/json-identity-coding':
        return send(doc, { 'content-type': 'application/json', 'content-encoding': 'identity' });
      case '/early-hints':
        res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
        await new Promise((r) => setTimeout(r, 20));
        return send(doc, { 'content-type': 'application/json' });
      case '/json-zstd':
        return send(doc, { 'content-type': 'application/json', 'content-encoding': 'zstd' });
      case '/not-json':
        return send(Buffer.from(`oops, not JSON: ${EMAIL} ${CARD}`), { 'content-type': 'application/json' });
      case '/head-only':
        res.writeHead(204, { 'x-thing': '1' });
        return res.end();
      case '/cut': {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 1000 });
        res.write(`{"email":"${EMAIL}","more":"`);
        await new Promise((r) => setTimeout(r, 20));
        return res.destroy();
      }
      case '/slow': {
        res.on('close', () => {
          if (!res.writableFinished) aborted.push(url.pathname);
        });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
        res.write('{"a":"');
        await new Promise((r) => setTimeout(r, 3000));
        return res.end(`${'x'.repeat(94)}"}`);
      }
      case '/big': {
        // Over the JSON cap: one string value holding an email every 64 KiB.
        const block = Buffer.from(`${'x'.repeat(65536 - EMAIL.length - 2)} ${EMAIL} `);
        const blocks = Math.ceil((JSON_MASK_CAP + 1) / block.length) + 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"s":"');
        for (let i = 0; i < blocks; i++)
          if (!res.write(block)) await new Promise((r) => res.once('drain', r));
        return res.end('"}');
      }
      default:
        res.writeHead(404);
        return res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    aborted,
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
const docs = documents();
let masking: MaskingConfig;
/** What the masker (a fresh one, from the same policy) makes of the whole body at once. */
const expected = (body: Buffer) => createMasker(masking).maskJsonBytes(body);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-http-call-'));
  const keys = await generateDevKeys(join(dir, 'keys'));
  upstream = await startUpstream(docs);
  const yaml = `
version: 1
identity:
  issuers: [{ issuer: https://portcullis.dev.local/, audience: portcullis, jwks_file: ${keys.jwks} }]
store: { url: "file:${join(dir, 'sessions')}" }
connections:
  - name: api
    protocol: http
    listen: 127.0.0.1:0
    upstream: { url: "http://127.0.0.1:${upstream.port}" }
    policy: api
policies:
  api:
    allow_groups: [ai-agents]
    default: allow
    masking: ${JSON.stringify(MASKING)}
`;
  const parsed = parseConfig(yaml, { file: join(dir, 'portcullis.yaml'), env: {} });
  if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
  masking = parsed.config.policies.api!.masking!;
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

const get = (path: string, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${listener.address.port}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' },
  });

function resultFrames(): Record<string, unknown>[] {
  const root = join(dir, 'sessions');
  return readdirSync(root, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(root, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as { kind: string; data: string })
    .filter((f) => f.kind === 'result' || f.kind === 'error')
    .map((f) => ({ kind: f.kind, ...(JSON.parse(f.data) as Record<string, unknown>) }));
}

describe('collected JSON responses', () => {
  it.each(Object.keys(docs))(
    'masks %s exactly as maskJsonBytes does on the whole body, however it arrives',
    async (name) => {
      const want = expected(docs[name]!);
      expect(want).toBeDefined();
      for (const path of ['/json', '/json-chunked', '/json-gzip', '/json-identity-coding', '/early-hints']) {
        const res = await get(`${path}?doc=${name}`);
        expect(res.status, path).toBe(200);
        const body = Buffer.from(await res.arrayBuffer());
        expect(body.equals(want!), `${path}?doc=${name}`).toBe(true);
        expect(res.headers.get('content-length'), path).toBe(String(want!.length));
        expect(res.headers.get('content-encoding'), path).toBeNull();
      }
    },
  );

  it('never lets a secret through in the large document (the expectation itself masks)', async () => {
    const text = await (await get('/json-chunked?doc=large')).text();
    expect(text).not.toContain('@example.com');
    expect(text).not.toContain(CARD);
    expect(text).not.toContain('5500-0000-0000-0004');
    expect(text).toContain('[MASKED:email]');
  });

  it('masks a body labelled JSON that is not JSON as text', async () => {
    const res = await get('/not-json');
    expect(await res.text()).toBe('oops, not JSON: [MASKED:email] [MASKED:credit_card]');
  });

  it('masks a JSON body over the JSON cap as a text stream, every byte delivered', async () => {
    const res = await get('/big');
    const text = await res.text();
    expect(text.length).toBeGreaterThan(JSON_MASK_CAP);
    expect(text).not.toContain(EMAIL);
    expect(text.startsWith('{"s":"xxx')).toBe(true);
    expect(text.endsWith('[MASKED:email] "}')).toBe(true);
    expect(text.split('[MASKED:email]').length - 1).toBe(Math.ceil((JSON_MASK_CAP + 1) / 65536) + 1);
  });

  it('refuses a JSON body in a coding it cannot undo (502, nothing of the body passed on)', async () => {
    const res = await get('/json-zstd?doc=small');
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).not.toContain(EMAIL);
    expect(JSON.parse(text)).toMatchObject({ error: 'bad_gateway' });
  });

  it('answers a 204 with its headers and no body', async () => {
    const res = await get('/head-only');
    expect(res.status).toBe(204);
    expect(res.headers.get('x-thing')).toBe('1');
  });

  it('answers 502 and records the error when the upstream dies mid-body (nothing partial reaches the agent)', async () => {
    const res = await get('/cut');
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).not.toContain(EMAIL);
    expect(JSON.parse(text)).toMatchObject({ error: 'bad_gateway' });
    await new Promise((r) => setTimeout(r, 1200));
    expect(
      resultFrames().some((f) => f.kind === 'error' && String(f.message).startsWith('response relay failed')),
    ).toBe(true);
  });

  it('aborts the upstream request when the agent goes away while the body is collected', async () => {
    const sock = connect(listener.address.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(`GET /slow HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 300));
    sock.destroy();
    await expect.poll(() => upstream.aborted, { timeout: 2000 }).toContain('/slow');
  });

  it('records the masked preview and counts of a collected response', async () => {
    const id = `t-${Math.random().toString(36).slice(2)}`;
    await fetch(`http://127.0.0.1:${listener.address.port}/json?doc=small`, {
      headers: { authorization: `Bearer ${token}`, 'x-test-id': id },
    });
    const mine = () =>
      resultFrames().find(
        (f) =>
          (f.request as { headers?: Record<string, string[]> } | undefined)?.headers?.['x-test-id']?.[0] ===
          id,
      );
    await expect.poll(mine, { timeout: 5000, interval: 200 }).toBeDefined();
    const frame = mine()!;
    expect(frame).toMatchObject({
      kind: 'result',
      status: 200,
      mode: 'json',
      masked: { email: 1, credit_card: 1, json_path: 1 },
    });
    expect(frame.preview).toBe(expected(docs.small!)!.toString('utf8'));
    expect(frame.bytes).toBe(expected(docs.small!)!.length);
  });
});
