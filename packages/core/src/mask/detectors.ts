// The detector table: for each kind of secret, how to find candidates cheaply, how to validate
// them, and what a stream must know to never cut one in half. Every pattern is ASCII-only and
// looks ahead at most at characters the detector's own `inner` class contains, so the same code
// runs on JS strings (value()) and on latin1-decoded bytes (stream()) with identical results.
import type { Detector } from '../config/types.js';
import {
  cardBrand,
  cardIssued,
  cardIssuedPrefix,
  countryCodeLength,
  entropy,
  IBAN_LENGTHS,
  ibanMod97,
  luhnValid,
  ssnValid,
} from './checksums.js';
import {
  findDashPasswords,
  holdPassword,
  holdUrl,
  PW_SPAN,
  slashesAt,
  tryPasswordAssign,
  tryUrlCredentials,
  URL_SPAN,
} from './credentials.js';
import {
  ASSIGN_SPAN,
  findSchemes,
  highEntropyToken,
  holdKeyAssign,
  NAME_LONGEST,
  NAME_SHORTEST,
  resetRuns,
  tryAuthHeader,
  tryKeyAssign,
} from './key-assign.js';

export { highEntropyToken } from './key-assign.js';

/** One masked span. `from` ≤ `start` is where the candidate began (keyword, context): never cut between. */
export interface Match {
  detector: Detector;
  start: number;
  end: number;
  from: number;
  priority: number;
}

/** What the caller knows about the value beyond its text (a column name enables context rules). */
export interface ScanHint {
  /** Lower-cased column name. */
  column?: string;
}

/** Counts from one cheap pass over a value, to skip detectors that cannot match. */
export interface PreScan {
  length: number;
  digits: number;
  upper: number;
  at: boolean;
  /** Most digits in a run where digits are joined by at most two of ` -.()`. */
  digitRun: number;
  /** Longest run of `[A-Za-z0-9_.+/=-]`. */
  tokenRun: number;
  /** Longest run of `-`. */
  dashRun: number;
  /** How many `:` and `=`. */
  assign: number;
}

/** Minimum pre-scan counts a detector needs (unset: no minimum). */
export type GateMin = Partial<
  Record<'length' | 'digits' | 'upper' | 'at' | 'digitRun' | 'tokenRun' | 'dashRun' | 'assign', number>
>;

const GATE_FIELDS = ['length', 'digits', 'upper', 'at', 'digitRun', 'tokenRun', 'dashRun', 'assign'] as const;
const W = GATE_FIELDS.length;

/** A detector's gate rows: `gateMin`, then `gateAlt` (any row passing lets it run). */
export function gateRows(d: Pick<DetectorSpec, 'gateMin' | 'gateAlt'>): GateMin[] {
  return [d.gateMin, ...(d.gateAlt ?? [])];
}

function gateOf(rows: GateMin[]): (s: PreScan) => boolean {
  const all = rows.map((min) => GATE_FIELDS.map((f) => min[f] ?? 0));
  const one = (need: number[], s: PreScan): boolean =>
    s.length >= need[0]! &&
    s.digits >= need[1]! &&
    s.upper >= need[2]! &&
    (s.at ? 1 : 0) >= need[3]! &&
    s.digitRun >= need[4]! &&
    s.tokenRun >= need[5]! &&
    s.dashRun >= need[6]! &&
    s.assign >= need[7]!;
  if (all.length === 1) {
    const need = all[0]!;
    return (s) => one(need, s);
  }
  return (s) => all.some((need) => one(need, s));
}

/** The order a gate row's minimums are compared in: the rarest to pass first (`length` nearly always passes). */
const GATE_ORDER = ['at', 'assign', 'dashRun', 'upper', 'digitRun', 'digits', 'tokenRun', 'length'] as const;

/**
 * One gate for a set of detectors: true when any of theirs passes. Compiled from the rows' non-zero
 * minimums into one expression (`s.assign >= 1 && s.length >= 7 || s.tokenRun >= 15 || …`), so a
 * hot path makes no call per detector and compares only what a row asks for. The minimums are
 * integers from the detector table (never input).
 */
export function combinedGate(specs: readonly DetectorSpec[]): (s: PreScan) => boolean {
  const terms = new Set<string>();
  for (const min of specs.flatMap((d) => gateRows(d))) {
    const parts: string[] = [];
    for (const f of GATE_ORDER) {
      const v = Math.trunc(Number(min[f] ?? 0));
      if (!(v > 0)) continue;
      parts.push(f === 'at' ? 's.at' : `s.${f} >= ${v}`);
    }
    terms.add(parts.length > 0 ? `(${parts.join(' && ')})` : 'true');
  }
  return new Function('s', `return ${terms.size > 0 ? [...terms].join(' || ') : 'false'};`) as (
    s: PreScan,
  ) => boolean;
}

/** combinedGate() as a table and a loop (tests compare the two). */
export function combinedGateByTable(specs: readonly DetectorSpec[]): (s: PreScan) => boolean {
  const rows = specs.flatMap((d) => gateRows(d));
  const t = new Int32Array(rows.length * W);
  rows.forEach((min, k) => {
    GATE_FIELDS.forEach((f, j) => {
      t[k * W + j] = min[f] ?? 0;
    });
  });
  const n = t.length;
  return (s) => {
    const at = s.at ? 1 : 0;
    for (let k = 0; k < n; k += W) {
      if (
        s.length >= t[k]! &&
        s.digits >= t[k + 1]! &&
        s.upper >= t[k + 2]! &&
        at >= t[k + 3]! &&
        s.digitRun >= t[k + 4]! &&
        s.tokenRun >= t[k + 5]! &&
        s.dashRun >= t[k + 6]! &&
        s.assign >= t[k + 7]!
      ) {
        return true;
      }
    }
    return false;
  };
}

export interface DetectorSpec {
  readonly name: Detector;
  /** Breaks a tie between overlapping matches of equal length: lower wins. */
  readonly priority: number;
  /** Longest text a candidate can span, look-ahead included: bounds what a stream holds back. */
  readonly maxLength: number;
  /** The candidate finder (global flag); `validate` decides. Custom finders use it for the shape only. */
  readonly pattern: RegExp;
  /** Accepts the candidate text[start, end): returns the end of the accepted match (≤ end) or -1. */
  validate(text: string, start: number, end: number, hint?: ScanHint): number;
  /** False when the pre-scan proves the value holds no match (derived from `gateMin`). */
  gate(s: PreScan): boolean;
  /** The gate as minimums on the pre-scan's counts (`at`: 1 = needs an '@'); all must hold. */
  readonly gateMin: GateMin;
  /** Further rows: the gate passes when `gateMin` or any of these holds. */
  readonly gateAlt?: readonly GateMin[];
  /** Appends validated matches found at or after `from` to `out`. */
  find(text: string, from: number, out: Match[], hint?: ScanHint): void;
  /** Stream support: the earliest index in [lo, end) where a match could start and still be growing. */
  holdFrom(text: string, lo: number): number;
}

// ── character classes (ASCII; bytes ≥ 0x80 are never inside a match) ──────────────────────────
function charTable(spec: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < spec.length; i++) {
    if (spec[i + 1] === '~' && i + 2 < spec.length) {
      for (let c = spec.charCodeAt(i); c <= spec.charCodeAt(i + 2); c++) t[c] = 1;
      i += 2;
    } else t[spec.charCodeAt(i)] = 1;
  }
  return t;
}
const inClass = (t: Uint8Array, c: number): boolean => c < 128 && t[c] === 1;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isAlnum = (c: number): boolean => isDigit(c) || isUpper(c) || (c >= 97 && c <= 122);
const isWord = (c: number): boolean => isAlnum(c) || c === 95;
/** Character code before `i`, or -1 at the start. */
const prev = (text: string, i: number): number => (i > 0 ? text.charCodeAt(i - 1) : -1);
/** True when text[i-2] is a digit and text[i-1] is one of `punct` ("1.4111…": part of a longer number). */
const digitThen = (text: string, i: number, punct: string): boolean =>
  i >= 2 && isDigit(text.charCodeAt(i - 2)) && punct.includes(text[i - 1]!);

/**
 * The generic stream hold: walk back over characters a match can contain (at most maxLength),
 * then forward to the first place a match could begin. Over-holding only delays output.
 */
function classHold(
  inner: Uint8Array,
  maxLength: number,
  canStart: (text: string, i: number) => boolean,
): (text: string, lo: number) => number {
  return (text, lo) => {
    const end = text.length;
    const min = Math.max(lo, end - maxLength);
    let i = end;
    while (i > min && inClass(inner, text.charCodeAt(i - 1))) i--;
    for (; i < end; i++) if (canStart(text, i)) return i;
    return end;
  };
}

/** Could text[i..] be (a prefix of) one of `heads`? Case-insensitive heads are given lower-cased. */
function headStart(heads: readonly string[], caseless = false): (text: string, i: number) => boolean {
  // the heads by their first character: a text character is compared with its own few only
  const byFirst: (string[] | undefined)[] = new Array(128);
  for (const h of heads) {
    for (const c of caseless ? [h.charCodeAt(0), h.toUpperCase().charCodeAt(0)] : [h.charCodeAt(0)]) {
      const list = (byFirst[c] ??= []);
      if (!list.includes(h)) list.push(h);
    }
  }
  return (text, i) => {
    const c0 = text.charCodeAt(i);
    const list = c0 < 128 ? byFirst[c0] : undefined;
    if (list === undefined) return false; // the common answer
    const rest = text.length - i;
    outer: for (const h of list) {
      const n = Math.min(rest, h.length);
      for (let k = 1; k < n; k++) {
        let c = text.charCodeAt(i + k);
        if (caseless && c >= 65 && c <= 90) c += 32;
        if (c !== h.charCodeAt(k)) continue outer;
      }
      return true;
    }
    return false;
  };
}

/**
 * The usual finder: run the pattern, check what precedes the candidate (a look-behind kept out of
 * the regex, so V8 can scan for the first character quickly), validate, and retry one character
 * later on a rejected candidate.
 */
function regexFind(
  pattern: RegExp,
  validate: DetectorSpec['validate'],
  name: Detector,
  priority: number,
  boundary: (text: string, start: number) => boolean = () => true,
): DetectorSpec['find'] {
  return (text, from, out, hint) => {
    pattern.lastIndex = from;
    let m: RegExpExecArray | null;
    while ((m = pattern.exec(text)) !== null) {
      const start = m.index;
      const end = boundary(text, start) ? validate(text, start, start + m[0].length, hint) : -1;
      if (end > start) {
        out.push({ detector: name, start, end, from: start, priority });
        pattern.lastIndex = end;
      } else pattern.lastIndex = start + 1;
    }
  };
}

/**
 * Runs of `[0-9 ().-]` that start with three digits and hold nine digits or more. Every card, SSN
 * and NANP number lies inside one, so their patterns run only there (with a few characters of
 * margin for prefixes and look-arounds) instead of at every digit of a log line. Computed once
 * per text and shared by the three detectors.
 */
const DIGIT_RUN = /\d\d\d[\d ().-]{6,}/g;
interface DigitWindow {
  lo: number;
  hi: number;
  digits: number;
}
let windowsText: string | undefined;
let windowsFrom = -1;
let windowsCache: DigitWindow[] = [];

const RUN_CHAR = charTable('0~9 ().-');

function digitWindows(text: string, from: number): DigitWindow[] {
  if (text === windowsText && from === windowsFrom) return windowsCache;
  const out: DigitWindow[] = [];
  DIGIT_RUN.lastIndex = from;
  // test() and a walk back from its end: no match array per run (log lines have many)
  while (DIGIT_RUN.test(text)) {
    const end = DIGIT_RUN.lastIndex;
    let start = end;
    let digits = 0;
    while (start > from && inClass(RUN_CHAR, text.charCodeAt(start - 1))) {
      if (isDigit(text.charCodeAt(--start))) digits++;
    }
    // a "1-(" or "(" prefix sits before the first three digits; look-aheads read two after
    if (digits >= 9) out.push({ lo: Math.max(from, start - 4), hi: Math.min(text.length, end + 3), digits });
  }
  windowsText = text;
  windowsFrom = from;
  windowsCache = out;
  return out;
}

function clusterFind(
  pattern: RegExp,
  minDigits: number,
  validate: DetectorSpec['validate'],
  name: Detector,
  priority: number,
  boundary: (text: string, start: number) => boolean,
): DetectorSpec['find'] {
  return (text, from, out, hint) => {
    let last = from; // windows may overlap by their margins: never report a start twice
    for (const w of digitWindows(text, from)) {
      if (w.digits < minDigits) continue;
      const lo = Math.max(w.lo, last);
      const win = text.slice(lo, w.hi);
      pattern.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = pattern.exec(win)) !== null) {
        const start = m.index + lo;
        const end = boundary(text, start) ? validate(text, start, start + m[0].length, hint) : -1;
        if (end > start) {
          out.push({ detector: name, start, end, from: start, priority });
          pattern.lastIndex = end - lo;
          last = end;
        } else pattern.lastIndex = m.index + 1;
      }
    }
  };
}

interface Group {
  digits: string;
  end: number;
}
/** Splits text[start, end) into digit groups; `seps` collects the separators between them. */
function digitGroups(text: string, start: number, end: number, seps: string[]): Group[] {
  const groups: Group[] = [];
  let cur = '';
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) cur += text[i];
    else if (c !== 40 && c !== 41) {
      // '(' and ')' only wrap a group; anything else separates groups
      if (cur) groups.push({ digits: cur, end: i });
      cur = '';
      seps.push(text[i]!);
    } else if (c === 41 && cur) {
      groups.push({ digits: cur, end: i + 1 });
      cur = '';
    }
  }
  if (cur) groups.push({ digits: cur, end });
  return groups;
}

// ── credit_card ────────────────────────────────────────────────────────────────────────────────
// 13–19 digits, optionally in groups split by one kind of separator (4-4-4-4[-3], 4-6-5, 4-6-4).
// Not preceded by a word character, '+', or a digit and [.-] (a fraction "0.4111…", "1-4111…"), nor
// followed by '.' and a digit. A comma is a field separator ("1,4111…,John" in CSV, JSON arrays): a
// thousands group has three digits, and every grouping starts with four.
const CARD_RE = /\d{4}(?:[ -]?\d){9,15}(?!\w)(?!\.\d)/g;
const cardBoundary = (text: string, i: number): boolean => {
  const c = prev(text, i);
  return !isWord(c) && c !== 43 && !digitThen(text, i, '.-');
};

function cardGroupingOk(lengths: number[]): boolean {
  if (lengths.length === 1) return true;
  const key = lengths.join('-');
  if (key === '4-6-5' || key === '4-6-4') return true;
  if (lengths.length < 3) return false;
  for (let i = 0; i < lengths.length - 1; i++) if (lengths[i] !== 4) return false;
  const last = lengths[lengths.length - 1]!;
  return last >= 1 && last <= 4;
}

const groupLens = new Int32Array(40);
const groupEnds = new Int32Array(40);

function validateCard(text: string, start: number, end: number): number {
  const first = text.charCodeAt(start);
  if (first < 50 || first > 54) return -1; // every issuer range starts with 2–6: skip the work
  // the candidate pattern's text (digits, one kind of ' '/'-'): groups as numbers, no arrays of strings
  let sep = -1;
  let groups = 0;
  let cur = 0;
  let digits = '';
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      cur++;
      continue;
    }
    if ((c !== 32 && c !== 45) || groups >= 39) return validateCardGeneral(text, start, end);
    if (sep < 0) sep = c;
    else if (c !== sep) return -1; // mixed separators
    if (cur > 0) {
      groupLens[groups] = cur;
      groupEnds[groups++] = i;
      digits += text.slice(i - cur, i);
    }
    cur = 0;
  }
  if (cur > 0) {
    groupLens[groups] = cur;
    groupEnds[groups++] = end;
    digits += text.slice(end - cur, end);
  }
  // a card followed by more digit groups ("4111 1111 1111 1111 2024"): try shorter groupings
  let total = digits.length;
  for (let k = groups; k >= 1; k--) {
    if (k < groups) total -= groupLens[k]!;
    if (total < 13) break;
    if (total > 19) continue;
    if (!groupingOk(k)) continue;
    const d = total === digits.length ? digits : digits.slice(0, total);
    let same = true;
    for (let i = 1; i < total && same; i++) same = d.charCodeAt(i) === first;
    if (same) continue;
    if (luhnValid(d) && cardIssued(d)) return groupEnds[k - 1]!;
  }
  return -1;
}

/** cardGroupingOk() over groupLens[0, k). */
function groupingOk(k: number): boolean {
  if (k === 1) return true;
  if (k === 3 && groupLens[0] === 4 && groupLens[1] === 6 && (groupLens[2] === 5 || groupLens[2] === 4))
    return true;
  if (k < 3) return false;
  for (let i = 0; i < k - 1; i++) if (groupLens[i] !== 4) return false;
  const last = groupLens[k - 1]!;
  return last >= 1 && last <= 4;
}

/** validateCard, for tests. */
export const validateCardFast = validateCard;

/** validateCard() for any text (the candidate pattern gives only digits, ' ' and '-'). */
export function validateCardGeneral(text: string, start: number, end: number): number {
  const first = text.charCodeAt(start);
  if (first < 50 || first > 54) return -1; // every issuer range starts with 2–6: skip the work
  const seps: string[] = [];
  const groups = digitGroups(text, start, end, seps);
  if (seps.some((s) => s !== seps[0])) return -1;
  // a card followed by more digit groups ("4111 1111 1111 1111 2024"): try shorter groupings
  for (let k = groups.length; k >= 1; k--) {
    const parts = groups.slice(0, k);
    const digits = parts.map((g) => g.digits).join('');
    if (digits.length < 13) break;
    if (digits.length > 19) continue;
    if (!cardGroupingOk(parts.map((g) => g.digits.length))) continue;
    if (/^(\d)\1*$/.test(digits)) continue;
    if (cardBrand(digits) && luhnValid(digits)) return parts[k - 1]!.end;
  }
  return -1;
}

/**
 * validateCard() on a value that is all digits (one group): what the card finder accepts when the
 * whole value is the candidate. value()'s fast path for a card column calls this instead.
 */
export function isCardDigits(digits: string): boolean {
  const n = digits.length;
  if (n < 13 || n > 19) return false;
  const first = digits.charCodeAt(0);
  if (first < 50 || first > 54) return false;
  let same = true;
  for (let i = 1; i < n && same; i++) same = digits.charCodeAt(i) === first;
  return !same && cardIssued(digits) && luhnValid(digits);
}

/** isCardDigits() of bytes [start, end) that are all ASCII digits, without decoding them. */
export function isCardDigitBytes(b: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  if (n < 13 || n > 19) return false;
  const first = b[start]!;
  if (first < 50 || first > 54) return false;
  let same = true;
  for (let i = start + 1; i < end && same; i++) same = b[i] === first;
  if (same) return false;
  const p =
    (first - 48) * 1000 + (b[start + 1]! - 48) * 100 + (b[start + 2]! - 48) * 10 + (b[start + 3]! - 48);
  if (!cardIssuedPrefix(p, n)) return false;
  // Luhn
  let sum = 0;
  let double = false;
  for (let i = end - 1; i >= start; i--) {
    let d = b[i]! - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

// ── us_ssn ─────────────────────────────────────────────────────────────────────────────────────
// AAA-GG-SSSS always; bare 9 digits or space-separated only with an SSN context (column name or
// "ssn"/"social security" in the 32 characters before).
const SSN_RE = /\d{3}([- ]?)\d{2}\1\d{4}(?!\w)(?!-\d)/g;
// a comma before is a field separator ("1,123-45-6789" in CSV), as for cards
const ssnBoundary = (text: string, i: number): boolean => {
  const c = prev(text, i);
  return !isWord(c) && c !== 45 && !digitThen(text, i, '.');
};
const SSN_CONTEXT = /ssn|social[ _-]?security|ss#/i;
const SSN_HINT: ScanHint = { column: 'ssn' };

/**
 * The hint a name gives the values under it (a JSON member's key, as a column name does for value()):
 * only the SSN context reads it, so every name that gives one shares one hint. Undefined: none.
 */
export function contextHint(name: string): ScanHint | undefined {
  return SSN_CONTEXT.test(name) ? SSN_HINT : undefined;
}

function validateSsn(text: string, start: number, end: number, hint?: ScanHint): number {
  const raw = text.slice(start, end);
  const digits = raw.replace(/[ -]/g, '');
  if (!ssnValid(digits)) return -1;
  if (raw[3] === '-') return end;
  if (hint?.column && SSN_CONTEXT.test(hint.column)) return end;
  return SSN_CONTEXT.test(text.slice(Math.max(0, start - 32), start)) ? end : -1;
}

// ── phone ──────────────────────────────────────────────────────────────────────────────────────
// E.164: "+" country code (assigned) and 8–15 digits in all (+1: exactly 11, NANP rules).
// NANP: (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX, NXX NXX XXXX, optional leading 1; area and
// exchange start with 2–9 and are not N11. Bare 10-digit runs are not phones (order numbers).
// One token at a time (a digit, a separator before a digit or '(', or a "(ddd)" group): the
// alternatives start differently, so a long digit run cannot make the engine backtrack much.
const E164_RE = /\+\d(?:\d|[ .-](?=[\d(])|\(\d{1,4}\)){6,48}(?!\w)/g;
const NANP_RE = /(?:1[ .-]?)?(?:\(\d{3}\) ?\d{3}[ .-]|\d{3}([ .-])\d{3}\1)\d{4}(?!\w)(?![.-]\d)/g;
const phoneBoundary = (text: string, i: number): boolean => {
  const c = prev(text, i);
  return !isWord(c) && c !== 43 && !digitThen(text, i, '.-');
};

function nanpOk(national: string): boolean {
  const a = national.charCodeAt(0);
  const x = national.charCodeAt(3);
  if (a < 50 || x < 50) return false; // area and exchange start with 2–9
  return national.slice(1, 3) !== '11' && national.slice(4, 6) !== '11';
}

function validateE164(text: string, start: number, end: number): number {
  const seps: string[] = [];
  const groups = digitGroups(text, start + 1, end, seps);
  const open = text.slice(start, end).split('(').length;
  if (open !== text.slice(start, end).split(')').length) return -1;
  for (let k = groups.length; k >= 1; k--) {
    const digits = groups
      .slice(0, k)
      .map((g) => g.digits)
      .join('');
    if (digits.length > 15) continue;
    if (digits.length < 8) break;
    const cc = countryCodeLength(digits);
    if (cc === 0) return -1;
    if (digits[0] === '1' || digits[0] === '7') {
      if (digits.length !== 11) continue;
      if (digits[0] === '1' && !nanpOk(digits.slice(1))) continue;
    }
    return groups[k - 1]!.end;
  }
  return -1;
}

function validateNanp(text: string, start: number, end: number): number {
  let digits = text.slice(start, end).replace(/\D/g, '');
  if (digits.length === 11) digits = digits.slice(1);
  return nanpOk(digits) ? end : -1;
}

const E164_AT = new RegExp(E164_RE.source, 'y');
// regexFind() with the '+' found by native search: irregexp would test every character for it
function findE164(text: string, from: number, out: Match[]): void {
  let i = text.indexOf('+', from);
  while (i >= 0) {
    E164_AT.lastIndex = i;
    const m = E164_AT.exec(text);
    const end = m !== null && phoneBoundary(text, i) ? validateE164(text, i, i + m[0].length) : -1;
    if (end > i) {
      out.push({ detector: 'phone', start: i, end, from: i, priority: 9 });
      i = text.indexOf('+', end);
    } else i = text.indexOf('+', i + 1);
  }
}
const findNanp = clusterFind(NANP_RE, 10, validateNanp, 'phone', 9, phoneBoundary);

// ── iban ───────────────────────────────────────────────────────────────────────────────────────
// Country code with its registered length, mod-97 == 1; printed in groups of four or unspaced; all
// upper case or all lower case (as typed into a form), never mixed.
const IBAN_RE = /[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])/g;
const alnumBoundary = (text: string, i: number): boolean => !isAlnum(prev(text, i));
const isLetter = (c: number): boolean => isUpper(c) || (c >= 97 && c <= 122);

function validateIban(text: string, start: number, end: number): number {
  const lower = text.charCodeAt(start) >= 97;
  const cc = text.slice(start, start + 2);
  const len = IBAN_LENGTHS[lower ? cc.toUpperCase() : cc];
  if (len === undefined) return -1;
  // take exactly `len` characters: what follows may be another word ("… 00 EUR")
  const spaced = text.charCodeAt(start + 4) === 32;
  let compact = '';
  let i = start;
  for (; i < end && compact.length < len; i++) {
    const atGroup = compact.length > 0 && compact.length % 4 === 0;
    if (text.charCodeAt(i) === 32) {
      if (!spaced || !atGroup) return -1; // printed IBANs are spaced in groups of four
      continue;
    }
    if (spaced && atGroup && text.charCodeAt(i - 1) !== 32) return -1;
    const c = text.charCodeAt(i);
    if (c >= 65 && c >= 97 !== lower) return -1; // one case throughout
    compact += text[i];
  }
  if (compact.length !== len || (i < end && text.charCodeAt(i) !== 32)) return -1;
  // lower case printed in groups: only with 8 digits in a row (every real account number has them),
  // so the pre-scan's gate (8 joined digits) can tell; unspaced, it is one 15+ token run
  if (lower && spaced && !/\d{8}/.test(compact)) return -1;
  return ibanMod97(lower ? compact.toUpperCase() : compact) ? i : -1;
}

// ── email ──────────────────────────────────────────────────────────────────────────────────────
const EMAIL_LOCAL = charTable('A~Za~z0~9._%+-');
const EMAIL_DOMAIN =
  /(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,10}(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9-]{1,59})(?![A-Za-z0-9-])/y;
const EMAIL_RE = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,24}/g;

/** `\u0040` (an '@' escaped in JSON text) at `i`. */
export function escapedAtSign(text: string, i: number): boolean {
  return text.startsWith('\\u0040', i);
}

/** The email whose '@' is at `at` (`atLen` 6: a JSON-escaped `\u0040`), or null. */
export function emailAt(text: string, at: number, atLen = 1): Match | null {
  // the local part is the whole run before '@' (a longer run than 64 is not an address); a '+'
  // JSON-escaped as `\u002b` (.NET's default encoder does it) is part of it
  let s = at;
  let esc = 0;
  for (;;) {
    const min = Math.max(0, at - 65 - 5 * esc);
    while (s > min && inClass(EMAIL_LOCAL, text.charCodeAt(s - 1))) s--;
    if (s > min && text.charCodeAt(s - 1) === 92 && /^u002[bB]/.test(text.slice(s, s + 5))) {
      s--;
      esc++;
    } else break;
  }
  if (at - s - 5 * esc > 64) return null;
  while (s < at && text.charCodeAt(s) === 46) s++; // a leading '.' ends the previous sentence
  if (s === at || text.charCodeAt(at - 1) === 46) return null;
  // `git@host`: the SSH account of every git host, not a mailbox (remotes stay readable)
  if (at - s === 3 && text.startsWith('git', s)) return null;
  for (let i = s + 1; i < at; i++)
    if (text.charCodeAt(i) === 46 && text.charCodeAt(i - 1) === 46) return null;
  EMAIL_DOMAIN.lastIndex = at + atLen;
  if (!EMAIL_DOMAIN.test(text)) return null;
  const end = EMAIL_DOMAIN.lastIndex;
  if (end - at - atLen > 253) return null;
  return { detector: 'email', start: s, end, from: s, priority: 8 };
}

const DOMAIN_CHAR = charTable('A~Za~z0~9-');
const isAlnumByte = (c: number): boolean => c < 128 && DOMAIN_CHAR[c] === 1 && c !== 45;

/**
 * Whether bytes [start, end) are one address that emailAt() would read from the first '@' as spanning all
 * of them: maskText()'s whole-value fast path, on the bytes (nothing decoded). ASCII only, and stricter
 * where that is simpler (no `\u002b` escapes, no leading '.'): false only sends the value to the string
 * path, which decides.
 */
export function wholeEmailBytes(b: Uint8Array, start: number, end: number): boolean {
  let at = start;
  for (; at < end; at++) {
    const c = b[at]!;
    if (c === 64) break;
    if (c >= 128 || EMAIL_LOCAL[c] === 0) return false;
  }
  const local = at - start;
  if (at >= end || local === 0 || local > 64) return false;
  if (b[start] === 46 || b[at - 1] === 46) return false;
  if (local === 3 && b[start] === 103 && b[start + 1] === 105 && b[start + 2] === 116) return false; // git@
  for (let i = start + 1; i < at; i++) if (b[i] === 46 && b[i - 1] === 46) return false;
  // EMAIL_DOMAIN over all the rest: 1–10 labels and a TLD, each label 1–63 alphanumerics and inner hyphens
  if (end - at - 1 > 253) return false;
  let labels = 0;
  let s = at + 1;
  for (let i = s; i < end; i++) {
    const c = b[i]!;
    if (c === 46) {
      const n = i - s;
      if (n === 0 || n > 63 || !isAlnumByte(b[s]!) || !isAlnumByte(b[i - 1]!) || ++labels > 10) return false;
      s = i + 1;
    } else if (c >= 128 || DOMAIN_CHAR[c] === 0) return false;
  }
  if (labels === 0) return false;
  // the TLD: 2–24 letters, or `xn--` and 1–59 more
  const n = end - s;
  if (n >= 5 && n <= 63 && b[s] === 120 && b[s + 1] === 110 && b[s + 2] === 45 && b[s + 3] === 45)
    return true;
  if (n < 2 || n > 24) return false;
  for (let i = s; i < end; i++) {
    const c = b[i]! | 32;
    if (c < 97 || c > 122) return false;
  }
  return true;
}

function findEmail(text: string, from: number, out: Match[]): void {
  let at = text.indexOf('@', from);
  while (at >= 0) {
    const m = emailAt(text, at);
    if (m) {
      out.push(m);
      at = text.indexOf('@', m.end);
    } else at = text.indexOf('@', at + 1);
  }
  // JSON text (the stream, a body over the JSON cap): the '@' escaped
  for (let e = text.indexOf('\\u0040', from); e >= 0; e = text.indexOf('\\u0040', e + 1)) {
    const m = emailAt(text, e, 6);
    if (m) out.push(m);
  }
}

// ── aws_access_key / aws_secret_key ────────────────────────────────────────────────────────────
const AWS_KEY_RE = /(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;
function validateAwsKey(text: string, start: number, end: number): number {
  return /^(.)\1*$/.test(text.slice(start + 4, end)) ? -1 : end;
}

// 40 base64 characters, with upper, lower and a digit or symbol (so never a hex hash), high
// entropy, and an AWS context in the 120 characters before: a key id or "secret access key".
// An '=' before is the env-file separator (`AWS_SECRET_ACCESS_KEY=…`), not base64 padding.
const AWS_SECRET_RE = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const AWS_SECRET_CONTEXT = /aws_?secret|secret_?access_?key|secret access key|(?:AKIA|ASIA)[A-Z0-9]{16}/i;
/** Every context above contains one of these; a secret starts at most this far after one. */
const AWS_SECRET_STEM = /[sS][eE][cC][rR][eE][tT]|AKIA|ASIA/g;
const AWS_SECRET_REACH = 150;
function validateAwsSecret(text: string, start: number, end: number): number {
  const s = text.slice(start, end);
  if (!/[A-Z]/.test(s) || !/[a-z]/.test(s) || !/[0-9/+]/.test(s) || entropy(s) < 4) return -1;
  return AWS_SECRET_CONTEXT.test(text.slice(Math.max(0, start - 120), start)) ? end : -1;
}

// Looks for the context first (rare), then for 40-character runs just after it.
function findAwsSecret(text: string, from: number, out: Match[]): void {
  let pos = from;
  AWS_SECRET_STEM.lastIndex = Math.max(0, from - AWS_SECRET_REACH);
  let stem: RegExpExecArray | null;
  while ((stem = AWS_SECRET_STEM.exec(text)) !== null) {
    const limit = stem.index + AWS_SECRET_REACH;
    if (limit < pos) continue;
    // scan only the window after the stem (one character either side for the look-arounds)
    const base = Math.max(pos, stem.index) - 1;
    const window = text.slice(Math.max(0, base), limit + 42);
    const shift = Math.max(0, base);
    AWS_SECRET_RE.lastIndex = Math.max(pos, stem.index) - shift;
    let m: RegExpExecArray | null;
    while ((m = AWS_SECRET_RE.exec(window)) !== null && m.index + shift <= limit) {
      const start = m.index + shift;
      const end = validateAwsSecret(text, start, start + 40);
      if (end > 0) out.push({ detector: 'aws_secret_key', start, end, from: start, priority: 3 });
    }
    pos = Math.max(pos, limit + 1);
  }
}

/** Holds a trailing base64 run only when an AWS context is near enough for it to count. */
const holdAwsSecretRun = classHold(charTable('A~Za~z0~9/+='), 44, (text, i) => text.charCodeAt(i) !== 61);
function holdAwsSecret(text: string, lo: number): number {
  AWS_SECRET_STEM.lastIndex = Math.max(0, text.length - 44 - AWS_SECRET_REACH);
  return AWS_SECRET_STEM.test(text) ? holdAwsSecretRun(text, lo) : text.length;
}

// ── jwt ────────────────────────────────────────────────────────────────────────────────────────
// Three base64url segments (signature may be empty); the header decodes to JSON with an `alg`.
const JWT_SEG = '[A-Za-z0-9_-]';
const JWT_RE = new RegExp(
  `(?<![A-Za-z0-9_-])eyJ${JWT_SEG}{5,1020}\\.${JWT_SEG}{2,8000}\\.${JWT_SEG}{0,1020}(?![A-Za-z0-9_-])`,
  'y',
);
const JWT_PATTERN = new RegExp(JWT_RE.source, 'g');

function validateJwt(text: string, start: number, end: number): number {
  const dot = text.indexOf('.', start);
  const json = Buffer.from(text.slice(start, dot), 'base64url').toString('utf8');
  // cheap shape checks first: a failed JSON.parse throws, and throwing is slow
  if (!json.endsWith('}') || !json.includes('"alg"')) return -1;
  try {
    const header: unknown = JSON.parse(json);
    if (
      header !== null &&
      typeof header === 'object' &&
      typeof (header as { alg?: unknown }).alg === 'string'
    ) {
      return end;
    }
  } catch {
    // not JSON: not a JWT
  }
  return -1;
}

// Searching for "yJ" ('y' is rarer than 'e' in text) and stepping back one is cheaper than "eyJ".
function nextJwt(text: string, from: number): number {
  let j = text.indexOf('yJ', from + 1);
  while (j > 0 && text.charCodeAt(j - 1) !== 101) j = text.indexOf('yJ', j + 1);
  return j > 0 ? j - 1 : -1;
}

const JWT_INNER = charTable('A~Za~z0~9_.-');
const eyjStart = headStart(['eyJ']);

/**
 * Stream: the earliest "eyJ" from which the tail can still be a JWT: walking back, stop once more
 * than two dots or a part longer than the pattern allows lie after (one pass, no rescans).
 */
function holdJwt(text: string, lo: number): number {
  const end = text.length;
  const min = Math.max(lo, end - 10_100);
  let hold = end;
  let dots = 0;
  let seg = 0;
  for (let i = end - 1; i >= min; i--) {
    const c = text.charCodeAt(i);
    if (!inClass(JWT_INNER, c)) break;
    if (c === 46) {
      if (++dots > 2) break;
      seg = 0;
    } else if (++seg > 8000) break;
    if (c === 101 && eyjStart(text, i)) hold = i;
  }
  return hold;
}

function findJwt(text: string, from: number, out: Match[]): void {
  let i = nextJwt(text, from);
  while (i >= 0) {
    JWT_RE.lastIndex = i;
    const m = JWT_RE.exec(text);
    if (m && validateJwt(text, i, i + m[0].length) > 0) {
      const end = i + m[0].length;
      out.push({ detector: 'jwt', start: i, end, from: i, priority: 1 });
      i = nextJwt(text, end);
    } else i = nextJwt(text, i + 1);
  }
}

// ── api_key ────────────────────────────────────────────────────────────────────────────────────
// Well-known token formats, and `api_key=…`/`token: …` assignments whose value (16+ characters,
// letters and digits, entropy ≥ 3 bits/char) is masked while the key name stays.
/**
 * A Slack incoming webhook: the last part of its path is the secret. Found from the URL's "://"
 * (the ':' is the match's `from`, and a head for the stream's hold), so no search of its own.
 */
const SLACK_HOOK = '://hooks.slack.com/services/';
const SLACK_HOOK_AT =
  /:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]{6,12}\/B[A-Z0-9]{6,12}\/([A-Za-z0-9]{20,32})(?![A-Za-z0-9])/y;

function trySlackHook(text: string, q: number, out: Match[]): void {
  SLACK_HOOK_AT.lastIndex = q;
  const m = SLACK_HOOK_AT.exec(text);
  if (m === null || !highEntropyToken(m[1]!, 3)) return;
  const end = SLACK_HOOK_AT.lastIndex;
  out.push({ detector: 'api_key', start: end - m[1]!.length, end, from: q, priority: 4 });
}

const API_KNOWN_RE = new RegExp(
  '(?:' +
    [
      'gh[pousr]_[A-Za-z0-9]{36,251}',
      'github_pat_[A-Za-z0-9_]{22,244}',
      'xox[abposr]-[A-Za-z0-9-]{10,250}',
      'xapp-\\d-[A-Za-z0-9-]{10,250}',
      'whsec_[A-Za-z0-9]{24,250}',
      'hf_[A-Za-z0-9]{30,250}',
      'pypi-AgE[A-Za-z0-9_-]{50,320}',
      'ya29\\.[A-Za-z0-9_-]{30,320}',
      '[sr]k_(?:live|test)_[A-Za-z0-9]{16,247}',
      'AIza[A-Za-z0-9_-]{35}',
      'sk-ant-[A-Za-z0-9_-]{32,250}',
      'sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,250}',
      'glpat-[A-Za-z0-9_-]{20,250}',
      'npm_[A-Za-z0-9]{36}',
      'SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}',
    ].join('|') +
    ')(?![A-Za-z0-9_-])',
  'g',
);
const API_HEADS = [
  'ghp_',
  'gho_',
  'ghu_',
  'ghs_',
  'ghr_',
  'github_pat_',
  'xoxa-',
  'xoxb-',
  'xoxp-',
  'xoxo-',
  'xoxs-',
  'xoxr-',
  'sk_live_',
  'sk_test_',
  'rk_live_',
  'rk_test_',
  'AIza',
  'sk-',
  'glpat-',
  'npm_',
  'SG.',
  'xapp-',
  'whsec_',
  'hf_',
  'pypi-',
  'ya29.',
  SLACK_HOOK,
];
// key-name assignments, Bearer/Basic and Authorization headers: key-assign.ts
const API_KEYWORD_HEADS = [
  'api',
  'access',
  'account',
  'auth',
  'refresh',
  'client',
  'secret',
  'shared',
  'token',
  'bearer',
  'basic',
];

function validateApiKnown(text: string, start: number, end: number): number {
  const s = text.slice(start, end);
  // the random part after the prefix: placeholders such as ghp_xxxx… are not secrets
  const body = s.replace(
    /^(?:gh[pousr]_|github_pat_|xox[a-z]-|[sr]k_(?:live|test)_|AIza|sk-(?:ant-|proj-|svcacct-|admin-)?|glpat-|npm_|SG\.|xapp-|whsec_|hf_|pypi-|ya29\.)/,
    '',
  );
  return highEntropyToken(body, 3) ? end : -1;
}

const apiBoundary = (text: string, i: number): boolean => {
  const c = prev(text, i);
  return !isWord(c) && c !== 45;
};
const apiHeadStart = headStart(API_HEADS);
const apiKeywordStart = headStart(API_KEYWORD_HEADS, true);

const API_KNOWN_AT = new RegExp(API_KNOWN_RE.source, 'y');

/**
 * Where a known token format can start, found from the first separator of its prefix (native
 * search for '_', '-', '.') and from "AIza": every alternative of API_KNOWN_RE begins with one of
 * these heads, so the pattern (run sticky at each candidate) finds what a scan would. Irregexp
 * would otherwise try the alternation at every 'g', 's', 'r', 'n', 'x', 'A', 'S' of the text.
 */
/** The "--" pairs (index of the first '-') at or after `from` seen by the last apiKnownStarts() call. */
const dashPairs: number[] = [];

function apiKnownStarts(text: string, from: number): number[] {
  const out: number[] = [];
  dashPairs.length = 0;
  const at = (s: number, head: string): boolean => s >= from && text.startsWith(head, s);
  for (let p = text.indexOf('_', from); p >= 0; p = text.indexOf('_', p + 1)) {
    // by the letter before '_': gh[pousr]_  npm_  github_pat_  [sr]k_(live|test)_  whsec_  hf_
    switch (text.charCodeAt(p - 1)) {
      case 112: // p
      case 111: // o
      case 117: // u
      case 115: // s
      case 114: // r
        if (at(p - 3, 'gh')) out.push(p - 3);
        break;
      case 109: // m
        if (at(p - 3, 'np')) out.push(p - 3);
        break;
      case 98: // b
        if (at(p - 6, 'github')) out.push(p - 6);
        break;
      case 107: // k
        if (at(p - 2, 's') || at(p - 2, 'r')) out.push(p - 2);
        break;
      case 99: // c
        if (at(p - 5, 'whse')) out.push(p - 5);
        break;
      case 102: // f
        if (at(p - 2, 'h')) out.push(p - 2);
        break;
    }
  }
  for (let p = text.indexOf('-', from); p >= 0; p = text.indexOf('-', p + 1)) {
    // by the letter before '-': xox[abposr]-  sk-…  glpat-  xapp-  pypi-
    switch (text.charCodeAt(p - 1)) {
      case 97: // a
      case 98: // b
      case 111: // o
      case 115: // s
      case 114: // r
        if (at(p - 4, 'xox')) out.push(p - 4);
        break;
      case 112: // p
        if (at(p - 4, 'xox') || at(p - 4, 'xap')) out.push(p - 4);
        break;
      case 107: // k
        if (at(p - 2, 's')) out.push(p - 2);
        break;
      case 116: // t
        if (at(p - 5, 'glpa')) out.push(p - 5);
        break;
      case 105: // i
        if (at(p - 4, 'pyp')) out.push(p - 4);
        break;
    }
    if (text.charCodeAt(p + 1) === 45) dashPairs.push(p); // for `--password VALUE`: no second search
  }
  for (let p = text.indexOf('SG.', from); p >= 0; p = text.indexOf('SG.', p + 1)) out.push(p);
  for (let p = text.indexOf('AIza', from); p >= 0; p = text.indexOf('AIza', p + 1)) out.push(p);
  for (let p = text.indexOf('ya29.', from); p >= 0; p = text.indexOf('ya29.', p + 1)) out.push(p);
  if (out.length > 1) out.sort((a, b) => a - b);
  return out;
}

/** The plain scan findApiKnown() stands for (tests compare the two). */
export const findApiKnownByScan = regexFind(API_KNOWN_RE, validateApiKnown, 'api_key', 4, apiBoundary);

/** regexFind(API_KNOWN_RE, …) over the candidate starts only. */
export function findApiKnown(text: string, from: number, out: Match[]): void {
  let next = from; // a match ends the search before its end, as lastIndex does for a scan
  for (const start of apiKnownStarts(text, from)) {
    if (start < next) continue;
    API_KNOWN_AT.lastIndex = start;
    const m = API_KNOWN_AT.exec(text);
    if (m === null) continue;
    const end = apiBoundary(text, start) ? validateApiKnown(text, start, start + m[0].length) : -1;
    if (end > start) {
      out.push({ detector: 'api_key', start, end, from: start, priority: 4 });
      next = end;
    }
  }
}

// value() knows the longest token run of the text it scans (its pre-scan): a token format and a
// Bearer/Basic value each need 15+ token characters in a row, so a text without such a run (a
// timestamp, a short URL) skips them. (A key-name assignment is always tried: a quoted value may be
// broken into short runs by '#', '!', '$'.) Keyed by the text: any other text (the stream's,
// a test's) gets no hint, and equal texts have equal runs.
let hintText: string | undefined;
let hintTokenRun = 0;
/** Tells findAll()'s next run on `text` its longest token run (undefined: forget). */
export function setTokenRunHint(text: string | undefined, tokenRun: number): void {
  hintText = text;
  hintTokenRun = tokenRun;
}
const TOKEN_MIN = 15; // xoxb- + 10: the shortest token format; Bearer/Basic values are 16+

export const NAME_OTHER = 0;
export const NAME_PASSWORD = 1;
export const NAME_AUTHORIZATION = 2;
export const NAME_KEY = 3;
/**
 * What an assignment's name ending in the characters (or bytes) x y z can be, any case: every password name
 * ends in "ord", "swd", "pwd", "ass" or "ase", an Authorization header in "ion", and every key name in "key",
 * "ken" (token) or "ret" (secret). JSON is full of `"qty":`, `"city":`, `"count":` that would otherwise each cost
 * a dozen regex attempts. findApiKey() and the byte pre-checks (credentialAssignAt) both ask this.
 */
export function nameEnd(x: number, y: number, z: number): number {
  const a = x | 32;
  const b = y | 32;
  const c = z | 32;
  if (
    c === 100
      ? (a === 111 && b === 114) || (b === 119 && (a === 115 || a === 112))
      : (c === 115 || c === 101) && a === 97 && b === 115
  )
    return NAME_PASSWORD;
  if (a === 105 && b === 111 && c === 110) return NAME_AUTHORIZATION;
  return b === 101 && ((a === 107 && (c === 121 || c === 110)) || (a === 114 && c === 116))
    ? NAME_KEY
    : NAME_OTHER;
}

function findApiKey(text: string, from: number, out: Match[]): void {
  const tokens = text === hintText ? hintTokenRun >= TOKEN_MIN : true;
  resetRuns(text);
  if (tokens) findApiKnown(text, from, out);
  else {
    dashPairs.length = 0; // what apiKnownStarts() would have collected
    for (let p = text.indexOf('--', from); p >= 0; p = text.indexOf('--', p + 1)) dashPairs.push(p);
  }
  let pos = from;
  // the next ':' and the next '=', each searched again only once passed (a missing one once)
  let colon = text.indexOf(':', from);
  let equals = text.indexOf('=', from);
  while (colon >= 0 || equals >= 0) {
    const q = colon < 0 ? equals : equals < 0 ? colon : Math.min(colon, equals);
    if (q === colon) {
      colon = text.indexOf(':', q + 1);
      // scheme://user:PASSWORD@host (found from its ':', so no search of its own), also as
      // scheme:\/\/… in JSON text
      const c1 = text.charCodeAt(q + 1);
      const w = c1 === 47 || c1 === 92 ? slashesAt(text, q + 1) : 0;
      if (w > 0) {
        if (w === 2 && text.startsWith(SLACK_HOOK, q)) trySlackHook(text, q, out);
        tryUrlCredentials(text, q, out, 1 + w);
        continue;
      }
    } else equals = text.indexOf('=', q + 1);
    // back over blanks and a quote to where the name must end
    let k = q;
    while (k > pos && q - k < 8 && (text.charCodeAt(k - 1) === 32 || text.charCodeAt(k - 1) === 9)) k--;
    if (k > pos && (text.charCodeAt(k - 1) === 34 || text.charCodeAt(k - 1) === 39)) k--;
    if (k > pos && text.charCodeAt(k - 1) === 92) k--; // \" (JSON in JSON)
    if (k - 3 < pos) continue;
    // the name's last three letters say what it can be (nameEnd). (A match whose [:=] is an earlier one
    // was already tried from that one.)
    const kind = nameEnd(text.charCodeAt(k - 3), text.charCodeAt(k - 2), text.charCodeAt(k - 1));
    if (kind === NAME_PASSWORD) {
      // a password name (…password, …passwd, …pass, …pwd, passphrase): its value, the name kept
      const end = tryPasswordAssign(text, k, pos, out);
      if (end > 0) pos = end;
      continue;
    }
    if (kind === NAME_AUTHORIZATION) {
      // …ion: an Authorization header, its credentials whatever the scheme
      const end = tryAuthHeader(text, k, pos, out);
      if (end > 0) pos = end;
      continue;
    }
    if (kind !== NAME_KEY || k - NAME_SHORTEST < pos) continue;
    const end = tryKeyAssign(text, Math.max(pos, k - NAME_LONGEST), k - NAME_SHORTEST, out);
    if (end > 0) pos = end;
  }
  if (tokens) findSchemes(text, from, out);
  findDashPasswords(text, from, out, dashPairs);
}

const apiClassHold = classHold(
  charTable('A~Za~z0~9_.-/+="\'\\: \t'),
  340,
  (text, i) => apiHeadStart(text, i) || apiKeywordStart(text, i),
);
/**
 * Stream hold of api_key: token formats and names cut short (the class hold), key-name assignments and
 * Authorization/Bearer/Basic values still open, password assignments, URL credentials.
 */
function holdApiKey(text: string, lo: number): number {
  const a = apiClassHold(text, lo);
  const b = holdPassword(text, lo);
  const c = holdUrl(text, lo);
  const d = holdKeyAssign(text, lo);
  return Math.min(a, b, c, d);
}

/** Context a password or URL match reads before its `from` (the name, the scheme). */
const NAME_REACH = 64;
const SCHEME_REACH = 32;

// ── private_key ────────────────────────────────────────────────────────────────────────────────
/** How far a PEM block may run before it is masked anyway (no END seen: fail closed). */
export const PRIVATE_KEY_BOUND = 16384;
const PK_HEADER = /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----/y;
const PK_END = /-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----/y;
const PK_PATTERN =
  /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----/g;
const PK_PARTIAL_HEADER = /^-----BEGIN[ A-Z0-9-]{0,60}$/;
const BEGIN = '-----BEGIN';

/**
 * Walks the PEM blocks from `from`: pushes each (BEGIN → END, or BEGIN → bound/end of text) to
 * `out`, and returns where the first block that is still open at the end of `text` starts (-1: none).
 */
/** The next "-----BEGIN" at or after `from`: "BEGIN" is found fast (logs are full of dashes). */
function nextBegin(text: string, from: number): number {
  let j = text.indexOf('BEGIN', from + 5);
  while (j >= 0 && !text.startsWith('-----', j - 5)) j = text.indexOf('BEGIN', j + 1);
  return j < 0 ? -1 : j - 5;
}

function scanPrivateKeys(text: string, from: number, out: Match[] | null): number {
  let open = -1;
  let i = nextBegin(text, from);
  while (i >= 0) {
    PK_HEADER.lastIndex = i;
    if (!PK_HEADER.test(text)) {
      if (open < 0 && PK_PARTIAL_HEADER.test(text.slice(i))) open = i;
      i = nextBegin(text, i + 1);
      continue;
    }
    const limit = i + PRIVATE_KEY_BOUND;
    let end = -1;
    let j = PK_HEADER.lastIndex;
    while ((j = text.indexOf('-----END', j)) >= 0 && j < limit) {
      PK_END.lastIndex = j;
      if (PK_END.test(text)) {
        if (PK_END.lastIndex <= limit) end = PK_END.lastIndex;
        break;
      }
      j++;
    }
    if (end < 0) {
      if (text.length < limit && open < 0) open = i;
      end = Math.min(limit, text.length);
    }
    out?.push({ detector: 'private_key', start: i, end, from: i, priority: 0 });
    i = nextBegin(text, end);
  }
  return open;
}

function holdPrivateKey(text: string, lo: number): number {
  const end = text.length;
  const open = scanPrivateKeys(text, Math.max(lo, end - PRIVATE_KEY_BOUND - 64), null);
  if (open >= 0) return open;
  // the text ends in the first characters of "-----BEGIN"
  for (let k = Math.min(BEGIN.length - 1, end - lo); k >= 1; k--) {
    if (text.endsWith(BEGIN.slice(0, k))) return end - k;
  }
  return end;
}

// ── the table ──────────────────────────────────────────────────────────────────────────────────
const DIGIT_START = (text: string, i: number): boolean => isDigit(text.charCodeAt(i));

function spec(
  s: Omit<DetectorSpec, 'find' | 'holdFrom' | 'gate'> &
    Partial<Pick<DetectorSpec, 'find' | 'holdFrom'>> & {
      inner?: string;
      canStart?: (text: string, i: number) => boolean;
      boundary?: (text: string, start: number) => boolean;
    },
): DetectorSpec {
  const find = s.find ?? regexFind(s.pattern, s.validate, s.name, s.priority, s.boundary);
  const holdFrom = s.holdFrom ?? classHold(charTable(s.inner ?? ''), s.maxLength, s.canStart ?? (() => true));
  return {
    name: s.name,
    priority: s.priority,
    maxLength: s.maxLength,
    pattern: s.pattern,
    validate: s.validate,
    gate: gateOf(gateRows(s)),
    gateMin: s.gateMin,
    ...(s.gateAlt ? { gateAlt: s.gateAlt } : {}),
    find,
    holdFrom,
  };
}

export const DETECTORS: Record<Detector, DetectorSpec> = {
  private_key: spec({
    name: 'private_key',
    priority: 0,
    maxLength: PRIVATE_KEY_BOUND,
    pattern: PK_PATTERN,
    validate: (_t, _s, end) => end,
    gateMin: { dashRun: 5 },
    find: (text, from, out) => void scanPrivateKeys(text, from, out),
    holdFrom: holdPrivateKey,
  }),
  jwt: spec({
    name: 'jwt',
    priority: 1,
    maxLength: 10_100,
    pattern: JWT_PATTERN,
    validate: validateJwt,
    gateMin: { tokenRun: 12 }, // eyJ + 5 + . + 2 + . is the shortest the pattern takes
    find: findJwt,
    holdFrom: holdJwt,
  }),
  aws_access_key: spec({
    name: 'aws_access_key',
    priority: 2,
    maxLength: 24,
    pattern: AWS_KEY_RE,
    validate: validateAwsKey,
    boundary: alnumBoundary,
    gateMin: { tokenRun: 20, upper: 4 },
    inner: 'A~Za~z0~9',
    canStart: headStart(['AKIA', 'ASIA', 'ABIA', 'ACCA']),
  }),
  aws_secret_key: spec({
    name: 'aws_secret_key',
    priority: 3,
    maxLength: 44,
    pattern: AWS_SECRET_RE,
    validate: validateAwsSecret,
    gateMin: { tokenRun: 40 },
    find: findAwsSecret,
    holdFrom: holdAwsSecret,
  }),
  api_key: spec({
    name: 'api_key',
    priority: 4,
    maxLength: Math.max(340, PW_SPAN + NAME_REACH, URL_SPAN + SCHEME_REACH, ASSIGN_SPAN),
    pattern: API_KNOWN_RE,
    validate: validateApiKnown,
    gateMin: { tokenRun: 15 }, // xoxb- + 10
    // a password assignment (`pwd=` + 6) or a URL password (`a://:p@`) holds a ':' or '=' in 7+;
    // `--pwd VALUE` holds "--"
    gateAlt: [
      { assign: 1, length: 7 },
      { dashRun: 2, length: 12 },
    ],
    find: findApiKey,
    holdFrom: holdApiKey,
  }),
  iban: spec({
    name: 'iban',
    priority: 5,
    maxLength: 70,
    pattern: IBAN_RE,
    validate: validateIban,
    boundary: alnumBoundary,
    gateMin: { length: 15, upper: 2, digits: 4 },
    // lower case: unspaced, a 15+ token run; spaced, 8 digits joined by single spaces (validateIban)
    gateAlt: [
      { length: 15, tokenRun: 15 },
      { length: 15, digitRun: 8 },
    ],
    inner: 'A~Za~z0~9 ',
    canStart: (text, i) => {
      const n = text.length;
      return (
        isLetter(text.charCodeAt(i)) &&
        (i + 1 >= n || isLetter(text.charCodeAt(i + 1))) &&
        (i + 2 >= n || isDigit(text.charCodeAt(i + 2))) &&
        (i + 3 >= n || isDigit(text.charCodeAt(i + 3)))
      );
    },
  }),
  credit_card: spec({
    name: 'credit_card',
    priority: 6,
    maxLength: 28,
    pattern: CARD_RE,
    validate: validateCard,
    find: clusterFind(CARD_RE, 13, validateCard, 'credit_card', 6, cardBoundary),
    gateMin: { digitRun: 13 },
    inner: '0~9 ,.-',
    canStart: DIGIT_START,
  }),
  us_ssn: spec({
    name: 'us_ssn',
    priority: 7,
    maxLength: 14,
    pattern: SSN_RE,
    validate: validateSsn,
    find: clusterFind(SSN_RE, 9, validateSsn, 'us_ssn', 7, ssnBoundary),
    gateMin: { digitRun: 9 },
    inner: '0~9 ,.-',
    canStart: DIGIT_START,
  }),
  email: spec({
    name: 'email',
    priority: 8,
    maxLength: 800,
    pattern: EMAIL_RE,
    validate: (text, start, end) => {
      const at = text.indexOf('@', start);
      const m = at >= 0 && at < end ? emailAt(text, at) : null;
      return m && m.start === start ? m.end : -1;
    },
    gateMin: { at: 1 },
    find: findEmail,
    inner: 'A~Za~z0~9._%+@\\-', // '\\': `\u0040`, `\u002b` in JSON text
    canStart: (text, i) => inClass(EMAIL_LOCAL, text.charCodeAt(i)),
  }),
  phone: spec({
    name: 'phone',
    priority: 9,
    maxLength: 300,
    pattern: E164_RE,
    validate: validateE164,
    gateMin: { digitRun: 8 },
    find: (text, from, out) => {
      findE164(text, from, out);
      findNanp(text, from, out);
    },
    inner: '0~9 .()+-',
    canStart: (text, i) => {
      const c = text.charCodeAt(i);
      return isDigit(c) || c === 43 || c === 40;
    },
  }),
};

/** Detectors in priority order (the order they are run and ties are broken). */
export const DETECTOR_ORDER: readonly Detector[] = Object.values(DETECTORS)
  .sort((a, b) => a.priority - b.priority)
  .map((d) => d.name);
