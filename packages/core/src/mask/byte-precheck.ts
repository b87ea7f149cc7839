// A byte-level look at a value before a listener decodes it into a JS string: when no masking
// detector's gate can pass on it, masker.value() would return it unchanged, so the listener can
// forward the bytes without decoding them (most ids, names and free text in a Postgres result).
//
// It errs towards "may mask": the same pre-scan counts the masker computes on the decoded string,
// over the raw bytes (prescanBytes: a multi-byte character only breaks runs and makes `length`
// larger), asked of EVERY detector's gate, not only the policy's — the same combined gate the masker
// uses as its own first check. Values under a column rule must not be skipped: the listener always
// calls value() for them.
import { combinedGate, DETECTORS } from './detectors.js';
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
    else if (f & ASSIGN) assign++;
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

/** mayMask() as it was: the whole pre-scan, then every gate (tests compare the two). */
export function mayMaskByPrescan(buf: Uint8Array, start: number, end: number): boolean {
  return anyDetector(prescanBytes(buf, start, end, scratch));
}
