// A byte-level look at a value before a listener decodes it into a JS string: when no masking
// detector's gate can pass on it, masker.value() would return it unchanged, so the listener can
// forward the bytes without decoding them (most ids, names and free text in a Postgres result).
//
// It errs towards calling value(): it computes the same pre-scan counts core's masker computes on
// the decoded string, over the raw bytes (ASCII bytes decode to themselves in UTF-8 and latin1; a
// non-ASCII byte, like a non-ASCII character, belongs to no class and only breaks runs), with the
// byte length (≥ the string's length), and asks the gates of EVERY detector, not only the policy's.
// Values under a column rule must not be skipped: the listener always calls value() for them.
import { DETECTORS as DETECTOR_SPECS, type PreScan } from './detectors.js';

const DIGIT = 1;
const UPPER = 2;
const TOKEN = 4; // [A-Za-z0-9_.+/=-]
const SEP = 8; // may sit between the digits of a card, phone or SSN: ` -.()`

const CLASS = new Uint8Array(256);
for (let c = 48; c <= 57; c++) CLASS[c] = DIGIT | TOKEN;
for (let c = 65; c <= 90; c++) CLASS[c] = UPPER | TOKEN;
for (let c = 97; c <= 122; c++) CLASS[c] = TOKEN;
for (const ch of '_+/=') CLASS[ch.charCodeAt(0)] = TOKEN;
for (const ch of '.-') CLASS[ch.charCodeAt(0)] = TOKEN | SEP;
for (const ch of ' ()') CLASS[ch.charCodeAt(0)] = SEP;

const SPECS = Object.values(DETECTOR_SPECS);
const FIELDS = ['length', 'digits', 'upper', 'at', 'digitRun', 'tokenRun', 'dashRun'] as const;
/** Every detector's gate minimums in one flat table (7 per detector): no call per detector per value. */
const MINS = Int32Array.from(SPECS.flatMap((d) => FIELDS.map((f) => d.gateMin[f] ?? 0)));
/**
 * The table stands for the gates only when each gate is exactly "all minimums hold": it passes at its
 * minimums, and fails with any one count just below its minimum (everything else at its largest).
 * Otherwise the gate functions themselves are asked.
 */
const ONLY_MINS = SPECS.every((d) => {
  const big = (): PreScan => ({
    length: 1 << 30,
    digits: 1 << 30,
    upper: 1 << 30,
    at: true,
    digitRun: 1 << 30,
    tokenRun: 1 << 30,
    dashRun: 1 << 30,
  });
  const atMins = big();
  for (const f of FIELDS) if (f !== 'at') atMins[f] = d.gateMin[f] ?? 0;
  atMins.at = (d.gateMin.at ?? 0) > 0;
  if (!d.gate(atMins)) return false;
  return FIELDS.every((f) => {
    const min = d.gateMin[f] ?? 0;
    if (min <= 0) return true;
    const below = big();
    if (f === 'at') below.at = false;
    else below[f] = min - 1;
    return !d.gate(below);
  });
});
const GATES = SPECS.map((s) => s.gate);

const scratch: PreScan = { length: 0, digits: 0, upper: 0, at: false, digitRun: 0, tokenRun: 0, dashRun: 0 };

/** The masker's pre-scan counts over bytes [start, end) (filled into `out`). */
export function bytePrescan(
  buf: Uint8Array,
  start: number,
  end: number,
  out: PreScan = { ...scratch },
): PreScan {
  scan(buf, start, end, out, false);
  return out;
}

/** Fills `out`; with `stopAtAt`, returns false at the first '@' (an email gate passes: no need to go on). */
function scan(buf: Uint8Array, start: number, end: number, out: PreScan, stopAtAt: boolean): boolean {
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
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    const f = CLASS[c]!;
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
    else if (c === 64) {
      if (stopAtAt) return false;
      at = true;
    }
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
  return true;
}

/** False only when masker.value() (without a column rule) cannot change the value in bytes [start, end). */
export function mayMask(buf: Uint8Array, start: number, end: number): boolean {
  // The common "yes" (an '@': the email gate) ends the walk early.
  if (!scan(buf, start, end, scratch, true)) return true;
  const s = scratch;
  if (!ONLY_MINS) {
    for (const gate of GATES) if (gate(s)) return true;
    return false;
  }
  const t = MINS;
  for (let k = 0; k < t.length; k += 7) {
    if (
      s.length >= t[k]! &&
      s.digits >= t[k + 1]! &&
      s.upper >= t[k + 2]! &&
      t[k + 3]! === 0 &&
      s.digitRun >= t[k + 4]! &&
      s.tokenRun >= t[k + 5]! &&
      s.dashRun >= t[k + 6]!
    )
      return true;
  }
  return false;
}
