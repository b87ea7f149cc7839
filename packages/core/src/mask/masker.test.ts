import { describe, expect, it } from 'vitest';
import type { ColumnMaskRule, MaskingConfig } from '../config/types.js';
import { PortcullisError } from '../errors.js';
import { createMasker } from './masker.js';

const cfg = (over: Partial<MaskingConfig> = {}): MaskingConfig => ({
  detectors: ['email', 'credit_card', 'us_ssn'],
  columns: [],
  jsonPaths: [],
  replacement: '[MASKED:{type}]',
  ...over,
});

describe('value()', () => {
  it('returns the identical string instance when nothing is masked', () => {
    const m = createMasker(cfg());
    for (const v of ['plain text that is long enough', 'x', '', '2024-01-15 10:23:45', 'a@b']) {
      const s = `${v}`;
      expect(m.value(s)).toBe(s);
      expect(Object.is(m.value(s), s)).toBe(true);
    }
  });
  it('uses the configured replacement with {type}', () => {
    const m = createMasker(cfg({ replacement: '<{type}:{type}>' }));
    expect(m.value('mail a@b.com')).toBe('mail <email:email>');
    expect(createMasker(cfg({ replacement: '***' })).value('a@b.com')).toBe('***');
  });
  it('counts masked values by detector and reports each one', () => {
    const seen: string[] = [];
    const m = createMasker(cfg(), { onMask: (d) => seen.push(d) });
    m.value('a@b.com and c@d.com, card 4111111111111111');
    m.value('nothing here at all');
    expect(m.counts).toEqual({ email: 2, credit_card: 1 });
    expect(seen).toEqual(['email', 'email', 'credit_card']);
    const s = m.stream();
    s.write(Buffer.from('x 5555555555554444 y'));
    s.flush();
    expect(m.counts.credit_card).toBe(2);
  });
  it('with no detectors masks nothing', () => {
    const m = createMasker(cfg({ detectors: [] }));
    expect(m.value('a@b.com 4111111111111111')).toBe('a@b.com 4111111111111111');
    const s = m.stream();
    expect(Buffer.from(s.write(Buffer.from('a@b.com'))).toString()).toBe('a@b.com');
  });
  it('rejects an unknown detector with a config error naming the key', () => {
    expect(() => createMasker(cfg({ detectors: ['email', 'passport' as never] }))).toThrow(PortcullisError);
    expect(() => createMasker(cfg({ detectors: ['passport' as never] }))).toThrow(
      /masking\.detectors: unknown detector "passport"/,
    );
  });
});

describe('column rules', () => {
  const rules: ColumnMaskRule[] = [
    { match: 'users.password_hash', with: 'redact' },
    { match: 'API_TOKEN', with: 'redact' },
    { match: 'cards.number', with: 'mask' },
    { match: 'people.national_id', with: 'hash' },
    { match: 'people.secret_note', with: 'null' },
  ];
  const m = createMasker(cfg({ columns: rules }));
  it('match table.column and bare column, case-insensitively', () => {
    expect(m.value('$2b$12$abc', { table: 'users', column: 'password_hash' })).toBe('[MASKED:column]');
    expect(m.value('$2b$12$abc', { table: 'USERS', column: 'Password_Hash' })).toBe('[MASKED:column]');
    expect(m.value('$2b$12$abc', { table: 'public.users', column: 'password_hash' })).toBe('[MASKED:column]');
    expect(m.value('t0k', { table: 'anything', column: 'api_token' })).toBe('[MASKED:column]');
    expect(m.value('t0k', { column: 'Api_Token' })).toBe('[MASKED:column]');
  });
  it('a table-qualified rule does not match another table', () => {
    const v = '$2b$12$abc';
    expect(m.value(v, { table: 'admins', column: 'password_hash' })).toBe(v);
  });
  it('an unknown table matches a qualified rule (fail closed)', () => {
    expect(m.value('$2b$12$abc', { column: 'password_hash' })).toBe('[MASKED:column]');
  });
  it('mask keeps the last four characters of long values', () => {
    expect(m.value('4111111111111111', { table: 'cards', column: 'number' })).toBe('************1111');
    expect(m.value('1234567', { table: 'cards', column: 'number' })).toBe('*******');
  });
  it('hash is stable within the process and does not reveal the value', () => {
    const a = m.value('123456789', { table: 'people', column: 'national_id' });
    expect(a).toMatch(/^\[MASKED:sha256:[0-9a-f]{16}\]$/);
    expect(m.value('123456789', { table: 'people', column: 'national_id' })).toBe(a);
    expect(m.value('123456780', { table: 'people', column: 'national_id' })).not.toBe(a);
  });
  it('null is redacted in text and announced through columnRule()', () => {
    const col = { table: 'people', column: 'secret_note' };
    expect(m.value('hello', col)).toBe('[MASKED:column]');
    expect(m.columnRule?.(col)).toBe('null');
    expect(m.columnRule?.({ table: 'people', column: 'name' })).toBeUndefined();
  });
  it('other columns still go through the detectors, with the column as context', () => {
    expect(m.value('mail a@b.com', { table: 'users', column: 'email' })).toBe('mail [MASKED:email]');
    expect(m.value('536221234', { table: 'people', column: 'ssn' })).toBe('[MASKED:us_ssn]');
    expect(m.value('536221234', { table: 'people', column: 'zip' })).toBe('536221234');
  });
  it('counts column redactions', () => {
    const c = createMasker(cfg({ columns: rules }));
    c.value('x', { table: 'users', column: 'password_hash' });
    expect(c.counts).toEqual({ column: 1 });
  });
});

describe('json()', () => {
  const m = createMasker(
    cfg({
      jsonPaths: [
        '$..card_number',
        '$.user.password',
        '$.items[*].token',
        "$['odd key']",
        '$.list[0]',
        '$.list[-1]',
      ],
    }),
  );
  it('masks detector hits in every string and redacts json_paths (any type)', () => {
    const doc = {
      user: { name: 'Ann', email: 'ann@example.com', password: { hash: 'x', salt: 'y' } },
      payment: { card_number: 4111111111111111, note: 'card 5555555555554444' },
      items: [{ token: 'abc', id: 1 }, { token: null }, { other: 'a@b.com' }],
      'odd key': true,
      list: ['first', 'middle', 'last'],
      deep: [[{ card_number: '1' }]],
      n: 5,
      ok: false,
      nil: null,
    };
    expect(m.json(doc)).toEqual({
      user: { name: 'Ann', email: '[MASKED:email]', password: '[MASKED:json_path]' },
      payment: { card_number: '[MASKED:json_path]', note: 'card [MASKED:credit_card]' },
      items: [
        { token: '[MASKED:json_path]', id: 1 },
        { token: '[MASKED:json_path]' },
        { other: '[MASKED:email]' },
      ],
      'odd key': '[MASKED:json_path]',
      list: ['[MASKED:json_path]', 'middle', '[MASKED:json_path]'],
      deep: [[{ card_number: '[MASKED:json_path]' }]],
      n: 5,
      ok: false,
      nil: null,
    });
  });
  it('returns the same document when nothing changes, and never mutates its input', () => {
    const doc = { a: ['x', { b: 'y' }], c: 1 };
    expect(m.json(doc)).toBe(doc);
    const withSecret = { a: { b: 'a@b.com' }, keep: { k: 1 } };
    const snapshot = structuredClone(withSecret);
    const out = m.json(withSecret) as typeof withSecret;
    expect(withSecret).toEqual(snapshot);
    expect(out.keep).toBe(withSecret.keep);
  });
  it('masks a top-level string and keeps a __proto__ key a plain key', () => {
    expect(m.json('to a@b.com')).toBe('to [MASKED:email]');
    const doc = JSON.parse('{"__proto__": {"e": "a@b.com"}}');
    const out = m.json(doc) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"e":"[MASKED:email]"}}');
  });
  it('$ redacts the whole document', () => {
    expect(createMasker(cfg({ jsonPaths: ['$'] })).json({ a: 1 })).toBe('[MASKED:json_path]');
  });
  it('counts json_path redactions', () => {
    const c = createMasker(cfg({ jsonPaths: ['$..secret'] }));
    c.json({ a: { secret: 1 }, b: [{ secret: 2 }] });
    expect(c.counts).toEqual({ json_path: 2 });
  });
  it('rejects an unsupported path with a config error', () => {
    expect(() => createMasker(cfg({ jsonPaths: ['a.b'] }))).toThrow(/masking\.json_paths\[0\]/);
    expect(() => createMasker(cfg({ jsonPaths: ['$.a[?(@.x)]'] }))).toThrow(PortcullisError);
  });
});

describe('ruledColumnOf() — which rule a statement reading these tables gives its computed columns', () => {
  const rules = (columns: ColumnMaskRule[]) =>
    createMasker({ detectors: [], columns, jsonPaths: [], replacement: '[MASKED:{type}]' });
  it('a qualified rule covers its table, schema-qualified or not, and no other', () => {
    const m = rules([{ match: 'users.password_hash', with: 'redact' }]);
    expect(m.ruledColumnOf(['public.users', 'users'])).toEqual({ table: 'users', column: 'password_hash' });
    expect(m.ruledColumnOf(['orders'])).toBeUndefined();
    expect(m.ruledColumnOf([])).toBeUndefined();
  });
  it('a bare rule covers every table; a qualified one is preferred when both apply', () => {
    const m = rules([
      { match: 'ssn', with: 'mask' },
      { match: 'people.secret', with: 'null' },
    ]);
    expect(m.ruledColumnOf(['orders'])).toEqual({ column: 'ssn' });
    expect(m.ruledColumnOf(['people'])).toEqual({ table: 'people', column: 'secret' });
    expect(m.columnRule({ table: 'people', column: 'secret' })).toBe('null');
  });
  it('no column rules: nothing to apply', () => {
    expect(rules([]).ruledColumnOf(['users'])).toBeUndefined();
  });
});
