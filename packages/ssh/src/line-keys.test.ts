import { describe, expect, it } from 'vitest';
import { KeyReader } from './line-keys.js';
import { hasHistoryExpansion, isearchLine, PromptShape } from './prompt-shape.js';

const kinds = (s: string) => new KeyReader().read(Buffer.from(s, 'latin1')).map((k) => k.kind);

describe('key classification', () => {
  it.each([
    ['ls -la', ['edit']],
    ['\r', ['accept']],
    ['\n', ['accept']],
    ['\x0f', ['accept']],
    ['\x1b#', ['accept']],
    ['\x18\x05', ['refuse']],
    ['\x16\n', ['refuse']],
    ['\x16a', ['edit']],
    ['\x1b[A', ['edit']],
    ['\x1b[3~', ['edit']],
    ['\x1b[200~ab\x1b[201~', ['edit']],
    ['\x1bb', ['edit']],
    ['\x1b[99z', ['unknown']],
    ['\x1bq', ['unknown']],
    ['\x03', ['interrupt']],
    ['a\rb\r', ['edit', 'accept', 'edit', 'accept']],
  ])('%j → %j', (input, expected) => {
    expect(kinds(input)).toEqual(expected);
  });

  it('holds an escape sequence cut by a chunk boundary', () => {
    const r = new KeyReader();
    expect(r.read(Buffer.from('\x1b['))).toEqual([]);
    expect(r.read(Buffer.from('A')).map((k) => k.kind)).toEqual(['edit']);
  });
});

describe('prompt shape', () => {
  const shape = new PromptShape('root@vm:~# ');
  it.each([
    ['root@vm:/tmp# ', true],
    ['> ', false],
    ['>>> ', false],
    ['test=# ', false],
    ['', false],
  ])('%j matches: %s', (p, ok) => expect(shape.matches(p)).toBe(ok));
  it('finds the prompt in a line', () =>
    expect(shape.prefixOf('root@vm:/x# echo a # b')).toBe('root@vm:/x# '));
  it('reads an i-search line', () =>
    expect(isearchLine("(reverse-i-search)`rm': rm -rf x")).toBe('rm -rf x'));
  it.each([
    ['!!', true],
    ['echo !$', true],
    ['^a^b', true],
    ["echo '!!'", false],
    ['[ ! -f x ]', false],
    ['echo hi!', false],
  ])('%j history expansion: %s', (l, yes) => expect(hasHistoryExpansion(l)).toBe(yes));
});
