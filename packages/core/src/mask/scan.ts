// Running a set of detectors over a text: the cheap pre-scan that skips most values, overlap
// resolution (longest match wins, then detector priority, then position), and rendering.
import type { DetectorSpec, Match, PreScan, ScanHint } from './detectors.js';

export const DIGIT = 1;
export const UPPER = 2;
export const TOKEN = 4; // [A-Za-z0-9_.+/=-]
export const SEP = 8; // may sit between the digits of a card, phone or SSN: ` -.()`
export const ASSIGN = 16; // ':' and '=' (a password assignment, a URL's userinfo)

/** The pre-scan's class bits of each ASCII character (loops that fuse the pre-scan with other work). */
export const CLASS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CLASS[c] = DIGIT | TOKEN;
for (let c = 65; c <= 90; c++) CLASS[c] = UPPER | TOKEN;
for (let c = 97; c <= 122; c++) CLASS[c] = TOKEN;
for (const ch of '_+/') CLASS[ch.charCodeAt(0)] = TOKEN;
CLASS[61] = TOKEN | ASSIGN; // '='
CLASS[58] = ASSIGN; // ':'
for (const ch of '.-') CLASS[ch.charCodeAt(0)] = TOKEN | SEP;
for (const ch of ' ()') CLASS[ch.charCodeAt(0)] = SEP;

/** A PreScan to fill again and again (no allocation per value on the hot path). */
export function newPreScan(): PreScan {
  return { length: 0, digits: 0, upper: 0, at: false, digitRun: 0, tokenRun: 0, dashRun: 0, assign: 0 };
}

type Slicer = {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
};
const SLICERS = typeof (Buffer.prototype as unknown as Partial<Slicer>).utf8Slice === 'function';

/** buf.toString(enc, start, end) without toString()'s argument handling (a hot path decodes millions). */
export function decode(buf: Buffer, start: number, end: number, enc: 'utf8' | 'latin1'): string {
  if (!SLICERS) return buf.toString(enc, start, end);
  const b = buf as unknown as Slicer;
  return enc === 'utf8' ? b.utf8Slice(start, end) : b.latin1Slice(start, end);
}

/** One pass over the value; the detectors' gates read it. */
export function prescan(text: string, out: PreScan = newPreScan()): PreScan {
  let digits = 0;
  let upper = 0;
  let at = false;
  let digitRun = 0;
  let curDigits = 0;
  let seps = 0;
  let tokenRun = 0;
  let curToken = 0;
  let dashRun = 0;
  let curDash = 0;
  let assign = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const f = c < 128 ? CLASS[c]! : 0;
    if (f === TOKEN) {
      // lower-case letters and _+/= (most of any text): the general steps below, specialised
      curDigits = 0;
      seps = 0;
      if (++curToken > tokenRun) tokenRun = curToken;
      curDash = 0;
      continue;
    }
    if (f & DIGIT) {
      digits++;
      seps = 0;
      if (++curDigits > digitRun) digitRun = curDigits;
    } else if (f & SEP) {
      if (++seps > 2) curDigits = 0;
    } else {
      curDigits = 0;
      seps = 0;
    }
    if (f & TOKEN) {
      if (++curToken > tokenRun) tokenRun = curToken;
    } else curToken = 0;
    if (f & UPPER) upper++;
    else if (c === 64 || (c === 92 && text.startsWith('\\u0040', i)))
      at = true; // '@', or `\u0040` in JSON text
    else if (f & ASSIGN) assign++;
    if (c === 45) {
      if (++curDash > dashRun) dashRun = curDash;
    } else curDash = 0;
  }
  out.length = n;
  out.digits = digits;
  out.upper = upper;
  out.at = at;
  out.digitRun = digitRun;
  out.tokenRun = tokenRun;
  out.dashRun = dashRun;
  out.assign = assign;
  return out;
}

/** `\u0040` (an '@' escaped in JSON text) at b[i], before `end`. */
export function escapedAtBytes(b: Uint8Array, i: number, end: number): boolean {
  return (
    i + 5 < end &&
    b[i + 1] === 117 &&
    b[i + 2] === 48 &&
    b[i + 3] === 48 &&
    b[i + 4] === 52 &&
    b[i + 5] === 48
  );
}

/**
 * prescan() over bytes[start, end) of UTF-8 without decoding them. Every byte of a multi-byte
 * character counts as one non-ASCII character: runs break the same way and `length` can only be
 * larger, so a gate that fails here fails on the decoded string too. (Not for text with JSON
 * escapes: `\u0040` is an `@` only once decoded.)
 */
export function prescanBytes(b: Uint8Array, start: number, end: number, out: PreScan): PreScan {
  let digits = 0;
  let upper = 0;
  let at = false;
  let digitRun = 0;
  let curDigits = 0;
  let seps = 0;
  let tokenRun = 0;
  let curToken = 0;
  let dashRun = 0;
  let curDash = 0;
  let assign = 0;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    const f = c < 128 ? CLASS[c]! : 0;
    if (f === TOKEN) {
      curDigits = 0;
      seps = 0;
      if (++curToken > tokenRun) tokenRun = curToken;
      curDash = 0;
      continue;
    }
    if (f & DIGIT) {
      digits++;
      seps = 0;
      if (++curDigits > digitRun) digitRun = curDigits;
    } else if (f & SEP) {
      if (++seps > 2) curDigits = 0;
    } else {
      curDigits = 0;
      seps = 0;
    }
    if (f & TOKEN) {
      if (++curToken > tokenRun) tokenRun = curToken;
    } else curToken = 0;
    if (f & UPPER) upper++;
    else if (c === 64 || (c === 92 && escapedAtBytes(b, i, end))) at = true;
    else if (f & ASSIGN) assign++;
    if (c === 45) {
      if (++curDash > dashRun) dashRun = curDash;
    } else curDash = 0;
  }
  out.length = end - start;
  out.digits = digits;
  out.upper = upper;
  out.at = at;
  out.digitRun = digitRun;
  out.tokenRun = tokenRun;
  out.dashRun = dashRun;
  out.assign = assign;
  return out;
}

/** Set by scanJsonString(): the token held a backslash (its counts then do not describe the decoded text). */
export let jsonStringEscaped = false;

/**
 * One pass over the JSON string token whose opening quote is at `i`: returns the index of its
 * closing quote, or -1 when the token is unterminated or holds a raw control character (not
 * JSON), and fills `out` as prescanBytes() would for the bytes between the quotes.
 */
export function scanJsonString(b: Uint8Array, i: number, out: PreScan): number {
  let digits = 0;
  let upper = 0;
  let at = false;
  let digitRun = 0;
  let curDigits = 0;
  let seps = 0;
  let tokenRun = 0;
  let curToken = 0;
  let dashRun = 0;
  let curDash = 0;
  let assign = 0;
  let escaped = false;
  const n = b.length;
  let j = i + 1;
  for (; j < n; j++) {
    const c = b[j]!;
    const f = c < 128 ? CLASS[c]! : 0;
    if (f === TOKEN) {
      // lower-case letters and _+/= (most of any text): the general steps below, specialised
      curDigits = 0;
      seps = 0;
      if (++curToken > tokenRun) tokenRun = curToken;
      curDash = 0;
      continue;
    }
    if (f === SEP) {
      // ' ', '(' and ')'
      if (++seps > 2) curDigits = 0;
      curToken = 0;
      curDash = 0;
      continue;
    }
    if (f === 0) {
      if (c === 0x22) break;
      if (c < 0x20) return -1;
      if (c === 0x5c) {
        escaped = true;
        j++;
        curDigits = 0;
        seps = 0;
        curToken = 0;
        curDash = 0;
        continue;
      }
      curDigits = 0;
      seps = 0;
      curToken = 0;
      curDash = 0;
      if (c === 64) at = true;
      continue;
    }
    if (f & DIGIT) {
      digits++;
      seps = 0;
      if (++curDigits > digitRun) digitRun = curDigits;
    } else if (f & SEP) {
      if (++seps > 2) curDigits = 0;
    } else {
      curDigits = 0;
      seps = 0;
    }
    if (f & TOKEN) {
      if (++curToken > tokenRun) tokenRun = curToken;
    } else curToken = 0;
    if (f & UPPER) upper++;
    else if (f & ASSIGN) assign++;
    if (c === 45) {
      if (++curDash > dashRun) dashRun = curDash;
    } else curDash = 0;
  }
  if (j >= n) return -1;
  jsonStringEscaped = escaped;
  out.length = j - i - 1;
  out.digits = digits;
  out.upper = upper;
  out.at = at;
  out.digitRun = digitRun;
  out.tokenRun = tokenRun;
  out.dashRun = dashRun;
  out.assign = assign;
  return j;
}

/** All validated matches of `specs` at or after `from` (unresolved: may overlap). */
export function findAll(
  text: string,
  from: number,
  specs: readonly DetectorSpec[],
  hint?: ScanHint,
): Match[] {
  const out: Match[] = [];
  for (const d of specs) d.find(text, from, out, hint);
  return out;
}

const longestFirst = (a: Match, b: Match): number =>
  b.end - b.start - (a.end - a.start) || a.priority - b.priority || a.start - b.start;

/**
 * Non-overlapping matches sorted by start. A cluster of overlapping matches becomes one match
 * over their union (nothing any detector found is left showing), named for the longest match,
 * then the detector priority. A private key names any cluster it is in: its block may hold
 * non-ASCII text, whose length differs between a string and its UTF-8 bytes.
 */
export function resolve(ms: Match[]): Match[] {
  if (ms.length < 2) return ms;
  ms.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Match[] = [];
  let i = 0;
  while (i < ms.length) {
    let j = i + 1;
    let maxEnd = ms[i]!.end;
    while (j < ms.length && ms[j]!.start < maxEnd) maxEnd = Math.max(maxEnd, ms[j++]!.end);
    if (j === i + 1) out.push(ms[i]!);
    else {
      const cluster = ms.slice(i, j);
      const winner = cluster.find((m) => m.detector === 'private_key') ?? cluster.sort(longestFirst)[0]!;
      let from = winner.from;
      for (const m of cluster) from = Math.min(from, m.from);
      out.push({ ...winner, start: ms[i]!.start, end: maxEnd, from });
    }
    i = j;
  }
  return out;
}

/** text[from, to) with each (resolved, in-range) match replaced. */
export function render(
  text: string,
  from: number,
  to: number,
  ms: readonly Match[],
  replacement: (m: Match) => string,
): string {
  let out = '';
  let pos = from;
  for (const m of ms) {
    out += text.slice(pos, m.start) + replacement(m);
    pos = m.end;
  }
  return out + text.slice(pos, to);
}
