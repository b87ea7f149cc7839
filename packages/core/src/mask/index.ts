// Masking: detectors that validate (Luhn, mod-97, SSN rules…), column rules, JSONPath redaction,
// and a streaming masker with bounded memory. See README.md beside this file for the decisions.
import { DETECTORS } from './detectors.js';

export {
  DETECTOR_ORDER,
  DETECTORS,
  type DetectorSpec,
  type Match as MaskMatch,
  PRIVATE_KEY_BOUND,
  type PreScan,
  type ScanHint,
} from './detectors.js';
export {
  COLUMN_TYPE,
  type CoreMasker,
  createMasker,
  DEFAULT_REPLACEMENT,
  JSON_PATH_TYPE,
  type MaskerOptions,
} from './masker.js';

/** The detector table under a name that does not clash with config's list of detector names. */
export const DETECTOR_SPECS = DETECTORS;
/** Byte-level: could masker.value() change this value? (false → forward the bytes undecoded) */
export { mayMask } from './byte-precheck.js';
/** value() of a tab-separated line (a COPY text row), field by field on its bytes. */
export { FieldEdits, maskFieldsBytes } from './fields.js';
/** buf.toString(enc, start, end) for hot paths (no argument handling). */
export { decode as decodeBytes } from './scan.js';
