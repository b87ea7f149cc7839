import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { agentResponseHeaders, judgedHeaders, redactedHeaders, upstreamRequestHeaders } from './headers.js';

function req(raw: string[]): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) headers[raw[i]!.toLowerCase()] = raw[i + 1]!;
  return { rawHeaders: raw, headers } as unknown as IncomingMessage;
}

const ctx = {
  clientAddress: '10.0.0.9',
  proto: 'http' as const,
  upstreamHost: 'api.internal:8080',
  inject: { Authorization: 'Bearer up' },
  websocket: false,
};

describe('upstreamRequestHeaders', () => {
  it('drops credentials, hop-by-hop and Connection-listed headers; sets forwarding headers; injects', () => {
    const out = upstreamRequestHeaders(
      req([
        'Host',
        'gw:18080',
        'Authorization',
        'Bearer agent',
        'Proxy-Authorization',
        'Basic x',
        'Connection',
        'keep-alive, X-Hop',
        'X-Hop',
        '1',
        'Keep-Alive',
        'timeout=5',
        'TE',
        'trailers',
        'Upgrade',
        'h2c',
        'X-Forwarded-For',
        '6.6.6.6',
        'Forwarded',
        'for=6.6.6.6',
        'Range',
        'bytes=0-10',
        'Accept-Encoding',
        'gzip, zstd, br;q=0.5',
        'X-Keep',
        'a',
        'X-Keep',
        'b',
      ]),
      ctx,
    );
    expect(out).toEqual({
      host: 'api.internal:8080',
      authorization: 'Bearer up',
      'x-forwarded-for': '10.0.0.9',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'gw:18080',
      'accept-encoding': 'gzip, br;q=0.5',
      'x-keep': ['a', 'b'],
    });
  });

  it('keeps the websocket upgrade headers for an allowed upgrade', () => {
    const out = upstreamRequestHeaders(
      req([
        'Host',
        'gw',
        'Connection',
        'Upgrade',
        'Upgrade',
        'websocket',
        'Sec-WebSocket-Key',
        'k',
        'Sec-WebSocket-Extensions',
        'permessage-deflate',
      ]),
      { ...ctx, websocket: true },
    );
    expect(out).toMatchObject({ connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k' });
    expect(out['sec-websocket-extensions']).toBeUndefined();
  });
});

describe('agentResponseHeaders and redactedHeaders', () => {
  it('strips hop-by-hop response headers', () => {
    expect(
      agentResponseHeaders({
        'content-type': 'a',
        connection: 'close, x-y',
        'x-y': '1',
        'transfer-encoding': 'chunked',
        'keep-alive': 'x',
      }),
    ).toEqual({ 'content-type': 'a' });
  });

  it('redacts credentials but keeps their shape', () => {
    expect(
      redactedHeaders({
        authorization: 'Bearer abc',
        cookie: 'a=1; b=2',
        'set-cookie': ['s=secret; Path=/'],
        accept: '*/*',
      }),
    ).toEqual({
      authorization: ['Bearer [REDACTED]'],
      cookie: ['a=[REDACTED]; b=[REDACTED]'],
      'set-cookie': ['s=[REDACTED]'],
      accept: ['*/*'],
    });
  });
});

describe('headers the agent cannot use against the judge', () => {
  it('drops path/host overrides and every X-Forwarded-*', () => {
    const out = upstreamRequestHeaders(
      req([
        'X-Original-URL',
        '/admin',
        'X-Rewrite-URL',
        '/admin',
        'X-Forwarded-Prefix',
        '/admin',
        'X-Forwarded-Server',
        'x',
        'Request-Range',
        'bytes=0-1',
        'Accept-Charset',
        'utf-16',
        'X-Keep',
        'yes',
      ]),
      ctx,
    );
    expect(Object.keys(out).sort()).toEqual(
      ['authorization', 'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-keep'].sort(),
    );
  });

  it('judges without the headers the agent lists in Connection (they are not forwarded)', () => {
    const r = {
      headers: { connection: 'close, X-Dry-Run', 'x-dry-run': 'true' },
      headersDistinct: {
        connection: ['close, X-Dry-Run'],
        'x-dry-run': ['true'],
        authorization: ['Bearer t'],
      },
    } as unknown as IncomingMessage;
    expect(judgedHeaders(r)).toEqual({
      connection: ['close, X-Dry-Run'],
      authorization: ['Bearer [REDACTED]'],
    });
  });

  it('masks response header values, leaving structural ones alone', () => {
    const masker = { value: (v: string) => v.replace('alice@example.com', '[MASKED:email]') };
    const out = agentResponseHeaders(
      {
        location: '/u?e=alice@example.com',
        'set-cookie': ['a=alice@example.com', 'b=1'],
        'content-type': 'text/plain; alice@example.com',
      },
      [],
      masker,
    );
    expect(out).toEqual({
      location: '/u?e=[MASKED:email]',
      'set-cookie': ['a=[MASKED:email]', 'b=1'],
      'content-type': 'text/plain; alice@example.com',
    });
  });
});
