import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { agentResponseHeaders, redactedHeaders, upstreamRequestHeaders } from './headers.js';

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
