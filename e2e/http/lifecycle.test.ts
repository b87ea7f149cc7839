import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL, type Harness, startHarness } from './harness.js';
import { rawRequest } from './raw-client.js';

let h: Harness;
let token: string;
beforeAll(async () => {
  h = await startHarness();
  token = await h.token();
});
afterAll(async () => {
  await h?.close();
});

interface StoredFrame {
  kind: string;
  data: string;
}
function frames(): StoredFrame[] {
  const dir = join(h.dir, 'sessions');
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as StoredFrame),
    );
}

describe('sessions', () => {
  it('keeps one session per client connection, and a new identity on it gets a new session', async () => {
    const other = await h.token(['ai-agents'], { sub: 'agent-2' });
    const req = (t: string, last = false) =>
      `GET /v1/things HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${t}\r\n${last ? 'Connection: close\r\n' : ''}\r\n`;
    const before = h.gateway.activeSessions;
    const opens = frames().filter((f) => f.kind === 'open').length;
    // Three requests pipelined on one connection: two identities.
    const res = await rawRequest(
      h.listener.address.port,
      req(token) + req(token) + req(other, true),
      5000,
      true,
    );
    expect(res.raw.match(/HTTP\/1\.1 200/g)).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 1200));
    expect(frames().filter((f) => f.kind === 'open').length - opens).toBe(2);
    expect(h.gateway.activeSessions).toBe(before);
  });

  it('records the response: status, redacted headers and a masked preview', async () => {
    await fetch(`${h.url}/resp/text`, {
      headers: { authorization: `Bearer ${token}`, cookie: 'sid=abc123' },
    });
    await new Promise((r) => setTimeout(r, 1200));
    const results = frames().filter((f) => f.kind === 'result');
    const text = results.map((f) => f.data).join('\n');
    expect(text).toContain('[MASKED:email]');
    expect(text).not.toContain(EMAIL);
    expect(text).not.toContain('abc123');
    expect(text).not.toContain(token);
    expect(frames().some((f) => f.kind === 'request')).toBe(true);
  });
});

describe('upstream failure', () => {
  it('answers 502 with a JSON reason when the upstream is down', async () => {
    const { startHarness: start } = await import('./harness.js');
    const h2 = await start();
    await h2.upstream.close();
    const res = await fetch(`${h2.url}/v1/things`, {
      headers: { authorization: `Bearer ${await h2.token()}` },
    });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: 'bad_gateway' });
    await h2.close().catch(() => undefined);
  });
});

describe('websocket', () => {
  it('judges the upgrade: a denied path is refused with 403 and never reaches the upstream', async () => {
    const before = h.upstream.seen.length;
    const res = await rawRequest(
      h.listener.address.port,
      `GET /admin/ws HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer ${token}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    expect(res.status).toBe(403);
    expect(h.upstream.seen.slice(before)).toEqual([]);
  });

  it('refuses an unauthenticated upgrade with 401', async () => {
    const res = await rawRequest(
      h.listener.address.port,
      `GET /ws HTTP/1.1\r\nHost: api\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    expect(res.status).toBe(401);
  });

  it('relays frames both ways and masks text from the upstream', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.listener.address.port}/ws`, {
      headers: { authorization: `Bearer ${token}` },
    } as never);
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.onerror = () => reject(new Error('websocket error'));
      ws.onmessage = (e) => {
        got.push(String(e.data));
        if (got.length === 1) ws.send(`my mail is ${EMAIL}`);
        if (got.length === 2) resolve();
      };
    });
    ws.close();
    expect(got[0]).toBe('hello [MASKED:email]');
    // The agent's message reached the upstream as sent; its echo came back masked.
    expect(h.upstream.wsSeen).toContain(`my mail is ${EMAIL}`);
    expect(got[1]).toBe('echo: my mail is [MASKED:email]');
    const upgrade = h.upstream.seen.find((s) => s.url === '/ws');
    expect(upgrade?.headers.authorization).toBe('Bearer upstream-secret-token');
  });
});

describe('large downloads', () => {
  const mb = process.env.PORTCULLIS_SOAK === '1' ? 200 : 50;
  it(`streams a ${mb} MB masked text download with flat memory`, async () => {
    const res = await fetch(`${h.url}/resp/stream?mb=${mb}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const base = process.memoryUsage();
    let peak = 0;
    let bytes = 0;
    let masked = 0;
    let tail = '';
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      const text = tail + dec.decode(value, { stream: true });
      masked += text.split('[MASKED:email]').length - 1;
      tail = text.slice(-20);
      if (text.includes(EMAIL)) throw new Error('unmasked email in the stream');
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers - (base.heapUsed + base.arrayBuffers));
    }
    expect(bytes).toBeGreaterThan(mb * 1024 * 1024 * 0.9);
    expect(masked).toBeGreaterThan(1000);
    // Buffering the body would need ≥ mb MiB; streaming stays far below it.
    expect(peak).toBeLessThan(48 * 1024 * 1024);
  }, 180_000);
});
