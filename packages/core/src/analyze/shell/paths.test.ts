// Path-like arguments and redirection targets, normalised.
import { describe, expect, it } from 'vitest';
import { looksLikePath, normalisePath } from './paths.js';
import { shellCases } from './testing/cases.js';

shellCases('paths', [
  { cmd: 'cat /etc/shadow', paths: ['/etc/shadow'] },
  { cmd: 'cat /etc/../etc/shadow', paths: ['/etc/shadow'] },
  { cmd: 'cat //etc///shadow', paths: ['/etc/shadow'] },
  { cmd: 'cat /etc/./shadow', paths: ['/etc/shadow'] },
  { cmd: 'cat .env', paths: ['.env'] },
  { cmd: 'cat app/.env', paths: ['app/.env'] },
  { cmd: 'less secrets.txt', paths: ['secrets.txt'] },
  { cmd: 'echo x > /etc/passwd', paths: ['/etc/passwd'] },
  { cmd: 'echo x >> ~/.bashrc', paths: ['/root/.bashrc'] },
  { cmd: 'cat < /etc/shadow', paths: ['/etc/shadow'] },
  { cmd: 'ls &> /tmp/out', paths: ['/tmp/out'] },
  { cmd: 'ls 2>&1', notPaths: ['1', '&1'] },
  { cmd: '> /etc/shadow', exact: [''], paths: ['/etc/shadow'] },
  { cmd: 'dd if=/dev/sda of=/tmp/img', paths: ['/dev/sda', '/tmp/img'] },
  { cmd: 'grep --file=/etc/shadow x', paths: ['/etc/shadow'] },
  { cmd: 'curl https://example.com/a/b', notPaths: ['https://example.com/a/b'] },
  { cmd: "python3 -c 'print(1/2)'", notPaths: ['print(1/2)'] },
  { cmd: 'echo "$(cat /etc/shadow)"', paths: ['/etc/shadow'] },
  { cmd: 'sudo cat /etc/shadow', paths: ['/etc/shadow'] },
  { cmd: 'sudo -e shadow', exact: ['sudo'], paths: ['shadow'] },
  { cmd: 'sudoedit /etc/sudoers', paths: ['/etc/sudoers'] },
  { cmd: 'find /etc -name shadow', paths: ['/etc'] },
  { cmd: '{ cat a; } > /tmp/o', paths: ['/tmp/o'] },
]);

// Found in review: each row wrote or read a protected path the unit did not name.
shellCases('where copies, moves and links land', [
  { cmd: 'cp passwd /etc', paths: ['/etc/passwd'] },
  { cmd: 'cp -t /etc passwd', paths: ['/etc/passwd'] },
  { cmd: 'cp --target-directory=/etc ./x/passwd', paths: ['/etc/passwd'] },
  { cmd: 'mv a shadow /etc/', paths: ['/etc/a', '/etc/shadow'] },
  { cmd: 'install -m 600 shadow /etc', paths: ['/etc/shadow'] },
  { cmd: 'ln -sf /tmp/x /etc', paths: ['/etc/x'] },
  { cmd: 'sudo cp -a id_rsa ~/.ssh', paths: ['/root/.ssh/id_rsa'] },
  { cmd: 'awk \'{ print > "/etc/passwd" }\' x', paths: ['/etc/passwd'] },
  { cmd: 'awk \'BEGIN { while ((getline l < "/etc/shadow") > 0) print l }\'', paths: ['/etc/shadow'] },
]);

shellCases('directories the shell resolves', [
  { cmd: 'rm -rf ~+/../data', paths: ['/data'] },
  { cmd: 'cd /etc; cd /tmp; cat ~-/shadow', paths: ['/etc/shadow'] },
  { cmd: 'cat ~-/shadow', paths: ['/**/shadow'] },
  { cmd: 'cat ~nobody/etc/shadow', paths: ['/**/etc/shadow'] },
  { cmd: 'cat ~root/.ssh/id_rsa', paths: ['/root/.ssh/id_rsa'] },
  { cmd: 'CDPATH=/ cd data && rm -rf .', dynamic: true },
  { cmd: 'cd -; cat shadow', paths: ['/**/shadow'] },
  { cmd: 'env -C / rm -rf data', paths: ['/data'] },
  { cmd: 'env --chdir=/etc cat shadow', paths: ['/etc/shadow'] },
  { cmd: 'sudo -D /etc cat shadow', paths: ['/etc/shadow'] },
]);

describe('normalisePath', () => {
  it.each([
    ['/a/b/../c', '/a/c'],
    ['/../..', '/'],
    ['a/./b', 'a/b'],
    ['../x', '../x'],
    ['./.env', '.env'],
    ['/a//b/', '/a/b'],
  ])('%s → %s', (i, o) => expect(normalisePath(i)).toBe(o));
  it('tells paths from words', () => {
    expect(looksLikePath('/x')).toBe(true);
    expect(looksLikePath('hello')).toBe(false);
    expect(looksLikePath('http://x/y')).toBe(false);
  });
});
