import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MaskingConfig } from '../config/types.js';
import { createMasker } from './masker.js';

const cfg = (over: Partial<MaskingConfig> = {}): MaskingConfig => ({
  detectors: [],
  columns: [],
  jsonPaths: ['$..card_number', '$.user.password', '$.items[*].token', "$['odd key']", '$.list[0]'],
  replacement: '[MASKED:{type}]',
  ...over,
});

function run(
  m: ReturnType<typeof createMasker>,
  text: string,
  cuts: number[] = [],
): { out: string; failed: boolean } {
  const s = m.jsonStream!();
  const b = Buffer.from(text, 'utf8');
  const pieces: Buffer[] = [];
  let prev = 0;
  for (const c of [...cuts, b.length]) {
    pieces.push(Buffer.from(s.write(b.subarray(prev, c))));
    prev = c;
  }
  pieces.push(Buffer.from(s.flush()));
  expect(s.pending).toBe(0);
  return { out: Buffer.concat(pieces).toString('utf8'), failed: s.failed };
}

describe('jsonStream(): json_paths as the document flows', () => {
  const doc = {
    user: { name: 'Ann', password: { hash: 'x', salt: ['y', 'z'] } },
    payment: { card_number: 4111111111111111, note: 'ok', nested: [{ card_number: '4012 8888' }] },
    items: [{ token: 'abc', id: 1 }, { token: null }, { token: { deep: ['"}]', '\\'] } }],
    'odd key': true,
    list: ['first', 'second'],
    n: -1.5e3,
  };
  it('redacts the same values as json() on the parsed document, for every split', () => {
    const m = createMasker(cfg());
    const want = m.json(doc);
    for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 2)]) {
      const b = Buffer.from(text);
      for (let i = 0; i <= b.length; i++) {
        const { out, failed } = run(m, text, [i]);
        expect(failed).toBe(false);
        expect(JSON.parse(out)).toEqual(want);
      }
    }
  });
  it('passes everything else through byte for byte (numbers, spaces, escapes)', () => {
    const m = createMasker(cfg());
    const text =
      '{ "a" : 1.0, "b":12345678901234567890, "c": "\\u00e9\\n", "card_number" :  [1, {"x": "]"}] , "d": [ ] }';
    expect(run(m, text).out).toBe(
      '{ "a" : 1.0, "b":12345678901234567890, "c": "\\u00e9\\n", "card_number" :  "[MASKED:json_path]" , "d": [ ] }',
    );
  });
  it('matches escaped key names', () => {
    const m = createMasker(cfg());
    expect(JSON.parse(run(m, '{"card\\u005fnumber": 1}').out)).toEqual({ card_number: '[MASKED:json_path]' });
  });
  it('applies the detectors to the text as well', () => {
    const m = createMasker(cfg({ detectors: ['email', 'credit_card'] }));
    const { out } = run(
      m,
      '{"to": "a@b.com", "card_number": "x", "memo": "card 4111 1111 1111 1111"}',
      [9, 40],
    );
    expect(JSON.parse(out)).toEqual({
      to: '[MASKED:email]',
      card_number: '[MASKED:json_path]',
      memo: 'card [MASKED:credit_card]',
    });
    expect(m.counts).toEqual({ email: 1, json_path: 1, credit_card: 1 });
  });
  it('handles several root values (JSON lines)', () => {
    const m = createMasker(cfg());
    const { out, failed } = run(m, '{"card_number":1}\n{"card_number":{"a":[1,2]}}\n[]\n"s"\n7\n', [5, 20]);
    expect(failed).toBe(false);
    expect(out).toBe(
      '{"card_number":"[MASKED:json_path]"}\n{"card_number":"[MASKED:json_path]"}\n[]\n"s"\n7\n',
    );
  });
  it('$ redacts each root value', () => {
    const m = createMasker(cfg({ jsonPaths: ['$'] }));
    expect(run(m, '{"a": 1} [2]').out).toBe('"[MASKED:json_path]" "[MASKED:json_path]"');
  });
  it('a negative index takes every element of the array in a stream (its length is not known yet)', () => {
    const m = createMasker(cfg({ jsonPaths: ['$.list[-1]'] }));
    expect(JSON.parse(run(m, '{"list": [1, 2, 3], "x": [4]}').out)).toEqual({
      list: ['[MASKED:json_path]', '[MASKED:json_path]', '[MASKED:json_path]'],
      x: [4],
    });
  });
  it('stops redacting on invalid JSON, says so, and still applies the detectors', () => {
    const m = createMasker(cfg({ detectors: ['email'] }));
    const { out, failed } = run(m, '{"a": nope, "card_number": 1, "e": "a@b.com"}');
    expect(failed).toBe(true);
    expect(out).toBe('{"a": nope, "card_number": 1, "e": "[MASKED:email]"}');
    expect(run(m, '{"a": 1]').failed).toBe(true);
    expect(run(m, 'not json').failed).toBe(true);
  });
  it('a huge redacted value costs no memory and comes out as one replacement', () => {
    const m = createMasker(cfg());
    const s = m.jsonStream!();
    let out = Buffer.from(s.write(Buffer.from('{"id": 1, "card_number": [')));
    const chunk = Buffer.from('"4111111111111111", {"nested": "}]\\""}, '.repeat(2000));
    for (let i = 0; i < 100; i++) {
      out = Buffer.concat([out, Buffer.from(s.write(chunk))]);
      expect(out.length).toBeLessThan(100);
    }
    out = Buffer.concat([
      out,
      Buffer.from(s.write(Buffer.from('1], "tail": true}'))),
      Buffer.from(s.flush()),
    ]);
    expect(JSON.parse(out.toString())).toEqual({ id: 1, card_number: '[MASKED:json_path]', tail: true });
  });
  it('property: equals json() for random documents and chunkings (paths only)', () => {
    const m = createMasker(cfg());
    const key = fc.constantFrom(
      'card_number',
      'user',
      'password',
      'items',
      'token',
      'odd key',
      'list',
      'a',
      'b"q',
      'é',
    );
    const doc = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(key, tie('value'), { maxKeys: 5 }),
      ),
    })).value;
    fc.assert(
      fc.property(doc, fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), (d, pretty, seeds) => {
        const text = JSON.stringify(d, null, pretty ? 2 : undefined) ?? 'null';
        const len = Buffer.byteLength(text);
        const cuts = [...new Set(seeds.map((s) => s % (len + 1)))].sort((x, y) => x - y);
        const { out, failed } = run(m, text, cuts);
        expect(failed).toBe(false);
        expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(m.json(JSON.parse(text)))));
      }),
      { numRuns: 1500 },
    );
  });
});
