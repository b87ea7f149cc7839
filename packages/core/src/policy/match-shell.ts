// Matches one shell unit against a rule's `shell:` section. Returns what matched (for the reason), or null.
import path from 'node:path';
import type { ShellMatch } from '../config/types.js';
import type { ShellUnit } from '../types.js';
import { globToRegExp, pathGlobsIntersect } from './glob.js';

export interface CompiledShellMatch {
  commands?: RegExp[];
  args?: RegExp[];
  paths?: PathPattern[];
  dynamic?: boolean;
}

export interface ShellMatchContext {
  /** Home directory on the target, for `~` and `$HOME` in rule globs. */
  home: string;
}

interface PathPattern {
  re: RegExp;
  glob: string;
}

const GLOB_CHARS = /[*?[]/;

function expandHome(glob: string, home: string): string {
  if (glob === '~' || glob.startsWith('~/')) return home + glob.slice(1);
  return glob.replace(/^\$\{?HOME\}?(?=\/|$)/, home);
}

export function compileShellMatch(m: ShellMatch, ctx: ShellMatchContext): CompiledShellMatch {
  return {
    // `commands: [/bin/rm]` means rm, like the analyzer's basename.
    commands: m.commands?.map((c) => globToRegExp(c.includes('/') ? path.posix.basename(c) : c, 'word')),
    args: m.args?.map((a) => globToRegExp(a, 'word')),
    paths: m.paths?.map((p) => {
      const glob = expandHome(p, ctx.home);
      return { re: globToRegExp(glob, 'path'), glob };
    }),
    dynamic: m.dynamic,
  };
}

export function matchShell(m: CompiledShellMatch, u: ShellUnit): string[] | null {
  const why: string[] = [];
  if (m.commands) {
    if (!m.commands.some((re) => re.test(u.command))) return null;
    why.push(`command ${u.command}`);
  }
  if (m.args) {
    const a = u.args.find((arg) => m.args!.some((re) => re.test(arg)));
    if (a === undefined) return null;
    why.push(`argument ${a}`);
  }
  if (m.paths) {
    const tree = readsWholeTree(u);
    const p = u.paths.find((raw) =>
      m.paths!.some((pat) => pathMatches(pat, raw) || (tree && holds(raw, pat))),
    );
    if (p === undefined) return null;
    why.push(`path ${p}`);
  }
  if (m.dynamic !== undefined) {
    if (u.dynamic !== m.dynamic) return null;
    if (m.dynamic) why.push(`dynamic execution${u.notes?.length ? ` (${u.notes[0]})` : ''}`);
  }
  return why;
}

// A path is tried as written and normalised (the analyzer adds the cwd-resolved form of relative
// paths). A path with glob characters is what the shell expands against the disk (`cat /etc/sha*`):
// it matches when the two globs can name the same file.
/** Commands that read, copy, move or change everything under a directory they are given. */
const ALWAYS_RECURSIVE = new Set(['tar', 'bsdtar', 'rsync', 'rg', 'ag', 'find', 'mv', '7z', 'rclone']);
/** Commands that do so only with one of these short flags (alone or combined: `-Rf`) or a long form. */
const RECURSIVE_FLAGS: Record<string, string> = {
  cp: 'rRa',
  scp: 'r',
  grep: 'rR',
  egrep: 'rR',
  fgrep: 'rR',
  chmod: 'R',
  chown: 'R',
  chgrp: 'R',
  rm: 'rR',
  ls: 'R',
  diff: 'r',
  zip: 'r',
};

function readsWholeTree(u: ShellUnit): boolean {
  if (ALWAYS_RECURSIVE.has(u.command)) return true;
  const flags = RECURSIVE_FLAGS[u.command];
  if (!flags) return false;
  return u.args.some(
    (a) =>
      a === '--recursive' ||
      a === '--archive' ||
      a === '--dereference-recursive' ||
      (/^-[A-Za-z]+$/.test(a) && [...a.slice(1)].some((c) => flags.includes(c))),
  );
}

// `tar czf x.tgz /root` reads ~/.ssh too: a directory handed to a whole-tree command meets a rule on
// anything below it. Only rules anchored at a directory take part (`~/.ssh/**`, `/etc/shadow`); a rule
// for a name anywhere (`**/.env`) would otherwise hold every directory.
function holds(dir: string, pat: PathPattern): boolean {
  if (!pat.glob.startsWith('/')) return false;
  const d = path.posix.normalize(dir).replace(/\/+$/, '');
  return pathGlobsIntersect(`${d === '' ? '' : d}/**`, pat.glob);
}

function pathMatches(pat: PathPattern, p: string): boolean {
  if (pat.re.test(p)) return true;
  const norm = path.posix.normalize(p);
  if (norm !== p && pat.re.test(norm)) return true;
  return GLOB_CHARS.test(p) && pathGlobsIntersect(norm, pat.glob);
}
