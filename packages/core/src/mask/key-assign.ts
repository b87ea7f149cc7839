// Credentials the `api_key` detector finds by a name before them: `api_key=…` / `token: …`
// assignments (the value masked, the name kept), `Bearer …` and `Basic …`, and Authorization headers
// of any scheme. The value is read by code, not by a pattern: a quoted value is taken whole up to its
// closing quote (a Django SECRET_KEY holds `#`, `!`, `$`: a token-character run would stop at the first
// of them and show the rest), an unquoted one is a run of token characters; either up to 4096
// characters (STS session tokens are ~1 KB). The same reader tells a stream when a value is still
// open at the end of what has arrived (holdKeyAssign), so a split value is masked whole.
import { entropy } from './checksums.js';
import type { Match } from './detectors.js';

export const API_VALUE_MIN = 16;
export const API_VALUE_MAX = 4096;
/** The shortest Basic credentials: base64 of `a:bcde`. */
const BASIC_MIN = 8;
const BLANKS = 8;
/** From a name's start to the end of its value, at most (`proxy-authorization` + separators + a scheme). */
export const ASSIGN_SPAN = 19 + 1 + BLANKS + 1 + BLANKS + 1 + 32 + BLANKS + API_VALUE_MAX + 2;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isLower = (c: number): boolean => c >= 97 && c <= 122;
const isAlnum = (c: number): boolean => isDigit(c) || isUpper(c) || isLower(c);
/** `[A-Za-z0-9_./+=-]`: what an unquoted value is made of. */
const isToken = (c: number): boolean =>
  isAlnum(c) || c === 95 || c === 46 || c === 47 || c === 43 || c === 61 || c === 45;

export function highEntropyToken(s: string, min: number): boolean {
  return /[0-9]/.test(s) && /[A-Za-z]/.test(s) && entropy(s) >= min;
}

/** An API value: 16–4096 printable ASCII non-blank characters (no backslash), letters and digits, entropy ≥ 3. */
export function apiValueOk(v: string): boolean {
  if (v.length < API_VALUE_MIN || v.length > API_VALUE_MAX) return false;
  const c0 = v.charCodeAt(0);
  if (c0 === 47 || c0 === 46) return false; // '/', '.': a path
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 33 || c > 126 || c === 92) return false;
  }
  return highEntropyToken(v, 3);
}

/** Basic credentials: base64 of printable text holding a ':' with something after it (`user:password`). */
export function basicOk(v: string): boolean {
  if (v.length < BASIC_MIN || v.length > API_VALUE_MAX || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) return false;
  const raw = Buffer.from(v, 'base64');
  let colon = -1;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c < 32 || c === 127) return false;
    if (c === 58 && colon < 0) colon = i;
  }
  return colon >= 0 && colon < raw.length - 1;
}

// ── reading a value ──
export const NONE = -1;
export const MATCH = 1;
/** The text ended while the value could still grow (a stream holds; value() reads the end as an end). */
export const OPEN = 2;
/** Set by readValue(): the value's bounds (inside the quotes when quoted). */
let vStart = 0;
let vEnd = 0;

// The last token run read, [runLo, runHi), in `runText`: `token=token=token=…` would otherwise read the
// same run again from every '=' (quadratic). Reset per text by resetRuns().
let runText: string | undefined;
let runLo = -1;
let runHi = -1;
/** A new text: forget the run (its indexes are of another text). */
export function resetRuns(text: string | undefined): void {
  runText = text;
  runLo = -1;
  runHi = -1;
}

/** The end of the run of token characters starting at `j`. */
function runEnd(text: string, j: number): number {
  if (text === runText && j >= runLo && j <= runHi) return runHi;
  const n = text.length;
  let i = j;
  while (i < n && isToken(text.charCodeAt(i))) i++;
  if (text === runText) {
    runLo = j;
    runHi = i;
  }
  return i;
}

/**
 * The value at `j`: a quoted value (when `quotes`) runs to the same quote over printable ASCII
 * without blanks or backslashes; without its closing quote (a blank, a control character, more than
 * the maximum) the token run after the quote is the value, as it is for an unquoted value. `eotEnds`:
 * the end of the text ends the value (value()); otherwise it leaves it OPEN (a stream).
 */
function readValue(text: string, j: number, eotEnds: boolean, quotes: boolean, min: number): number {
  const n = text.length;
  if (j >= n) return eotEnds ? NONE : OPEN;
  const q = text.charCodeAt(j);
  if (quotes && q === 92) {
    // `\"…\"`: a value quoted inside a JSON string (`{\"token\":\"…\"}`)
    if (j + 1 >= n) return eotEnds ? NONE : OPEN;
    if (text.charCodeAt(j + 1) !== 34) return NONE;
    let i = j + 2;
    for (; i < n && i - j - 2 <= API_VALUE_MAX; i++) {
      const c = text.charCodeAt(i);
      if (c < 33 || c > 126 || c === 34 || c === 92) break;
    }
    if (i >= n || (text.charCodeAt(i) === 92 && i + 1 >= n)) {
      if (!eotEnds) return OPEN;
    } else if (text.charCodeAt(i) === 92 && text.charCodeAt(i + 1) === 34 && i - j - 2 <= API_VALUE_MAX) {
      if (i - j - 2 < min) return NONE;
      vStart = j + 2;
      vEnd = i;
      return MATCH;
    }
    j += 2; // not closed: the run after it
  } else if (quotes && (q === 34 || q === 39)) {
    let i = j + 1;
    for (; i < n && i - j - 1 <= API_VALUE_MAX; i++) {
      const c = text.charCodeAt(i);
      if (c === q || c < 33 || c > 126 || c === 92) break;
    }
    if (i >= n) {
      if (!eotEnds) return OPEN;
    } else if (text.charCodeAt(i) === q && i - j - 1 <= API_VALUE_MAX) {
      if (i - j - 1 < min) return NONE;
      vStart = j + 1;
      vEnd = i;
      return MATCH;
    }
    j++; // not closed: the run after the quote
  }
  const i = runEnd(text, j);
  if (i - j > API_VALUE_MAX) return NONE;
  if (i >= n && !eotEnds) return OPEN;
  if (i - j < min) return NONE;
  vStart = j;
  vEnd = i;
  return MATCH;
}

// ── key-name assignments ──
// `name: value` / `name=value`, found from the ':' or '=' (see findApiKey): the name, a closing quote,
// blanks, the separator and blanks. Every name ends in "key", "ken" or "ret", 5–17 characters long.
export const API_NAME_RE =
  /(?:api[_-]?key|access[_-]?(?:key|token)|auth[_-]?token|refresh[_-]?token|client[_-]?secret|secret[_-]?(?:access[_-]?)?key|shared[_-]?access[_-]?key|account[_-]?key|secret|token)(?:\\?["'])?[ \t]{0,8}[:=][ \t]{0,8}/iy;
/** The longest and shortest name API_NAME_RE takes. */
export const NAME_LONGEST = 17;
export const NAME_SHORTEST = 5;

/** A name may start at `i`: after a non-alphanumeric, or at a camelCase capital (`sessionToken`, `idToken`). */
export function nameBoundary(text: string, i: number): boolean {
  const c = i > 0 ? text.charCodeAt(i - 1) : -1;
  if (!isAlnum(c)) return true;
  return (isLower(c) || isDigit(c)) && isUpper(text.charCodeAt(i));
}

/** The state of a key-name assignment starting at `i` (its value in vStart/vEnd on MATCH). */
function keyAssignAt(text: string, i: number, eotEnds: boolean): number {
  if (!nameBoundary(text, i)) return NONE;
  API_NAME_RE.lastIndex = i;
  if (!API_NAME_RE.test(text)) return NONE;
  const st = readValue(text, API_NAME_RE.lastIndex, eotEnds, true, API_VALUE_MIN);
  if (st === MATCH && !apiValueOk(text.slice(vStart, vEnd))) return NONE;
  return st;
}

/** Tries a key-name assignment at each start in [lo, hi]: pushes the first accepted one, returns its end or -1. */
export function tryKeyAssign(text: string, lo: number, hi: number, out: Match[]): number {
  for (let i = lo; i <= hi; i++) {
    if (keyAssignAt(text, i, true) !== MATCH) continue;
    out.push({ detector: 'api_key', start: vStart, end: vEnd, from: i, priority: 4 });
    return vEnd;
  }
  return -1;
}

/** keyAssignAt() as the pattern it stands for (tests compare it with a scan): the value's bounds, or null. */
export function keyAssignValue(text: string, i: number): [number, number] | null {
  return keyAssignAt(text, i, true) === MATCH ? [vStart, vEnd] : null;
}

// ── Authorization: <scheme> <credentials> ──
// spaces only after the scheme: a tab there would let a match reach over COPY fields (fields.ts)
const AUTH_RE =
  /authorization(?:\\?["'])?[ \t]{0,8}[:=][ \t]{0,8}(?:\\?["'])?([A-Za-z][A-Za-z0-9_-]{0,31}) {1,8}/iy;
const AUTH_NAME = 'authorization';

/** The state of an Authorization header whose name (`authorization`) starts at `i`. */
function authAt(text: string, i: number, eotEnds: boolean): number {
  const c = i > 0 ? text.charCodeAt(i - 1) : -1;
  if (isAlnum(c)) return NONE;
  AUTH_RE.lastIndex = i;
  const m = AUTH_RE.exec(text);
  if (m === null) return NONE;
  const basic = m[1]!.toLowerCase() === 'basic';
  const st = readValue(text, AUTH_RE.lastIndex, eotEnds, false, basic ? BASIC_MIN : API_VALUE_MIN);
  if (st !== MATCH) return st;
  const v = text.slice(vStart, vEnd);
  return (basic ? basicOk(v) : apiValueOk(v)) ? MATCH : NONE;
}

/** An Authorization header whose name ends at `k` (before a quote, blanks and the separator): its credentials. */
export function tryAuthHeader(text: string, k: number, lo: number, out: Match[]): number {
  const i = k - AUTH_NAME.length;
  if (i < lo || text.slice(i, k).toLowerCase() !== AUTH_NAME) return -1;
  if (authAt(text, i, true) !== MATCH) return -1;
  out.push({ detector: 'api_key', start: vStart, end: vEnd, from: i, priority: 4 });
  return vEnd;
}

// ── `Bearer …` and `Basic …` anywhere ──
// (Basic: spaces only, see AUTH_RE; fields.ts knows a field ending in "bearer")
const SCHEME_RE = /(?:bearer|Bearer|BEARER)[ \t]{1,8}|(?:basic|Basic|BASIC) {1,8}/y;

/** The state of a `Bearer`/`Basic` word at `i` followed by credentials. */
function schemeAt(text: string, i: number, eotEnds: boolean): number {
  if (i > 0 && isAlnum(text.charCodeAt(i - 1))) return NONE;
  SCHEME_RE.lastIndex = i;
  if (!SCHEME_RE.test(text)) return NONE;
  const basic = (text.charCodeAt(i + 1) | 32) === 97;
  const st = readValue(text, SCHEME_RE.lastIndex, eotEnds, false, API_VALUE_MIN);
  if (st !== MATCH) return st;
  const v = text.slice(vStart, vEnd);
  // a Bearer value is any token; Basic is validated by decoding (it is an English word too)
  return (basic ? basicOk(v) : apiValueOk(v)) ? MATCH : NONE;
}

/** `Bearer VALUE` / `Basic VALUE` at each of the six spellings' occurrences at or after `from`. */
export function findSchemes(text: string, from: number, out: Match[]): void {
  for (const word of ['bearer', 'Bearer', 'BEARER', 'basic', 'Basic', 'BASIC']) {
    for (let i = text.indexOf(word, from); i >= 0; i = text.indexOf(word, i + 1)) {
      if (schemeAt(text, i, true) === MATCH)
        out.push({ detector: 'api_key', start: vStart, end: vEnd, from: i, priority: 4 });
    }
  }
}

// ── stream ──
/**
 * The earliest start of a key-name assignment, an Authorization header or a Bearer/Basic word whose
 * value is still open at the end of `text` (a quote not yet closed, a run reaching the end): the
 * stream holds from there. Nothing crosses a newline. (Names and words cut short at the end are held
 * by the class hold in detectors.ts.)
 */
export function holdKeyAssign(text: string, lo: number): number {
  resetRuns(text);
  const end = text.length;
  let i = Math.max(lo, end - ASSIGN_SPAN);
  const nl = text.lastIndexOf('\n', end - 1);
  if (nl >= i) i = nl + 1;
  let hold = end;
  for (let q = i; q < end; q++) {
    const c = text.charCodeAt(q);
    if ((c | 32) === 98) {
      // 'b': Bearer, Basic
      if (q < hold && schemeAt(text, q, false) === OPEN) hold = q;
      continue;
    }
    if (c !== 58 && c !== 61) continue;
    let k = q;
    while (k > i && q - k < BLANKS && (text.charCodeAt(k - 1) === 32 || text.charCodeAt(k - 1) === 9)) k--;
    if (k > i && (text.charCodeAt(k - 1) === 34 || text.charCodeAt(k - 1) === 39)) k--;
    if (k > i && text.charCodeAt(k - 1) === 92) k--; // \" (JSON in JSON)
    if (k - 3 < i) continue;
    const a = text.charCodeAt(k - 3) | 32;
    const b = text.charCodeAt(k - 2) | 32;
    const z = text.charCodeAt(k - 1) | 32;
    if (a === 105 && b === 111 && z === 110) {
      // …ion: authorization
      const s = k - AUTH_NAME.length;
      if (s >= i && s < hold && authAt(text, s, false) === OPEN) hold = s;
      continue;
    }
    if (b !== 101 || !((a === 107 && (z === 121 || z === 110)) || (a === 114 && z === 116))) continue;
    for (let s = Math.max(i, k - NAME_LONGEST); s <= k - NAME_SHORTEST && s < hold; s++) {
      if (keyAssignAt(text, s, false) === OPEN) {
        hold = s;
        break;
      }
    }
  }
  return hold;
}
