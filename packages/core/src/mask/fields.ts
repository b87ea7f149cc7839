// value() of a line of tab-separated fields (a Postgres COPY text row: a tab between fields, a newline
// at the end), computed field by field on the bytes: only a field whose bytes pass a detector gate is
// decoded and masked, and a changed field is reported as a byte range so the listener rewrites that
// range only. The result is exactly masker.value() of the whole line (property-tested):
//
// - no match of any detector contains a tab or a newline except a PEM block (`private_key`) and an
//   `api_key` assignment or `Bearer` whose blanks (`[ \t]{0,8}`) hold a tab;
// - the boundary checks and look-aheads treat a tab (or the newline that ends the line) as they treat
//   the ends of the text (neither is a word, token, digit or separator character);
// - only two detectors read text before a match: `us_ssn` (a bare or spaced SSN counts after "ssn" /
//   "social security" / "ss#" in the 32 characters before) and `aws_secret_key` (its context in the
//   120 characters before).
//
// So when a line holds none of these shapes — a field with a run of five dashes, a field whose first
// or last non-blank character is ':' or '=', a field ending in "bearer", a field with a 40-character
// token run (aws_secret_key), an SSN context in the 32 characters before a field that has a 9-digit run —
// every match lies inside one field and is found there as in the line; otherwise the whole line goes
// to value(). Only the detectors the masker has are considered (all of them when it does not say).
import type { Detector } from '../config/types.js';
import type { Masker } from '../types.js';
import { credentialAssignAt } from './byte-precheck.js';
import { combinedGate, DETECTORS } from './detectors.js';
import { ASSIGN, CLASS, DIGIT, decode, escapedAtBytes, newPreScan, SEP, TOKEN, UPPER } from './scan.js';

/** The changed byte ranges of one maskFieldsBytes() call, in order (reused between calls). */
export class FieldEdits {
  count = 0;
  starts: number[] = [];
  ends: number[] = [];
  texts: string[] = [];

  push(start: number, end: number, text: string): void {
    const k = this.count++;
    this.starts[k] = start;
    this.ends[k] = end;
    this.texts[k] = text;
  }
}

const MIN_DETECTABLE = 6;
const anyGate = combinedGate(Object.values(DETECTORS));
const pre = newPreScan();
const PK_DASHES = DETECTORS.private_key.gateMin.dashRun ?? 5;
const AWS_SECRET_RUN = DETECTORS.aws_secret_key.gateMin.tokenRun ?? 40;
const SSN_RUN = DETECTORS.us_ssn.gateMin.digitRun ?? 9;
// 32 characters of context before a match: up to 96 bytes of UTF-8 (a UTF-16 unit is at most 3 bytes)
const SSN_REACH_BYTES = 96;

/** Per masker: which of the cross-field shapes it must look for. */
interface Crossing {
  privateKey: boolean;
  apiKey: boolean;
  awsSecret: boolean;
  ssn: boolean;
}
const ALL: Crossing = { privateKey: true, apiKey: true, awsSecret: true, ssn: true };
const crossings = new WeakMap<Masker, Crossing>();
function crossingOf(masker: Masker): Crossing {
  let c = crossings.get(masker);
  if (c === undefined) {
    const names = (masker as { detectors?: readonly Detector[] }).detectors;
    c = names
      ? {
          privateKey: names.includes('private_key'),
          apiKey: names.includes('api_key'),
          awsSecret: names.includes('aws_secret_key'),
          ssn: names.includes('us_ssn'),
        }
      : ALL;
    crossings.set(masker, c);
  }
  return c;
}

// The fields of the current line that value() must see: [start, end).
let fieldStart = new Int32Array(64);
let fieldEnd = new Int32Array(64);

/**
 * masker.value() (no column) of bytes [start, end) decoded with `enc`, field by field: false when
 * nothing changed; else true with `edits` holding the changed ranges (absolute offsets into `buf`)
 * and their masked text. A line that could hold a match across fields is one edit of value(line).
 * Fields are split at tabs, and a newline that ends the line is left out of the last one.
 */
export function maskFieldsBytes(
  masker: Masker,
  buf: Buffer,
  start: number,
  end: number,
  enc: 'utf8' | 'latin1',
  edits: FieldEdits,
): boolean {
  edits.count = 0;
  const cross = crossingOf(masker);
  const stop = end > start && buf[end - 1] === 10 ? end - 1 : end;
  let n = 0;
  let whole = false;
  let fs = start;
  // every SSN context word starts with "ss" or "so" (any case): where the last such pair starts
  let sAt = -2;
  let lastPair = -1;
  // prescan() of each field (see scan.ts), fused with the split at tabs: one pass over the line
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
  for (let i = start; i <= stop; i++) {
    const c = i < stop ? buf[i]! : 9;
    if (c === 9) {
      const len = i - fs;
      if (len >= PK_DASHES) {
        if (cross.privateKey && dashRun >= PK_DASHES) whole = true;
        else if (cross.awsSecret && tokenRun >= AWS_SECRET_RUN) whole = true;
        else if (
          cross.ssn &&
          digitRun >= SSN_RUN &&
          fs > start &&
          lastPair >= Math.max(start, fs - SSN_REACH_BYTES) &&
          ssnContextBefore(buf, start, fs)
        ) {
          whole = true;
        }
        if (len >= MIN_DETECTABLE) {
          pre.length = len;
          pre.digits = digits;
          pre.upper = upper;
          pre.at = at;
          pre.digitRun = digitRun;
          pre.tokenRun = tokenRun;
          pre.dashRun = dashRun;
          pre.assign = assign;
          if (anyGate(pre)) {
            if (n === fieldStart.length) grow();
            fieldStart[n] = fs;
            fieldEnd[n++] = i;
          }
        }
      }
      if (cross.apiKey && len > 0 && assignmentAtEdge(buf, fs, i)) whole = true;
      if (whole) break;
      fs = i + 1;
      digits = 0;
      upper = 0;
      at = false;
      digitRun = 0;
      curDigits = 0;
      seps = 0;
      tokenRun = 0;
      curToken = 0;
      dashRun = 0;
      curDash = 0;
      assign = 0;
      continue;
    }
    const f = c < 128 ? CLASS[c]! : 0;
    if (f === TOKEN) {
      if (c === 115) {
        if (sAt === i - 1) lastPair = sAt;
        sAt = i;
      } else if (c === 111 && sAt === i - 1) lastPair = sAt;
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
    if (f & UPPER) {
      upper++;
      if (c === 83) {
        if (sAt === i - 1) lastPair = sAt;
        sAt = i;
      } else if (c === 79 && sAt === i - 1) lastPair = sAt;
    } else if (c === 64 || (c === 92 && escapedAtBytes(buf, i, stop))) at = true;
    else if (f & ASSIGN && credentialAssignAt(buf, i, fs, stop)) assign++;
    if (c === 45) {
      if (++curDash > dashRun) dashRun = curDash;
    } else curDash = 0;
  }
  if (whole) {
    const text = buf.toString(enc, start, end);
    const masked = masker.value(text);
    if (masked === text) return false;
    edits.push(start, end, masked);
    return true;
  }
  const valueBytes = masker.valueBytes;
  for (let k = 0; k < n; k++) {
    const fs = fieldStart[k]!;
    const fe = fieldEnd[k]!;
    if (valueBytes !== undefined) {
      // checked on the bytes: an all-digit field (a number, a card) or a whole address is never decoded
      const masked = valueBytes.call(masker, buf, fs, fe, undefined, enc);
      if (masked !== undefined) edits.push(fs, fe, masked);
      continue;
    }
    const text = decode(buf, fs, fe, enc);
    const masked = masker.value(text);
    if (masked !== text) edits.push(fs, fe, masked);
  }
  return edits.count > 0;
}

function grow(): void {
  const s = new Int32Array(fieldStart.length * 2);
  s.set(fieldStart);
  fieldStart = s;
  const e = new Int32Array(fieldEnd.length * 2);
  e.set(fieldEnd);
  fieldEnd = e;
}

/**
 * True when an `api_key` assignment or `Bearer` could reach over the separators around [fs, fe):
 * the first or last non-blank byte is ':' or '=', or the field ends in "bearer" (any case).
 */
function assignmentAtEdge(b: Buffer, fs: number, fe: number): boolean {
  let i = fs;
  while (i < fe && b[i] === 32) i++;
  if (i === fe) return false;
  const first = b[i]!;
  if (first === 58 || first === 61) return true;
  let j = fe - 1;
  while (j > i && b[j] === 32) j--;
  const last = b[j]!;
  if (last === 58 || last === 61) return true;
  if ((last | 32) !== 114 || j - 5 < fs) return false; // 'r'
  return (
    (b[j - 5]! | 32) === 98 && // b
    (b[j - 4]! | 32) === 101 && // e
    (b[j - 3]! | 32) === 97 && // a
    (b[j - 2]! | 32) === 114 && // r
    (b[j - 1]! | 32) === 101 // e
  );
}

/**
 * True when the SSN context (`ssn`, `ss#`, `social…security`, any case) may lie in the 32 characters
 * before `fs` (conservative: 96 bytes, and "social" alone is enough).
 */
function ssnContextBefore(b: Buffer, lineStart: number, fs: number): boolean {
  const lo = Math.max(lineStart, fs - SSN_REACH_BYTES);
  for (let i = lo; i + 2 < fs; i++) {
    if ((b[i]! | 32) !== 115) continue; // 's'
    const c1 = b[i + 1]! | 32;
    if (c1 === 115) {
      const c2 = b[i + 2]!;
      if ((c2 | 32) === 110 || c2 === 35) return true; // ssn, ss#
    } else if (
      c1 === 111 && // o
      i + 5 < fs &&
      (b[i + 2]! | 32) === 99 && // c
      (b[i + 3]! | 32) === 105 && // i
      (b[i + 4]! | 32) === 97 && // a
      (b[i + 5]! | 32) === 108 // l
    ) {
      return true;
    }
  }
  return false;
}
