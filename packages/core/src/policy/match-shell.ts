// Matches one shell unit against a rule's `shell:` section. Returns what matched (for the reason), or null.
import path from 'node:path';
import type { ShellMatch } from '../config/types.js';
import type { ShellUnit } from '../types.js';
import { globToRegExp } from './glob.js';

export interface CompiledShellMatch {
  commands?: RegExp[];
  args?: RegExp[];
  paths?: RegExp[];
  dynamic?: boolean;
}

export interface ShellMatchContext {
  /** Home directory on the target, for `~` and `$HOME` in rule globs and relative paths. */
  home: string;
}

function expandHome(glob: string, home: string): string {
  if (glob === '~' || glob.startsWith('~/')) return home + glob.slice(1);
  return glob.replace(/^\$\{?HOME\}?(?=\/|$)/, home);
}

export function compileShellMatch(m: ShellMatch, ctx: ShellMatchContext): CompiledShellMatch {
  return {
    // `commands: [/bin/rm]` means rm, like the analyzer's basename.
    commands: m.commands?.map((c) => globToRegExp(c.includes('/') ? path.posix.basename(c) : c, 'word')),
    args: m.args?.map((a) => globToRegExp(a, 'word')),
    paths: m.paths?.map((p) => globToRegExp(expandHome(p, ctx.home), 'path')),
    dynamic: m.dynamic,
  };
}

export function matchShell(m: CompiledShellMatch, u: ShellUnit, ctx: ShellMatchContext): string[] | null {
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
    const p = u.paths.find((raw) => candidates(raw, ctx.home).some((c) => m.paths!.some((re) => re.test(c))));
    if (p === undefined) return null;
    why.push(`path ${p}`);
  }
  if (m.dynamic !== undefined) {
    if (u.dynamic !== m.dynamic) return null;
    if (m.dynamic) why.push(`dynamic execution${u.notes?.length ? ` (${u.notes[0]})` : ''}`);
  }
  return why;
}

// A path is tried as written and normalised; a relative one also against the home directory
// (where exec commands start). `**/x` globs match relative paths by themselves.
function candidates(p: string, home: string): string[] {
  const out = [p];
  const norm = path.posix.normalize(p);
  if (norm !== p) out.push(norm);
  if (!p.startsWith('/')) out.push(path.posix.resolve(home, p));
  return out;
}
