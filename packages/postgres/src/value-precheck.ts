// A byte-level look at a result value before it is decoded into a JS string: when no masking
// detector's gate can pass on it, masker.value() would return it unchanged, so the listener
// forwards the bytes without decoding them (most ids, names and free text in a result).
//
// It errs towards calling value(): it computes the same pre-scan counts core's masker computes on
// the decoded string, over the raw bytes (ASCII bytes decode to themselves in UTF-8 and latin1; a
// non-ASCII byte, like a non-ASCII character, belongs to no class and only breaks runs), with the
// byte length (≥ the string's length), and asks the gates of EVERY detector, not only the policy's.
// Values under a column rule never come here: the listener always calls value() for them.
import { DETECTOR_SPECS, type PreScan } from '@portcullis/core';

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

const GATES = Object.values(DETECTOR_SPECS).map((s) => s.gate);

/** The masker's pre-scan counts over bytes [start, end). */
export function bytePrescan(buf: Uint8Array, start: number, end: number): PreScan {
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
    else if (c === 64) at = true;
    if (c === 45) {
      if (++curDash > dashRun) dashRun = curDash;
    } else curDash = 0;
  }
  return { length: end - start, digits, upper, at, digitRun, tokenRun, dashRun };
}

/** False only when masker.value() (without a column rule) cannot change the value in bytes [start, end). */
export function mayMask(buf: Uint8Array, start: number, end: number): boolean {
  // Shortcuts that only ever answer "may mask" (always safe): an '@', or eight digits in a row.
  let run = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c === 64) return true;
    if (c >= 48 && c <= 57) {
      if (++run >= 8) return true;
    } else run = 0;
  }
  const pre = bytePrescan(buf, start, end);
  for (const gate of GATES) if (gate(pre)) return true;
  return false;
}
