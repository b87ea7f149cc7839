import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINARY, CARD, EMAIL, type Harness, startHarness } from './harness.js';
import { rawRequest } from './raw-client.js';

const run = promisify(execFile);
let h: Harness;
let token: string;

beforeAll(async () => {
  h = await startHarness();
  token = await h.token();
});
afterAll(async () => {
  await h?.close();
});

const auth = () => ({ authorization: `Bearer ${token}` });
const seenSince = (n: number) => h.upstream.seen.slice(n);

describe('agent authentication', () => {
  it('refuses a request without a token with 401 and WWW-Authenticate: Bearer', async () => {
    const before = h.upstream.seen.length;
    const res = await fetch(`${h.url}/v1/things`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(await res.json()).toMatchObject({ error: 'unauthorized', reason: 'missing bearer token' });
    expect(seenSince(before)).toEqual([]);
  });

  it('refuses a malformed, a forged and an expired token with 401', async () => {
    const before = h.upstream.seen.length;
    const expired = await h.token(['ai-agents'], { ttl: '1m', now: Date.now() - 3_600_000 });
    for (const value of [
      'Basic dXNlcjpwYXNz',
      'Bearer not-a-jwt',
      `Bearer ${token.slice(0, -4)}AAAA`,
      `Bearer ${expired}`,
    ]) {
      const res = await fetch(`${h.url}/v1/things`, { headers: { authorization: value } });
      expect(res.status, value).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      const body = (await res.json()) as { reason: string };
      expect(body.reason.length).toBeGreaterThan(0);
    }
    expect(seenSince(before)).toEqual([]);
  });

  it('refuses an identity outside allow_groups with 403', async () => {
    const before = h.upstream.seen.length;
    const other = await h.token(['interns']);
    const res = await fetch(`${h.url}/v1/things`, { headers: { authorization: `Bearer ${other}` } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'denied', rule: 'allow_groups' });
    expect(seenSince(before)).toEqual([]);
  });
});

describe('forwarding', () => {
  it('injects the upstream credentials and never passes the agent token on', async () => {
    const before = h.upstream.seen.length;
    const res = await fetch(`${h.url}/v1/things?x=1`, {
      headers: {
        ...auth(),
        'x-forwarded-for': '6.6.6.6',
        'proxy-authorization': 'Basic eA==',
        'x-custom': 'kept',
      },
    });
    expect(res.status).toBe(200);
    const [seen] = seenSince(before);
    expect(seen!.url).toBe('/v1/things?x=1');
    expect(seen!.headers.authorization).toBe('Bearer upstream-secret-token');
    expect(seen!.headers['x-gateway']).toBe('portcullis');
    expect(seen!.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen!.headers['x-forwarded-proto']).toBe('http');
    expect(seen!.headers['x-custom']).toBe('kept');
    expect(seen!.headers['proxy-authorization']).toBeUndefined();
    expect(JSON.stringify(seen!.headers)).not.toContain(token);
  });

  it('drops headers listed in Connection', async () => {
    const before = h.upstream.seen.length;
    await rawRequest(
      h.listener.address.port,
      `GET /v1/things HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${token}\r\nConnection: close, x-secret-hop\r\nX-Secret-Hop: 1\r\n\r\n`,
    );
    expect(seenSince(before)[0]!.headers['x-secret-hop']).toBeUndefined();
  });

  it('streams a request body upstream (fixed length and chunked)', async () => {
    const before = h.upstream.seen.length;
    // 200 kB is over the 64 KiB inspection cap: judged on its head, the rest streamed after the verdict.
    const res = await fetch(`${h.url}/v1/uploads`, {
      method: 'POST',
      headers: auth(),
      body: 'a'.repeat(200_000),
    });
    expect(res.status).toBe(200);
    const chunked = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('part1-'));
        c.enqueue(new TextEncoder().encode('part2'));
        c.close();
      },
    });
    const res2 = await fetch(`${h.url}/v1/uploads`, {
      method: 'POST',
      headers: auth(),
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect(res2.status).toBe(200);
    const seen = seenSince(before);
    expect(seen[0]!.body.length).toBe(200_000);
    expect(seen[1]!.body).toBe('part1-part2');
  });

  it('judges a body over the inspection cap as truncated (body rules fail closed) and never forwards it', async () => {
    const before = h.upstream.seen.length;
    const res = await fetch(`${h.url}/v1/orders`, {
      method: 'POST',
      headers: auth(),
      body: 'x'.repeat(100 * 1024),
    });
    // no-drop has a body rule: over the 64KiB cap it matches, so the request is denied.
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'denied', rule: 'no-drop' });
    expect(seenSince(before)).toEqual([]);
  });
});

describe('judging', () => {
  it('allows a read and denies a write with the spec JSON shape', async () => {
    const before = h.upstream.seen.length;
    expect((await fetch(`${h.url}/v1/payments/1`, { headers: auth() })).status).toBe(200);
    const res = await fetch(`${h.url}/v1/payments`, { method: 'POST', headers: auth(), body: '{}' });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toMatchObject({
      error: 'denied',
      rule: 'no-payment-writes',
      reason: expect.stringContaining('read-only'),
    });
    expect(seenSince(before).map((s) => `${s.method} ${s.url}`)).toEqual(['GET /v1/payments/1']);
  });

  const evasions: [string, string, Record<string, string>?][] = [
    ['POST', '/v1/%70ayments'],
    ['POST', '/v1//payments'],
    ['POST', '/v1/x/../payments'],
    ['POST', '/v1/x/%2e%2e/payments'],
    ['POST', '/v1/./payments/./1'],
    ['POST', '/v1/payments/'],
    ['POST', '/v1/payments;jsessionid=1'],
    ['POST', '/v1/public/..%2Fpayments'],
    ['POST', '/v1/payments%2F..'],
    ['POST', 'http://elsewhere.example/v1/payments'],
    ['DELETE', '/v1/PAYMENTS/../payments/1'],
    ['GET', '/v1/payments/1', { 'x-http-method-override': 'DELETE' }],
    ['GET', '/v1/payments/1', { 'X-HTTP-Method': 'put' }],
    ['GET', '/v1/payments/1', { 'x-method-override': 'PATCH' }],
    ['GET', '/v1/payments/1?_method=DELETE'],
    ['GET', '/admin%2fusers'],
    ['GET', '/%61dmin'],
    ['DELETE', '*'],
    ['POST', '/v1/payments.json'],
    ['DELETE', '/v1/payments./1'],
    ['GET', '/admin%3F.css'],
    ['GET', '/admin.'],
    ['GET', '/adm%C4%B1n'],
    ['GET', '/v1/payments/1', { X_HTTP_Method_Override: 'DELETE' }],
    ['GET', '/v1/payments/1?_METHOD=DELETE'],
    ['GET', '/v1/payments/1?a=1;_method=DELETE'],
  ];
  it.each(evasions)(
    '%s %s %j is judged as the real target and denied',
    async (method, target, headers = {}) => {
      const before = h.upstream.seen.length;
      const extra = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      const res = await rawRequest(
        h.listener.address.port,
        `${method} ${target} HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${token}\r\n${extra}Content-Length: 2\r\nConnection: close\r\n\r\n{}`,
      );
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'denied' });
      expect(seenSince(before)).toEqual([]);
    },
  );

  it('forwards the normalised path that was judged', async () => {
    const before = h.upstream.seen.length;
    const res = await rawRequest(
      h.listener.address.port,
      `GET /v1/x/../%70ayments/1?q=%41 HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status).toBe(200);
    expect(seenSince(before).map((s) => s.url)).toEqual(['/v1/payments/1?q=%41']);
  });

  it('sends a leading // upstream as one / (never read as a host)', async () => {
    const before = h.upstream.seen.length;
    const res = await rawRequest(
      h.listener.address.port,
      `GET //evil/v1/payments/1 HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ path: '/evil/v1/payments/1' });
    expect(seenSince(before).map((s) => s.url)).toEqual(['/evil/v1/payments/1']);
  });

  it('refuses TRACE (it would echo the injected upstream credentials)', async () => {
    const before = h.upstream.seen.length;
    const res = await rawRequest(
      h.listener.address.port,
      `TRACE /v1/x HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
    );
    expect(res.status).toBe(405);
    expect(seenSince(before)).toEqual([]);
  });

  it('never forwards path overrides an upstream framework would route by', async () => {
    const res = await fetch(`${h.url}/resp/echo-headers`, {
      headers: {
        ...auth(),
        'x-original-url': '/admin',
        'x-rewrite-url': '/admin',
        'x-forwarded-prefix': '/a',
      },
    });
    const { headers } = (await res.json()) as { headers: Record<string, string> };
    expect(headers['x-original-url']).toBeUndefined();
    expect(headers['x-rewrite-url']).toBeUndefined();
    expect(headers['x-forwarded-prefix']).toBeUndefined();
  });

  it('denies by body pattern, also inside a gzip-encoded body', async () => {
    const before = h.upstream.seen.length;
    const plain = await fetch(`${h.url}/v1/sql`, {
      method: 'POST',
      headers: auth(),
      body: 'please DROP  TABLE users',
    });
    expect(plain.status).toBe(403);
    const gz = await fetch(`${h.url}/v1/sql`, {
      method: 'POST',
      headers: { ...auth(), 'content-encoding': 'gzip' },
      body: gzipSync('drop table users'),
    });
    expect(gz.status).toBe(403);
    expect(await gz.json()).toMatchObject({ rule: 'no-drop' });
    expect(seenSince(before)).toEqual([]);
  });

  it('holds a reviewed request until the review times out, then answers 403 with the approval id', async () => {
    const before = h.upstream.seen.length;
    const t0 = Date.now();
    const res = await fetch(`${h.url}/v1/refunds/7`, { headers: auth() });
    expect(res.status).toBe(403);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.error).toBe('denied');
    expect(typeof body.approval).toBe('string');
    expect(seenSince(before)).toEqual([]);
  });

  it('works with curl (allowed, denied, compressed)', async () => {
    const ok = await run('curl', ['-s', '-H', `Authorization: Bearer ${token}`, `${h.url}/v1/payments/2`]);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, path: '/v1/payments/2' });
    const denied = await run('curl', [
      '-s',
      '-w',
      '\n%{http_code}',
      '-X',
      'DELETE',
      '-H',
      `Authorization: Bearer ${token}`,
      `${h.url}/v1/payments/2`,
    ]);
    expect(denied.stdout.split('\n').pop()).toBe('403');
    const gz = await run('curl', [
      '-s',
      '--compressed',
      '-H',
      `Authorization: Bearer ${token}`,
      `${h.url}/resp/gzip`,
    ]);
    expect(gz.stdout).not.toContain(EMAIL);
    expect(gz.stdout).toContain('[MASKED:email]');
  });
});

describe('request smuggling shapes are refused with 400 and never forwarded', () => {
  const cases: [string, string][] = [
    [
      'Content-Length and Transfer-Encoding',
      'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['two different Content-Lengths', 'Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}x'],
    ['two equal Content-Lengths', 'Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}'],
    ['obs-fold', 'X-Folded: a\r\n  b\r\nContent-Length: 2\r\n\r\n{}'],
    ['invalid chunk size', 'Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
    ['Transfer-Encoding other than chunked', 'Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'],
    ['obfuscated Transfer-Encoding', 'Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n'],
    ['space before the colon', 'Content-Length : 2\r\n\r\n{}'],
    ['non-numeric Content-Length', 'Content-Length: +2\r\n\r\n{}'],
    ['control character in a header', 'X-Bad: a\u0001b\r\nContent-Length: 2\r\n\r\n{}'],
    ['two Host headers', 'Host: other\r\nContent-Length: 2\r\n\r\n{}'],
  ];
  it.each(cases)('%s', async (_name, rest) => {
    const before = h.upstream.seen.length;
    const res = await rawRequest(
      h.listener.address.port,
      `POST /v1/orders HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${token}\r\n${rest}`,
    );
    expect(res.status).toBe(400);
    await new Promise((r) => setTimeout(r, 50));
    expect(seenSince(before)).toEqual([]);
  });
});

describe('response masking', () => {
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${h.url}${path}`, { headers: { ...auth(), ...headers } });

  it('masks every string in a JSON body and the configured json_paths, with a correct Content-Length', async () => {
    const res = await get('/resp/json');
    const text = await res.text();
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(text).not.toContain(EMAIL);
    expect(text).not.toContain(CARD);
    expect(text).not.toContain('5500-0000-0000-0004');
    const doc = JSON.parse(text) as { user: Record<string, string>; id: number };
    expect(doc.user.email).toBe('[MASKED:email]');
    expect(doc.id).toBe(1);
  });

  it('keeps numbers JSON.parse would alter', async () => {
    const text = await (await get('/resp/bigint')).text();
    expect(text).toContain('12345678901234567890');
    expect(text).toContain('1.50');
    expect(text).not.toContain(EMAIL);
  });

  it('masks text, also a secret split across chunks', async () => {
    expect(await (await get('/resp/text')).text()).toBe(
      'hello [MASKED:email] your card is [MASKED:credit_card]\n',
    );
    const chunked = await (await get('/resp/chunked')).text();
    expect(chunked).not.toContain(CARD);
    expect(chunked).toContain('[MASKED:credit_card]');
  });

  it.each(['/resp/gzip', '/resp/br', '/resp/deflate'])(
    'decompresses %s, masks it, and sends it identity',
    async (path) => {
      const res = await get(path, { 'accept-encoding': 'gzip, br, deflate' });
      expect(res.headers.get('content-encoding')).toBeNull();
      const text = await res.text();
      expect(text).not.toContain(EMAIL);
      expect(text).toContain('[MASKED:email]');
    },
  );

  it('refuses to pass on a body it cannot decode (never unmasked)', async () => {
    const res = await get('/resp/zstd');
    expect(res.status).toBe(502);
    expect(await res.text()).not.toContain('not really zstd');
  });

  it('passes binary content types through unchanged', async () => {
    expect(Buffer.from(await (await get('/resp/binary')).arrayBuffer())).toEqual(BINARY);
  });

  it('masks text labelled as binary', async () => {
    expect(await (await get('/resp/octet-text')).text()).toBe('raw [MASKED:email]');
  });
});
