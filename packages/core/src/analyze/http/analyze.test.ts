import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HttpCommand, HttpUnit } from '../../types.js';
import { analyzeHttp } from './analyze.js';

const enc = new TextEncoder();
const cmd = (over: Partial<HttpCommand>): HttpCommand => ({
  kind: 'http',
  method: 'GET',
  target: '/',
  headers: {},
  ...over,
});
const unit = (c: Partial<HttpCommand>): HttpUnit => {
  const a = analyzeHttp(cmd(c));
  expect(a.parseError).toBeUndefined();
  return a.units[0] as HttpUnit;
};

describe('analyzeHttp: methods', () => {
  const overrides: [Partial<HttpCommand>, string[]][] = [
    [{ method: 'get' }, ['GET']],
    [{ method: 'POST', headers: { 'x-http-method-override': 'delete' } }, ['POST', 'DELETE']],
    [{ method: 'POST', headers: { 'X-HTTP-Method': 'PUT' } }, ['POST', 'PUT']],
    [{ method: 'POST', headers: { 'x-method-override': ['PATCH', 'DELETE'] } }, ['POST', 'PATCH', 'DELETE']],
    [{ method: 'POST', headers: { 'x-http-method-override': 'PUT, DELETE' } }, ['POST', 'PUT', 'DELETE']],
    [{ method: 'GET', target: '/v1/payments?_method=delete' }, ['GET', 'DELETE']],
    [
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: enc.encode('a=1&_method=put'),
      },
      ['POST', 'PUT'],
    ],
    [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: enc.encode('{"_method":"DELETE"}'),
      },
      ['POST', 'DELETE'],
    ],
  ];
  it.each(overrides)('%j → %j', (c, methods) => {
    expect(unit(c).methods).toEqual(methods);
  });
});

describe('analyzeHttp: path, query, headers', () => {
  it('normalises the path and reports what it did', () => {
    const u = unit({ target: '/v1/x/../%70ayments//42/' });
    expect(u.path).toBe('/v1/payments/42');
    expect(u.notes?.join(';')).toMatch(/resolved/);
  });

  it('refuses an ambiguous path with a parse error', () => {
    const a = analyzeHttp(cmd({ target: '/v1/public/..%2Fpayments' }));
    expect(a.parseError).toMatch(/different things/);
  });

  it('decodes the query and keeps duplicates', () => {
    const u = unit({ target: '/s?q=a+b&q=%43&empty=&flag' });
    expect(u.query).toEqual({ q: ['a b', 'C'], empty: [''], flag: [''] });
  });

  it('lower-cases header names and keeps repeats', () => {
    const u = unit({ headers: { 'X-Team': ['a', 'b'], accept: 'text/plain' } });
    expect(u.headers).toEqual({ 'x-team': ['a', 'b'], accept: ['text/plain'] });
  });
});

describe('analyzeHttp: bodies', () => {
  it('parses a JSON body', () => {
    const u = unit({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: enc.encode('{"amount":5}'),
    });
    expect(u.json).toEqual({ amount: 5 });
    expect(u.bodyText).toBe('{"amount":5}');
  });

  it('parses JSON-shaped bodies whatever the Content-Type says', () => {
    const u = unit({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: enc.encode(' [1,2]') });
    expect(u.json).toEqual([1, 2]);
  });

  it('refuses declared JSON that does not parse', () => {
    const a = analyzeHttp(
      cmd({ method: 'POST', headers: { 'content-type': 'application/json' }, body: enc.encode('{x') }),
    );
    expect(a.parseError).toMatch(/not valid JSON/);
  });

  it('refuses duplicate JSON keys (parsers disagree which wins)', () => {
    const a = analyzeHttp(
      cmd({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: enc.encode('{"a":{"amount":1,"x":"amount","amount":9}}'),
      }),
    );
    expect(a.parseError).toMatch(/duplicate key "amount"/);
  });

  it('accepts the same key in different objects', () => {
    const u = unit({ method: 'POST', body: enc.encode('[{"a":1},{"a":2,"b":{"a":3}}]') });
    expect(u.json).toEqual([{ a: 1 }, { a: 2, b: { a: 3 } }]);
  });

  it('reads gzip-encoded request bodies', () => {
    const u = unit({
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync('{"amount":7}'),
    });
    expect(u.json).toEqual({ amount: 7 });
  });

  it('refuses an unknown or broken Content-Encoding', () => {
    expect(
      analyzeHttp(cmd({ body: enc.encode('x'), headers: { 'content-encoding': 'zstd' } })).parseError,
    ).toMatch(/unsupported Content-Encoding/);
    expect(
      analyzeHttp(cmd({ body: enc.encode('x'), headers: { 'content-encoding': 'gzip' } })).parseError,
    ).toMatch(/not valid gzip/);
  });

  it('decodes the declared charset', () => {
    const body = Buffer.from('{"a":"secret"}', 'utf16le');
    const u = unit({
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-16le' },
      body,
    });
    expect(u.json).toEqual({ a: 'secret' });
  });

  it('keeps bodyTruncated and does not parse a partial body', () => {
    const u = unit({
      method: 'POST',
      body: enc.encode('{"a":'),
      bodyTruncated: true,
      headers: { 'content-type': 'application/json' },
    });
    expect(u.bodyTruncated).toBe(true);
    expect(u.json).toBeUndefined();
  });

  it('a gzip bomb is inspected up to the cap and marked truncated', () => {
    const u = unit({
      method: 'POST',
      body: gzipSync(Buffer.alloc(20 * 1024 * 1024)),
      headers: { 'content-encoding': 'gzip' },
    });
    expect(u.bodyTruncated).toBe(true);
  });
});

describe('analyzeHttp never throws', () => {
  it('on arbitrary input', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.array(fc.string()))),
        fc.option(fc.uint8Array()),
        fc.boolean(),
        (method, target, headers, body, truncated) => {
          const a = analyzeHttp({
            kind: 'http',
            method,
            target,
            headers,
            body: body ?? undefined,
            bodyTruncated: truncated,
          });
          expect(a.units).toHaveLength(1);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('on URL-shaped targets', () => {
    fc.assert(
      fc.property(fc.webPath(), fc.webQueryParameters(), (path, q) => {
        const a = analyzeHttp(cmd({ target: `/${path}?${q}` }));
        if (!a.parseError) expect((a.units[0] as HttpUnit).path.startsWith('/')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
