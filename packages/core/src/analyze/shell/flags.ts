// Normalised flags, so one rule catches every spelling: `args: ["-rf"]` matches `rm -rf`, `rm -r -f`,
// `rm -fr`, `rm -Rf`, `rm --recursive --force`. The original words stay first in `args` (`argc`
// counts them); synthetic tokens are appended after them:
//   1. each letter of a short-option cluster on its own (`-rf` → `-r`, `-f`);
//   2. every spelling of an equivalent option from FLAG_ALIASES (`-R` ↔ `-r` ↔ `--recursive`);
//   3. every ordered pair of distinct single-letter flags present (`-r`,`-f` → `-rf`, `-fr`).
// Options after `--` are operands and are left alone. Values attached to options (`-n5`, `-ofile`)
// may add harmless extra letters; the tokens only ever widen what a rule can match.

/** Command → groups of equivalent options. */
export const FLAG_ALIASES: Record<string, string[][]> = {
  rm: [
    ['-r', '-R', '--recursive'],
    ['-f', '--force'],
    ['-d', '--dir'],
    ['-i', '--interactive'],
    ['-v', '--verbose'],
  ],
  cp: [
    ['-r', '-R', '--recursive'],
    ['-f', '--force'],
    ['-a', '--archive'],
  ],
  mv: [
    ['-f', '--force'],
    ['-n', '--no-clobber'],
  ],
  chmod: [
    ['-R', '--recursive'],
    ['-f', '--silent', '--quiet'],
  ],
  chown: [
    ['-R', '--recursive'],
    ['-h', '--no-dereference'],
  ],
  chgrp: [['-R', '--recursive']],
  shred: [
    ['-u', '--remove'],
    ['-f', '--force'],
    ['-z', '--zero'],
  ],
  ln: [
    ['-s', '--symbolic'],
    ['-f', '--force'],
  ],
  git: [['-f', '--force'], ['-d'], ['-x'], ['-X'], ['-n', '--dry-run']],
  kill: [['-9', '-KILL', '-SIGKILL']],
  rsync: [['--delete', '--delete-before', '--delete-during', '--delete-after', '--delete-delay']],
};

/** chgrp's long options; chown has these and --from. */
const OWNER_LONG = [
  '--changes',
  '--dereference',
  '--no-dereference',
  '--no-preserve-root',
  '--preserve-root',
  '--quiet',
  '--silent',
  '--reference',
  '--recursive',
  '--verbose',
  '--help',
  '--version',
];

/**
 * Every long option of these commands, so an abbreviation GNU getopt accepts (`rm --rec --for`,
 * `--no-pres`) is read as the option it abbreviates when it is unambiguous.
 */
export const LONG_OPTIONS: Record<string, string[]> = {
  rm: [
    '--force',
    '--interactive',
    '--one-file-system',
    '--no-preserve-root',
    '--preserve-root',
    '--recursive',
    '--dir',
    '--verbose',
    '--help',
    '--version',
  ],
  cp: [
    '--archive',
    '--attributes-only',
    '--backup',
    '--copy-contents',
    '--dereference',
    '--force',
    '--interactive',
    '--link',
    '--no-clobber',
    '--no-dereference',
    '--preserve',
    '--no-preserve',
    '--parents',
    '--recursive',
    '--reflink',
    '--remove-destination',
    '--sparse',
    '--strip-trailing-slashes',
    '--symbolic-link',
    '--suffix',
    '--target-directory',
    '--no-target-directory',
    '--update',
    '--verbose',
    '--one-file-system',
    '--context',
    '--debug',
    '--help',
    '--version',
  ],
  mv: [
    '--backup',
    '--debug',
    '--exchange',
    '--force',
    '--interactive',
    '--no-clobber',
    '--no-copy',
    '--strip-trailing-slashes',
    '--suffix',
    '--target-directory',
    '--no-target-directory',
    '--update',
    '--verbose',
    '--context',
    '--help',
    '--version',
  ],
  chmod: [
    '--changes',
    '--silent',
    '--quiet',
    '--verbose',
    '--no-preserve-root',
    '--preserve-root',
    '--reference',
    '--recursive',
    '--help',
    '--version',
    '--dereference',
    '--no-dereference',
  ],
  chown: [...OWNER_LONG, '--from'],
  chgrp: OWNER_LONG,
  shred: [
    '--force',
    '--iterations',
    '--random-source',
    '--size',
    '--remove',
    '--verbose',
    '--exact',
    '--zero',
    '--help',
    '--version',
  ],
  ln: [
    '--backup',
    '--directory',
    '--force',
    '--interactive',
    '--logical',
    '--no-dereference',
    '--physical',
    '--relative',
    '--symbolic',
    '--suffix',
    '--target-directory',
    '--no-target-directory',
    '--verbose',
    '--help',
    '--version',
  ],
};

/** The long option an abbreviation stands for, when exactly one of the command's options starts with it. */
export function expandLongOption(command: string, name: string): string | undefined {
  const all = LONG_OPTIONS[command];
  if (!all || all.includes(name) || name.length < 4) return undefined;
  const hits = all.filter((o) => o.startsWith(name));
  return hits.length === 1 ? hits[0] : undefined;
}

const MAX_LETTERS = 8;

/** Commands whose single-dash options are words (`find -name`), not clusters of letters. */
const WORD_OPTIONS = new Set([
  'find',
  'java',
  'javac',
  'gcc',
  'g++',
  'cc',
  'clang',
  'ffmpeg',
  'ffprobe',
  'xterm',
  'xrandr',
  'openssl',
  'qemu-system-x86_64',
  'go',
  'dig',
]);

/** Returns the synthetic tokens for a command's arguments (never including the originals). */
export function normaliseFlags(command: string, args: string[]): string[] {
  if (WORD_OPTIONS.has(command)) return [];
  const present = new Set(args);
  const letters = new Set<string>();
  const out = new Set<string>();
  const aliases = FLAG_ALIASES[command];
  const add = (t: string) => {
    if (!present.has(t)) out.add(t);
  };
  for (const a of args) {
    if (a === '--') break;
    if (a.length < 2 || a[0] !== '-') continue;
    if (a[1] === '-') {
      const written = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
      const full = expandLongOption(command, written);
      if (full) add(full);
      const name = full ?? written;
      for (const group of aliases ?? []) {
        if (!group.includes(name)) continue;
        for (const g of group) {
          add(g);
          if (/^-[A-Za-z0-9]$/.test(g)) letters.add(g[1]!);
        }
      }
      continue;
    }
    if (!/^-[A-Za-z0-9]+$/.test(a)) continue;
    for (let i = 1; i < a.length; i++) {
      const flag = `-${a[i]}`;
      if (a.length > 2) add(flag);
      letters.add(a[i]!);
      for (const group of aliases ?? []) {
        if (!group.includes(flag)) continue;
        for (const g of group) {
          add(g);
          if (/^-[A-Za-z0-9]$/.test(g)) letters.add(g[1]!);
        }
      }
    }
  }
  const ls = [...letters].filter((l) => !/\d/.test(l));
  if (ls.length >= 2 && ls.length <= MAX_LETTERS) {
    for (const a of ls) for (const b of ls) if (a !== b && !sameGroup(aliases, a, b)) add(`-${a}${b}`);
  }
  return [...out];
}

function sameGroup(aliases: string[][] | undefined, a: string, b: string): boolean {
  if (!aliases) return false;
  return aliases.some((g) => g.includes(`-${a}`) && g.includes(`-${b}`));
}
