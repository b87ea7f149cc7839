import { describe, expect, it } from 'vitest';
import { KeyReader } from './line-keys.js';
import { hasHistoryExpansion, isearchLine, lineToJudge, PromptShape, typedText } from './prompt-shape.js';

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
    ['\x13', ['refuse']],
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

// Found in review: the screen is not always showing what the line editor holds.
describe('the line judged when the screen may not show it', () => {
  const keys = (...k: string[]) => k.map((x) => Buffer.from(x, 'latin1'));
  const atPrompt = (text: string) => ({ text, context: 'prompt' as const });

  it('leaves escape sequences out of the typed text', () => {
    expect(typedText(keys('ls', '\x1b[D', '\x1b[C', ' -l', '\x1bOH', '\x1bb'))).toBe('ls -l');
  });
  it('judges the screen when it shows what was typed', () => {
    expect(lineToJudge(atPrompt('ls -l'), keys('ls -l'), [])).toEqual(atPrompt('ls -l'));
  });
  it('judges the screen after history recall or completion (not plain keys)', () => {
    expect(lineToJudge(atPrompt('git status'), keys('\x1b[A'), [])).toEqual(atPrompt('git status'));
    expect(lineToJudge(atPrompt('cat README.md'), keys('cat REA\t'), [])).toEqual(atPrompt('cat README.md'));
  });
  it('judges the typed text when printable keys were never echoed (output held back)', () => {
    expect(
      lineToJudge(atPrompt('ls'), keys('ls', '\x1b[D', '\x1b[C', '; rm -rf /data'), keys('; rm -rf /data')),
    ).toEqual({
      text: 'ls; rm -rf /data',
      context: 'unknown',
    });
  });
  it('judges the typed text when plain keys disagree with the screen (text printed over the line)', () => {
    expect(lineToJudge(atPrompt('ls'), keys('rm -rf /data'), [])).toEqual({
      text: 'rm -rf /data',
      context: 'unknown',
    });
  });
  it('judges the typed text when nothing shows (echo off)', () => {
    expect(lineToJudge(atPrompt(''), keys('rm -rf /x'), keys('rm -rf /x'))).toEqual({
      text: 'rm -rf /x',
      context: 'unknown',
    });
  });
  it('applies backspace, Ctrl-U and Ctrl-W', () => {
    expect(lineToJudge(atPrompt('ls /tmp'), keys('rm -rf /\x15ls /x\x7ftmp'), [])).toEqual(
      atPrompt('ls /tmp'),
    );
  });
});
