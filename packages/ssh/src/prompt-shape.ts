// Is the text in front of the cursor the login shell's prompt, or something else (a heredoc's
// "> ", a REPL's ">>> ", a password prompt)? Compared by shape with the first prompt the shell
// printed: same beginning (digits ignored: clocks, counters) and same ending ("$ ", "# ", "% ").

const HEAD = 4;
const TAIL = 2;

const norm = (s: string) => s.replace(/[0-9]/g, '0');

export class PromptShape {
  constructor(private readonly learned: string) {}

  static usable(prompt: string): boolean {
    return prompt.trim().length >= 2;
  }

  /** True when `prompt` looks like the learned shell prompt. */
  matches(prompt: string): boolean {
    const a = norm(this.learned);
    const b = norm(prompt);
    if (b.length < TAIL) return false;
    const head = Math.min(HEAD, a.length - TAIL);
    return (
      b.slice(0, head) === a.slice(0, head) && b.slice(-TAIL) === a.slice(-TAIL) && b.length >= head + TAIL
    );
  }

  /** The shortest prefix of `line` that looks like the shell prompt, if any. */
  prefixOf(line: string): string | undefined {
    const tail = norm(this.learned).slice(-TAIL);
    let at = norm(line).indexOf(tail);
    while (at >= 0) {
      const candidate = line.slice(0, at + TAIL);
      if (this.matches(candidate)) return candidate;
      at = norm(line).indexOf(tail, at + 1);
    }
    return undefined;
  }
}

/** readline's incremental search display: `(reverse-i-search)`rm': rm -rf x`. */
const ISEARCH = /^\((?:reverse|bck|fwd|failed reverse|failed bck|failed fwd|i)-?i?-search\)`[^']*': ?(.*)$/s;

export function isearchLine(line: string): string | undefined {
  const m = ISEARCH.exec(line);
  return m ? m[1] : undefined;
}

/**
 * bash history expansion: `!!`, `!-2`, `!rm`, `!?x?`, `^old^new` at the start. The shell swaps in
 * a line the gateway may never have seen (earlier sessions' history), so such a line is unknown.
 */
export function hasHistoryExpansion(line: string): boolean {
  if (/^\s*\^/.test(line)) return true;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (quote === "'") {
      if (c === "'") quote = undefined;
      continue;
    }
    if (c === "'" && !quote) {
      quote = c;
      continue;
    }
    if (c === '"') quote = quote === '"' ? undefined : '"';
    if (c === '!') {
      const n = line[i + 1];
      // bash leaves "!" alone before blanks, "=", "(" (extglob) and at the end.
      if (n !== undefined && !/[\s=(]/.test(n) && !(quote === '"' && n === '"')) return true;
    }
  }
  return false;
}

/**
 * What a no-echo line (password prompt, `stty -echo`) holds: the typed keys with simple edits applied.
 * Escape sequences (arrows, Home/End, meta keys) are left out: they move or edit, they insert nothing.
 */
export function typedText(keys: Buffer[]): string {
  const out: string[] = [];
  const text = Buffer.concat(keys).toString('utf8');
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\x1b') {
      const n = text[i + 1];
      if (n === '[') {
        i += 2;
        while (i < text.length && !/[@-~]/.test(text[i]!)) i++;
      } else if (n === 'O') i += 2;
      else i++;
      continue;
    }
    if (ch === '\x7f' || ch === '\b') out.pop();
    else if (ch === '\x15') out.length = 0;
    else if (ch === '\x17') {
      while (out.length && out[out.length - 1] === ' ') out.pop();
      while (out.length && out[out.length - 1] !== ' ') out.pop();
    } else if (ch >= ' ' || ch === '\t') out.push(ch);
  }
  return out.join('');
}

/** Keys that only insert text or erase it (BS, DEL, Ctrl-U, Ctrl-W): the line editor holds typedText(keys). */
export function plainKeys(keys: Buffer[]): boolean {
  for (const k of keys)
    for (const b of k) if (b < 0x20 && b !== 0x08 && b !== 0x15 && b !== 0x17) return false;
  return true;
}

export interface JudgedLine {
  text: string;
  context: 'prompt' | 'unknown';
}

/**
 * The line to judge: what the screen shows, unless the screen cannot be showing what the shell holds —
 * printable keys sent after the last output (echo off, or the output held back by a full window), or
 * only plain keys typed and the screen showing something else (a background job printing over a
 * line typed blind). Then the typed text is judged, as a line away from the prompt.
 */
export function lineToJudge(shown: JudgedLine, typed: Buffer[], unechoed: Buffer[]): JudgedLine {
  const t = typedText(typed).replace(/\s+$/, '');
  if (t.trim() === '') return shown;
  if (shown.text.trim() === '' || typedText(unechoed).trim() !== '') return { text: t, context: 'unknown' };
  if (plainKeys(typed) && shown.text.replace(/\s+$/, '') !== t) return { text: t, context: 'unknown' };
  return shown;
}
