import { createMasker } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { bodyMode, contentCodings, maskJsonBody, maskJsonResponse } from './response-body.js';

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
