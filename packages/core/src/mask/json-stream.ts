// Streaming JSON path redaction: a byte-level JSON scanner that follows `masking.json_paths`
// through a document as it flows and replaces each matched value (any type, any size) with the
// replacement string, holding nothing back and keeping O(depth) state. Everything else passes
// through byte for byte (numbers and whitespace untouched). Several root values in a row
// (JSON lines) are accepted. On invalid JSON it stops redacting and passes the rest through
// (`failed` tells); detectors still apply to the text after it (see masker.ts jsonStream()).
import { type PathKey, type PathState, stepInto } from './json-path.js';

interface Step {
  next: PathState[];
  matched: boolean;
}
// Documents repeat their keys (an array of records): the step from a container's states by a
// key is remembered per states array. Index keys are remembered only when no path has an index.
const stepCache = new WeakMap<PathState[], { byIndex: boolean; steps: Map<PathKey, Step> }>();
const MAX_CACHED_KEYS = 512;

function stepCached(states: PathState[], key: PathKey, siblings: number): Step {
  let entry = stepCache.get(states);
  if (!entry) {
    const byIndex = states.some((s) => s.steps[s.at]?.selector.kind === 'index');
    entry = { byIndex, steps: new Map() };
    stepCache.set(states, entry);
  }
  const k = typeof key === 'number' && !entry.byIndex ? -1 : key;
  let step = entry.steps.get(k);
  if (!step) {
    step = stepInto(states, key, siblings);
    if (entry.steps.size < MAX_CACHED_KEYS) entry.steps.set(k, step);
  }
  return step;
}

enum Expect {
  Value,
  KeyOrEnd, // just after '{'
  Key, // after ',' in an object
  Colon,
  CommaOrEnd,
  ValueOrEnd, // just after '['
}

enum In {
  Structure,
  String,
  Scalar,
  Skip,
  Failed,
}

interface Frame {
  array: boolean;
  /** Path states for this container's children. */
  states: PathState[];
  index: number;
}

/** Names longer than this cannot equal a path's name; they still match `*` and `..`. */
const MAX_KEY = 4096;
const TOO_LONG: PathKey = '\u0000(key too long)';

const MAX_SCALAR = 64;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9;

export class JsonPathRedactor {
  private readonly stack: Frame[] = [];
  private expect = Expect.Value;
  private mode = In.Structure;
  private stringIsKey = false;
  private escape = false;
  /** The key's bytes as latin1 (one char per byte); decoded as UTF-8 when it has non-ASCII bytes. */
  private key = '';
  private keyAscii = true;
  private scalar = '';
  private keyTooLong = false;
  /** What the value about to start is, when its parent has been stepped into. */
  private childMatched = false;
  private childStates: PathState[];
  // skipping a redacted value
  private skipDepth = 0;
  private skipInString = false;
  private skipEscape = false;
  private skipScalar = false;
  private isFailed = false;

  constructor(
    private readonly rootStates: PathState[],
    private readonly rootMatched: boolean,
    /** The replacement as a JSON string literal, UTF-8. */
    private readonly replacement: Uint8Array,
    private readonly onRedact: () => void,
  ) {
    this.childStates = rootStates;
    this.childMatched = rootMatched;
  }

  get failed(): boolean {
    return this.isFailed;
  }

  write(chunk: Uint8Array): Uint8Array {
    const parts: Uint8Array[] = [];
    let emitFrom = 0;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk[i]!;
      switch (this.mode) {
        case In.Failed:
          return parts.length === 0 && emitFrom === 0 ? chunk : concat(parts, chunk.subarray(emitFrom));
        case In.String: {
          if (!this.stringIsKey) {
            // a value string: run to the next quote or backslash without the per-byte dispatch
            let j = i;
            if (this.escape) {
              this.escape = false;
              j++;
            }
            while (j < n && chunk[j] !== 34 && chunk[j] !== 92) j++;
            i = j;
            if (j >= n) continue;
            if (chunk[j] === 92) this.escape = true;
            else {
              this.mode = In.Structure;
              this.valueDone();
            }
            continue;
          }
          if (this.escape) this.escape = false;
          else if (c === 92) this.escape = true;
          else if (c === 34) {
            this.mode = In.Structure;
            if (this.stringIsKey) this.expect = Expect.Colon;
            else this.valueDone();
            continue;
          }
          if (this.stringIsKey) {
            if (this.key.length < MAX_KEY) {
              this.key += String.fromCharCode(c);
              if (c >= 128) this.keyAscii = false;
            } else this.keyTooLong = true;
          }
          continue;
        }
        case In.Scalar:
          if (c === 44 || c === 93 || c === 125 || isSpace(c)) {
            if (!this.scalarValid()) return this.fail(parts, chunk, emitFrom);
            this.mode = In.Structure;
            this.valueDone();
            i--; // the delimiter belongs to the structure
          } else if (this.scalar.length < MAX_SCALAR) this.scalar += String.fromCharCode(c);
          else if (!((c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45)) {
            return this.fail(parts, chunk, emitFrom);
          }
          continue;
        case In.Skip:
          if (this.skipStep(c)) {
            this.mode = In.Structure;
            emitFrom = this.skipScalar ? i : i + 1;
            if (this.skipScalar) i--;
            this.valueDone();
          }
          continue;
        default:
          break;
      }
      // structure
      if (isSpace(c)) continue;
      switch (this.expect) {
        case Expect.Value:
        case Expect.ValueOrEnd:
          if (this.expect === Expect.ValueOrEnd && c === 93) {
            this.close(true);
            continue;
          }
          if (this.childMatched) {
            // a matched value: emit the replacement instead of its bytes
            parts.push(chunk.subarray(emitFrom, i), this.replacement);
            this.onRedact();
            this.startSkip(c);
            emitFrom = i + 1;
            this.mode = In.Skip;
            continue;
          }
          if (c === 123 || c === 91) {
            this.stack.push({ array: c === 91, states: this.childStates, index: 0 });
            this.expect = c === 91 ? Expect.ValueOrEnd : Expect.KeyOrEnd;
            if (c === 91) this.stepArray();
          } else if (c === 34) {
            this.mode = In.String;
            this.stringIsKey = false;
          } else if (c === 45 || (c >= 48 && c <= 57) || c === 116 || c === 102 || c === 110) {
            this.mode = In.Scalar;
            this.scalar = String.fromCharCode(c);
          } else return this.fail(parts, chunk, emitFrom);
          continue;
        case Expect.KeyOrEnd:
        case Expect.Key:
          if (this.expect === Expect.KeyOrEnd && c === 125) {
            this.close(false);
            continue;
          }
          if (c !== 34) return this.fail(parts, chunk, emitFrom);
          this.mode = In.String;
          this.stringIsKey = true;
          this.key = '';
          this.keyAscii = true;
          this.keyTooLong = false;
          continue;
        case Expect.Colon: {
          if (c !== 58) return this.fail(parts, chunk, emitFrom);
          const frame = this.stack[this.stack.length - 1]!;
          this.step(frame.states, this.keyName(), -1);
          this.expect = Expect.Value;
          continue;
        }
        case Expect.CommaOrEnd: {
          const frame = this.stack[this.stack.length - 1];
          if (!frame) return this.fail(parts, chunk, emitFrom);
          if (c === 44) {
            if (frame.array) {
              frame.index++;
              this.stepArray();
              this.expect = Expect.Value;
            } else this.expect = Expect.Key;
          } else if (c === (frame.array ? 93 : 125)) this.close(frame.array);
          else return this.fail(parts, chunk, emitFrom);
          continue;
        }
      }
    }
    if (this.mode === In.Skip) return concat(parts, chunk.subarray(emitFrom, emitFrom));
    if (parts.length === 0 && emitFrom === 0) return chunk;
    return concat(parts, chunk.subarray(emitFrom));
  }

  private scalarValid(): boolean {
    const v = this.scalar;
    if (v === 'true' || v === 'false' || v === 'null') return true;
    // a number longer than MAX_SCALAR was checked character by character as it came
    return v.length >= MAX_SCALAR ? /^-?\d/.test(v) : NUMBER.test(v);
  }

  private keyName(): PathKey {
    if (this.keyTooLong) return TOO_LONG;
    const raw = this.keyAscii ? this.key : Buffer.from(this.key, 'latin1').toString('utf8');
    if (!raw.includes('\\')) return raw;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      return TOO_LONG;
    }
  }

  private step(states: PathState[], key: PathKey, siblings: number): void {
    if (states.length === 0) {
      this.childStates = states;
      this.childMatched = false;
      return;
    }
    const { next, matched } = stepCached(states, key, siblings);
    this.childStates = next;
    this.childMatched = matched;
  }

  private stepArray(): void {
    const frame = this.stack[this.stack.length - 1]!;
    this.step(frame.states, frame.index, -1);
  }

  private close(array: boolean): void {
    const frame = this.stack.pop();
    if (!frame || frame.array !== array) {
      this.mode = In.Failed;
      this.isFailed = true;
      return;
    }
    this.valueDone();
  }

  /** A value ended: back to the parent's "comma or end", or ready for another root value. */
  private valueDone(): void {
    if (this.stack.length > 0) this.expect = Expect.CommaOrEnd;
    else {
      this.expect = Expect.Value;
      this.childStates = this.rootStates;
      this.childMatched = this.rootMatched;
    }
  }

  private startSkip(c: number): void {
    this.skipDepth = 0;
    this.skipInString = false;
    this.skipEscape = false;
    this.skipScalar = false;
    if (c === 123 || c === 91) this.skipDepth = 1;
    else if (c === 34) this.skipInString = true;
    else this.skipScalar = true;
  }

  /** Consumes one byte of a redacted value; true when the value has ended (a scalar: at its delimiter). */
  private skipStep(c: number): boolean {
    if (this.skipScalar) return c === 44 || c === 93 || c === 125 || isSpace(c);
    if (this.skipInString) {
      if (this.skipEscape) this.skipEscape = false;
      else if (c === 92) this.skipEscape = true;
      else if (c === 34) {
        this.skipInString = false;
        return this.skipDepth === 0;
      }
      return false;
    }
    if (c === 34) this.skipInString = true;
    else if (c === 123 || c === 91) this.skipDepth++;
    else if (c === 125 || c === 93) return --this.skipDepth === 0;
    return false;
  }

  private fail(parts: Uint8Array[], chunk: Uint8Array, emitFrom: number): Uint8Array {
    this.mode = In.Failed;
    this.isFailed = true;
    return concat(parts, chunk.subarray(emitFrom));
  }
}

function concat(parts: Uint8Array[], last: Uint8Array): Uint8Array {
  if (parts.length === 0) return last;
  parts.push(last);
  return Buffer.concat(parts);
}
