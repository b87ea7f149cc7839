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

const isDigit = (c: number) => c >= C.D0 && c <= C.D9;
const isIdentStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === C.UNDERSCORE;
const isIdentChar = (c: number) => isIdentStart(c) || isDigit(c) || c === C.DOLLAR;

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

export const SHAPE_STRING = '\x01S';
export const SHAPE_INT = '\x01I';
export const SHAPE_NUMERIC = '\x01F';

/**
 * The shape of a statement text: the text with its plain literals replaced by placeholders
 * (the same string when there is none), or null when the text must be parsed as it is.
 */
export function sqlShape(text: string): string | null {
  const n = text.length;
  let out = '';
  let last = 0; // start of the text not yet copied into out
  let folded = false;
  // 1: the last token was the keyword FLOAT; 2: the last two were FLOAT and '('
  let afterFloat = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === C.SPACE || c === C.LF || c === C.TAB || c === C.CR) {
      i++;
    } else if (isIdentStart(c)) {
      const start = i;
      i++;
      while (i < n && isIdentChar(text.charCodeAt(i))) i++;
      afterFloat = i - start === 5 && isFloatKeyword(text, start) ? 1 : 0;
      if (i < n) {
        const next = text.charCodeAt(i);
        // E'…', B'…', X'…', N'…', date'…': a prefixed or typed string
        if (next === C.QUOTE) return null;
        // U&'…' and U&"…": unicode escapes
        if (next === C.AMP && i - start === 1 && (c === C.UPPER_U || c === C.LOWER_U)) return null;
        if (next >= 128) return null;
      }
    } else if (isDigit(c) || (c === C.DOT && i + 1 < n && isDigit(text.charCodeAt(i + 1)))) {
      const start = i;
      let integer = true;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      if (i < n && text.charCodeAt(i) === C.DOT) {
        if (i + 1 < n && text.charCodeAt(i + 1) === C.DOT) return null; // 1..2 (PL/pgSQL ranges)
        integer = false;
        i++;
        while (i < n && isDigit(text.charCodeAt(i))) i++;
      }
      if (i < n && (text.charCodeAt(i) === C.LOWER_E || text.charCodeAt(i) === C.UPPER_E)) {
        let j = i + 1;
        const sign = j < n ? text.charCodeAt(j) : 0;
        if (sign === C.PLUS || sign === C.MINUS) j++;
        if (j >= n || !isDigit(text.charCodeAt(j))) return null; // 1e, 1e+ : trailing junk
        while (j < n && isDigit(text.charCodeAt(j))) j++;
        integer = false;
        i = j;
      }
      if (i < n) {
        const next = text.charCodeAt(i);
        if (isIdentChar(next) || next === C.DOT || next === C.QUOTE || next >= 128) return null;
      }
      if (!(integer && afterFloat === 2)) {
        out += text.slice(last, start);
        out += integer && fitsInt32(text, start, i) ? SHAPE_INT : SHAPE_NUMERIC;
        last = i;
        folded = true;
      }
      afterFloat = 0;
    } else if (c === C.QUOTE) {
      const start = i;
      i++;
      for (;;) {
        if (i >= n) return null;
        const s = text.charCodeAt(i);
        if (s === C.QUOTE) {
          if (i + 1 < n && text.charCodeAt(i + 1) === C.QUOTE) {
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (s === C.BACKSLASH) return null;
        if (s < C.SPACE && s !== C.TAB && s !== C.LF && s !== C.CR) return null;
        i++;
      }
      out += text.slice(last, start);
      out += SHAPE_STRING;
      last = i;
      folded = true;
      afterFloat = 0;
    } else if (c === C.DQUOTE) {
      afterFloat = 0;
      if (i > 0 && text.charCodeAt(i - 1) === C.AMP) return null;
      i++;
      for (;;) {
        if (i >= n) return null;
        const s = text.charCodeAt(i);
        if (s === C.DQUOTE) {
          if (i + 1 < n && text.charCodeAt(i + 1) === C.DQUOTE) {
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (s < C.SPACE && s !== C.TAB && s !== C.LF && s !== C.CR) return null;
        i++;
      }
    } else if (c === C.MINUS && i + 1 < n && text.charCodeAt(i + 1) === C.MINUS) {
      i += 2;
      for (;;) {
        if (i >= n) break;
        const s = text.charCodeAt(i);
        if (s === C.LF || s === C.CR) break;
        if (s < C.SPACE && s !== C.TAB) return null;
        i++;
      }
    } else if (c === C.SLASH && i + 1 < n && text.charCodeAt(i + 1) === C.STAR) {
      // Postgres block comments nest
      let depth = 1;
      i += 2;
      while (depth > 0) {
        if (i >= n) return null;
        const s = text.charCodeAt(i);
        if (s === C.SLASH && i + 1 < n && text.charCodeAt(i + 1) === C.STAR) {
          depth++;
          i += 2;
        } else if (s === C.STAR && i + 1 < n && text.charCodeAt(i + 1) === C.SLASH) {
          depth--;
          i += 2;
        } else {
          if (s < C.SPACE && s !== C.TAB && s !== C.LF && s !== C.CR) return null;
          i++;
        }
      }
    } else if (c === C.DOLLAR) {
      // $1 is a parameter; anything else is a dollar quote
      afterFloat = 0;
      i++;
      if (i >= n || !isDigit(text.charCodeAt(i))) return null;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      if (i < n) {
        const next = text.charCodeAt(i);
        if (isIdentChar(next) || next === C.DOT || next === C.QUOTE || next >= 128) return null;
      }
    } else if (c < C.SPACE || c >= 127 || c === C.BACKSLASH) {
      return null;
    } else {
      afterFloat = afterFloat === 1 && c === C.LPAREN ? 2 : 0;
      i++; // operators and punctuation
    }
  }
  if (!folded) return text;
  return last < n ? out + text.slice(last) : out;
}
