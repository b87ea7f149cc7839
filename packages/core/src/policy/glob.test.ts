import { describe, expect, it } from 'vitest';
import { globToRegExp, pathGlobsIntersect } from './glob.js';

const cases: [string, 'path' | 'word', string, boolean][] = [
  ['/etc/shadow', 'path', '/etc/shadow', true],
  ['/etc/*', 'path', '/etc/shadow', true],
  ['/etc/*', 'path', '/etc/ssh/sshd_config', false],
  ['/etc/**', 'path', '/etc/ssh/sshd_config', true],
  ['**/.env', 'path', '.env', true],
  ['**/.env', 'path', '/srv/app/.env', true],
  ['**/.env', 'path', '/srv/app/.envrc', false],
  ['/root/.ssh/**', 'path', '/root/.ssh/id_rsa', true],
  ['/root/.ssh/**', 'path', '/root/.sshx', false],
  ['/root/.ssh/**', 'path', '/root/.ssh', true],
  ['/v1/payments/**', 'path', '/v1/payments', true],
  ['/v1/payments/**', 'path', '/v1/paymentsX', false],
  ['*.{pem,key}', 'path', 'server.key', true],
  ['*.{pem,key}', 'path', 'server.crt', false],
  ['file?.txt', 'path', 'file1.txt', true],
  ['[!a]*', 'word', 'bcd', true],
  ['[!a]*', 'word', 'abc', false],
  ['-*f*', 'word', '-rf', true],
  ['a.b', 'word', 'aXb', false],
  ['(x)', 'word', '(x)', true],
  ['/v1/payments/**', 'path', '/v1/payments/1/refunds', true],
];

describe('globs', () => {
  it.each(cases)('%s (%s) vs %s → %s', (glob, flavour, input, want) => {
    expect(globToRegExp(glob, flavour).test(input)).toBe(want);
  });
});

describe('path glob intersection', () => {
  const cases: [string, string, boolean][] = [
    ['/etc/sha*', '/etc/shadow', true],
    ['/etc/shado?', '/etc/shadow', true],
    ['/etc/[s]hadow', '/etc/shadow', true],
    ['/etc/[!s]hadow', '/etc/shadow', false],
    ['/etc/pass*', '/etc/shadow', false],
    ['/root/.ss?/id_*', '/root/.ssh/**', true],
    ['/root/*', '/root/.ssh/**', true],
    ['/**/shadow', '/etc/shadow', true],
    ['/**/notes.txt', '/root/.ssh/**', true],
    ['/srv/*/.e*', '**/.env', true],
    ['/srv/*.txt', '**/.env', false],
    ['/tmp/*', '/etc/shadow', false],
    ['/x/{a,b}', '/x/b', true],
  ];
  it.each(cases)('%s ∩ %s → %s', (a, b, want) => {
    expect(pathGlobsIntersect(a, b)).toBe(want);
    expect(pathGlobsIntersect(b, a)).toBe(want);
  });
});
