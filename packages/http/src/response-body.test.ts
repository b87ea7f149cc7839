import { createMasker } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { bodyMode, contentCodings, maskJsonBody } from './response-body.js';

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
