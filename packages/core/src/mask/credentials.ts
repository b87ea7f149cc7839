// Credentials for the `api_key` detector beyond token formats: password assignments
// (`DB_PASSWORD=…`, `password: …`, `--password …`), passwords in URLs (`scheme://user:PW@host`), and
// JSON string values under a credential key (`"password": "…"`, `"client_secret": "…"`).
//
// Like every detector: ASCII only (a non-ASCII character ends an unquoted value and rejects a quoted
// one), look-ahead only over what a match can contain, look-behind only over a name (≤ 64
// characters) or a URL scheme (≤ 32), so value() and the stream (latin1 bytes, 256 characters of
// context) find the same matches. A match's `from` is the password word (or the ':' of "://"):
// the name before it and the scheme are read as context.
import type { Match } from './detectors.js';
import { apiValueOk, basicOk } from './key-assign.js';

/** Longest password value taken (characters); a longer run is not a password value. */
export const PW_VALUE_MAX = 128;
export const PW_VALUE_MIN = 6;
/** Blanks allowed on each side of the separator. */
const BLANKS = 8;
/** How much of a URL's authority is read, and the longest URL password. */
export const URL_AUTH_MAX = 400;
const URL_PW_MAX = 256;
const NAME_MAX = 64;
const SCHEME_MAX = 32;
/** From a password word to the end of its value, at most (the stream's hold reaches this far back). */
export const PW_SPAN = 10 + 1 + BLANKS + 2 + BLANKS + 1 + PW_VALUE_MAX + 1;
export const URL_SPAN = 5 + URL_AUTH_MAX;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLower = (c: number): boolean => c >= 97 && c <= 122;
const isAlnum = (c: number): boolean => isDigit(c) || isLower(c) || (c >= 65 && c <= 90);
const isNameChar = (c: number): boolean => isAlnum(c) || c === 95 || c === 45 || c === 46; // _ - .
const isBlank = (c: number): boolean => c === 32 || c === 9;
const isSchemeChar = (c: number): boolean => isAlnum(c) || c === 43 || c === 45 || c === 46; // + - .

// Password words, longest first (a name ends in one of them). `pass` and `pwd` need a separator or a
// camelCase capital before them (`db_pass`, `dbPass`, not `bypass`, `compass`).
const WORDS = ['passphrase', 'password', 'passwd', 'pass', 'pwd'] as const;

/** Length of the password word that ends at `k` (case-insensitive), with its prefix rule; 0: none. */
export function passwordWordBefore(text: string, k: number, lo: number): number {
  // the last three letters: ord, swd, pwd, ass, ase (most names end otherwise: one test)
  if (k < 3) return 0;
  const a = text.charCodeAt(k - 3) | 32;
  const b = text.charCodeAt(k - 2) | 32;
  const last = text.charCodeAt(k - 1) | 32;
  if (last === 100) {
    if (!((a === 111 && b === 114) || (b === 119 && (a === 115 || a === 112)))) return 0;
  } else if (last === 115 || last === 101) {
    if (a !== 97 || b !== 115) return 0;
  } else return 0;
  for (const w of WORDS) {
    const s = k - w.length;
    if (s < lo) continue;
    let i = 0;
    while (i < w.length && (text.charCodeAt(s + i) | 32) === w.charCodeAt(i)) i++;
    if (i < w.length) continue;
    if (w.length >= 6) return w.length; // password, passwd, passphrase: any prefix (PGPASSWORD, dbPassword)
    const c = s > 0 ? text.charCodeAt(s - 1) : -1;
    if (!isAlnum(c)) return w.length;
    if (text.charCodeAt(s) === 80 && (isLower(c) || isDigit(c))) return w.length; // dbPass, dbPwd
    return 0;
  }
  return 0;
}

/** Where the name that ends with the word at `w` starts (walking back over `[A-Za-z0-9_.-]`). */
function nameStart(text: string, w: number): number {
  let s = w;
  while (s > 0 && w - s < NAME_MAX && isNameChar(text.charCodeAt(s - 1))) s--;
  return s;
}

// ── the part after a name: separator, blanks, value ──
/** Set by parseAfterName(): the value's bounds (inside quotes when quoted). */
let vStart = 0;
let vEnd = 0;
const NONE = -1;
const MATCH = 1;
/** The text ended while a match was still possible (a stream must hold; value() at the end of text: NONE). */
const OPEN = 2;

/**
 * Parses what follows a password name ending at `k`: `["']?[ \t]{0,8}(:|=|:=|=>)[ \t]{0,8}` then the
 * value, or (when `dashName`, a `--name`) `[ ]{1,8}` then the value. The value is quoted (up to the
 * same quote, backslash escapes skipped, no control or non-ASCII character, at most 128) or a run
 * of printable ASCII non-blank characters (at most 128; the end of the text ends it when `eotEnds`).
 */
function parseAfterName(text: string, k: number, dashName: boolean, eotEnds: boolean): number {
  const n = text.length;
  let j = k;
  if (j < n && (text.charCodeAt(j) === 34 || text.charCodeAt(j) === 39)) j++;
  else if (j + 1 < n && text.charCodeAt(j) === 92 && text.charCodeAt(j + 1) === 34)
    j += 2; // \" (JSON in JSON)
  else if (j + 1 >= n && j < n && text.charCodeAt(j) === 92) return eotEnds ? NONE : OPEN;
  const b0 = j;
  while (j < n && j - b0 < BLANKS && isBlank(text.charCodeAt(j))) j++;
  if (j >= n) return OPEN;
  const c = text.charCodeAt(j);
  if (c === 58 || c === 61) {
    j++;
    if (j >= n) return OPEN;
    const c2 = text.charCodeAt(j);
    if (c === 61 && c2 === 61) return NONE; // ==: a comparison
    if (c === 58 && c2 === 58) return NONE; // ::: a cast (password::text)
    if ((c === 58 && c2 === 61) || (c === 61 && c2 === 62)) j++; // := and =>
    const b1 = j;
    while (j < n && j - b1 < BLANKS && isBlank(text.charCodeAt(j))) j++;
    if (j >= n) return OPEN;
  } else {
    // `--password VALUE`: spaces only (a tab would let it reach over COPY fields), no quote before
    if (!dashName || j === b0 || b0 !== k) return NONE;
    for (let i = b0; i < j; i++) if (text.charCodeAt(i) !== 32) return NONE;
    if (c === 45) return NONE; // the next option
  }
  return readValue(text, j, eotEnds);
}

function readValue(text: string, j: number, eotEnds: boolean): number {
  const n = text.length;
  const q = text.charCodeAt(j);
  if (q === 92) return readEscapedValue(text, j, eotEnds);
  if (q === 34 || q === 39) {
    let i = j + 1;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === q) break;
      if (c < 32 || c >= 127) return NONE;
      if (i - j - 1 >= PW_VALUE_MAX) return NONE;
      if (c === 92) {
        // a backslash escape: the next character is part of the value (not a tab: COPY fields)
        i++;
        const e = i < n ? text.charCodeAt(i) : 32;
        if (e < 32 || e >= 127) return NONE; // (past the end: e is a blank, the loop ends OPEN)
      }
    }
    if (i >= n) return OPEN;
    vStart = j + 1;
    vEnd = i;
    return MATCH;
  }
  let i = j;
  while (i < n && i - j <= PW_VALUE_MAX) {
    const c = text.charCodeAt(i);
    if (c <= 32 || c >= 127) break;
    i++;
  }
  if (i - j > PW_VALUE_MAX) return NONE;
  if (i >= n && !eotEnds) return OPEN;
  vStart = j;
  vEnd = i;
  return i > j ? MATCH : NONE;
}

/**
 * A value quoted by `\"` (JSON inside a JSON string: `{\"password\":\"…\"}`): up to the next `\"`,
 * other backslash pairs taken as they are, printable ASCII only, at most 128 characters.
 */
function readEscapedValue(text: string, j: number, eotEnds: boolean): number {
  const n = text.length;
  if (j + 1 >= n) return eotEnds ? NONE : OPEN;
  if (text.charCodeAt(j + 1) !== 34) return NONE;
  let i = j + 2;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c >= 127) return NONE;
    if (i - j - 2 >= PW_VALUE_MAX) return NONE;
    if (c === 92) {
      if (i + 1 >= n) break;
      if (text.charCodeAt(i + 1) === 34) {
        vStart = j + 2;
        vEnd = i;
        return MATCH;
      }
      i++; // a pair: \\, \n, \/ …
      const e = text.charCodeAt(i);
      if (e < 32 || e >= 127) return NONE;
    }
  }
  return OPEN; // (value(): the end of the text is not a closing quote)
}

// Values that stand for a password rather than being one.
const PLACEHOLDER =
  /^(?:\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|\$\d+|%s|%\([A-Za-z_]\w*\)s|%[A-Za-z_]\w*%|\{\{.*\}\}|\{[A-Za-z_][\w.]*\}|<[^<>]*>|\[MASKED:[^\]]*\]|\[[A-Z_ -]+\]|:[A-Za-z_]\w*|@[A-Za-z_]\w*|![A-Za-z]+|(?:null|none|nil|true|false|undefined|redacted|hidden|masked|required|optional)|(?:crypt|md5|sha\d*|digest|encode|encrypt|decrypt|hash|bcrypt|password|old_password|pgp_sym_encrypt|enc|concat|lower|upper|trim|coalesce)\(.*|[A-Za-z_][\w.]*\.\w*(?:pass|pwd)\w*|[A-Za-z_]*(?:password|passwd)[A-Za-z_]*|(.)\1*)$/i;

/** A password value: 6–128 characters (or `min` for URLs), not a placeholder, not the name itself. */
function passwordValueOk(v: string, name: string, word: string, min: number): boolean {
  if (v.length < min || v.length > PW_VALUE_MAX) return false;
  if (PLACEHOLDER.test(v)) return false;
  if (name !== '' && v.toLowerCase() === name.toLowerCase()) return false;
  // PWD / OLDPWD in `env` output are directories
  const w0 = word.charCodeAt(0) | 32;
  if (w0 === 112 && (word.charCodeAt(1) | 32) === 119) {
    const c = v.charCodeAt(0);
    if (c === 47 || c === 126) return false; // '/' '~'
  }
  return true;
}

/**
 * A password assignment whose separator is at `q` and whose name ends at `k` (after blanks and a
 * quote): pushes the value as an `api_key` match and returns its end, or -1.
 */
export function tryPasswordAssign(text: string, k: number, lo: number, out: Match[]): number {
  const len = passwordWordBefore(text, k, lo);
  if (len === 0) return -1;
  const w = k - len;
  const s = nameStart(text, w);
  const dash = text.charCodeAt(s) === 45 && text.charCodeAt(s + 1) === 45;
  if (parseAfterName(text, k, dash, true) !== MATCH) return -1;
  const v = text.slice(vStart, vEnd);
  const name = text.slice(dash ? s + 2 : s, k);
  if (!passwordValueOk(v, name, text.slice(w, k), PW_VALUE_MIN)) return -1;
  out.push({ detector: 'api_key', start: vStart, end: vEnd, from: w, priority: 4 });
  return vEnd;
}

/**
 * `--password VALUE` (blank-separated; `--password=…` is an assignment), tried at each "--": those in
 * the name's reach before `from` (context), then `pairs`, the "--" at or after `from` in order.
 */
export function findDashPasswords(text: string, from: number, out: Match[], pairs: readonly number[]): void {
  let next = from; // the word (a match's \`from\`) starts here or later; the "--" before it is context
  const lo = Math.max(0, from - NAME_MAX - 2);
  for (let d = lo; d < from; d++) {
    if (text.charCodeAt(d) === 45 && text.charCodeAt(d + 1) === 45) next = tryDash(text, d, next, out);
  }
  for (let k = 0; k < pairs.length; k++) next = tryDash(text, pairs[k]!, next, out);
}

/** `--name VALUE` at `d` with its password word at or after `next`: returns the new `next`. */
function tryDash(text: string, d: number, next: number, out: Match[]): number {
  let k = d + 2;
  while (k < text.length && k - d < NAME_MAX && isNameChar(text.charCodeAt(k))) k++;
  if (k >= text.length || text.charCodeAt(k) !== 32) return next;
  const len = passwordWordBefore(text, k, Math.max(d + 2, next));
  if (len === 0) return next;
  const w = k - len;
  if (nameStart(text, w) !== d) return next;
  if (parseAfterName(text, k, true, true) !== MATCH) return next;
  const v = text.slice(vStart, vEnd);
  if (!passwordValueOk(v, text.slice(d + 2, k), text.slice(w, k), PW_VALUE_MIN)) return next;
  out.push({ detector: 'api_key', start: vStart, end: vEnd, from: w, priority: 4 });
  return vEnd;
}

/** Stream: the earliest password word in [lo, end) whose assignment could still be growing. */
export function holdPassword(text: string, lo: number): number {
  const end = text.length;
  let i = Math.max(lo, end - PW_SPAN);
  for (let k = end - 1; k >= i; k--) {
    if (text.charCodeAt(k) === 10) {
      i = k + 1; // nothing crosses a newline
      break;
    }
  }
  for (; i < end; i++) {
    if ((text.charCodeAt(i) | 32) !== 112) continue; // 'p'
    if (passwordOpenAt(text, i)) return i;
  }
  return end;
}

function passwordOpenAt(text: string, i: number): boolean {
  const end = text.length;
  for (const w of WORDS) {
    let m = 0;
    while (m < w.length && i + m < end && (text.charCodeAt(i + m) | 32) === w.charCodeAt(m)) m++;
    if (i + m >= end && m < w.length) return true; // the text ends inside the word
    if (m < w.length) continue;
    const k = i + w.length;
    const s = nameStart(text, i);
    const dash = text.charCodeAt(s) === 45 && text.charCodeAt(s + 1) === 45;
    if (parseAfterName(text, k, dash, false) === OPEN) return true;
  }
  return false;
}

// ── URL credentials ──
/** Authority terminators: blanks, controls, non-ASCII, / ? # \ quotes < > and backquote. */
function endsAuthority(c: number): boolean {
  return (
    c <= 32 ||
    c >= 127 ||
    c === 47 ||
    c === 63 ||
    c === 35 ||
    c === 92 ||
    c === 34 ||
    c === 39 ||
    c === 60 ||
    c === 62 ||
    c === 96
  );
}

/**
 * `scheme://user:PASSWORD@host` whose "://" starts at `p`: the password (up to the last '@' of the
 * authority) as an api_key match; returns the '@' or -1.
 */
export function tryUrlCredentials(text: string, p: number, out: Match[], slashes = 3): number {
  const n = text.length;
  // a scheme: a letter, then letters, digits, + - . (read as context)
  let s = p;
  while (s > 0 && p - s < SCHEME_MAX && isSchemeChar(text.charCodeAt(s - 1))) s--;
  const c0 = text.charCodeAt(s) | 32;
  if (s === p || c0 < 97 || c0 > 122) return -1;
  const a = p + slashes; // after "://" (3) or ":\/\/" (5, in JSON text)
  const lim = Math.min(n, a + URL_AUTH_MAX);
  let colon = -1;
  let at = -1;
  for (let j = a; j < lim; j++) {
    const c = text.charCodeAt(j);
    if (endsAuthority(c)) break;
    if (c === 64) at = j;
    else if (c === 58 && colon < 0 && at < 0) colon = j;
  }
  // the first ':' of the userinfo (a ':' after an '@' is the host's port)
  if (at < 0 || colon < 0 || colon > at) return -1;
  const pw = text.slice(colon + 1, at);
  if (pw.length > URL_PW_MAX || !passwordValueOk(pw, '', '', 1)) return -1;
  out.push({ detector: 'api_key', start: colon + 1, end: at, from: p, priority: 4 });
  return at;
}

/**
 * The length of "//" (2) or "\/\/" (4, JSON-escaped) at `i`; -1 when the text ends inside one of them;
 * 0 when neither is there.
 */
export function slashesAt(text: string, i: number): number {
  const n = text.length;
  const want = i < n && text.charCodeAt(i) === 92 ? '\\/\\/' : '//';
  for (let k = 0; k < want.length; k++) {
    if (i + k >= n) return -1;
    if (text.charCodeAt(i + k) !== want.charCodeAt(k)) return 0;
  }
  return want.length;
}

/** Stream: the earliest ':' of a "://" (or a partial one at the end) whose authority is still open. */
export function holdUrl(text: string, lo: number): number {
  const end = text.length;
  for (let p = text.indexOf(':', Math.max(lo, end - URL_SPAN)); p >= 0; p = text.indexOf(':', p + 1)) {
    if (p === 0 || !isSchemeChar(text.charCodeAt(p - 1))) continue;
    const w = slashesAt(text, p + 1);
    if (w !== 0) {
      if (w < 0 || p + 1 + w >= end) return p; // "://" or ":\/\/" still arriving
      let j = p + 1 + w;
      while (j < end && !endsAuthority(text.charCodeAt(j))) j++;
      if (j >= end && end - (p + 1 + w) < URL_AUTH_MAX) return p;
    }
  }
  return end;
}

// ── JSON: string values under a credential key ──
export const KEY_NONE = 0;
export const KEY_PASSWORD = 1;
export const KEY_API = 2;
/** `secret`, `client_secret`: an API name whose value may also be a password. */
export const KEY_SECRET = 3;
/** `authorization`: `<scheme> <credentials>`. */
export const KEY_AUTH = 4;

// the generic assignment's names (key-assign.ts), as the whole key, its last `_`/`-` part
// (`github_token`) or its last camelCase parts (`sessionToken`, `SharedAccessKey`)
const API_KEY_NAME =
  /(?:^|[^A-Za-z0-9])(?:api[_-]?key|access[_-]?(?:key|token)|auth[_-]?token|refresh[_-]?token|client[_-]?secret|secret[_-]?(?:access[_-]?)?key|shared[_-]?access[_-]?key|account[_-]?key|secret|token)$/i;
const API_KEY_WHOLE =
  /^(?:api[_-]?key|access[_-]?(?:key|token)|auth[_-]?token|refresh[_-]?token|client[_-]?secret|secret[_-]?(?:access[_-]?)?key|shared[_-]?access[_-]?key|account[_-]?key|secret|token)$/i;
const AUTH_KEY = /(?:^|[^A-Za-z0-9])authorization$/i;

/** API_KEY_NAME, or a name from a camelCase capital on (`idToken`: `Token`). */
function apiKeyName(key: string): boolean {
  if (API_KEY_NAME.test(key)) return true;
  for (let j = key.length - 5; j > 0; j--) {
    const c = key.charCodeAt(j);
    const p = key.charCodeAt(j - 1);
    if (
      c >= 65 &&
      c <= 90 &&
      ((p >= 97 && p <= 122) || (p >= 48 && p <= 57)) &&
      API_KEY_WHOLE.test(key.slice(j))
    )
      return true;
  }
  return false;
}

/** Could a key ending in these three characters (lower-cased) name a credential? */
function suffixOk(a: number, c2: number, c: number): boolean {
  if (c === 100) return (a === 111 && c2 === 114) || (c2 === 119 && (a === 115 || a === 112)); // ord swd pwd
  if (c === 115 || c === 101) return a === 97 && c2 === 115; // pass, phrase
  if (c === 121) return a === 107 && c2 === 101; // key
  if (c === 110) return (a === 107 && c2 === 101) || (a === 105 && c2 === 111); // token, authorization
  if (c === 116) return a === 114 && c2 === 101; // secret
  return false;
}

/** Quick filter on a key's raw bytes: could it name a credential? */
export function mayBeCredentialKey(b: Uint8Array, start: number, end: number): boolean {
  return end - start >= 3 && suffixOk(b[end - 3]! | 32, b[end - 2]! | 32, b[end - 1]! | 32);
}

/** What a JSON key names: a password, a secret, an API credential, or neither. */
export function credentialKeyKind(key: string): number {
  const n = key.length;
  if (n < 3 || n > NAME_MAX + 16) return KEY_NONE;
  if (!suffixOk(key.charCodeAt(n - 3) | 32, key.charCodeAt(n - 2) | 32, key.charCodeAt(n - 1) | 32))
    return KEY_NONE;
  if (passwordWordBefore(key, n, 0) > 0) return KEY_PASSWORD;
  if ((key.charCodeAt(n - 1) | 32) === 110 && (key.charCodeAt(n - 2) | 32) === 111)
    return AUTH_KEY.test(key) ? KEY_AUTH : KEY_NONE;
  if (!apiKeyName(key)) return KEY_NONE;
  return (key.charCodeAt(n - 1) | 32) === 116 ? KEY_SECRET : KEY_API;
}

// an Authorization value: a scheme and its credentials (one token), as the text rule reads them
const AUTH_VALUE = /^([A-Za-z][A-Za-z0-9_-]{0,31}) {1,8}([A-Za-z0-9_\-./+=]+)$/;

/** True when the string value under a key of `kind` is masked whole (the rules the text assignments use). */
export function credentialValueMasked(kind: number, key: string, v: string): boolean {
  if (kind === KEY_NONE) return false;
  if (kind === KEY_AUTH) {
    const m = AUTH_VALUE.exec(v);
    if (m === null) return false;
    return m[1]!.toLowerCase() === 'basic' ? basicOk(m[2]!) : apiValueOk(m[2]!);
  }
  if (kind !== KEY_PASSWORD) {
    // (a quoted value in text: 16–4096 printable characters, letters and digits, entropy ≥ 3)
    const api = apiValueOk(v);
    if (api || kind === KEY_API) return api;
  }
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 32 || c === 127) return false;
  }
  const len = passwordWordBefore(key, key.length, 0);
  return passwordValueOk(v, key, len > 0 ? key.slice(key.length - len) : '', PW_VALUE_MIN);
}
