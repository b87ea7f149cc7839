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
import { newPreScan, prescanBytes } from './scan.js';

const anyDetector = combinedGate(Object.values(DETECTORS));
const scratch = newPreScan();

/** False only when masker.value() (without a column rule) cannot change the value in bytes [start, end). */
export function mayMask(buf: Uint8Array, start: number, end: number): boolean {
  return anyDetector(prescanBytes(buf, start, end, scratch));
}
