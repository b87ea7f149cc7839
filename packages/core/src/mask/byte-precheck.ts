// A byte-level look at a value before a listener decodes it into a JS string: when no masking
// detector's gate can pass on it, masker.value() would return it unchanged, so the listener can
// forward the bytes without decoding them (most ids, names and free text in a Postgres result).
//
// It errs towards "may mask": the same pre-scan counts the masker computes on the decoded string,
// over the raw bytes (prescanBytes: a multi-byte character only breaks runs and makes `length`
// larger), asked of EVERY detector's gate, not only the policy's — the same combined gate the masker
// uses as its own first check. Values under a column rule must not be skipped: the listener always
// calls value() for them.
import { combinedGate, DETECTORS, NAME_OTHER, nameEnd } from './detectors.js';
import { ASSIGN, CLASS, DIGIT, escapedAtBytes, newPreScan, prescanBytes, SEP, TOKEN, UPPER } from './scan.js';

const anyDetector = combinedGate(Object.values(DETECTORS));
const scratch = newPreScan();
// The email gate is only "holds an '@'": an '@' settles the answer before the end of the value.
if (Object.keys(DETECTORS.email.gateMin).join() !== 'at')
  throw new Error('byte-precheck: email gate changed');

/** False only when masker.value() (without a column rule) cannot change the value in bytes [start, end). */
export function mayMask(buf: Uint8Array, start: number, end: number): boolean {
  // prescanBytes() (scan.ts), stopping at the first '@'
  let digits = 0;
  let upper = 0;
  let digitRun = 0;
  let curDigits = 0;
  let seps = 0;
  let tokenRun = 0;
  let curToken = 0;
  let dashRun = 0;
  let curDash = 0;
  let assign = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    const f = c < 128 ? CLASS[c]! : 0;
    if (f === TOKEN) {
      curDigits = 0;
      seps = 0;
      if (++curToken > tokenRun) tokenRun = curToken;
      curDash = 0;
      continue;
    }
    if (f === SEP) {
      // ' ', '(' and ')': the general steps below, specialised
      if (++seps > 2) curDigits = 0;
      curToken = 0;
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
    else if (c === 64 || (c === 92 && escapedAtBytes(buf, i, end))) return true;
    else if (f & ASSIGN && credentialAssignAt(buf, i, start, end)) assign++;
    if (c === 45) {
      if (++curDash > dashRun) dashRun = curDash;
    } else curDash = 0;
  }
  scratch.length = end - start;
  scratch.digits = digits;
  scratch.upper = upper;
  scratch.at = false;
  scratch.digitRun = digitRun;
  scratch.tokenRun = tokenRun;
  scratch.dashRun = dashRun;
  scratch.assign = assign;
  return anyDetector(scratch);
}

/**
 * Whether the ':' or '=' at b[q] is one api_key's finder (findApiKey in detectors.ts) looks further at:
 * the ':' of a `://` (URL credentials, webhook URLs), or the separator of an assignment whose name ends
 * like a credential's ("…key", "…ken", "…ret", "…ord", "…swd", "…pwd", "…ass", "…ase", "…ion"), after at
 * most 7 blanks, a quote and a backslash. The finder makes the same test on the decoded text; every byte
 * it reads is ASCII, so bytes and characters agree (and `lo` below its own start only lets more through).
 * A `notes:` or `12:30` in free text no longer opens api_key's gate, so such values are not decoded.
 */
export function credentialAssignAt(b: Uint8Array, q: number, lo: number, hi: number): boolean {
  if (b[q] === 58 && q + 1 < hi && (b[q + 1] === 47 || b[q + 1] === 92)) return true;
  let k = q;
  while (k > lo && q - k < 8 && (b[k - 1] === 32 || b[k - 1] === 9)) k--;
  if (k > lo && (b[k - 1] === 34 || b[k - 1] === 39)) k--;
  if (k > lo && b[k - 1] === 92) k--;
  if (k - 3 < lo) return false;
  return nameEnd(b[k - 3]!, b[k - 2]!, b[k - 1]!) !== NAME_OTHER;
}

/** mayMask() the slow way: the whole pre-scan, then every gate (tests compare the two). */
export function mayMaskByPrescan(buf: Uint8Array, start: number, end: number): boolean {
  const pre = prescanBytes(buf, start, end, scratch);
  // only the separators api_key's finder looks further at count (credentialAssignAt)
  let assign = 0;
  for (let i = start; i < end; i++) {
    if ((buf[i] === 58 || buf[i] === 61) && credentialAssignAt(buf, i, start, end)) assign++;
  }
  pre.assign = assign;
  return anyDetector(pre);
}
