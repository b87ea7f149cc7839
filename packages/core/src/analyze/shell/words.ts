// Turns one tree-sitter word node into the fields bash would produce: quote removal, ANSI-C and
// locale strings, tilde and $HOME, default-$IFS splitting, brace expansion. Whatever cannot be
// known statically ($x, $(…), ${!x} …) stays as its source text and marks the field not literal.
import type { SyntaxNode } from './grammar.js';

/** Stands in for a `{` that opens a brace expansion at command position (see `markBraceWords`). */
export const BRACE_PLACEHOLDER = '\uE000';
const BO = '\uE001'; // unquoted `{`
const BC = '\uE002'; // unquoted `}`
const BM = '\uE003'; // unquoted `,`
const SP = '\uE004'; // field separator from unquoted $IFS / variable values
/** Characters the analyzer reserves for itself; input containing them is refused. */
export const RESERVED_CHARS = /[\uE000-\uE004]/;

/** More fields than this from one word is treated as unknowable (and bounds memory). */
export const MAX_BRACE_FIELDS = 1024;

export interface Word {
  /** The field after quote removal (unknown parts keep their source text, e.g. `$x`). */
  text: string;
  /** No unknown expansion or substitution went into it. */
  literal: boolean;
  /** A tracked variable's value went into it (`x=rm; $x`). */
  fromVar: boolean;
  /** Unquoted `*`, `?` or `[`: bash would glob it against the file system. */
  glob: boolean;
  /** It is, or contains, a process substitution `<(…)`/`>(…)`. */
  procSub: boolean;
  /** Source text of the unknown expansions in it, for notes. */
  unknown: string[];
  /** Word splitting by (default) $IFS or brace expansion produced it. */
  expanded: boolean;
  /**
   * The text starts with a directory the shell knows and we do not (`~bob` guessed as /home/bob,
   * `~-` with OLDPWD unknown): the part before the rest of the path, so a unit can add `/**` + rest.
   */
  guessedPrefix?: string;
}

export interface WordEnv {
  readonly home: string;
  /** The working directory (`~+`) and the previous one (`~-`); null when unknown. */
  readonly cwd: string | null;
  readonly oldpwd: string | null;
  /** `$1`, `$@` … when known (inside a call of a function defined in the input, after `set --`). */
  readonly positional: string[] | undefined;
  /** A tracked variable's literal value, or undefined when unknown. */
  lookup(name: string): string | undefined;
  /** The current $IFS: default ' \t\n', a tracked literal, or undefined once unknown. */
  readonly ifs: string | undefined;
  /** Analyse the commands inside `$(…)`, backticks or `<(…)`. */
  visitSubstitution(node: SyntaxNode): void;
  /** Analyse the commands in backticks that tree-sitter left inside a plain word (`${x:-`cmd`}`). */
  visitBackticks(text: string): void;
  note(text: string): void;
}

export function restore(s: string): string {
  return s.includes(BRACE_PLACEHOLDER) ? s.replaceAll(BRACE_PLACEHOLDER, '{') : s;
}

/**
 * tree-sitter-bash reads `{` at command position as the start of a group even when bash sees a
 * brace-expansion word (`{rm,ls} /`). Swapping such a `{` for a placeholder character (same
 * UTF-16 length, so positions stay valid) lets the grammar see a word.
 */
export function markBraceWords(text: string): string {
  if (!text.includes('{')) return text;
  return text.replace(/(^|[\s;&|(`]|\$\()\{(?=[^\s{}();&|<>]*,[^\s;&|<>]*\})/g, `$1${BRACE_PLACEHOLDER}`);
}

interface Acc {
  /** The previous node ended in a lone `$` (tree-sitter splits `a$X-b$Y/c` after it): see evalWords. */
  dangling?: boolean;
  buf: string;
  literal: boolean;
  fromVar: boolean;
  glob: boolean;
  procSub: boolean;
  quotedAny: boolean;
  unknown: string[];
  split: boolean;
  guessedPrefix?: string;
}

export function evalWord(node: SyntaxNode, env: WordEnv): Word[] {
  return evalWords([node], env);
}

/**
 * Evaluates nodes that touch (no blank between them) as one word. tree-sitter-bash splits
 * `rm$IFS-rf$IFS/` into `rm$IFS-rf$` and `IFS/`; joined again, the `$` expands the name that follows.
 */
const PLAIN_WORD = /^[A-Za-z0-9_./:@%+=-]*$/;

export function evalWords(nodes: SyntaxNode[], env: WordEnv, firstType?: string): Word[] {
  if (nodes.length === 1) {
    // Node getters cross into WASM; callers that already read the type pass it in.
    const t = firstType ?? nodes[0]!.type;
    if (t === 'word' || t === 'number' || t === 'command_name') {
      // Most words need no quote removal or expansion: skip the accumulator.
      const text = nodes[0]!.text;
      if (PLAIN_WORD.test(text))
        return [
          { text, literal: true, fromVar: false, glob: false, procSub: false, unknown: [], expanded: false },
        ];
    }
  }
  const acc: Acc = {
    buf: '',
    literal: true,
    fromVar: false,
    glob: false,
    procSub: false,
    quotedAny: false,
    unknown: [],
    split: false,
  };
  nodes.forEach((node, i) => {
    if (acc.dangling && node.type === 'word') {
      acc.dangling = false;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)([\s\S]*)$/.exec(node.text);
      if (m) {
        expandVariable(m[1]!, `$${m[1]}`, env, acc, false);
        unquoted(m[2]!, acc, false, env);
        return;
      }
      acc.buf += '$';
    }
    piece(node, env, acc, false, i === 0);
  });
  if (acc.dangling) acc.buf += '$';
  return fields(acc);
}

/** Does this node end in a lone `$` that tree-sitter cut off from the name after it? */
export function endsWithDanglingDollar(node: SyntaxNode): boolean {
  if (!node.text.endsWith('$')) return false;
  if (node.type === 'command_name') {
    const inner = node.namedChild(node.namedChildCount - 1);
    return inner !== null && endsWithDanglingDollar(inner);
  }
  if (node.type !== 'concatenation') return false;
  const last = node.child(node.childCount - 1);
  return last !== null && !last.isNamed && last.type === '$';
}

/** Evaluates a word as bash does on the right of an assignment: no splitting, no brace expansion. */
export function evalAssignmentValue(node: SyntaxNode, env: WordEnv): Word {
  const words = evalWord(node, env);
  const text = words.map((w) => w.text).join(' ');
  const first = words[0];
  return {
    text,
    literal: words.every((w) => w.literal),
    fromVar: words.some((w) => w.fromVar),
    glob: false,
    procSub: words.some((w) => w.procSub),
    unknown: words.flatMap((w) => w.unknown),
    expanded: first?.expanded ?? false,
  };
}

function piece(node: SyntaxNode, env: WordEnv, acc: Acc, quoted: boolean, first: boolean): void {
  switch (node.type) {
    case 'word':
    case 'number':
    case 'file_descriptor':
    case 'variable_name':
    case 'heredoc_start':
      if (quoted) acc.buf += restore(node.text);
      else unquoted(node.text, acc, first, env);
      return;
    case 'raw_string':
      acc.quotedAny = true;
      acc.buf += restore(node.text.slice(1, -1));
      return;
    case 'ansi_c_string':
      acc.quotedAny = true;
      acc.buf += decodeAnsiC(restore(node.text.slice(2, -1)));
      return;
    case 'string_content':
      acc.buf += decodeDoubleQuoted(restore(node.text));
      return;
    case 'string': {
      acc.quotedAny = true;
      for (const c of node.children) {
        if (c.isNamed) piece(c, env, acc, true, false);
        else if (c.type !== '"') acc.buf += c.type; // a lone `$` inside quotes is literal
      }
      return;
    }
    case 'translated_string': {
      const s = node.namedChildren[0];
      if (s) piece(s, env, acc, true, false);
      return;
    }
    case 'command_name':
    case 'concatenation': {
      const kids = node.children;
      const n = kids.length;
      for (let i = 0; i < n; i++) {
        const c = kids[i]!;
        if (!c.isNamed && c.type === '$') {
          if (i === n - 1) acc.dangling = true;
          else acc.buf += '$';
          continue;
        }
        piece(c, env, acc, quoted, first && i === 0);
      }
      return;
    }
    case 'simple_expansion':
    case 'expansion':
      variable(node, env, acc, quoted);
      return;
    case 'command_substitution':
    case 'process_substitution':
      env.visitSubstitution(node);
      if (node.type === 'process_substitution') acc.procSub = true;
      unknownPiece(node, acc);
      return;
    case 'brace_expression':
      if (quoted) acc.buf += node.text;
      else unquoted(node.text, acc, false, env);
      return;
    default:
      // Arithmetic and anything else: look inside for substitutions, keep the text as unknown.
      visitNested(node, env);
      unknownPiece(node, acc);
  }
}

function unknownPiece(node: SyntaxNode, acc: Acc): void {
  unknownRaw(restore(node.text), acc);
}

function unknownRaw(raw: string, acc: Acc): void {
  acc.literal = false;
  acc.unknown.push(raw);
  acc.buf += raw;
}

/** Finds `$(…)`, backticks and `<(…)` anywhere below a node the word evaluator does not model. */
export function visitNested(node: SyntaxNode, env: WordEnv): void {
  if (node.namedChildCount === 0) {
    if (node.type === 'word' && node.text.includes('`')) env.visitBackticks(restore(node.text));
    return;
  }
  for (const c of node.namedChildren) {
    if (c.type === 'command_substitution' || c.type === 'process_substitution') env.visitSubstitution(c);
    else visitNested(c, env);
  }
}

function unquoted(text: string, acc: Acc, first: boolean, env: WordEnv): void {
  let out = '';
  let i = 0;
  if (first && text[0] === '~') {
    // Tilde prefix: up to the first `/`, only when it ends inside this unquoted piece.
    const slash = text.indexOf('/');
    const prefix = slash < 0 ? text.slice(1) : text.slice(1, slash);
    const dir = tildeDirectory(prefix, env);
    if (dir !== undefined) {
      out += dir.text;
      if (dir.guessed) acc.guessedPrefix = dir.text;
      i = 1 + prefix.length;
    }
  }
  for (; i < text.length; i++) {
    const ch = text[i]!;
    switch (ch) {
      case '\\':
        if (i + 1 < text.length) {
          const nx = text[++i]!;
          if (nx !== '\n') out += nx === BRACE_PLACEHOLDER ? '{' : nx;
        }
        break;
      case '{':
      case BRACE_PLACEHOLDER:
        out += BO;
        break;
      case '}':
        out += BC;
        break;
      case ',':
        out += BM;
        break;
      case '*':
      case '?':
      case '[':
        acc.glob = true;
        out += ch;
        break;
      default:
        out += ch;
    }
  }
  acc.buf += out;
}

/**
 * What `~prefix` expands to: `~` home, `~root`, `~+` the working directory, `~-` the previous one.
 * Another user's home is guessed as /home/<user> (`guessed`: it may be /var/lib/x, or `/`); `~+`/`~-`
 * with the directory unknown stay as written (also `guessed`). Undefined: not a tilde prefix.
 */
function tildeDirectory(prefix: string, env: WordEnv): { text: string; guessed: boolean } | undefined {
  if (prefix === '') return { text: env.home, guessed: false };
  if (prefix === '+' || prefix === '-') {
    const dir = prefix === '+' ? env.cwd : env.oldpwd;
    return dir === null ? { text: `~${prefix}`, guessed: true } : { text: dir, guessed: false };
  }
  if (!/^[A-Za-z0-9._-]+$/.test(prefix)) return undefined;
  if (prefix === 'root') return { text: '/root', guessed: false };
  const own = `/home/${prefix}`;
  return { text: own, guessed: own !== env.home };
}

function variable(node: SyntaxNode, env: WordEnv, acc: Acc, quoted: boolean): void {
  const raw = node.text;
  let name: string | undefined;
  if (node.type === 'simple_expansion') {
    const m = /^\$([A-Za-z_][A-Za-z0-9_]*|[0-9@*#])$/.exec(raw);
    name = m?.[1];
  } else {
    const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#])\}$/.exec(raw);
    name = m?.[1];
    if (!name) {
      if (raw.startsWith('${!')) env.note(`variable indirection ${raw}`);
      visitNested(node, env);
    }
  }
  expandVariable(name, raw, env, acc, quoted);
}

function expandVariable(
  name: string | undefined,
  raw: string,
  env: WordEnv,
  acc: Acc,
  quoted: boolean,
): void {
  const ifs = env.ifs;
  if (name !== undefined && /^([0-9]+|[@*#])$/.test(name)) {
    positionalParameter(name, raw, env, acc, quoted);
    return;
  }
  if (name === 'IFS' && ifs !== undefined) {
    if (quoted) acc.buf += ifs;
    else {
      acc.buf += SP;
      acc.split = true;
      env.note('$IFS used as a word separator');
    }
    return;
  }
  if (name === 'HOME') {
    acc.buf += env.home;
    return;
  }
  const value = name === undefined ? undefined : env.lookup(name);
  if (value === undefined) {
    unknownRaw(raw, acc);
    return;
  }
  acc.fromVar = true;
  if (quoted) {
    acc.buf += value;
    return;
  }
  if (ifs === undefined) {
    // Split by an $IFS we cannot know: the fields are unknown.
    unknownRaw(raw, acc);
    return;
  }
  // Unquoted: split on $IFS (empty fields dropped); the value is not brace-expanded but is globbed.
  if (/[*?[]/.test(value)) acc.glob = true;
  let out = '';
  for (const ch of value) {
    if (ifs.includes(ch)) {
      out += SP;
      acc.split = true;
    } else out += ch;
  }
  acc.buf += out;
}

/** `$1`, `$#`, `$@`, `"$@"`, `$*` from known positional parameters; unknown otherwise. */
function positionalParameter(name: string, raw: string, env: WordEnv, acc: Acc, quoted: boolean): void {
  const params = env.positional;
  if (params === undefined || name === '0') {
    unknownRaw(raw, acc);
    return;
  }
  acc.fromVar = true;
  if (name === '#') {
    acc.buf += String(params.length);
    return;
  }
  const one = (value: string) => {
    if (quoted) acc.buf += value;
    else expandLiteral(value, env, acc);
  };
  if (/^[0-9]+$/.test(name)) {
    one(params[Number(name) - 1] ?? '');
    return;
  }
  // "$@" is one field per parameter even quoted; "$*" joins them with a space.
  if (name === '*' && quoted) {
    acc.buf += params.join(' ');
    return;
  }
  params.forEach((p, i) => {
    if (i > 0) {
      acc.buf += SP;
      acc.split = true;
    }
    one(p);
  });
}

/** An unquoted value: split on $IFS and globbed, not brace-expanded. */
function expandLiteral(value: string, env: WordEnv, acc: Acc): void {
  const ifs = env.ifs;
  if (ifs === undefined) {
    unknownRaw(value, acc);
    return;
  }
  if (/[*?[]/.test(value)) acc.glob = true;
  for (const ch of value) {
    if (ifs.includes(ch)) {
      acc.buf += SP;
      acc.split = true;
    } else acc.buf += ch;
  }
}

function fields(acc: Acc): Word[] {
  const base: Omit<Word, 'text'> = {
    literal: acc.literal,
    fromVar: acc.fromVar,
    glob: acc.glob,
    procSub: acc.procSub,
    unknown: acc.unknown,
    expanded: false,
  };
  const guessedPrefix = acc.guessedPrefix;
  let texts: string[] = [acc.buf];
  let expanded = false;
  if (acc.buf.includes(BO)) {
    const b = braceExpand(acc.buf);
    if (b.length > 1) expanded = true;
    texts = b;
  }
  if (acc.split) {
    const out: string[] = [];
    for (const t of texts) for (const f of t.split(SP)) if (f !== '') out.push(f);
    if (out.length !== texts.length) expanded = true;
    texts = out;
    if (texts.length === 0 && acc.quotedAny) texts = [''];
  }
  return texts.map(
    (t): Word => ({
      text: unsentinel(t),
      literal: base.literal,
      fromVar: base.fromVar,
      glob: base.glob,
      procSub: base.procSub,
      unknown: base.unknown,
      expanded,
      ...(guessedPrefix !== undefined && t.startsWith(guessedPrefix) ? { guessedPrefix } : {}),
    }),
  );
}

function unsentinel(s: string): string {
  if (!/[\uE001-\uE004]/.test(s)) return s;
  return s.replace(/[\uE001-\uE004]/g, (c) => (c === BO ? '{' : c === BC ? '}' : c === BM ? ',' : ' '));
}

/** Bash brace expansion over sentinel-marked text (quoted braces were never marked). */
export function braceExpand(s: string): string[] {
  const out: string[] = [];
  expandInto(s, out);
  return out.length > MAX_BRACE_FIELDS ? [s] : out;
}

function expandInto(s: string, out: string[]): void {
  if (out.length > MAX_BRACE_FIELDS) return;
  let from = 0;
  for (;;) {
    const open = s.indexOf(BO, from);
    if (open < 0) {
      out.push(s);
      return;
    }
    // Find the matching close and top-level commas.
    let depth = 0;
    let close = -1;
    const commas: number[] = [];
    for (let i = open; i < s.length; i++) {
      const c = s[i];
      if (c === BO) depth++;
      else if (c === BC) {
        depth--;
        if (depth === 0) {
          close = i;
          break;
        }
      } else if (c === BM && depth === 1) commas.push(i);
    }
    if (close < 0) {
      out.push(s);
      return;
    }
    const pre = s.slice(0, open);
    const post = s.slice(close + 1);
    if (commas.length > 0) {
      let start = open + 1;
      for (const c of [...commas, close]) {
        expandInto(pre + s.slice(start, c) + post, out);
        if (out.length > MAX_BRACE_FIELDS) return;
        start = c + 1;
      }
      return;
    }
    const seq = sequence(s.slice(open + 1, close));
    if (seq) {
      for (const item of seq) {
        expandInto(pre + item + post, out);
        if (out.length > MAX_BRACE_FIELDS) return;
      }
      return;
    }
    from = open + 1; // `{x}` with no comma is literal; look for a later brace
  }
}

function sequence(body: string): string[] | undefined {
  const num = /^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$/.exec(body);
  if (num) {
    const a = Number(num[1]);
    const b = Number(num[2]);
    const step = Math.abs(Number(num[3] ?? 1)) || 1;
    if (Math.abs(b - a) / step > MAX_BRACE_FIELDS) return undefined;
    const out: string[] = [];
    for (let v = a; a <= b ? v <= b : v >= b; v += a <= b ? step : -step) out.push(String(v));
    return out;
  }
  const chr = /^([A-Za-z])\.\.([A-Za-z])$/.exec(body);
  if (chr) {
    const a = chr[1]!.charCodeAt(0);
    const b = chr[2]!.charCodeAt(0);
    const out: string[] = [];
    for (let v = a; a <= b ? v <= b : v >= b; v += a <= b ? 1 : -1) out.push(String.fromCharCode(v));
    return out;
  }
  return undefined;
}

function decodeDoubleQuoted(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\([$`"\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c));
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** Decodes the body of a `$'…'` string as bash does. */
export function decodeAnsiC(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch !== '\\' || i + 1 >= s.length) {
      out += ch;
      continue;
    }
    const nx = s[++i]!;
    const simple = SIMPLE_ESCAPES[nx];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    let m: RegExpExecArray | null;
    const rest = s.slice(i);
    if ((m = /^[0-7]{1,3}/.exec(rest))) {
      out += String.fromCharCode(Number.parseInt(m[0], 8) & 0xff);
      i += m[0].length - 1;
    } else if ((m = /^x([0-9A-Fa-f]{1,2})/.exec(rest))) {
      out += String.fromCharCode(Number.parseInt(m[1]!, 16));
      i += m[0].length - 1;
    } else if ((m = /^u([0-9A-Fa-f]{1,4})/.exec(rest)) || (m = /^U([0-9A-Fa-f]{1,8})/.exec(rest))) {
      const cp = Number.parseInt(m[1]!, 16);
      out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
      i += m[0].length - 1;
    } else if (nx === 'c' && i + 1 < s.length) {
      out += String.fromCharCode(s.charCodeAt(++i) & 0x1f);
    } else out += `\\${nx}`;
  }
  return out;
}
