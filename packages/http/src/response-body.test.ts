import { createMasker } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import {
  bodyMode,
  contentCodings,
  foreignCharset,
  looksLikeText,
  maskJsonBody,
  maskJsonResponse,
  maskStream,
  relabelUtf8,
  sniffWideCharset,
  sseJsonLines,
  transferCodings,
} from './response-body.js';

const masker = () =>
  createMasker({
    detectors: ['email', 'credit_card'],
    columns: [],
    jsonPaths: ['$..card_number'],
    replacement: '[MASKED:{type}]',
  });

describe('bodyMode', () => {
  const cases: [string, number, string | undefined, string][] = [
    ['GET', 200, 'application/json; charset=utf-8', 'json'],
    ['GET', 200, 'application/problem+json', 'json'],
    ['GET', 200, 'text/html', 'text'],
    ['GET', 200, 'application/xml', 'text'],
    ['GET', 200, undefined, 'text'],
    ['GET', 200, 'image/png', 'binary'],
    ['GET', 200, 'application/octet-stream', 'binary'],
    ['HEAD', 200, 'application/json', 'none'],
    ['GET', 204, undefined, 'none'],
    ['GET', 304, 'text/plain', 'none'],
  ];
  it.each(cases)('%s %i %s → %s', (m, s, ct, mode) => {
    expect(bodyMode(m, s, ct)).toBe(mode);
  });
});

describe('contentCodings', () => {
  it('lists decodable codings and refuses others', () => {
    expect(contentCodings('gzip, br')).toEqual(['gzip', 'br']);
    expect(contentCodings(undefined)).toEqual([]);
    expect(contentCodings('identity')).toEqual([]);
    expect(() => contentCodings('zstd')).toThrow(/zstd/);
  });
});

describe('maskJsonBody', () => {
  it('masks strings and json_paths and keeps numbers JSON.parse would change', () => {
    const out = maskJsonBody(
      masker(),
      Buffer.from(
        '{"id": 12345678901234567890, "p": 1.50, "e": 1e3, "n": -0, "s": "mail alice@example.com", "card_number": "x", "t": "12345678901234567890"}',
      ),
    )!.toString();
    expect(out).toContain('"id":12345678901234567890');
    expect(out).toContain('"p":1.50');
    expect(out).toContain('"e":1e3');
    expect(out).toContain('"t":"12345678901234567890"');
    expect(out).not.toContain('alice@example.com');
    expect(out).not.toContain('"card_number":"x"');
    expect(() => JSON.parse(out)).not.toThrow();
  });

  it('returns undefined for a body that is not JSON', () => {
    expect(maskJsonBody(masker(), Buffer.from('not json'))).toBeUndefined();
  });
});

describe('maskJsonResponse', () => {
  it('masks strings and json_paths, keeps everything else byte for byte', () => {
    const body =
      '{"id": 12345678901234567890, "p": 1.50, "s": "mail alice@example.com", "card_number": "x", "esc": "bob\\u0040example.com"}';
    const out = maskJsonResponse(masker(), Buffer.from(body))!.toString();
    expect(out).toContain('"id": 12345678901234567890');
    expect(out).toContain('"p": 1.50');
    expect(out).not.toContain('alice@example.com');
    expect(out).toContain('"card_number": "[MASKED:json_path]"');
    // an escaped secret is decoded before the detectors see it, as json() would see it
    expect(out).not.toMatch(/bob\\u0040example\.com/);
    expect(JSON.parse(out).s).toBe('mail [MASKED:email]');
  });

  it('returns undefined for a body that is not one JSON text', () => {
    expect(maskJsonResponse(masker(), Buffer.from('{"a": 1} trailing'))).toBeUndefined();
    expect(maskJsonResponse(masker(), Buffer.from('not json'))).toBeUndefined();
  });
});

describe('what a body really is', () => {
  it('transfer codings other than chunked are undone like content codings', () => {
    expect(transferCodings('gzip, chunked')).toEqual(['gzip']);
    expect(transferCodings('chunked')).toEqual([]);
    expect(transferCodings(undefined)).toEqual([]);
    expect(() => transferCodings('compress, chunked')).toThrow(/compress/);
  });

  const charsets: [string | undefined, string | undefined | RegExp][] = [
    [undefined, undefined],
    ['text/plain', undefined],
    ['application/json; charset=UTF-8', undefined],
    ['text/plain; charset=iso-8859-1', undefined],
    ['application/json; charset=utf-16le', 'utf-16le'],
    ['text/plain; charset="shift_jis"', 'shift_jis'],
    ['text/plain; charset=utf-7', /cannot mask/],
    ['text/plain; charset=ebcdic-cp-us', /cannot mask/],
  ];
  it.each(charsets)('%s → convert from %s', (type, want) => {
    if (want instanceof RegExp) expect(() => foreignCharset(type)).toThrow(want);
    else expect(foreignCharset(type)).toBe(want);
  });

  it('sniffs unlabelled UTF-16 and UTF-32', () => {
    expect(sniffWideCharset(Buffer.from('{"a":1}'))).toBeUndefined();
    expect(sniffWideCharset(Buffer.from('\ufeffhi', 'utf16le'))).toBe('utf-16le');
    expect(sniffWideCharset(Buffer.from('{"', 'utf16le'))).toBe('utf-16le');
    expect(sniffWideCharset(Buffer.from([0, 0x7b, 0, 0x22]))).toBe('utf-16be');
    expect(sniffWideCharset(Buffer.from([0x7b, 0, 0, 0]))).toBe('utf-32');
  });

  it('tells text labelled binary from binary', () => {
    expect(looksLikeText(Buffer.from('{"email":"a@b.co"}\n'))).toBe(true);
    expect(looksLikeText(Buffer.from('caf\u00e9 — ünïcödé'))).toBe(true);
    expect(looksLikeText(Buffer.from('caf\u00e9').subarray(0, 4))).toBe(true); // cut mid-character
    expect(looksLikeText(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(false);
    expect(looksLikeText(Buffer.from('PK\u0003\u0004\u0014\u0000'))).toBe(false);
    expect(looksLikeText(Buffer.from([0x25, 0x50, 0x44, 0x46, 0x0a, 0x25, 0xe2, 0xe3, 0xcf, 0xd3]))).toBe(
      false,
    );
    expect(looksLikeText(Buffer.alloc(0))).toBe(false);
  });

  it('relabels a converted body as UTF-8', () => {
    expect(relabelUtf8('application/json; charset=utf-16le')).toBe('application/json; charset=utf-8');
    expect(relabelUtf8('text/plain;charset="x"; format=flowed')).toBe(
      'text/plain; charset=utf-8; format=flowed',
    );
  });
});

describe('json_paths inside wrappers', () => {
  const run = async (stages: import('node:stream').Transform[], parts: string[]) => {
    const { Readable } = await import('node:stream');
    let cur: NodeJS.ReadableStream = Readable.from(parts.map((p) => Buffer.from(p)));
    for (const s of stages) cur = cur.pipe(s);
    const out: Buffer[] = [];
    for await (const c of cur as AsyncIterable<Buffer>) out.push(c);
    return Buffer.concat(out).toString();
  };
  const cases: [string, string[], string][] = [
    ['JSONP', ['cb(', '{"card_number":"x1"});'], 'cb({"card_number":"[MASKED:json_path]"});'],
    [
      'JSONP split before the name ends',
      ['/**/ jQuery12', '_3({"card_number":"x"})'],
      '/**/ jQuery12_3({"card_number":"[MASKED:json_path]"})',
    ],
    ['anti-XSSI', [")]}',\n", '[{"card_number":"x"}]'], ')]}\',\n[{"card_number":"[MASKED:json_path]"}]'],
    ['while(1);', ['while(1);{"card_number":"x"}'], 'while(1);{"card_number":"[MASKED:json_path]"}'],
    ['plain text is untouched', ['hello ', 'alice@example.com (x)'], 'hello [MASKED:email] (x)'],
    ['HTML', ['<p>{"card_number":"x"}</p>'], '<p>{"card_number":"x"}</p>'],
  ];
  it.each(cases)('%s', async (_what, parts, want) => {
    expect(await run([maskStream(masker(), () => undefined)], parts)).toBe(want);
  });

  it('masks JSON data lines of an event stream, split anywhere', async () => {
    const body = 'id: 1\ndata: {"card_number":"x","m":"alice@example.com"}\r\n\ndata: plain\n\n';
    for (let cut = 1; cut < body.length; cut += 5) {
      const m = masker();
      const out = await run(
        [sseJsonLines(m), maskStream(m, () => undefined)],
        [body.slice(0, cut), body.slice(cut)],
      );
      expect(out).toBe(
        'id: 1\ndata: {"card_number":"[MASKED:json_path]","m":"[MASKED:email]"}\r\n\ndata: plain\n\n',
      );
    }
  });
});
