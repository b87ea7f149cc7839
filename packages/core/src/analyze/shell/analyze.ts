// Walks a bash syntax tree and reports one ShellUnit per command that would run, following
// wrappers, nested shells and substitutions. Tables live in wrappers.ts, dynamic.ts, flags.ts and
// paths.ts; this file only applies them.
import type { ShellUnit } from '../../types.js';
import { subcommandWrapper } from './containers.js';
import {
  AWK_RISK,
  AWKS,
  COMMAND_VARIABLES,
  decoderReason,
  GIT_COMMAND_KEYS,
  GIT_EXEC_KEYS,
  INLINE_CODE_RISK,
  type InterpreterSpec,
  interpreterFor,
  SED_RISK,
  SHELLS,
  stateVariable,
  TRANSFORMERS,
  terminalChange,
} from './dynamic.js';
import { expandLongOption, normaliseFlags } from './flags.js';
import type { Parser, SyntaxNode } from './grammar.js';
import { FILE_COMMANDS, looksLikePath, normalisePath } from './paths.js';
import { optionValues, runnerFinding, STDIN_COMMANDS } from './runners.js';
import {
  endsWithDanglingDollar,
  evalAssignmentValue,
  evalWord,
  evalWords,
  markBraceWords,
  restore,
  visitNested,
  type Word,
  type WordEnv,
} from './words.js';
import { SUBCOMMAND_WRAPPERS, unwrap, WRAPPERS, type WrapperSpec } from './wrappers.js';

export interface ShellLimits {
  /** Longest input accepted, in characters. */
  maxLength: number;
  /** How many times a string may be re-parsed inside another (`bash -c "bash -c '…'"`). */
  maxNesting: number;
  /** Deepest syntax tree walked. */
  maxTreeDepth: number;
  /** Most units reported for one input. */
  maxUnits: number;
}

export const DEFAULT_LIMITS: ShellLimits = {
  maxLength: 128 * 1024,
  maxNesting: 6,
  maxTreeDepth: 400,
  maxUnits: 5000,
};

/** Aborts the walk; its message becomes the analysis' parseError. */
export class ShellParseFailure extends Error {}

type Stdin =
  | { kind: 'pipe'; from: string }
  | { kind: 'text'; text: string; literal: boolean }
  | { kind: 'file'; path: string; literal: boolean };

interface ExecCtx {
  stdin?: Stdin;
  redirPaths: string[];
  notes: string[];
  dynamic: string[];
  /** A token the running wrapper replaces with input it reads (`xargs -I X`, find's `{}`). */
  placeholder?: string;
  /** The wrapper appends arguments read from stdin (xargs). */
  fromInput?: boolean;
}

interface Shared {
  parser: Parser;
  home: string;
  /** The working directory relative paths resolve against; null once a `cd` makes it unknown. */
  cwd: string | null;
  /** The previous working directory (`~-`, `cd -`); null when unknown. */
  oldpwd?: string | null;
  limits: ShellLimits;
  units: ShellUnit[];
  /** Files written or downloaded earlier in this input (normalised paths). */
  written: Set<string>;
  /** Files earlier commands of the session wrote (absolute, normalised): running one is not trusted. */
  earlier?: ReadonlySet<string>;
}

/** A written path as an absolute one where the directory is known (for later commands of the session). */
export function absoluteWritten(p: string, cwd: string | null): string {
  return p.startsWith('/') || cwd === null ? normalisePath(p) : normalisePath(`${cwd}/${p}`);
}

interface Scope {
  /** Tracked variables: a literal value, or null once it is unknown. */
  vars: Map<string, string | null>;
  functions: Set<string>;
  aliases: Set<string>;
  /** Variables assigned text decoded at run time (`x=$(echo … | base64 -d)`). */
  decoded?: Set<string>;
  /** Bodies of functions and aliases defined in this input, to analyse each call with its arguments. */
  bodies?: Map<string, string>;
  aliasBodies?: Map<string, string>;
  /** `$1`, `$@` … inside a function call or after `set --`; null when unknown, undefined outside. */
  positional?: string[] | null;
}

const STATEMENTS = new Set([
  'program',
  'list',
  'pipeline',
  'compound_statement',
  'subshell',
  'do_group',
  'if_statement',
  'elif_clause',
  'else_clause',
  'while_statement',
  'case_statement',
  'case_item',
  'negated_command',
  'c_style_for_statement',
  'for_statement',
  'command',
  'redirected_statement',
  'variable_assignment',
  'variable_assignments',
  'declaration_command',
  'unset_command',
  'function_definition',
  'test_command',
  'heredoc_redirect',
]);

const STDIN_PATH = /^(-|\/dev\/stdin|\/dev\/fd\/\d+|\/proc\/self\/fd\/\d+|\/dev\/tcp\/.*|\/dev\/udp\/.*)$/;

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 || i === p.length - 1 ? p : p.slice(i + 1);
}

function literalWord(text: string): Word {
  return { text, literal: true, fromVar: false, glob: false, procSub: false, unknown: [], expanded: false };
}

export function analyzeScript(shared: Shared, text: string): void {
  new Walk(shared, { vars: new Map(), functions: new Set(), aliases: new Set() }, 0, []).run(text, '');
}

class Walk implements WordEnv {
  private pending: string[] = [];
  /** Dynamic reasons found while reading the words of the command being read (decoded substitutions). */
  private pendingDyn: string[] = [];
  /** File descriptor numbers written just before a redirection (`0< f`), by the redirection's start. */
  private readonly fdBefore = new Map<number, string>();
  /** The text being walked (as parsed), to look at what lies between two nodes. */
  private source = '';
  /** Only text with a `$` or a backslash-newline can hold a split word (saves WASM calls). */
  private mayJoin = false;
  /** Paths in `NAME=/path cmd` prefix assignments of the command being read. */
  private prefixPaths: string[] = [];

  constructor(
    private readonly s: Shared,
    private readonly scope: Scope,
    private readonly nesting: number,
    /** Notes every unit of this walk carries (`from bash -c`). */
    private readonly origin: string[],
  ) {}

  get home(): string {
    return this.s.home;
  }
  get cwd(): string | null {
    return this.s.cwd;
  }
  get oldpwd(): string | null {
    return this.s.oldpwd ?? null;
  }
  get positional(): string[] | undefined {
    return this.scope.positional ?? undefined;
  }
  get ifs(): string | undefined {
    if (!this.scope.vars.has('IFS')) return ' \t\n';
    return this.scope.vars.get('IFS') ?? undefined;
  }
  lookup(name: string): string | undefined {
    if (this.scope.decoded?.has(name))
      this.pendingDyn.push(`$${name} holds text decoded at run time (its real value cannot be known)`);
    if (name === 'USER' || name === 'LOGNAME') return this.scope.vars.get(name) ?? basename(this.s.home);
    return this.scope.vars.get(name) ?? undefined;
  }
  note(text: string): void {
    if (!this.pending.includes(text)) this.pending.push(text);
  }
  visitSubstitution(node: SyntaxNode): void {
    const start = this.s.units.length;
    const t = node.text;
    if (t.startsWith('`') && t.includes('\\')) {
      // Inside backticks `\``, `\$` and `\\` are escapes: nested backticks only appear after unescaping.
      const inner = restore(t.slice(1, t.endsWith('`') ? -1 : undefined)).replace(/\\([`$\\])/g, '$1');
      this.reparse(inner, { shared: true, label: 'backticks' });
    } else for (const c of node.namedChildren) this.visit(c, 1, undefined);
    this.decodedSubstitution(node, start);
  }
  visitBackticks(text: string): void {
    for (const m of text.matchAll(/`((?:\\[\s\S]|[^`\\])*)`/g)) {
      const start = this.s.units.length;
      this.reparse(m[1]!.replace(/\\([`$\\])/g, '$1'), { shared: true, label: 'backticks' });
      this.decodedSubstitution(undefined, start, m[0]);
    }
  }

  /** A substitution whose output is decoded or transformed text (`$(echo … | base64 -d)`) hides a word. */
  private decodedSubstitution(node: SyntaxNode | undefined, start: number, text = node?.text ?? ''): void {
    if (node?.type === 'process_substitution') return;
    const first = this.s.units[start];
    const literalText =
      (first?.command === 'echo' || first?.command === 'printf') && !first.args.some((a) => /[$`]/.test(a));
    for (let i = start; i < this.s.units.length; i++) {
      const u = this.s.units[i]!;
      const why =
        decoderReason(u.command, u.args.slice(0, u.argc ?? u.args.length)) ??
        (literalText && i > start && TRANSFORMERS.has(u.command) ? `rewritten by ${u.command}` : undefined);
      if (why) {
        this.pendingDyn.push(`a word is ${why} at run time (${truncate(restore(text))})`);
        return;
      }
    }
  }

  run(text: string, label: string, stdin?: Stdin): void {
    this.source = markBraceWords(text);
    this.mayJoin = /\$|\\\r?\n/.test(this.source);
    const tree = this.s.parser.parse(this.source);
    if (!tree) throw new ShellParseFailure(`${label}could not be parsed`);
    try {
      const root = tree.rootNode;
      if (root.hasError) throw new ShellParseFailure(label + describeError(root));
      this.visit(root, 0, stdin);
    } finally {
      tree.delete();
    }
  }

  // ── statements ───────────────────────────────────────────────────────────
  private visit(node: SyntaxNode, depth: number, pipe: Stdin | undefined, continuesPipe = false): void {
    if (depth > this.s.limits.maxTreeDepth)
      throw new ShellParseFailure(`nested too deeply (more than ${this.s.limits.maxTreeDepth} levels)`);
    switch (node.type) {
      case 'command':
        this.command(node, [], pipe);
        return;
      case 'redirected_statement':
        this.redirected(node, depth, pipe);
        return;
      case 'pipeline': {
        let prev: string | undefined;
        const n = node.namedChildCount;
        for (let i = 0; i < n; i++) {
          const c = node.namedChild(i)!;
          if (c.type === 'comment') continue;
          const stdin: Stdin | undefined =
            prev !== undefined
              ? { kind: 'pipe', from: prev }
              : continuesPipe
                ? (pipe ?? { kind: 'pipe', from: '' })
                : pipe;
          this.visit(c, depth + 1, stdin);
          prev = restore(c.text);
        }
        return;
      }
      case 'variable_assignment':
        this.assignment(node, true);
        return;
      case 'declaration_command':
        this.declaration(node);
        return;
      case 'unset_command':
        this.unset(node);
        return;
      case 'function_definition':
        this.functionDefinition(node, depth);
        return;
      case 'test_command':
        this.testCommand(node);
        return;
      case 'comment':
        return;
      case 'command_substitution':
      case 'process_substitution':
        this.visitSubstitution(node);
        return;
      case 'for_statement':
        if (this.forEach(node, depth)) return;
        {
          const v = node.childForFieldName('variable');
          if (v) this.scope.vars.set(v.text, null);
        }
        break;
    }
    const kids = node.namedChildren;
    const n = kids.length;
    for (let i = 0; i < n; i++) {
      const c = kids[i]!;
      const type = c.type;
      if (STATEMENTS.has(type)) this.visit(c, depth + 1, pipe);
      else if (type === 'command_substitution' || type === 'process_substitution') this.visitSubstitution(c);
      else visitNested(c, this);
    }
  }

  /**
   * `for x in a b c` with a short literal list: the body runs once per word with x set, so its paths
   * and command names are known. Returns false to fall back to one pass with x unknown.
   */
  private forEach(node: SyntaxNode, depth: number): boolean {
    const v = node.childForFieldName('variable');
    const body = node.childForFieldName('body');
    if (!v || !body) return false;
    const words: Word[] = [];
    const n = node.childCount;
    for (let i = 0; i < n; i++) {
      if (node.fieldNameForChild(i) !== 'value') continue;
      const c = node.child(i)!;
      if (/\$\(|`|[<>]\(/.test(c.text)) return false; // evaluated once, by the fallback
      for (const w of evalWord(c, this)) words.push(w);
    }
    if (words.length === 0 || words.length > 16 || !words.every((w) => w.literal && !w.glob)) return false;
    for (const w of words) {
      this.scope.vars.set(v.text, w.text);
      this.visit(body, depth + 1, undefined);
    }
    this.scope.vars.set(v.text, null);
    return true;
  }

  private redirected(node: SyntaxNode, depth: number, pipe: Stdin | undefined): void {
    const body = node.childForFieldName('body');
    const redirects: SyntaxNode[] = [];
    const n = node.childCount;
    for (let i = 0; i < n; i++) if (node.fieldNameForChild(i) === 'redirect') redirects.push(node.child(i)!);
    if (body?.type === 'command') {
      this.command(body, redirects, pipe);
      return;
    }
    const start = this.s.units.length;
    if (body) this.visit(body, depth + 1, pipe);
    const r = this.redirects(redirects);
    if (r.paths.length > 0) {
      if (this.s.units.length === start) this.unit('', [], r.paths, [], ['redirection without a command']);
      for (let i = start; i < this.s.units.length; i++) {
        const u = this.s.units[i]!;
        for (const p of r.paths) if (!u.paths.includes(p)) u.paths.push(p);
      }
    }
    for (const st of r.statements) this.visit(st, depth + 1, { kind: 'pipe', from: body?.text ?? '' }, true);
  }

  private redirects(nodes: SyntaxNode[]): { paths: string[]; stdin?: Stdin; statements: SyntaxNode[] } {
    const paths: string[] = [];
    const statements: SyntaxNode[] = [];
    let stdin: Stdin | undefined;
    for (const r of nodes) {
      if (r.type === 'file_redirect') {
        let op = '';
        const n = r.childCount;
        let dest: SyntaxNode | null = null;
        for (let i = 0; i < n; i++) {
          const c = r.child(i)!;
          if (!c.isNamed) op += c.type;
          else if (r.fieldNameForChild(i) === 'destination') dest = c;
        }
        if (!dest) continue;
        // `2< f` reads into fd 2, not stdin; the number may be a field or, misparsed, a word before it.
        const fd = r.childForFieldName('descriptor')?.text ?? this.fdBefore.get(r.startIndex);
        const toStdin = fd === undefined || fd === '0';
        if ((op === '>&' || op === '<&') && /^(\d+-?|-)$/.test(dest.text)) {
          // fd duplication; `<&3` makes stdin whatever fd 3 is (a socket, a file opened earlier).
          const from = /^\d+/.exec(dest.text)?.[0];
          if (op === '<&' && toStdin && from !== undefined && from !== '0')
            stdin = { kind: 'file', path: `/dev/fd/${from}`, literal: true };
          continue;
        }
        for (const w of evalWord(dest, this)) {
          paths.push(w.text);
          if (op.includes('>')) this.s.written.add(normalisePath(w.text));
          if (op === '<' && toStdin) stdin = { kind: 'file', path: w.text, literal: w.literal && !w.procSub };
        }
      } else if (r.type === 'herestring_redirect') {
        const v = r.namedChild(0);
        if (!v) continue;
        const w = evalAssignmentValue(v, this);
        stdin = { kind: 'text', text: w.text, literal: w.literal };
      } else if (r.type === 'heredoc_redirect') {
        let quoted = false;
        let text = '';
        let literal = true;
        let dash = false;
        const n = r.childCount;
        for (let i = 0; i < n; i++) {
          const c = r.child(i)!;
          if (c.type === '<<-') dash = true;
          else if (c.type === 'heredoc_start') quoted = /['"\\]/.test(c.text);
          else if (c.type === 'heredoc_body') {
            text = restore(c.text);
            if (!quoted && text.includes('`')) {
              // tree-sitter leaves backticks in a here-document unparsed; bash runs them.
              for (const m of text.matchAll(/`((?:\\[\s\S]|[^`\\])*)`/g)) {
                literal = false;
                this.reparse(m[1]!.replace(/\\([`$\\])/g, '$1'), {
                  shared: true,
                  label: 'backticks in a here-document',
                });
              }
            }
            if (!quoted) {
              const m = c.namedChildCount;
              for (let j = 0; j < m; j++) {
                const b = c.namedChild(j)!;
                if (b.type === 'heredoc_content') continue;
                literal = false;
                if (b.type === 'command_substitution') this.visitSubstitution(b);
                else visitNested(b, this);
              }
            }
          } else if (STATEMENTS.has(c.type)) statements.push(c);
        }
        if (dash) text = text.replace(/^\t+/gm, '');
        stdin = { kind: 'text', text, literal };
      }
    }
    return { paths, stdin, statements };
  }

  private command(node: SyntaxNode, outerRedirects: SyntaxNode[], pipe: Stdin | undefined): void {
    // Substitutions in the words run command() recursively: keep the outer command's notes apart.
    const outerPending = this.pending;
    const outerDyn = this.pendingDyn;
    const outerPrefix = this.prefixPaths;
    this.pending = [];
    this.pendingDyn = [];
    this.prefixPaths = [];
    const assigns: SyntaxNode[] = [];
    const words: Word[] = [];
    const redirects = [...outerRedirects];
    const kids = node.namedChildren;
    const n = kids.length;
    for (let i = 0; i < n; i++) {
      const c = kids[i]!;
      const type = c.type;
      switch (type) {
        case 'variable_assignment':
          assigns.push(c);
          break;
        case 'file_redirect':
        case 'heredoc_redirect':
        case 'herestring_redirect':
          redirects.push(c);
          break;
        case 'comment':
          break;
        default: {
          // tree-sitter reads the fd of `sh 0< f` as a word of its own; bash reads it as the redirection's.
          if (
            (type === 'number' || /^\{[A-Za-z_]\w*\}$/.test(c.text)) &&
            /^[<>]/.test(this.source.charAt(c.endIndex))
          ) {
            this.fdBefore.set(c.endIndex, c.text);
            break;
          }
          // Re-join one word that tree-sitter split: after a lone `$` (see evalWords), or at a
          // backslash-newline inside the word (`r\<newline>m` is `rm` to bash).
          const group = [c];
          while (this.mayJoin && i + 1 < n) {
            const last = group[group.length - 1]!;
            const next = kids[i + 1]!;
            const gap = this.source.slice(last.endIndex, next.startIndex);
            const joined = (gap === '' && endsWithDanglingDollar(last)) || gap === '\\\n' || gap === '\\\r\n';
            if (!joined || next.type.endsWith('redirect')) break;
            group.push(next);
            i++;
          }
          for (const w of evalWords(group, this, group.length === 1 ? type : undefined)) words.push(w);
        }
      }
    }
    const ctx: ExecCtx = { redirPaths: [], notes: [], dynamic: [] };
    for (const a of assigns) {
      const r = this.assignment(a, false);
      if (r) ctx.dynamic.push(r);
    }
    const prefixPaths = this.prefixPaths;
    const r = this.redirects(redirects);
    ctx.redirPaths = [...prefixPaths, ...r.paths];
    ctx.stdin = r.stdin ?? pipe;
    ctx.notes = this.pending;
    for (const d of this.pendingDyn) if (!ctx.dynamic.includes(d)) ctx.dynamic.push(d);
    this.pending = outerPending;
    this.pendingDyn = outerDyn;
    this.prefixPaths = outerPrefix;
    this.exec(words, ctx);
    for (const st of r.statements) this.visit(st, 1, { kind: 'pipe', from: node.text }, true);
  }

  /** Handles `NAME=value`; returns a dynamic reason when the variable changes what runs. */
  private assignment(node: SyntaxNode, persists: boolean): string | undefined {
    const nameNode = node.childForFieldName('name');
    const valueNode = node.childForFieldName('value');
    if (!nameNode) return undefined;
    if (nameNode.type !== 'variable_name') visitNested(nameNode, this);
    const name =
      nameNode.type === 'variable_name' ? nameNode.text : (nameNode.namedChild(0)?.text ?? nameNode.text);
    const dynBefore = this.pendingDyn.length;
    const value = valueNode ? evalAssignmentValue(valueNode, this) : literalWord('');
    const appends = node.text.slice(nameNode.text.length).startsWith('+=');
    if (persists) {
      this.scope.vars.set(name, value.literal && !appends && valueNode?.type !== 'array' ? value.text : null);
      // Decoded text stored in a variable flags the command that uses it, not the assignment.
      if (this.pendingDyn.length > dynBefore) {
        this.pendingDyn.length = dynBefore;
        (this.scope.decoded ??= new Set()).add(name);
      } else if (!appends) this.scope.decoded?.delete(name);
    }
    if (!persists && looksLikePath(value.text)) this.prefixPaths.push(value.text);
    // `x='a[$(cmd)]'`: used in arithmetic (`(( x ))`, `[[ $x -eq 1 ]]`), bash runs cmd.
    if (value.literal && SUBSCRIPT_COMMAND.test(value.text)) {
      const reason = this.subscriptCommands(value.text);
      if (persists) this.unit('', [literalWord(`${name}=${value.text}`)], [], [reason], []);
      else return reason;
    }
    const why = stateVariable(name);
    // As a one-command prefix, IFS and HOME change only that command's own view (`IFS= read -r l`).
    if (!why || (!persists && (name === 'IFS' || name === 'HOME'))) return undefined;
    const reason = `${name}= ${why}`;
    if (COMMAND_VARIABLES.has(name)) this.commandValue(name, value);
    if (persists) this.unit('', [literalWord(`${name}=${value.text}`)], [], [reason], []);
    return reason;
  }

  /** Analyses the commands in `[$(…)]`/`` [`…`] `` subscripts of a literal text; returns the reason. */
  private subscriptCommands(text: string): string {
    for (const m of text.matchAll(/\$\(((?:[^()]|\([^()]*\))*)\)|`((?:\\.|[^`\\])*)`/g)) {
      const inner = m[1] ?? m[2] ?? '';
      if (inner.trim() !== '') this.reparse(inner, { shared: false, label: 'an array subscript' });
    }
    return `an array subscript holds a command substitution (${truncate(text)}): bash runs it when it evaluates the subscript`;
  }

  /** A variable or option whose value is a command line: analyse it too. */
  private commandValue(label: string, value: Word): void {
    if (!value.literal) return;
    const text = value.text.replace(/^\s*\|\|?/, '').replace(/%s/g, 'FILE');
    if (text.trim() !== '') this.reparse(text, { shared: false, label: `${label} value` });
  }

  private declaration(node: SyntaxNode): void {
    const outerPending = this.pending;
    const outerDyn = this.pendingDyn;
    this.pending = [];
    this.pendingDyn = [];
    const keyword = node.child(0)?.type ?? 'declare';
    const args: Word[] = [];
    const dyn: string[] = [];
    let exportFunctions = false;
    let exporting = keyword === 'export';
    const n = node.namedChildCount;
    for (let i = 0; i < n; i++) {
      const c = node.namedChild(i)!;
      if (c.type === 'variable_assignment') {
        const r = this.assignment(c, true);
        if (r) dyn.push(r);
        const name = c.childForFieldName('name')?.text ?? '';
        const v = c.childForFieldName('value');
        args.push(literalWord(`${name}=${v ? evalAssignmentValue(v, this).text : ''}`));
        // A unit for the assignment was already emitted above; keep one unit per declaration.
        if (r) this.s.units.pop();
      } else {
        for (const w of evalWord(c, this)) {
          args.push(w);
          if (/^-[a-zA-Z]*f/.test(w.text)) exportFunctions = true;
          if (/^-[a-zA-Z]*x/.test(w.text)) exporting = true;
          if (c.type === 'variable_name' || c.type === 'word') {
            if (!w.text.startsWith('-')) {
              const why = stateVariable(w.text);
              if (why && exporting) dyn.push(`exports ${w.text}: ${why}`);
            }
          }
        }
      }
    }
    if (exportFunctions && exporting) dyn.push(`${keyword} -f exports shell functions to child shells`);
    dyn.push(...this.pendingDyn);
    const notes = this.pending;
    this.pending = outerPending;
    this.pendingDyn = outerDyn;
    this.unit(keyword, args, [], dyn, notes);
  }

  private unset(node: SyntaxNode): void {
    const args: Word[] = [];
    const n = node.namedChildCount;
    for (let i = 0; i < n; i++) {
      for (const w of evalWord(node.namedChild(i)!, this)) {
        args.push(w);
        if (!w.text.startsWith('-')) this.scope.vars.set(w.text, null);
      }
    }
    this.unit('unset', args, [], [], []);
  }

  private functionDefinition(node: SyntaxNode, depth: number): void {
    const name = node.childForFieldName('name')?.text ?? '';
    this.scope.functions.add(name);
    this.unit(
      '',
      [literalWord(name)],
      [],
      [`defines the function ${name} (changes what a later ${name} runs); its body is analysed as commands`],
      [],
    );
    const body = node.childForFieldName('body');
    if (body) {
      (this.scope.bodies ??= new Map()).set(name, restore(body.text));
      this.visit(body, depth + 1, undefined);
    }
  }

  /**
   * A call of a function or alias defined earlier in this input: its body is analysed again with the
   * call's arguments (`f(){ rm "$@"; }; f -rf /data` runs rm -rf /data).
   */
  private callDefined(command: string, args: Word[], ctx: ExecCtx): void {
    const alias = this.scope.aliasBodies?.get(command);
    if (alias !== undefined) {
      if (args.every((a) => a.literal))
        this.reparse([alias, ...args.map((a) => quote(a.text))].join(' '), {
          shared: true,
          label: `alias ${command}`,
          stdin: ctx.stdin,
        });
      return;
    }
    const body = this.scope.bodies?.get(command);
    if (body === undefined) return;
    const scope: Scope = {
      ...this.scope,
      positional: args.every((a) => a.literal) ? args.map((a) => a.text) : null,
    };
    if (this.nesting + 1 > this.s.limits.maxNesting) {
      this.reparse(body, { shared: true, label: `function ${command}` });
      return;
    }
    new Walk(this.s, scope, this.nesting + 1, [...this.origin, `from the function ${command}`]).run(
      body,
      `in the function ${command}: `,
      ctx.stdin,
    );
  }

  private testCommand(node: SyntaxNode): void {
    const outerPending = this.pending;
    const outerDyn = this.pendingDyn;
    this.pending = [];
    this.pendingDyn = [];
    const open = node.child(0)?.type ?? '[[';
    const args: Word[] = [];
    const collect = (c: SyntaxNode): void => {
      switch (c.type) {
        case 'word':
        case 'string':
        case 'raw_string':
        case 'concatenation':
        case 'simple_expansion':
        case 'expansion':
        case 'command_substitution':
        case 'number':
        case 'ansi_c_string':
          for (const w of evalWord(c, this)) args.push(w);
          return;
        case 'test_operator':
          args.push(literalWord(c.text));
          return;
      }
      const m = c.namedChildCount;
      for (let i = 0; i < m; i++) collect(c.namedChild(i)!);
    };
    const n = node.namedChildCount;
    for (let i = 0; i < n; i++) collect(node.namedChild(i)!);
    const notes = this.pending;
    const dyn = this.pendingDyn;
    this.pending = outerPending;
    this.pendingDyn = outerDyn;
    this.unit(open, args, [], dyn, notes);
  }

  // ── one command: the unit, then whatever it runs ──────────────────────────
  private exec(argv: Word[], ctx: ExecCtx): void {
    if (argv.length === 0) {
      if (ctx.redirPaths.length > 0 || ctx.dynamic.length > 0)
        this.unit('', [], ctx.redirPaths, ctx.dynamic, [
          ...ctx.notes,
          'redirection or assignment without a command',
        ]);
      return;
    }
    const name = argv[0]!;
    // tree-sitter reads the `}` closing `time { …; }` as a command of its own; bash has no such command.
    if (name.text === '}' && name.literal && argv.length === 1) return;
    // … and the `{` opening a group after `!` or `coproc NAME` as a command name: the group's command follows.
    if (name.text === '{' && name.literal && argv.length > 1) {
      this.exec(argv.slice(1), ctx);
      return;
    }
    const dyn = [...ctx.dynamic];
    const notes = [...ctx.notes];
    let command = basename(name.text);
    if (!name.literal) {
      if (/[$`]/.test(command) || command === '') command = '';
      dyn.push(`the command name is not literal (${name.unknown.join(' ') || name.text})`);
    } else if (name.fromVar) dyn.push(`the command name comes from a variable (${command})`);
    if (name.glob) dyn.push(`the command name is a glob (${name.text})`);
    // `./x.sh`, `/tmp/x.sh`: a program run by its path is as untrusted as a script handed to a shell.
    if (name.literal && name.text.includes('/')) {
      const why = this.untrustedScript(name);
      if (why) dyn.push(why);
    }
    // An interactive bash expands `!!`, `!-2`, `!rm` to an earlier command before running it.
    if (/^![^\s=(]/.test(name.text)) dyn.push(`history expansion (${name.text}) runs an earlier command`);
    if (ctx.placeholder && name.text.includes(ctx.placeholder))
      dyn.push('the command name comes from the input');
    if (name.expanded) notes.push('the command name comes from brace expansion or $IFS splitting');
    if (this.scope.functions.has(command)) notes.push(`calls the function ${command} defined in this input`);
    if (this.scope.aliases.has(command))
      notes.push(`may run the alias ${command} defined in this input (when aliases expand)`);
    const args = argv.slice(1);
    // A wrapper's own flags stop where the wrapped command starts (`sudo -u x rm -rf` → sudo has -u only).
    const spec = Object.hasOwn(WRAPPERS, command) ? WRAPPERS[command] : undefined;
    const own = spec ? args.length - unwrap(spec, args).argv.length : args.length;
    const unit = this.unit(command, args, ctx.redirPaths, dyn, notes, own);
    this.special(command, unit, args, ctx);
    if (name.literal && (this.scope.bodies?.has(command) || this.scope.aliasBodies?.has(command)))
      this.callDefined(command, args, ctx);
  }

  private unit(
    command: string,
    argWords: Word[],
    extraPaths: string[],
    dyn: string[],
    notes: string[],
    ownArgs = argWords.length,
  ): ShellUnit {
    if (this.s.units.length >= this.s.limits.maxUnits)
      throw new ShellParseFailure(`too many commands (more than ${this.s.limits.maxUnits})`);
    const args = argWords.map((w) => w.text);
    const synthetic = normaliseFlags(command, ownArgs < args.length ? args.slice(0, ownArgs) : args);
    const paths: string[] = [];
    const addPath = (p: string) => {
      if (p === '') return;
      if (!paths.includes(p)) paths.push(p);
      const n = normalisePath(p);
      if (!paths.includes(n)) paths.push(n);
    };
    const fileCommand = FILE_COMMANDS.has(command);
    let operands = false;
    for (let k = 0; k < argWords.length; k++) {
      const a = args[k]!;
      const w = argWords[k]!;
      // `$(…)`, backticks or `<(…)` as a whole word: its value is unknown, its commands are units already.
      if (!w.literal && (w.procSub || /^(\$\(|`)/.test(a)) && w.unknown.length === 1 && w.unknown[0] === a)
        continue;
      if (a === '--' && !operands) {
        operands = true;
        continue;
      }
      // `curl file:///etc/shadow` reads the file.
      const fileUrl = /^file:\/\/(?:localhost)?(\/[^?#]*)/i.exec(a);
      if (fileUrl) {
        addPath(safeDecode(fileUrl[1]!));
        continue;
      }
      const kv = /^-{0,2}[A-Za-z_][A-Za-z0-9_.-]*=/.exec(a);
      if (kv) {
        // `--file=/x`, `if=/dev/sda`, `NAME=/x`: the value may be a path.
        const v = a.slice(kv[0].length);
        if (looksLikePath(v)) addPath(v);
        continue;
      }
      if (!operands && a.startsWith('-') && a.length > 1) continue;
      if (fileCommand || looksLikePath(a)) addPath(a);
    }
    for (const p of extraPaths) addPath(p);
    // A relative path means cwd/path: `cd /etc; cat shadow` reads /etc/shadow. With the directory
    // unknown (`cd "$x"`), the path could be anywhere: `/**/path` (the policy matches it as a glob).
    for (const p of [...paths]) {
      const abs = this.absolute(p);
      if (abs !== undefined) addPath(abs);
    }
    // `~bob/x` (bob's home may not be /home/bob) or `~-/x` (OLDPWD unknown): x under any directory.
    for (const w of argWords) {
      if (w.guessedPrefix === undefined || !paths.includes(w.text)) continue;
      const rest = normalisePath(w.text.slice(w.guessedPrefix.length));
      if (rest.startsWith('/') && rest !== '/') addPath(`/**${rest}`);
    }
    // `let 'a[$(cmd)]=1'`, `unset 'a[$(cmd)]'`, `test -v …`: an array subscript bash evaluates runs cmd.
    if (args.some((a) => SUBSCRIPT_COMMAND.test(a))) {
      const a = args.find((x) => SUBSCRIPT_COMMAND.test(x))!;
      dyn.push(this.subscriptCommands(a));
    }
    // Dynamic reasons first: a rule's reason quotes the first note.
    const allNotes = [...dyn.map((d) => `dynamic: ${d}`), ...this.origin, ...notes];
    if (synthetic.length > 0) allNotes.push(`normalised flags added to args: ${synthetic.join(' ')}`);
    const unit: ShellUnit = {
      kind: 'shell',
      command,
      args: synthetic.length > 0 ? [...args, ...synthetic] : args,
      paths,
      dynamic: dyn.length > 0,
      argc: args.length,
    };
    if (allNotes.length > 0) unit.notes = allNotes;
    this.s.units.push(unit);
    if (command === 'cd' || command === 'pushd' || command === 'popd') {
      // `CDPATH=/ cd data`, `cd "$d"` with a tracked value: where it lands is not known for sure.
      if (dyn.length > 0) {
        this.s.oldpwd = this.s.cwd;
        this.s.cwd = null;
      } else this.changeDirectory(command, argWords);
    }
    return unit;
  }

  /** The absolute form of a relative path (under the cwd, or `/**` when unknown); undefined if absolute. */
  private absolute(p: string): string | undefined {
    if (p.startsWith('/') || p.startsWith('~') || p.startsWith('$')) return undefined;
    return this.s.cwd === null ? `/**/${normalisePath(p)}` : normalisePath(`${this.s.cwd}/${p}`);
  }

  /** Adds a path a command touches though no argument names it (`cp x /etc` writes /etc/x). */
  private addLandingPath(unit: ShellUnit, p: string): void {
    this.addUnitPath(unit, p);
    const abs = this.absolute(p);
    if (abs !== undefined) this.addUnitPath(unit, abs);
    this.s.written.add(normalisePath(p));
  }

  // Tracks the working directory through `cd`/`pushd` so later relative paths resolve where the shell
  // would resolve them; anything not literal (`cd -`, `cd "$x"`, `popd`) makes it unknown.
  private changeDirectory(command: string, argWords: Word[]): void {
    const before = this.s.cwd;
    const operands = argWords.filter((w) => !/^-[LPe@]+$/.test(w.text));
    const target = operands[0];
    if (command === 'cd' && target?.literal && target.text === '-' && operands.length === 1) {
      // `cd -` swaps with OLDPWD.
      this.s.cwd = this.s.oldpwd ?? null;
      this.s.oldpwd = before;
      return;
    }
    this.s.oldpwd = before;
    if (command === 'popd' || operands.length > 1) {
      this.s.cwd = null;
      return;
    }
    if (!target) {
      this.s.cwd = command === 'cd' ? this.s.home : null;
      return;
    }
    if (!target.literal || target.text === '-' || target.text.startsWith('+') || target.guessedPrefix) {
      this.s.cwd = null;
      return;
    }
    const t = target.text;
    if (t.startsWith('/')) this.s.cwd = normalisePath(t);
    else if (this.s.cwd !== null) this.s.cwd = normalisePath(`${this.s.cwd}/${t}`);
  }

  private flag(unit: ShellUnit, reason: string): void {
    unit.dynamic = true;
    const notes = (unit.notes ??= []);
    let i = 0;
    while (i < notes.length && notes[i]!.startsWith('dynamic: ')) i++;
    notes.splice(i, 0, `dynamic: ${reason}`);
  }

  private addUnitPath(unit: ShellUnit, p: string): void {
    for (const q of [p, normalisePath(p)]) if (q !== '' && !unit.paths.includes(q)) unit.paths.push(q);
  }

  /** A word that is code (`-c STRING`) is not a path, even with a slash in it. */
  private dropPath(unit: ShellUnit, text: string): void {
    unit.paths = unit.paths.filter((p) => p !== text && p !== normalisePath(text));
  }

  private addNote(unit: ShellUnit, note: string): void {
    (unit.notes ??= []).push(note);
  }

  private special(command: string, unit: ShellUnit, args: Word[], ctx: ExecCtx): void {
    this.commandOptions(command, unit, args);
    const runs = runnerFinding(command, args, ctx.stdin !== undefined);
    if (runs) {
      for (const why of runs.dynamic) this.flag(unit, why);
      for (const line of runs.lines) this.reparse(line.text, { shared: false, label: line.label });
    }
    const reader = Object.hasOwn(STDIN_COMMANDS, command) ? STDIN_COMMANDS[command] : undefined;
    if (reader && ctx.stdin && !reader.given(args.map((a) => a.text)))
      this.stdinCommands(command, unit, ctx.stdin, reader.escape);
    const wrapper = Object.hasOwn(WRAPPERS, command) ? WRAPPERS[command] : undefined;
    // `screen -ls`, `-wipe`, `-v` only list or report (its single-dash long options read as clusters otherwise).
    if (command === 'screen' && /^-(ls|list|wipe|v|version)$/.test(args[0]?.text ?? '')) return;
    if (wrapper) {
      this.wrapper(command, wrapper, unit, args, ctx);
      return;
    }
    const table = Object.hasOwn(SUBCOMMAND_WRAPPERS, command) ? SUBCOMMAND_WRAPPERS[command] : undefined;
    if (table) {
      const k = args.findIndex((w) => !w.text.startsWith('-'));
      const name = args[k]?.text;
      const subSpec = name !== undefined && Object.hasOwn(table, name) ? table[name] : undefined;
      if (subSpec) {
        this.wrapper(`${command} ${name}`, subSpec, unit, args.slice(k + 1), ctx);
        return;
      }
    }
    const sub = subcommandWrapper(command, args);
    if (sub && 'unknown' in sub) {
      this.flag(unit, sub.unknown);
      return;
    }
    if (sub) {
      for (const n of sub.notes) this.addNote(unit, n);
      this.wrapper(sub.name, sub.spec, unit, sub.rest, ctx, sub.entrypoint);
      return;
    }
    if (SHELLS.has(command)) {
      this.shell(command, unit, args, ctx);
      return;
    }
    const interp = interpreterFor(command);
    if (interp) {
      this.interpreter(command, interp, unit, args, ctx);
      return;
    }
    if (AWKS.has(command)) {
      this.awk(command, unit, args, ctx);
      return;
    }
    const texts = args.map((a) => a.text);
    const opts = shortOptions(texts);
    switch (command) {
      case 'eval': {
        this.flag(unit, 'eval runs a string as shell code');
        if (args.length > 0 && args.every((a) => a.literal))
          this.reparse(texts.join(' '), { shared: true, label: 'eval' });
        return;
      }
      case 'source':
      case '.': {
        const file = args[0];
        if (!file) return;
        this.addUnitPath(unit, file.text);
        const why = this.untrustedScript(file);
        if (why) this.flag(unit, `${command} ${why}`);
        else this.addNote(unit, `runs the commands in ${file.text} (not analysed)`);
        return;
      }
      case 'alias':
        for (const a of args) {
          const eq = a.text.indexOf('=');
          if (eq <= 0) continue;
          this.flag(unit, `alias ${a.text.slice(0, eq)} changes what a later word runs`);
          this.scope.aliases.add(a.text.slice(0, eq));
          if (a.literal)
            (this.scope.aliasBodies ??= new Map()).set(a.text.slice(0, eq), a.text.slice(eq + 1));
          if (a.literal)
            this.reparse(a.text.slice(eq + 1), { shared: true, label: `alias ${a.text.slice(0, eq)}` });
        }
        return;
      case 'trap': {
        const first = args[0];
        // `trap '' INT` ignores a signal and `trap - INT` resets it: neither installs a command.
        if (!first || args.length < 2 || ['-p', '-l', '-', '--', ''].includes(first.text)) return;
        this.flag(unit, 'trap installs a command that runs later');
        if (first.literal) this.reparse(first.text, { shared: true, label: 'trap' });
        return;
      }
      case 'bind':
        if (opts.has('-x')) this.flag(unit, 'bind -x runs a command on a key press');
        // A macro (`"\e[A": "rm -rf /\n"`) makes a key type and run a line the gateway never reads.
        else if (texts.some((t, i) => !/^-[lpPsSvVX]+$/.test(t) && !(texts[i - 1] === '-q' || t === '-q')))
          this.flag(
            unit,
            'bind changes what keys do in the line editor (a key could type and run a hidden line)',
          );
        return;
      case 'stty': {
        const why = terminalChange(texts);
        if (why) this.flag(unit, why);
        return;
      }
      case 'capsh': {
        // `capsh … -- ARGS` runs the shell (/bin/bash, or --shell=) with ARGS.
        const k = texts.indexOf('--');
        if (k < 0) return;
        const shell = texts.find((t) => t.startsWith('--shell='))?.slice(8) ?? 'bash';
        this.exec([literalWord(shell), ...args.slice(k + 1)], this.runBy(command, ctx));
        return;
      }
      case 'start-stop-daemon': {
        const prog =
          optionValues(args, ['--startas', '-a']).pop()?.value ??
          optionValues(args, ['--exec', '-x']).pop()?.value;
        if (!prog) return;
        const k = texts.indexOf('--');
        this.exec([prog, ...(k >= 0 ? args.slice(k + 1) : [])], this.runBy(command, ctx));
        return;
      }
      case 'gdb':
      case 'lldb': {
        const k = texts.indexOf(command === 'gdb' ? '--args' : '--');
        if (k >= 0 && k + 1 < args.length) this.exec(args.slice(k + 1), this.runBy(command, ctx));
        return;
      }
      case 'unlink':
        this.syntheticRm([], operands(texts, new Set()), 'unlink removes a file, like rm');
        return;
      case 'shred':
        if (
          texts.some(
            (t) =>
              (expandLongOption('shred', t.split('=')[0]!) ?? t.split('=')[0]) === '--remove' ||
              /^-[a-zA-Z]*u/.test(t),
          )
        )
          this.syntheticRm(
            ['-f'],
            operands(texts, new Set(['-n', '-s', '--iterations', '--size', '--random-source'])),
            'shred -u removes what it overwrites',
          );
        return;
      case 'rsync': {
        const ops = operands(texts, RSYNC_VALUES);
        if (texts.some((t) => /^--del(ete(-[a-z]+)?)?$/.test(t)) && ops.length >= 2)
          this.syntheticRm(
            ['-r', '-f'],
            ops.slice(-1),
            'rsync --delete removes what the source lacks under the destination',
          );
        if (texts.includes('--remove-source-files'))
          this.syntheticRm(
            ['-r', '-f'],
            ops.slice(0, -1),
            'rsync --remove-source-files removes what it sent',
          );
        return;
      }
      case 'tar':
        if (texts.includes('--remove-files'))
          this.syntheticRm(
            ['-r', '-f'],
            operands(
              texts,
              new Set(['-f', '--file', '-C', '--directory', '-T', '--files-from', '-X', '--exclude-from']),
            ),
            'tar --remove-files removes what it archives',
          );
        return;
      case 'hash':
        if (opts.has('-p')) this.flag(unit, 'hash -p maps a command name to any file');
        return;
      case 'enable':
        if (opts.has('-f') || opts.has('-n')) this.flag(unit, 'enable -f/-n changes which builtins exist');
        return;
      case 'complete':
      case 'compgen':
        if (opts.has('-C')) this.flag(unit, `${command} -C runs a command`);
        return;
      case 'shopt':
        if (opts.has('-s') && texts.includes('expand_aliases'))
          this.flag(unit, 'shopt -s expand_aliases turns on aliases');
        return;
      case 'crontab':
        if (!opts.has('-l')) this.flag(unit, 'crontab installs commands that run later');
        return;
      case 'fc':
        // `fc -s`, `fc N`, `r`: re-run earlier commands the text does not show; only -l lists.
        if (!opts.has('-l')) this.flag(unit, 'fc re-runs commands from the history');
        return;
      case 'r':
        this.flag(unit, 'r re-runs a command from the history');
        return;
      case 'at':
      case 'batch':
        this.flag(unit, `${command} queues commands that run later`);
        if (ctx.stdin?.kind === 'text' && ctx.stdin.literal)
          this.reparse(ctx.stdin.text, { shared: false, label: `${command} input` });
        return;
      case 'sed':
        this.sed(unit, args);
        return;
      case 'git':
        this.git(unit, args);
        return;
      case 'find':
        this.find(unit, args, ctx);
        return;
      case 'read':
      case 'mapfile':
      case 'readarray': {
        const names = texts.filter((t) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(t));
        for (const v of names.length > 0 ? names : ['REPLY', 'MAPFILE']) this.scope.vars.set(v, null);
        return;
      }
      case 'set': {
        // `set -- a b c` (or `set a b c`) sets $1…, "$@".
        const k = texts.indexOf('--');
        const from = k >= 0 ? k + 1 : texts[0] !== undefined && !/^[-+]/.test(texts[0]) ? 0 : -1;
        if (from >= 0)
          this.scope.positional = args.slice(from).every((a) => a.literal) ? texts.slice(from) : null;
        return;
      }
      case 'shift': {
        const n = Number(texts[0] ?? '1');
        if (this.scope.positional)
          this.scope.positional = Number.isInteger(n) ? this.scope.positional.slice(n) : null;
        return;
      }
      case 'printf': {
        const i = texts.indexOf('-v');
        if (i >= 0 && texts[i + 1]) this.scope.vars.set(texts[i + 1]!, null);
        return;
      }
      case 'wget':
      case 'curl':
        this.download(command, unit, texts);
        return;
      case 'cp':
      case 'mv':
      case 'install':
      case 'ln':
        this.landing(command, unit, texts);
        for (const p of unit.paths) this.s.written.add(normalisePath(p));
        return;
      case 'tee':
      case 'dd':
        for (const p of unit.paths) this.s.written.add(normalisePath(p));
        return;
      case 'gcc':
      case 'cc':
      case 'g++':
      case 'c++':
      case 'clang':
      case 'clang++':
      case 'tcc':
      case 'rustc':
      case 'go': {
        // A program built here is as untrusted as a downloaded script when it is run later.
        if (command === 'tcc' && texts.includes('-run')) {
          this.flag(unit, 'tcc -run compiles and runs code');
          return;
        }
        const out = optionValues(args, ['-o']).pop()?.value.text;
        if (out) this.addLandingPath(unit, out);
        else if (command !== 'go' && command !== 'rustc' && !texts.some((t) => /^-[cSE]$/.test(t)))
          this.s.written.add('a.out');
        return;
      }
    }
  }

  /** What a wrapped command runs with: the wrapper's stdin, a note naming the wrapper. */
  private runBy(command: string, ctx: ExecCtx): ExecCtx {
    return { stdin: ctx.stdin, redirPaths: [], notes: [`run by ${command}`], dynamic: [] };
  }

  /** A deletion made by another command, as the `rm` that does the same (find -delete, rsync --delete …). */
  private syntheticRm(flags: string[], targets: string[], why: string): void {
    if (targets.length === 0) return;
    this.unit('rm', [...flags, ...targets].map(literalWord), [], [], [`synthetic: ${why}`]);
  }

  /**
   * cp/mv/install/ln into a directory write DIR/<name of each source>: `cp passwd /etc` writes
   * /etc/passwd, which no argument names. The destination may be a file too; both are reported.
   */
  private landing(command: string, unit: ShellUnit, texts: string[]): void {
    if (
      texts.some((t) => t === '-T' || t === '--no-target-directory' || (command === 'install' && t === '-d'))
    )
      return;
    const target = optionValues(
      texts.map((t) => literalWord(t)),
      ['-t', '--target-directory'],
    ).pop()?.value.text;
    const ops = operands(texts, LANDING_VALUES[command] ?? new Set());
    const sources = target !== undefined ? ops : ops.slice(0, -1);
    const dir = target ?? ops[ops.length - 1];
    if (dir === undefined) return;
    for (const src of sources) {
      const name = basename(src.replace(/\/+$/, ''));
      if (name !== '' && name !== '.' && name !== '..')
        this.addLandingPath(unit, `${dir.replace(/\/+$/, '')}/${name}`);
    }
    // `mv x /dev/null` (as root) replaces the device and removes x.
    if (command === 'mv' && target === undefined && ops.length >= 2 && normalisePath(dir) === '/dev/null')
      this.syntheticRm(['-r', '-f'], sources, 'mv onto /dev/null removes what it moves');
  }

  /** Why a script operand cannot be known (undefined = it is a plain file, run but not analysed). */
  private untrustedScript(file: Word): string | undefined {
    if (file.procSub) return 'reads code from a process substitution';
    if (!file.literal) return `reads code from a path that is not literal (${file.text})`;
    if (STDIN_PATH.test(file.text)) return `reads code from ${file.text}`;
    if (this.s.written.has(normalisePath(file.text)))
      return `runs ${file.text}, written or downloaded earlier in this input`;
    if (this.s.earlier && this.s.earlier.size > 0) {
      const abs = absoluteWritten(file.text, this.s.cwd);
      if (this.s.earlier.has(abs) || this.s.earlier.has(normalisePath(file.text)))
        return `runs ${file.text}, written or uploaded by an earlier command of this session`;
    }
    return undefined;
  }

  private wrapper(
    command: string,
    spec: WrapperSpec,
    unit: ShellUnit,
    args: Word[],
    ctx: ExecCtx,
    entrypoint?: Word,
  ): void {
    const r = unwrap(spec, args);
    // `docker run --entrypoint rm IMAGE -rf /`: the entrypoint runs with the words after the image.
    if (entrypoint) {
      r.argv = [entrypoint, ...r.argv];
      r.startsShell = false;
    }
    const inner: ExecCtx = { stdin: ctx.stdin, redirPaths: [], notes: [`run by ${command}`], dynamic: [] };
    for (const a of r.assignments) {
      const name = a.slice(0, a.indexOf('='));
      const why = stateVariable(name);
      if (!why) continue;
      this.flag(unit, `${name}= ${why}`);
      inner.dynamic.push(`${name}= ${why}`);
      if (COMMAND_VARIABLES.has(name)) this.commandValue(name, literalWord(a.slice(name.length + 1)));
    }
    if (r.unknownWord !== undefined)
      this.flag(unit, `${command} is given a word that is not literal (${r.unknownWord})`);
    for (const s of r.shellStrings) {
      if (!s.literal) {
        this.flag(unit, `${command} runs a shell string that is not literal`);
        continue;
      }
      if (command === 'env') {
        // env -S splits its string into words; treat the string and the rest as one command line.
        this.reparse([s.text, ...r.argv.map((w) => quote(w.text))].join(' '), {
          shared: false,
          label: 'env -S',
        });
        return;
      }
      this.reparse(s.text, { shared: false, label: `${command} -c` });
    }
    if (r.noCommand) {
      // `sudo -e FILE` edits FILE as root.
      if (command === 'sudo' && (r.options.has('-e') || r.options.has('--edit')))
        for (const w of r.argv) this.addUnitPath(unit, w.text);
      return;
    }
    if (command === 'parallel') {
      this.parallel(unit, r.argv, r.options, ctx);
      return;
    }
    if (r.argv.length === 0) {
      if (r.shellStrings.length > 0) return;
      if (r.startsShell) this.stdinCode(unit, ctx, 'shell', `${command} (a new shell)`);
      else if (spec.stdinShell && ctx.stdin)
        this.stdinCode(unit, ctx, 'shell', `${command} (a remote shell)`);
      else if (spec.defaultCommand)
        this.exec([literalWord(spec.defaultCommand)], { ...inner, fromInput: true });
      else if (command === 'exec' && ctx.stdin && ctx.stdin.kind !== 'pipe')
        this.flag(unit, 'exec with a stdin redirection makes the shell read its commands from it');
      return;
    }
    // `sudo -s`/`-i` hand the words to the user's shell as `-c` (quoted, in recent sudo): read them as
    // one shell line, which reports at least what runs.
    const viaShell = spec.shellOptions?.some((o) => r.options.has(o)) ?? false;
    if (r.joinToShell || viaShell) {
      const argv = r.argv;
      if (argv.every((w) => w.literal)) {
        const label = command === 'ssh' ? 'ssh remote command' : `${command} command`;
        this.reparse(argv.map((w) => w.text).join(' '), {
          shared: false,
          label,
          placeholder: inner.placeholder,
          stdin: ctx.stdin,
        });
      } else this.flag(unit, `${command} runs a command line that is not literal`);
      return;
    }
    let argv = r.argv;
    // tree-sitter reads `time { …; }` as the words `{ …`: the group's first command follows the brace.
    if ((command === 'time' || command === 'coproc') && (argv[0]?.text === '{' || argv[0]?.text === '!'))
      argv = argv.slice(1);
    // `coproc NAME { …; }`: NAME names the coprocess, the group is what runs.
    else if (command === 'coproc' && /^[A-Za-z_]\w*$/.test(argv[0]?.text ?? '') && argv[1]?.text === '{')
      argv = argv.slice(2);
    if (command === 'xargs') {
      inner.fromInput = true;
      inner.placeholder =
        r.values.get('-I') ??
        r.values.get('--replace') ??
        (r.options.has('-i') ? r.values.get('-i') || '{}' : undefined);
    }
    // `env -C DIR cmd`, `sudo -D DIR cmd`: the wrapped command's relative paths are under DIR.
    const dir = spec.chdir?.map((o) => r.values.get(o)).find((v) => v !== undefined);
    if (dir === undefined) {
      this.exec(argv, inner);
      return;
    }
    const outer = this.s.cwd;
    this.s.cwd = dir.startsWith('/')
      ? normalisePath(dir)
      : outer === null
        ? null
        : normalisePath(`${outer}/${dir}`);
    try {
      this.exec(argv, inner);
    } finally {
      this.s.cwd = outer;
    }
  }

  /**
   * GNU parallel: the words before `:::` are a command template run once per input (`{}` replaced, or
   * the input appended); with no template each input is a command line. Inputs from stdin or a
   * `::::` file cannot be known.
   */
  private parallel(unit: ShellUnit, argv: Word[], options: Set<string>, ctx: ExecCtx): void {
    const stop = argv.findIndex((w) => /^::::?\+?$/.test(w.text));
    const template = stop < 0 ? argv : argv.slice(0, stop);
    const inputs: Word[] = [];
    let fromFile = false;
    if (stop >= 0) {
      let fileGroup = false;
      for (const w of argv.slice(stop)) {
        if (/^::::?\+?$/.test(w.text)) {
          fileGroup = w.text.startsWith('::::');
          fromFile ||= fileGroup;
        } else if (!fileGroup) inputs.push(w);
      }
    }
    if (options.has('--pipe') || options.has('--pipepart')) {
      // The input is cut into blocks fed to the template's stdin.
      if (template.every((w) => w.literal))
        this.reparse(template.map((w) => w.text).join(' '), {
          shared: false,
          label: 'parallel command',
          stdin: ctx.stdin ?? { kind: 'pipe', from: '' },
        });
      else this.flag(unit, 'parallel runs a command line that is not literal');
      return;
    }
    if (!template.every((w) => w.literal) || !inputs.every((w) => w.literal)) {
      this.flag(unit, 'parallel runs a command line that is not literal');
      return;
    }
    if (stop < 0 || fromFile) {
      // Inputs read from stdin or a file: like xargs, the template runs with them spliced in.
      const from = fromFile ? 'a file' : 'its input';
      if (template.length === 0) {
        this.flag(unit, `parallel runs command lines read from ${from}`);
        return;
      }
      const t = template.map((w) => w.text).join(' ');
      if (/(^|\s)-[a-z]*c$/.test(t)) this.flag(unit, `parallel runs a shell string read from ${from}`);
      this.reparse(t, { shared: false, label: 'parallel command', placeholder: '{}' });
      if (inputs.length === 0) return;
    }
    const lines =
      inputs.length === 0
        ? [template.map((w) => w.text).join(' ')]
        : inputs.slice(0, 64).map((input) => {
            const q = quote(input.text);
            if (template.length === 0) return input.text;
            const t = template.map((w) => w.text).join(' ');
            return /\{[^}]*\}/.test(t) ? t.replace(/\{[^}]*\}/g, q) : `${t} ${q}`;
          });
    if (inputs.length > 64) this.addNote(unit, 'parallel: only the first 64 inputs were analysed');
    for (const line of lines) this.reparse(line, { shared: false, label: 'parallel command' });
  }

  private shell(command: string, unit: ShellUnit, args: Word[], ctx: ExecCtx): void {
    let i = 0;
    let dashC = false;
    let dashS = false;
    for (; i < args.length; i++) {
      const w = args[i]!.text;
      if (w === '--' || w === '-') {
        i++;
        if (w === '-') dashS = true;
        break;
      }
      if (w.startsWith('--')) {
        if (w === '--rcfile' || w === '--init-file') i++;
        continue;
      }
      if ((w[0] === '-' || w[0] === '+') && w.length > 1) {
        for (const c of w.slice(1)) {
          if (c === 'c') dashC = true;
          else if (c === 's') dashS = true;
          else if (c === 'o' || c === 'O') i++;
        }
        continue;
      }
      break;
    }
    const operands = args.slice(i);
    if (dashC) {
      const str = operands[0];
      if (!str) {
        // `xargs sh -c`: xargs appends what it reads, so the string itself comes from the input.
        if (ctx.fromInput) this.flag(unit, `${command} -c runs a string read from its input`);
        return;
      }
      this.dropPath(unit, str.text);
      if (!str.literal) {
        this.flag(
          unit,
          `${command} -c runs a string that is not literal (${str.unknown.join(' ') || str.text})`,
        );
        return;
      }
      if (ctx.placeholder && str.text.includes(ctx.placeholder))
        this.flag(unit, `${command} -c runs a string that the input is spliced into (${ctx.placeholder})`);
      this.reparse(str.text, { shared: false, label: `${command} -c` });
      return;
    }
    if (dashS || operands.length === 0) {
      if (ctx.fromInput && operands.length === 0)
        this.flag(unit, `${command} runs scripts named by its input`);
      else this.stdinCode(unit, ctx, 'shell', command);
      return;
    }
    this.addUnitPath(unit, operands[0]!.text);
    const why =
      ctx.placeholder && operands[0]!.text.includes(ctx.placeholder)
        ? 'runs scripts named by its input'
        : this.untrustedScript(operands[0]!);
    if (why) this.flag(unit, `${command} ${why}`);
    else this.addNote(unit, `runs the script ${operands[0]!.text} (not analysed)`);
  }

  /** A program reading its own commands (which can escape to a shell) from stdin. */
  private stdinCommands(command: string, unit: ShellUnit, stdin: Stdin, shellEscape: RegExp): void {
    if (stdin.kind === 'text') {
      if (!stdin.literal)
        this.flag(unit, `${command} reads commands from a here-document or here-string with expansions`);
      else if (shellEscape.test(stdin.text))
        this.flag(unit, `${command} reads commands that escape to a shell`);
      return;
    }
    if (stdin.kind === 'file') {
      const why = this.untrustedScript({ ...literalWord(stdin.path), literal: stdin.literal });
      if (why) this.flag(unit, `${command} ${why}`);
      else this.addNote(unit, `${command} runs the commands in ${stdin.path} (not analysed)`);
      return;
    }
    this.flag(
      unit,
      `${command} reads commands (which can escape to a shell) from a pipe${stdin.from ? ` (${truncate(stdin.from)} | …)` : ''}`,
    );
  }

  /** A shell or interpreter that reads its program from stdin. */
  private stdinCode(unit: ShellUnit, ctx: ExecCtx, kind: 'shell' | 'code', who: string): void {
    const stdin = ctx.stdin;
    if (stdin?.kind === 'text') {
      if (!stdin.literal)
        this.flag(unit, `${who} reads code from a here-document or here-string with expansions`);
      else if (kind === 'shell') this.reparse(stdin.text, { shared: false, label: `${who} stdin` });
      else {
        const m = INLINE_CODE_RISK.exec(stdin.text);
        if (m) this.flag(unit, `${who} reads code that can run programs or change files (${m[0]})`);
      }
      return;
    }
    if (stdin?.kind === 'file') {
      const why = this.untrustedScript({ ...literalWord(stdin.path), literal: stdin.literal });
      if (why) this.flag(unit, `${who} ${why}`);
      else this.addNote(unit, `runs the commands in ${stdin.path} (not analysed)`);
      return;
    }
    if (stdin?.kind === 'pipe') {
      this.flag(unit, `${who} reads code from a pipe${stdin.from ? ` (${truncate(stdin.from)} | …)` : ''}`);
      return;
    }
    this.flag(unit, `${who} reads commands from stdin`);
  }

  private interpreter(
    command: string,
    spec: InterpreterSpec,
    unit: ShellUnit,
    args: Word[],
    ctx: ExecCtx,
  ): void {
    if (command === 'pwsh' || command === 'powershell') {
      const code = args.findIndex((a) => /^-(c|command|e|ec|encodedcommand)$/i.test(a.text));
      if (code >= 0) {
        this.dropPath(unit, args[code + 1]?.text ?? '');
        this.flag(unit, `${command} runs a PowerShell command (not analysed)`);
        return;
      }
    }
    let code: Word | undefined;
    let module: string | undefined;
    let stdin = false;
    let i = 0;
    outer: for (; i < args.length; i++) {
      const word = args[i]!;
      const w = word.text;
      if (w === '--') {
        i++;
        break;
      }
      if (w === '-') {
        stdin = true;
        break;
      }
      if (!w.startsWith('-') || w.length < 2) break;
      if (w.startsWith('--')) {
        const eq = w.indexOf('=');
        const name = eq < 0 ? w : w.slice(0, eq);
        if (spec.inline.includes(name)) {
          code = eq < 0 ? args[++i] : { ...word, text: w.slice(eq + 1) };
          break;
        }
        if (eq < 0 && spec.long?.includes(name)) i++;
        continue;
      }
      for (let j = 1; j < w.length; j++) {
        const opt = `-${w[j]}`;
        const rest = w.slice(j + 1);
        if (spec.inline.includes(opt)) {
          code = rest !== '' ? { ...word, text: rest } : args[++i];
          break outer;
        }
        if (spec.module?.includes(opt)) {
          module = rest !== '' ? rest : args[++i]?.text;
          break outer;
        }
        if (spec.short.includes(w[j]!)) {
          if (rest === '') i++;
          break;
        }
      }
    }
    if (code) {
      this.dropPath(unit, code.text);
      if (!code.literal) this.flag(unit, `${command} runs inline code that is not literal`);
      else {
        const m = INLINE_CODE_RISK.exec(code.text);
        if (m)
          this.flag(unit, `${command} inline code can run programs, evaluate code or change files (${m[0]})`);
        else this.addNote(unit, `${command} inline code has no process, eval or file-changing call`);
      }
      return;
    }
    if (module !== undefined) {
      this.addNote(unit, `runs the module ${module}`);
      return;
    }
    if (stdin || i >= args.length) {
      if (ctx.fromInput && i >= args.length) this.flag(unit, `${command} runs scripts named by its input`);
      else this.stdinCode(unit, ctx, 'code', command);
      return;
    }
    this.addUnitPath(unit, args[i]!.text);
    const why = this.untrustedScript(args[i]!);
    if (why) this.flag(unit, `${command} ${why}`);
    else this.addNote(unit, `runs the script ${args[i]!.text} (not analysed)`);
  }

  private awk(command: string, unit: ShellUnit, args: Word[], ctx: ExecCtx): void {
    let program: Word | undefined;
    let file = false;
    for (let i = 0; i < args.length; i++) {
      const w = args[i]!.text;
      if (w === '--') {
        program = args[i + 1];
        break;
      }
      if (w === '-f' || w === '--file' || w === '-E' || w === '--exec') {
        file = true;
        const f = args[++i];
        if (f) {
          const why = this.untrustedScript(f);
          if (why) this.flag(unit, `${command} ${why}`);
        }
        continue;
      }
      if (w === '-e' || w === '--source') {
        program = args[++i];
        continue;
      }
      if (['-v', '-F', '-i', '-l', '--assign', '--field-separator', '--include', '--load'].includes(w)) {
        i++;
        continue;
      }
      if (w.startsWith('-') && w.length > 1) continue;
      if (!file && !program) program = args[i];
      break;
    }
    if (!program) {
      if (!file) this.stdinCode(unit, ctx, 'code', command);
      return;
    }
    this.dropPath(unit, program.text);
    if (!program.literal) this.flag(unit, `${command} runs a program that is not literal`);
    else {
      const m = AWK_RISK.exec(program.text);
      if (m) this.flag(unit, `${command} program runs commands (${m[0].trim()})`);
      // `print > "/etc/x"`, `getline < "/etc/shadow"`: files the program writes or reads.
      for (const f of program.text.matchAll(/(>>?|<)\s*"((?:\\.|[^"\\])+)"/g)) {
        const p = f[2]!.replace(/\\(.)/g, '$1');
        if (f[1] === '<') this.addUnitPath(unit, p);
        else this.addLandingPath(unit, p);
      }
    }
  }

  private sed(unit: ShellUnit, args: Word[]): void {
    const scripts: Word[] = [];
    let fromFile = false;
    for (let i = 0; i < args.length; i++) {
      const w = args[i]!.text;
      if (w === '-e' || w === '--expression') {
        const s = args[++i];
        if (s) scripts.push(s);
      } else if (w.startsWith('--expression=')) scripts.push({ ...args[i]!, text: w.slice(13) });
      else if (w === '-f' || w === '--file') {
        fromFile = true;
        const f = args[++i];
        if (f && (STDIN_PATH.test(f.text) || !f.literal || f.procSub))
          this.flag(unit, `sed reads its script from ${f.literal ? f.text : 'a path that is not literal'}`);
      } else if (w === '-l' || w === '--line-length') i++;
      else if (w.startsWith('-') && w.length > 1) continue;
      else {
        if (scripts.length === 0 && !fromFile) scripts.push(args[i]!);
        break;
      }
    }
    for (const s of scripts) {
      this.dropPath(unit, s.text);
      if (!s.literal) this.flag(unit, 'sed runs a script that is not literal');
      else if (SED_RISK.test(s.text))
        this.flag(unit, 'sed script uses the e command or flag (runs shell commands)');
    }
  }

  private git(unit: ShellUnit, args: Word[]): void {
    const check = (kv: Word, where: string) => {
      const eq = kv.text.indexOf('=');
      const key = eq < 0 ? kv.text : kv.text.slice(0, eq);
      const value = eq < 0 ? undefined : kv.text.slice(eq + 1);
      this.gitKey(unit, key, value, kv.literal, where);
    };
    let i = 0;
    for (; i < args.length; i++) {
      const w = args[i]!.text;
      if (w === '-c') {
        const kv = args[++i];
        if (kv) check(kv, 'git -c');
      } else if (
        w.startsWith('--config-env') ||
        w.startsWith('--exec-path') ||
        w.startsWith('--upload-pack')
      ) {
        this.flag(unit, `git ${w.split('=')[0]} changes what git runs`);
        if (!w.includes('=')) i++;
      } else if (['-C', '--git-dir', '--work-tree', '--namespace'].includes(w)) i++;
      else if (!w.startsWith('-')) break;
    }
    this.gitSubcommand(unit, args[i]?.text, args.slice(i + 1));
    if (args[i]?.text !== 'config') return;
    const operands: Word[] = [];
    for (let j = i + 1; j < args.length; j++) {
      const w = args[j]!.text;
      if (w === '-f' || w === '--file' || w === '--blob' || w === '--type') j++;
      else if (!w.startsWith('-')) operands.push(args[j]!);
    }
    const [key, value] = operands;
    if (key && value) this.gitKey(unit, key.text, value.text, value.literal, 'git config');
  }

  /** git subcommands that run a command line given to them (`rebase -x`, `submodule foreach` …). */
  private gitSubcommand(unit: ShellUnit, sub: string | undefined, rest: Word[]): void {
    if (sub === undefined) return;
    const run = (w: Word, label: string) => {
      if (w.literal) this.reparse(w.text, { shared: false, label });
      else this.flag(unit, `${label} runs a command that is not literal`);
    };
    const joined = (words: Word[], label: string) => {
      if (words.length === 0) return;
      if (words.every((w) => w.literal))
        this.reparse(words.map((w) => w.text).join(' '), { shared: false, label });
      else this.flag(unit, `${label} runs a command that is not literal`);
    };
    if (sub === 'submodule') {
      const k = rest.findIndex((w) => w.text === 'foreach');
      if (k < 0) return;
      let j = k + 1;
      while (rest[j]?.text.startsWith('-')) j++;
      joined(rest.slice(j), 'git submodule foreach');
      return;
    }
    if (sub === 'bisect') {
      // `git bisect run CMD ARGS…` runs the words as they are (not through a shell).
      if (rest[0]?.text === 'run')
        joined(
          rest.slice(1).map((w) => ({ ...w, text: quote(w.text) })),
          'git bisect run',
        );
      return;
    }
    if (sub === 'grep') {
      // -O/--open-files-in-pager take their value only when attached.
      for (const w of rest) {
        const m = /^(?:-O|--open-files-in-pager=)(.+)$/s.exec(w.text);
        if (m) run({ ...w, text: m[1]! }, 'git grep -O');
      }
      return;
    }
    const names = Object.hasOwn(GIT_SUBCOMMAND_COMMANDS, sub) ? GIT_SUBCOMMAND_COMMANDS[sub] : undefined;
    if (!names) return;
    for (const { name, value } of optionValues(rest, names)) run(value, `git ${sub} ${name}`);
  }

  private gitKey(
    unit: ShellUnit,
    key: string,
    value: string | undefined,
    literal: boolean,
    where: string,
  ): void {
    if (value === undefined || !GIT_EXEC_KEYS.test(key)) return;
    if (/^alias\./i.test(key) && !value.startsWith('!')) return; // a git-subcommand alias runs no shell
    this.flag(unit, `${where} ${key} makes git run a command`);
    if (!literal) return;
    if (/^alias\./i.test(key)) this.reparse(value.slice(1), { shared: false, label: `${where} ${key}` });
    else if (GIT_COMMAND_KEYS.test(key)) this.reparse(value, { shared: false, label: `${where} ${key}` });
  }

  private find(unit: ShellUnit, args: Word[], ctx: ExecCtx): void {
    const starts: string[] = [];
    let i = 0;
    for (; i < args.length; i++) {
      const w = args[i]!.text;
      if (w === '-H' || w === '-L' || w === '-P' || /^-O\d$/.test(w)) continue;
      if (w === '-D') {
        i++;
        continue;
      }
      if (w.startsWith('-') || w === '(' || w === '!' || w === ')') break;
      starts.push(w);
    }
    if (starts.length === 0) starts.push('.');
    for (const p of starts) this.addUnitPath(unit, p);
    for (; i < args.length; i++) {
      const w = args[i]!.text;
      if (w === '-exec' || w === '-execdir' || w === '-ok' || w === '-okdir') {
        const inner: Word[] = [];
        for (i++; i < args.length && args[i]!.text !== ';' && args[i]!.text !== '+'; i++)
          inner.push(args[i]!);
        this.exec(inner, {
          stdin: ctx.stdin,
          redirPaths: [],
          notes: [`run by find ${w}`],
          dynamic: [],
          placeholder: '{}',
        });
      } else if (w === '-delete') {
        this.unit(
          'rm',
          ['-r', '-f', ...starts].map(literalWord),
          [],
          [],
          ['synthetic: find -delete removes what it matches under its starting points, like rm -r -f'],
        );
      } else if (w === '-fprint' || w === '-fprint0' || w === '-fls' || w === '-fprintf') {
        const f = args[i + 1]?.text;
        if (f) {
          if (!unit.paths.includes(f)) unit.paths.push(f);
          this.s.written.add(normalisePath(f));
        }
      }
    }
  }

  /** Remembers what curl/wget save, so a later `bash file` / `source file` counts as downloaded. */
  private download(command: string, unit: ShellUnit, texts: string[]): void {
    const outLetter = command === 'curl' ? 'o' : 'O';
    const dirLetter = command === 'curl' ? '' : 'P';
    // Short options that take a value, so a cluster like `-sSLo FILE` or `-qO FILE` ends at it.
    const valued = command === 'curl' ? 'oAbcdDeEFHKmrTuUwxXYyzC' : 'OPaAbBDeiIlNoQRtTUwY';
    const saved: string[] = [];
    let dir: string | undefined;
    const urls: string[] = [];
    for (let i = 0; i < texts.length; i++) {
      const t = texts[i]!;
      if (t === '--output' || t === '--output-document') saved.push(texts[++i] ?? '');
      else if (t.startsWith('--output=') || t.startsWith('--output-document='))
        saved.push(t.slice(t.indexOf('=') + 1));
      else if (t === '--output-dir' || t === '--directory-prefix') dir = texts[++i];
      else if (t.startsWith('--output-dir=') || t.startsWith('--directory-prefix='))
        dir = t.slice(t.indexOf('=') + 1);
      else if (/^-[A-Za-z0-9]/.test(t)) {
        for (let j = 1; j < t.length; j++) {
          const c = t[j]!;
          if (!valued.includes(c)) continue;
          const value = j + 1 < t.length ? t.slice(j + 1) : texts[++i];
          if (c === outLetter && value !== undefined) saved.push(value);
          else if (c === dirLetter && dirLetter !== '' && value !== undefined) dir = value;
          break;
        }
      } else if (/^[a-z]+:\/\//i.test(t)) urls.push(t);
    }
    // curl -O / wget without -O save under the URL's last segment.
    for (const u of urls) {
      const file = basename(u.replace(/[?#].*$/, ''));
      if (file && !file.includes(':')) saved.push(file);
    }
    for (const f of saved) {
      if (f === '' || f === '-') continue;
      const p = dir !== undefined && !f.startsWith('/') ? `${dir.replace(/\/+$/, '')}/${f}` : f;
      this.s.written.add(normalisePath(p));
      if (!unit.paths.includes(p)) unit.paths.push(p);
    }
  }

  /** Options of ordinary commands whose value is a command line (tar --to-command, ssh -o ProxyCommand). */
  private commandOptions(command: string, unit: ShellUnit, args: Word[]): void {
    const table = COMMAND_OPTIONS[command];
    if (!table) return;
    for (const { name: opt, value } of optionValues(args, table)) {
      let text = value.text;
      // `-o Key=value`: only some ssh options are command lines (scp/sftp pass -o to ssh).
      if (opt === '-o') {
        const m = /^(ProxyCommand|LocalCommand|KnownHostsCommand|RemoteCommand)\s*[= ]\s*(.*)$/is.exec(text);
        if (!m) continue;
        text = m[2]!;
      }
      if (opt === '--checkpoint-action') {
        if (!text.startsWith('exec=')) continue;
        text = text.slice(5);
      }
      if (!value.literal) {
        this.flag(unit, `${command} ${opt} runs a command that is not literal`);
        continue;
      }
      this.addNote(unit, `${command} ${opt} runs a command`);
      this.reparse(text.replace(/%[a-zA-Z%]/g, 'X'), { shared: false, label: `${command} ${opt}` });
    }
  }

  /** Parses a string as shell code one level deeper (bash -c, eval, ssh, alias bodies …). */
  private reparse(
    text: string,
    o: { shared: boolean; label: string; placeholder?: string; stdin?: Stdin },
  ): void {
    if (this.nesting + 1 > this.s.limits.maxNesting) {
      this.unit(
        '',
        [],
        [],
        [`${o.label}: code nested more than ${this.s.limits.maxNesting} levels deep`],
        [],
      );
      return;
    }
    const scope: Scope = o.shared
      ? this.scope
      : { vars: new Map(), functions: new Set(), aliases: new Set() };
    const child = new Walk(this.s, scope, this.nesting + 1, [...this.origin, `from ${o.label}`]);
    child.run(text, `in ${o.label}: `, o.stdin);
  }
}

/** Text with an array subscript holding `$(…)` or backticks (run when bash evaluates it as arithmetic). */
const SUBSCRIPT_COMMAND = /\[[^\]]*(\$\(|`)/;

/** git subcommand options whose value is a command line git runs. */
const GIT_SUBCOMMAND_COMMANDS: Record<string, string[]> = {
  rebase: ['-x', '--exec'],
  'filter-branch': [
    '--env-filter',
    '--tree-filter',
    '--index-filter',
    '--parent-filter',
    '--msg-filter',
    '--commit-filter',
    '--tag-name-filter',
    '--setup',
  ],
  difftool: ['-x', '--extcmd'],
  fetch: ['--upload-pack'],
  pull: ['--upload-pack'],
  clone: ['-u', '--upload-pack'],
  'ls-remote': ['--upload-pack'],
  push: ['--receive-pack', '--exec'],
  archive: ['--exec'],
  'send-email': ['--to-cmd', '--cc-cmd', '--header-cmd', '--sendmail-cmd'],
};

/** rsync options whose value is the next word (so it is not taken for a source or destination). */
const RSYNC_VALUES = new Set([
  '-e',
  '--rsh',
  '--rsync-path',
  '-f',
  '--filter',
  '--exclude',
  '--include',
  '--files-from',
  '--exclude-from',
  '--include-from',
  '-T',
  '--temp-dir',
  '-B',
  '--block-size',
  '--chmod',
  '--password-file',
  '--log-file',
  '--backup-dir',
  '--suffix',
  '--port',
  '--compare-dest',
  '--copy-dest',
  '--link-dest',
  '--partial-dir',
  '--max-size',
  '--min-size',
  '--bwlimit',
  '--timeout',
]);

/** cp/mv/install/ln options whose value is the next word. */
const LANDING_VALUES: Record<string, Set<string>> = {
  cp: new Set(['-S', '--suffix', '-t', '--target-directory']),
  mv: new Set(['-S', '--suffix', '-t', '--target-directory']),
  ln: new Set(['-S', '--suffix', '-t', '--target-directory']),
  install: new Set([
    '-m',
    '--mode',
    '-o',
    '--owner',
    '-g',
    '--group',
    '-S',
    '--suffix',
    '-t',
    '--target-directory',
    '-Z',
    '--context',
  ]),
};

/** The operands of a command line: words that are not options or option values, all words after `--`. */
function operands(texts: string[], values: Set<string>): string[] {
  const out: string[] = [];
  let opts = true;
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i]!;
    if (opts && t === '--') {
      opts = false;
      continue;
    }
    if (opts && t.startsWith('-') && t.length > 1) {
      if (values.has(t)) i++;
      continue;
    }
    out.push(t);
  }
  return out;
}

/** Options whose value is a command line (analysed as shell code; dynamic when not literal). */
export const COMMAND_OPTIONS: Record<string, string[]> = {
  tar: [
    '--to-command',
    '--use-compress-program',
    '-I',
    '--checkpoint-action',
    '--info-script',
    '--new-volume-script',
    '--rsh-command',
  ],
  rsync: ['-e', '--rsh', '--rsync-path'],
  ssh: ['-o'],
  scp: ['-o', '-S'],
  sftp: ['-o', '-S'],
  zip: ['-TT', '--unzip-command'],
  man: ['-P', '--pager', '-H', '--html'],
  less: ['--lesskey-src'],
  nodemon: ['--exec', '-x'],
  vagrant: ['-c', '--command'],
  gcloud: ['--command'],
  nc: ['-c', '-e'],
  ncat: ['-c', '-e', '--exec', '--sh-exec'],
  netcat: ['-c', '-e'],
  'nc.traditional': ['-c', '-e'],
  hyperfine: ['-p', '--prepare', '-c', '--cleanup', '-s', '--setup', '--conclude'],
};

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function shortOptions(texts: string[]): Set<string> {
  const out = new Set<string>();
  for (const t of texts) {
    if (t === '--') break;
    if (/^-[A-Za-z]+$/.test(t)) for (const c of t.slice(1)) out.add(`-${c}`);
  }
  return out;
}

function quote(s: string): string {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function truncate(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}

function describeError(root: SyntaxNode): string {
  let found: SyntaxNode | undefined;
  const stack: SyntaxNode[] = [root];
  while (stack.length > 0 && !found) {
    const n = stack.pop()!;
    if (n.isError || n.isMissing) {
      found = n;
      break;
    }
    if (!n.hasError) continue;
    for (let i = n.childCount - 1; i >= 0; i--) stack.push(n.child(i)!);
  }
  if (!found) return 'syntax error';
  const at = `line ${found.startPosition.row + 1}, column ${found.startPosition.column + 1}`;
  if (found.isMissing) return `syntax error at ${at}: missing "${found.type}"`;
  const text = restore(found.text);
  if (/^\$?['"`]|[^\\]['"`]/.test(text) && /['"`]/.test(text))
    return `syntax error at ${at}: unterminated quote or substitution near ${JSON.stringify(truncate(text))}`;
  return `syntax error at ${at} near ${JSON.stringify(truncate(text))}`;
}
