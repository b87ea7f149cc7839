// The hot-path lexer: folds plain literals into placeholders so that statements differing only in
// their values share one cache entry. It returns null (no shape: parse the text itself) whenever it
// is not sure it tokenises exactly as the Postgres scanner does.
//
// What it folds, and into what:
//   '…' standard strings ('' escapes, any content but a backslash)      → \x01S  (Sconst)
//   integers that fit int32 (Postgres makes them ICONST)                → \x01I
//   other numerics: 1.5, .5, 1., 1e5, integers beyond int32 (FCONST)    → \x01F
// ICONST and FCONST are different grammar tokens (`float(53)` parses, `float(5.3)` does not), so they
// keep different placeholders. Everything else (keywords, identifiers, "quoted" identifiers, operators,
// $n parameters, comments, whitespace) is kept verbatim, so two texts share a shape only when they
// are the same token sequence with the same token classes.
//
// Where it gives up (returns null):
//   - dollar quotes ($$, $tag$): bodies of DO and functions;
//   - prefixed strings E'' B'' X'' N'' U&'' U&"" and typed literals written without a space (date'…');
//   - a backslash anywhere (with standard_conforming_strings=off the server would lex it differently);
//   - control characters other than tab/LF/CR, non-ASCII outside strings and quoted identifiers;
//   - unterminated strings, identifiers or comments; numbers with trailing junk (0x1F, 1_000, 1e, 1..2);
//   - `$` not followed by digits (a dollar quote) or a parameter followed by junk.
// One grammar rule reads an integer's value: `float(p)` refuses p outside 1..53, so the integer right
// after `float (` is kept verbatim.
// Folding the literals of a DO body written as a plain string ('…') does happen here: the analyzer
// marks every analysis that reads a literal value (DO/function bodies, set_config's name) and caches
// those by exact text only, so a shape never decides such a statement.

enum C {
  TAB = 9,
  LF = 10,
  CR = 13,
  SPACE = 32,
  DQUOTE = 34,
  DOLLAR = 36,
  AMP = 38,
  QUOTE = 39,
  STAR = 42,
  MINUS = 45,
  DOT = 46,
  SLASH = 47,
  D0 = 48,
  D9 = 57,
  UPPER_E = 69,
  UPPER_U = 85,
  BACKSLASH = 92,
  UNDERSCORE = 95,
  LOWER_E = 101,
  LOWER_U = 117,
  PLUS = 43,
  LPAREN = 40,
}

/** Integer digits that Postgres's scanner keeps as ICONST (fits a signed 32-bit int). */
function fitsInt32(text: string, start: number, end: number): boolean {
  while (start < end - 1 && text.charCodeAt(start) === C.D0) start++;
  const len = end - start;
  if (len < 10) return true;
  if (len > 10) return false;
  return text.slice(start, end) <= '2147483647';
}

const FLOAT = 'float';
function isFloatKeyword(text: string, start: number): boolean {
  for (let k = 0; k < 5; k++) if ((text.charCodeAt(start + k) | 32) !== FLOAT.charCodeAt(k)) return false;
  return true;
}

// In a shape string a folded literal is \x01 and its class letter; a text with a control character
// never gets a shape, so a shape string cannot be mistaken for a text.
const MARK = 1;
const CLASS_STRING = 83; // S
const CLASS_INT = 73; // I
const CLASS_NUMERIC = 70; // F

/** Where the literals of the last scanned text are, and the hash of its shape; reused between calls. */
export class ShapeScan {
  /** [start, end, class] per folded literal. */
  spans = new Int32Array(3 * 32);
  count = 0;
  hash = 0;

  add(start: number, end: number, cls: number): void {
    const at = this.count * 3;
    if (at + 3 > this.spans.length) {
      const bigger = new Int32Array(this.spans.length * 2);
      bigger.set(this.spans);
      this.spans = bigger;
    }
    this.spans[at] = start;
    this.spans[at + 1] = end;
    this.spans[at + 2] = cls;
    this.count++;
  }
}

/** The shape string of the last scanned text: the text with \x01+class for each literal (the text itself when none). */
export function shapeString(text: string, scan: ShapeScan): string {
  if (scan.count === 0) return text;
  let out = '';
  let t = 0;
  for (let k = 0; k < scan.count; k++) {
    out += text.slice(t, scan.spans[k * 3]);
    out += String.fromCharCode(MARK, scan.spans[k * 3 + 2]);
    t = scan.spans[k * 3 + 1];
  }
  return out + text.slice(t);
}

/** Whether the last scanned text has this shape, compared in place (nothing is built). */
export function hasShape(text: string, scan: ShapeScan, shape: string): boolean {
  let t = 0;
  let p = 0;
  const spans = scan.spans;
  for (let k = 0; k < scan.count; k++) {
    const start = spans[k * 3];
    const len = start - t;
    if (p + len + 2 > shape.length) return false;
    for (let j = 0; j < len; j++) if (text.charCodeAt(t + j) !== shape.charCodeAt(p + j)) return false;
    p += len;
    if (shape.charCodeAt(p) !== MARK || shape.charCodeAt(p + 1) !== spans[k * 3 + 2]) return false;
    p += 2;
    t = spans[k * 3 + 1];
  }
  const rest = text.length - t;
  if (shape.length - p !== rest) return false;
  for (let j = 0; j < rest; j++) if (text.charCodeAt(t + j) !== shape.charCodeAt(p + j)) return false;
  return true;
}

const scratch = new ShapeScan();

/**
 * The shape of a statement text: the text with its plain literals replaced by placeholders
 * (the same string when there is none), or null when the text must be parsed as it is.
 */
export function sqlShape(text: string): string | null {
  return scanShape(text, scratch) ? shapeString(text, scratch) : null;
}

// Character classes of ASCII (a non-ASCII character is 0: never part of a token the lexer folds).
const SPACE = 1;
const IDENT_START = 2;
const IDENT_CHAR = 4;
const DIGIT = 8;
// (One entry per UTF-16 code unit, so a lookup needs no range check.)
const CHAR_CLASS = new Uint8Array(65536);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === C.UNDERSCORE;
  const digit = c >= C.D0 && c <= C.D9;
  CHAR_CLASS[c] =
    (c === C.SPACE || c === C.TAB || c === C.LF || c === C.CR ? SPACE : 0) |
    (letter ? IDENT_START | IDENT_CHAR : 0) |
    (digit ? DIGIT | IDENT_CHAR : 0) |
    (c === C.DOLLAR ? IDENT_CHAR : 0);
}
const classOf = (c: number) => CHAR_CLASS[c];
// h·31 + c: the shape's hash only spreads shapes over the table (a hit is always verified in place).
function mix(h: number, c: number): number {
  return ((h << 5) - h + c) | 0;
}

/** Scans a text: true with its literals in `scan` (and the shape's hash), or false when it must be parsed as it is. */
export function scanShape(text: string, scan: ShapeScan): boolean {
  const n = text.length;
  scan.count = 0;
  // hash of the shape, computed as the text goes by: every character outside literals, and each literal's class
  let h = 17;
  // 1: the last token was the keyword FLOAT; 2: the last two were FLOAT and '('
  let afterFloat = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const k = classOf(c);
    if (k & SPACE) {
      h = mix(h, c);
      i++;
    } else if (k & IDENT_START) {
      const start = i;
      h = mix(h, c);
      i++;
      let next = 0;
      while (i < n) {
        next = text.charCodeAt(i);
        if (!(classOf(next) & IDENT_CHAR)) break;
        h = mix(h, next);
        i++;
      }
      afterFloat = i - start === 5 && isFloatKeyword(text, start) ? 1 : 0;
      if (i < n) {
        // E'…', B'…', X'…', N'…', date'…': a prefixed or typed string
        if (next === C.QUOTE) return false;
        // U&'…' and U&"…": unicode escapes
        if (next === C.AMP && i - start === 1 && (c === C.UPPER_U || c === C.LOWER_U)) return false;
        if (next >= 128) return false;
      }
    } else if (k & DIGIT || (c === C.DOT && i + 1 < n && classOf(text.charCodeAt(i + 1)) & DIGIT)) {
      const start = i;
      let integer = true;
      while (i < n && classOf(text.charCodeAt(i)) & DIGIT) i++;
      if (i < n && text.charCodeAt(i) === C.DOT) {
        if (i + 1 < n && text.charCodeAt(i + 1) === C.DOT) return false; // 1..2 (PL/pgSQL ranges)
        integer = false;
        i++;
        while (i < n && classOf(text.charCodeAt(i)) & DIGIT) i++;
      }
      if (i < n && (text.charCodeAt(i) === C.LOWER_E || text.charCodeAt(i) === C.UPPER_E)) {
        let j = i + 1;
        const sign = j < n ? text.charCodeAt(j) : 0;
        if (sign === C.PLUS || sign === C.MINUS) j++;
        if (j >= n || !(classOf(text.charCodeAt(j)) & DIGIT)) return false; // 1e, 1e+ : trailing junk
        while (j < n && classOf(text.charCodeAt(j)) & DIGIT) j++;
        integer = false;
        i = j;
      }
      if (i < n) {
        const next = text.charCodeAt(i);
        if (classOf(next) & IDENT_CHAR || next === C.DOT || next === C.QUOTE || next >= 128) return false;
      }
      if (integer && afterFloat === 2) {
        for (let j = start; j < i; j++) h = mix(h, text.charCodeAt(j));
      } else {
        const cls = integer && fitsInt32(text, start, i) ? CLASS_INT : CLASS_NUMERIC;
        scan.add(start, i, cls);
        h = mix(mix(h, MARK), cls);
      }
      afterFloat = 0;
    } else if (c === C.QUOTE) {
      const start = i;
      i++;
      for (;;) {
        if (i >= n) return false;
        const s = text.charCodeAt(i);
        if (s === C.QUOTE) {
          if (i + 1 < n && text.charCodeAt(i + 1) === C.QUOTE) {
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (s === C.BACKSLASH) return false;
        if (s < C.SPACE && s !== C.TAB && s !== C.LF && s !== C.CR) return false;
        i++;
      }
      scan.add(start, i, CLASS_STRING);
      h = mix(mix(h, MARK), CLASS_STRING);
      afterFloat = 0;
    } else if (c === C.DQUOTE) {
      afterFloat = 0;
      if (i > 0 && text.charCodeAt(i - 1) === C.AMP) return false;
      h = mix(h, c);
      i++;
      for (;;) {
        if (i >= n) return false;
        const s = text.charCodeAt(i);
        h = mix(h, s);
        if (s === C.DQUOTE) {
          if (i + 1 < n && text.charCodeAt(i + 1) === C.DQUOTE) {
            h = mix(h, s);
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (s < C.SPACE && s !== C.TAB && s !== C.LF && s !== C.CR) return false;
        i++;
      }
    } else if (c === C.MINUS && i + 1 < n && text.charCodeAt(i + 1) === C.MINUS) {
      const start = i;
      i += 2;
      while (i < n) {
        const s = text.charCodeAt(i);
        if (s === C.LF || s === C.CR) break;
        if (s < C.SPACE && s !== C.TAB) return false;
        i++;
      }
      for (let j = start; j < i; j++) h = mix(h, text.charCodeAt(j));
    } else if (c === C.SLASH && i + 1 < n && text.charCodeAt(i + 1) === C.STAR) {
      // Postgres block comments nest
      const start = i;
      let depth = 1;
      i += 2;
      while (depth > 0) {
        if (i >= n) return false;
        const s = text.charCodeAt(i);
        if (s === C.SLASH && i + 1 < n && text.charCodeAt(i + 1) === C.STAR) {
          depth++;
          i += 2;
        } else if (s === C.STAR && i + 1 < n && text.charCodeAt(i + 1) === C.SLASH) {
          depth--;
          i += 2;
        } else {
          if (s < C.SPACE && s !== C.TAB && s !== C.LF && s !== C.CR) return false;
          i++;
        }
      }
      for (let j = start; j < i; j++) h = mix(h, text.charCodeAt(j));
    } else if (c === C.DOLLAR) {
      // $1 is a parameter; anything else is a dollar quote
      afterFloat = 0;
      const start = i;
      i++;
      if (i >= n || !(classOf(text.charCodeAt(i)) & DIGIT)) return false;
      while (i < n && classOf(text.charCodeAt(i)) & DIGIT) i++;
      if (i < n) {
        const next = text.charCodeAt(i);
        if (classOf(next) & IDENT_CHAR || next === C.DOT || next === C.QUOTE || next >= 128) return false;
      }
      for (let j = start; j < i; j++) h = mix(h, text.charCodeAt(j));
    } else if (c < C.SPACE || c >= 127 || c === C.BACKSLASH) {
      return false;
    } else {
      afterFloat = afterFloat === 1 && c === C.LPAREN ? 2 : 0;
      h = mix(h, c);
      i++; // operators and punctuation
    }
  }
  scan.hash = h & 0x3fffffff;
  return true;
}
