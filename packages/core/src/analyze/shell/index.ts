// The shell analyzer: bash text (an exec command or a pty line) and SFTP/scp operations → ShellUnits.
//
// What a unit means (the facts `shell:` rules match):
// - One unit per command that would run, in the order bash would start them (substitutions before
//   the command using them); a wrapper and what it runs are both units (`sudo rm` → sudo, rm), and so
//   are commands inside `bash -c`/`su -c`/ssh/eval/alias/trap strings, `$(…)`, backticks, `<(…)`,
//   here-documents, function bodies and `find -exec`. Comments run nothing and give no unit.
// - `command`: after quote removal and basename. "" when the name is unknowable ($x, $(…)), for a
//   function definition, a state-changing assignment (`PATH=…`) or a redirection with no command.
// - `args`: the words after quote removal; `args[0..argc)` are the originals, the rest synthetic
//   normalised flags (flags.ts). `paths`: path-like operands and redirection targets, `~`/`$HOME`
//   expanded, each also in normal form (paths.ts).
// - `dynamic`: the real effect cannot be known from the text (dynamic.ts has the table); the reason
//   is the first note. `find -delete` adds a synthetic `rm -r -f <start points>` unit (so do rsync
//   --delete, tar --remove-files, unlink, shred -u, mv to /dev/null). Calls of functions and aliases
//   defined in the text are analysed again with their arguments. README.md lists the decisions.
// - `parseError`: set when the text (or a string re-parsed inside it) is not valid bash, or a limit
//   was hit; the units found before the problem are kept for explain, never for an allow.
import type { Analysis, FileCommand, ShellUnit } from '../../types.js';
import {
  absoluteWritten,
  analyzeScript,
  DEFAULT_LIMITS,
  type ShellLimits,
  ShellParseFailure,
} from './analyze.js';
import { fileOpUnit } from './file-ops.js';
import { loadBashParser, type Parser } from './grammar.js';
import { defaultHome } from './paths.js';
import { RESERVED_CHARS } from './words.js';

export { COMMAND_OPTIONS, DEFAULT_LIMITS, type ShellLimits } from './analyze.js';
export { DYNAMIC_COMMANDS, STATE_VARIABLES } from './dynamic.js';
export { FILE_OP_COMMANDS } from './file-ops.js';
export { FLAG_ALIASES } from './flags.js';
export { WRAPPERS } from './wrappers.js';

export interface ShellAnalyzeOptions {
  /** Home directory for `~` and `$HOME`; default `/root` for root (or no user), else `/home/<user>`. */
  home?: string;
  /** The upstream login user (only used to derive the default home). */
  user?: string;
  /** Working directory relative paths resolve against (default: home); null when unknown. */
  cwd?: string | null;
  /**
   * Files earlier commands of the session wrote or uploaded (absolute, normalised, as in
   * `Analysis.written`): a script run from one of them is not trusted (flagged dynamic).
   */
  written?: ReadonlySet<string>;
}

export interface ShellAnalyzerOptions {
  limits?: Partial<ShellLimits>;
  /** Entries kept in the exact-text LRU cache (0 disables it). */
  cacheSize?: number;
}

export class ShellAnalyzer {
  private readonly cache = new Map<string, Analysis>();

  private constructor(
    private readonly parser: Parser,
    private readonly limits: ShellLimits,
    private readonly cacheSize: number,
  ) {}

  /** Loads the bash grammar (once per process) and returns an analyzer. */
  static async create(opts: ShellAnalyzerOptions = {}): Promise<ShellAnalyzer> {
    const parser = await loadBashParser();
    return new ShellAnalyzer(parser, { ...DEFAULT_LIMITS, ...opts.limits }, opts.cacheSize ?? 2048);
  }

  /**
   * Every command the text would run, one unit each. Never throws: input that cannot be parsed (or
   * exceeds a limit) returns `parseError`, with whatever units were found before the problem.
   * The returned object is shared with the cache and frozen: do not modify it.
   */
  analyze(text: string, opts: ShellAnalyzeOptions = {}): Analysis {
    const home = opts.home ?? defaultHome(opts.user);
    if (typeof text !== 'string') return { units: [], parseError: 'shell command is not text' };
    if (text.length > this.limits.maxLength)
      return {
        units: [],
        parseError: `shell command too long (${text.length} characters; the limit is ${this.limits.maxLength})`,
      };
    const cwd = opts.cwd === undefined ? home : opts.cwd;
    // A file the session wrote earlier changes the verdict on running it: such lines skip the cache.
    const earlier =
      opts.written && opts.written.size > 0 && mentionsAny(text, opts.written) ? opts.written : undefined;
    if (earlier) return deepFreeze(this.run(text, home, cwd, earlier));
    const key = `${home}\0${cwd ?? '\0'}\0${text}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const result = deepFreeze(this.run(text, home, cwd));
    if (this.cacheSize > 0) {
      this.cache.set(key, result);
      if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
    }
    return result;
  }

  /** An SFTP/scp operation as its equivalent command (see FILE_OP_COMMANDS), paths resolved against home. */
  analyzeFile(cmd: FileCommand, opts: ShellAnalyzeOptions = {}): Analysis {
    const home = opts.home ?? defaultHome(opts.user);
    try {
      const r = fileOpUnit(cmd, home);
      if ('error' in r) return { units: [], parseError: r.error };
      // What an upload creates or replaces (a rename's target, a symlink's new name) may be run later.
      const target =
        cmd.op === 'open-write' || cmd.op === 'write'
          ? r.resolved
          : cmd.op === 'rename' || cmd.op === 'symlink'
            ? r.resolved.slice(-1)
            : [];
      return target.length > 0 ? { units: [r.unit], written: target } : { units: [r.unit] };
    } catch (e) {
      return { units: [], parseError: `file operation could not be analysed: ${(e as Error).message}` };
    }
  }

  private run(text: string, home: string, cwd: string | null, earlier?: ReadonlySet<string>): Analysis {
    if (text.includes('\0')) return { units: [], parseError: 'shell command contains a NUL byte' };
    if (RESERVED_CHARS.test(text))
      return { units: [], parseError: 'shell command contains reserved characters (U+E000–U+E004)' };
    const units: ShellUnit[] = [];
    const shared = {
      parser: this.parser,
      home,
      cwd,
      limits: this.limits,
      units,
      written: new Set<string>(),
      earlier,
    };
    try {
      analyzeScript(shared, text);
      const out: Analysis = shared.cwd === cwd ? { units } : { units, cwd: shared.cwd };
      if (shared.written.size > 0) out.written = [...shared.written].map((p) => absoluteWritten(p, cwd));
      return out;
    } catch (e) {
      if (e instanceof ShellParseFailure) return { units, parseError: e.message };
      if (e instanceof RangeError) return { units, parseError: 'shell command nested too deeply' };
      return {
        units,
        parseError: `shell command could not be analysed: ${(e as Error)?.message ?? String(e)}`,
      };
    }
  }
}

/** Does the text name one of these paths (by its last component)? Cheap: a cache bypass test. */
function mentionsAny(text: string, paths: ReadonlySet<string>): boolean {
  for (const p of paths) {
    const base = p.slice(p.lastIndexOf('/') + 1);
    if (base !== '' && text.includes(base)) return true;
  }
  return false;
}

function deepFreeze(a: Analysis): Analysis {
  for (const u of a.units) {
    const s = u as ShellUnit;
    Object.freeze(s.args);
    Object.freeze(s.paths);
    if (s.notes) Object.freeze(s.notes);
    Object.freeze(s);
  }
  Object.freeze(a.units);
  if (a.written) Object.freeze(a.written);
  return Object.freeze(a);
}
