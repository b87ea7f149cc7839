// Normalised flags: one rule (`args: ["-rf"]`) catches every spelling; originals stay first.
import { beforeAll, describe, expect, it } from 'vitest';
import type { ShellUnit } from '../../types.js';
import { normaliseFlags } from './flags.js';
import { ShellAnalyzer } from './index.js';
import { shellCases } from './testing/cases.js';

shellCases('rm flag spellings all carry -rf and -fr', [
  { cmd: 'rm -rf /', args: { rm: ['-rf', '-fr', '-r', '-f'] } },
  { cmd: 'rm -fr /', args: { rm: ['-rf', '-fr'] } },
  { cmd: 'rm -r -f /', args: { rm: ['-r', '-f', '-rf', '-fr'] } },
  { cmd: 'rm -f -r /', args: { rm: ['-rf', '-fr'] } },
  { cmd: 'rm -Rf /', args: { rm: ['-rf', '-fr', '-R'] } },
  { cmd: 'rm -R -f /', args: { rm: ['-rf'] } },
  { cmd: 'rm --recursive --force /', args: { rm: ['-rf', '-fr', '-r', '-f'] } },
  { cmd: 'rm --force -R /', args: { rm: ['-rf'] } },
  { cmd: 'rm -rfv /', args: { rm: ['-rf', '-fr', '-v'] } },
  { cmd: 'rm / -rf', args: { rm: ['-rf'] } },
  { cmd: 'rm -r /', args: { rm: ['-r', '--recursive'] }, noArgs: { rm: ['-rf', '-fr'] } },
  { cmd: 'rm -- -rf', noArgs: { rm: ['-r', '-fr'] } },
  { cmd: 'git clean -fdx', args: { git: ['clean', '-f', '-d', '-x', '-fd', '-xf', '--force'] } },
  { cmd: 'git clean -f -d -x', args: { git: ['-fdx'.slice(0, 3), '-fx'] } },
  { cmd: 'git push --force origin main', args: { git: ['-f'] } },
  { cmd: 'chmod -R 777 /', args: { chmod: ['--recursive'] } },
  // Found in review: GNU getopt takes unambiguous abbreviations of long options.
  { cmd: 'rm --rec --for /data', args: { rm: ['-rf', '--recursive', '--force'] } },
  { cmd: 'rm -rf --no-pres /', args: { rm: ['--no-preserve-root'] } },
  { cmd: 'cp --re a b', noArgs: { cp: ['-r', '--recursive'] } },
  { cmd: 'shred --rem /x', commands: ['rm'] },
]);

describe('flag representation', () => {
  let a: ShellAnalyzer;
  beforeAll(async () => {
    a = await ShellAnalyzer.create();
  });
  it('keeps the original words first and counts them in argc', () => {
    const u = a.analyze('rm -r -f /tmp/x').units[0] as ShellUnit;
    expect(u.args.slice(0, u.argc)).toEqual(['-r', '-f', '/tmp/x']);
    expect(u.args.slice(u.argc)).toContain('-rf');
    expect(u.notes?.join(' ')).toMatch(/normalised flags/);
  });
  it('gives a wrapper only its own flags', () => {
    const u = a.analyze('sudo -u root rm -rf /').units[0] as ShellUnit;
    expect(u.command).toBe('sudo');
    expect(u.args).not.toContain('-r');
  });
  it('adds nothing for plain words', () => {
    expect(normaliseFlags('ls', ['a', 'b'])).toEqual([]);
    expect(normaliseFlags('ls', ['-l'])).toEqual([]);
  });
});
