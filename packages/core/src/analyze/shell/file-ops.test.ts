// SFTP/scp operations as equivalent commands, paths resolved like an SFTP server does.
import { beforeAll, describe, expect, it } from 'vitest';
import type { FileCommand, FileOp, ShellUnit } from '../../types.js';
import { ShellAnalyzer } from './index.js';

describe('analyzeFile', () => {
  let a: ShellAnalyzer;
  beforeAll(async () => {
    a = await ShellAnalyzer.create();
  });
  const unit = (op: FileOp, paths: string[], home = '/home/u', via: 'sftp' | 'scp' = 'sftp') => {
    const r = a.analyzeFile({ kind: 'file', op, paths, via }, { home });
    expect(r.parseError).toBeUndefined();
    return r.units[0] as ShellUnit;
  };
  it.each([
    ['remove', 'rm'],
    ['rmdir', 'rmdir'],
    ['rename', 'mv'],
    ['mkdir', 'mkdir'],
    ['open-read', 'cat'],
    ['read', 'cat'],
    ['open-write', 'tee'],
    ['write', 'tee'],
    ['readdir', 'ls'],
    ['setstat', 'chmod'],
    ['symlink', 'ln'],
    ['stat', 'stat'],
    ['readlink', 'stat'],
    ['realpath', 'stat'],
  ] as [FileOp, string][])('%s → %s', (op, command) => {
    const u = unit(op, ['/tmp/a', '/tmp/b']);
    expect(u.command).toBe(command);
    expect(u.notes).toContain(`sftp:${op}`);
    expect(u.paths).toContain('/tmp/a');
    expect(u.dynamic).toBe(false);
  });
  it('resolves relative paths against home, and ~, . and ..', () => {
    expect(unit('open-read', ['.ssh/id_rsa']).paths).toContain('/home/u/.ssh/id_rsa');
    expect(unit('open-read', ['~/.ssh/../.ssh/./id_rsa']).paths).toContain('/home/u/.ssh/id_rsa');
    expect(unit('open-read', ['/etc/../etc//shadow']).paths).toContain('/etc/shadow');
    expect(unit('remove', ['../../etc/passwd']).paths).toContain('/etc/passwd');
    expect(unit('open-read', ['/etc/shadow']).args).toEqual(['/etc/shadow']);
  });
  it('symlink reads as ln -s TARGET LINK', () => {
    expect(unit('symlink', ['/etc/shadow', 'x']).args).toEqual(['-s', '/etc/shadow', '/home/u/x']);
  });
  it('notes scp as scp', () => {
    expect(unit('open-write', ['/tmp/x'], '/root', 'scp').notes).toContain('scp:open-write');
  });
  it('refuses bad operations with a clear error', () => {
    const bad = (cmd: Partial<FileCommand>) =>
      a.analyzeFile({ kind: 'file', via: 'sftp', op: 'remove', paths: ['/x'], ...cmd } as FileCommand)
        .parseError;
    expect(bad({ op: 'explode' as FileOp })).toMatch(/unknown file operation/);
    expect(bad({ paths: [] })).toMatch(/no path/);
    expect(bad({ paths: ['a\0b'] })).toMatch(/NUL/);
    expect(bad({ paths: [''] })).toMatch(/empty/);
  });
});
