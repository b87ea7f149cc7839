// json() for a complete JSON body given as bytes, without building the document: one validating
// pass over the tokens. String values go through the detectors exactly as json() would give them
// to value() (decoded, the member's key as context), integers of nine digits or more as their digits
// (a card or an SSN becomes the replacement string); keys, other numbers, literals and whitespace are
// copied byte for byte, and a value at one of the json_paths becomes the replacement. Only the spans
// that change are rebuilt.
import type { JsonPathStep } from '../analyze/http/index.js';
import { credentialKeyKind, credentialValueMasked, KEY_NONE, mayBeCredentialKey } from './credentials.js';
import { contextHint, type PreScan, type ScanHint } from './detectors.js';
import { type PathKey, type PathState, stepInto } from './json-path.js';
import { jsonStringEscaped, newPreScan, scanJsonString } from './scan.js';

export interface JsonBytesMasking {
  /** value() of a decoded string (counts what it masks); the same string when nothing matched. */
  maskString(s: string, hint?: ScanHint): string;
  /** A member's key is context for its value (the SSN rule): decode keys when a value may need it. */
  keyContext: boolean;
  /**
   * value() of an all-digit value other than nine digits (only a card can match), on its bytes: the
   * replacement as JSON bytes (counted), or undefined.
   */
  cardDigits(b: Uint8Array, start: number, end: number): Uint8Array | undefined;
  /** False when a value with these counts (of its raw, escape-free bytes) cannot hold a match. */
  mayMatch(pre: PreScan): boolean;
  /** The json_paths (none with a negative index: an array's length is not known while scanning). */
  paths: PathAutomaton;
  /** `"[MASKED:json_path]"` as JSON bytes. */
  pathReplacement: Uint8Array;
  onPath(): void;
  /** The api_key detector is on: string values under a credential key are masked whole. */
  credentials: boolean;
  /** `"[MASKED:api_key]"` as JSON bytes. */
  credentialReplacement: Uint8Array;
  onCredential(): void;
}

/** A set of live path states, interned: equal sets are one object, with their transitions cached. */
interface PathNode {
  readonly states: readonly PathState[];
  readonly next: Map<PathKey, { node: PathNode | null; matched: boolean }>;
  onOtherName?: { node: PathNode | null; matched: boolean };
  onOtherIndex?: { node: PathNode | null; matched: boolean };
}

/**
 * json_paths as a small automaton over keys. Keys that no selector names (and indexes no selector
 * picks) all step the same way, so they share one cached transition: a document's thousands of
 * keys cost a map lookup each, and keys are compared as bytes, never decoded.
 */
export class PathAutomaton {
  readonly root: PathNode | null;
  private readonly names: { name: string; bytes: Buffer }[] = [];
  private readonly indexes = new Set<number>();
  private readonly ids = new Map<readonly JsonPathStep[], number>();
  private readonly interned = new Map<string, PathNode>();
  /** A key that no name selector names (chosen so it cannot be one). */
  readonly otherName: string;
  private readonly otherIndex = Number.MAX_SAFE_INTEGER;

  constructor(rootStates: readonly PathState[]) {
    const names = new Set<string>();
    for (const st of rootStates) {
      if (!this.ids.has(st.steps)) this.ids.set(st.steps, this.ids.size);
      for (const step of st.steps) {
        if (step.selector.kind === 'name') names.add(step.selector.name);
        else if (step.selector.kind === 'index') this.indexes.add(step.selector.index);
      }
    }
    for (const name of names) this.names.push({ name, bytes: Buffer.from(name, 'utf8') });
    let other = '\u0000other';
    while (names.has(other)) other += '\u0000';
    this.otherName = other;
    this.root = rootStates.length > 0 ? this.intern(rootStates) : null;
  }

  private intern(states: readonly PathState[]): PathNode {
    const sig = [...new Set(states.map((s) => `${this.ids.get(s.steps)}:${s.at}`))].sort().join(',');
    let node = this.interned.get(sig);
    if (node === undefined) {
      node = { states, next: new Map() };
      // bounded: a pathological set of paths stops sharing nodes rather than growing without end
      if (this.interned.size < 10_000) this.interned.set(sig, node);
    }
    return node;
  }

  /** The key an unescaped key token b[start, end) stands for, as far as the selectors can tell. */
  keyOf(b: Uint8Array, start: number, end: number): string {
    const len = end - start;
    for (const n of this.names) {
      if (n.bytes.length !== len) continue;
      let k = 0;
      while (k < len && n.bytes[k] === b[start + k]) k++;
      if (k === len) return n.name;
    }
    return this.otherName;
  }

  /** keyOf() for a key already decoded. */
  keyOfString(key: string): string {
    for (const n of this.names) if (n.name === key) return key;
    return this.otherName;
  }

  step(node: PathNode, key: PathKey): { node: PathNode | null; matched: boolean } {
    // the common keys (no selector names them) have their own slot: no hashing
    if (key === this.otherName) return (node.onOtherName ??= this.compute(node, key));
    if (typeof key === 'number' && !this.indexes.has(key)) {
      return (node.onOtherIndex ??= this.compute(node, this.otherIndex));
    }
    let t = node.next.get(key);
    if (t === undefined) {
      t = this.compute(node, key);
      if (node.next.size < 1000) node.next.set(key, t);
    }
    return t;
  }

  private compute(node: PathNode, key: PathKey): { node: PathNode | null; matched: boolean } {
    const r = stepInto(node.states, key, -1);
    return { node: r.next.length > 0 ? this.intern(r.next) : null, matched: r.matched };
  }
}

const ARRAY = 0;
const OBJECT = 1;

// what the scanner expects next
const VALUE = 0;
const VALUE_OR_CLOSE = 1; // just after '['
const KEY = 2;
const KEY_OR_CLOSE = 3; // just after '{'
const COLON = 4;
const AFTER = 5; // ',' or the container's close
const DONE = 6;

/** Thrown inside the scanner; the caller turns it into `undefined` (not JSON). */
class NotJson extends Error {}
const NOT_JSON = new NotJson('not JSON');

let escaped = false; // set by stringEnd(): the string held a backslash

/** Index of the closing quote of the string whose opening quote is at `i`; validates control chars. */
function stringEnd(b: Uint8Array, i: number): number {
  const n = b.length;
  let esc = false;
  for (let j = i + 1; j < n; j++) {
    const c = b[j]!;
    if (c === 0x22) {
      escaped = esc;
      return j;
    }
    if (c === 0x5c) {
      esc = true;
      j++;
    } else if (c < 0x20) throw NOT_JSON;
  }
  throw NOT_JSON;
}

/** Decodes the string token b[q0..q1] (quotes included); JSON.parse checks its escapes. */
function decode(b: Uint8Array, q0: number, q1: number, esc: boolean): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (!esc) return buf.toString('utf8', q0 + 1, q1);
  try {
    return JSON.parse(buf.toString('utf8', q0, q1 + 1)) as string;
  } catch {
    throw NOT_JSON;
  }
}

const isDigitByte = (c: number | undefined): boolean => c !== undefined && c >= 48 && c <= 57;

/** End of the number starting at `i` (JSON grammar: -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?). */
function numberEnd(b: Uint8Array, i: number): number {
  if (b[i] === 0x2d) i++;
  if (b[i] === 0x30) i++;
  else if (isDigitByte(b[i])) while (isDigitByte(b[i])) i++;
  else throw NOT_JSON;
  if (b[i] === 0x2e) {
    i++;
    if (!isDigitByte(b[i])) throw NOT_JSON;
    while (isDigitByte(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!isDigitByte(b[i])) throw NOT_JSON;
    while (isDigitByte(b[i])) i++;
  }
  return i;
}

/** Every SSN context word (`ssn`, `ss#`, `social security`) holds an 's' or 'S'. */
function hasS(b: Uint8Array, q0: number, q1: number): boolean {
  for (let k = q0 + 1; k < q1; k++) if ((b[k]! | 32) === 115) return true;
  return false;
}

function digitsOnly(b: Uint8Array, i: number, end: number): boolean {
  for (let k = i; k < end; k++) if (!isDigitByte(b[k])) return false;
  return true;
}

function literalEnd(b: Uint8Array, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) throw NOT_JSON;
  return i + word.length;
}

const KEY_NEXT_TO_LAST = new Uint8Array(256);
for (const ch of 'rwseoRWSEO') KEY_NEXT_TO_LAST[ch.charCodeAt(0)] = 1;

/** The last key credentialKey() looked at (decoded). */
let credKey = '';

/** What the key token b[q0..q1] names (credentialKeyKind), remembering the key. Kept out of scan(). */
function credentialKey(b: Uint8Array, q0: number, q1: number, esc: boolean): number {
  credKey = decode(b, q0, q1, esc);
  return credentialKeyKind(credKey);
}

/** True when the string token b[q0..q1], the value of the last credential key, is masked whole. */
function credentialString(b: Uint8Array, q0: number, q1: number, esc: boolean, kind: number): boolean {
  return credentialValueMasked(kind, credKey, decode(b, q0, q1, esc));
}

/**
 * The masked document as bytes (`b` itself, as a Buffer, when nothing changed), or undefined
 * when `b` is not one JSON text (what JSON.parse would reject: the caller masks it as text).
 */
export function maskJsonBytes(b: Uint8Array, m: JsonBytesMasking): Buffer | undefined {
  try {
    return scan(b, m);
  } catch (e) {
    if (e instanceof NotJson) return undefined;
    throw e;
  }
}

function scan(b: Uint8Array, m: JsonBytesMasking): Buffer {
  const n = b.length;
  const kinds: number[] = [];
  const index: number[] = []; // array: the next element's index
  const states: (PathNode | null)[] = []; // path states for the children; null: none
  let key: PathKey = 0; // an object's current key (decoded only while paths are live)
  let depth = 0;
  let expect = VALUE;
  let parts: Uint8Array[] | null = null;
  let copied = 0; // b[0, copied) is in parts already
  let redactDepth = -1; // the depth a redacted value started at (-1: not redacting)
  let redactStart = 0;
  const auto = m.paths;
  const pre = newPreScan();
  const creds = m.credentials;
  let credKind = KEY_NONE; // what the current member's key names (a credential: its string value is masked whole)
  let keyQ0 = -1; // the current member's key token b[keyQ0..keyQ1] (-1: an array element or the root)
  let keyQ1 = -1;
  let keyEsc = false;
  /** The scan hint the current member's key gives its value (decoded only when asked, and only when it holds an 's'). */
  const keyHint = (): ScanHint | undefined =>
    keyQ0 >= 0 && m.keyContext && (keyEsc || hasS(b, keyQ0, keyQ1))
      ? contextHint(decode(b, keyQ0, keyQ1, keyEsc))
      : undefined;

  const replace = (start: number, end: number, with_: Uint8Array): void => {
    parts ??= [];
    if (start > copied) parts.push(b.subarray(copied, start));
    parts.push(with_);
    copied = end;
  };

  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      i++;
      continue;
    }
    switch (expect) {
      case VALUE:
      case VALUE_OR_CLOSE: {
        if (expect === VALUE_OR_CLOSE && c === 0x5d) break; // "[]": handled as a close below
        const ck = credKind; // the member's key named a credential (only its own string value is masked whole)
        credKind = KEY_NONE;
        if (depth === 0 || kinds[depth - 1] === ARRAY) keyQ0 = -1;
        // where this value sits for the json_paths
        let live: PathNode | null = null;
        if (redactDepth < 0) {
          if (depth === 0) live = auto.root;
          else {
            const st = states[depth - 1]!;
            if (st !== null) {
              const k: PathKey = kinds[depth - 1] === ARRAY ? index[depth - 1]! : key;
              const step = auto.step(st, k);
              if (step.matched) {
                redactDepth = depth;
                redactStart = i;
              } else live = step.node;
            }
          }
        }
        if (c === 0x7b || c === 0x5b) {
          kinds[depth] = c === 0x7b ? OBJECT : ARRAY;
          index[depth] = 0;
          states[depth] = live;
          depth++;
          expect = c === 0x7b ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
          i++;
          continue;
        }
        let end: number;
        if (c === 0x22) {
          const q = scanJsonString(b, i, pre);
          if (q < 0) throw NOT_JSON;
          const esc = jsonStringEscaped;
          end = q + 1;
          if (ck !== KEY_NONE && redactDepth < 0 && credentialString(b, i, q, esc, ck)) {
            replace(i, end, m.credentialReplacement);
            m.onCredential();
          }
          // bytes can only outnumber characters: under 6 bytes is under value()'s minimum too
          else if (redactDepth < 0 && (esc || (q - i - 1 >= 6 && m.mayMatch(pre)))) {
            const s = decode(b, i, q, esc);
            // the key is context only for a nine-digit run (a bare SSN)
            const masked = m.maskString(s, esc || pre.digitRun >= 9 ? keyHint() : undefined);
            if (masked !== s) replace(i, end, Buffer.from(JSON.stringify(masked), 'utf8'));
          } else if (esc) decode(b, i, q, esc); // validates the escapes
        } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          end = numberEnd(b, i);
          // an integer of nine digits or more: a card or an SSN stored as a number
          if (end - i >= 9 && c !== 0x2d && c !== 0x30 && redactDepth < 0 && digitsOnly(b, i, end)) {
            if (end - i !== 9) {
              const r = m.cardDigits(b, i, end);
              if (r !== undefined) replace(i, end, r);
            } else {
              const s = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1', i, end);
              const masked = m.maskString(s, keyHint());
              if (masked !== s) replace(i, end, Buffer.from(JSON.stringify(masked), 'utf8'));
            }
          }
        } else if (c === 0x74) end = literalEnd(b, i, 'true');
        else if (c === 0x66) end = literalEnd(b, i, 'false');
        else if (c === 0x6e) end = literalEnd(b, i, 'null');
        else throw NOT_JSON;
        i = end;
        if (redactDepth === depth) {
          replace(redactStart, end, m.pathReplacement);
          m.onPath();
          redactDepth = -1;
        }
        expect = depth === 0 ? DONE : AFTER;
        continue;
      }
      case KEY:
      case KEY_OR_CLOSE: {
        if (expect === KEY_OR_CLOSE && c === 0x7d) break;
        if (c !== 0x22) throw NOT_JSON;
        const q = stringEnd(b, i);
        const esc = escaped;
        keyQ0 = i;
        keyQ1 = q;
        keyEsc = esc;
        // a credential key's next-to-last letter is r, w, s (passwords), e (key, token, secret) or o (authorization)
        if (creds && (esc || (KEY_NEXT_TO_LAST[b[q - 2]!] === 1 && mayBeCredentialKey(b, i + 1, q)))) {
          credKind = credentialKey(b, i, q, esc);
        }
        if (redactDepth < 0 && states[depth - 1] !== null) {
          key = esc ? auto.keyOfString(decode(b, i, q, esc)) : auto.keyOf(b, i + 1, q);
        } else if (esc) decode(b, i, q, esc);
        i = q + 1;
        expect = COLON;
        continue;
      }
      case COLON:
        if (c !== 0x3a) throw NOT_JSON;
        i++;
        expect = VALUE;
        continue;
      case AFTER:
        if (c === 0x2c) {
          i++;
          if (kinds[depth - 1] === ARRAY) {
            index[depth - 1]!++;
            expect = VALUE;
          } else expect = KEY;
          continue;
        }
        break;
      default:
        throw NOT_JSON; // DONE: something after the one value
    }
    // a close: it must match the open container
    if ((c === 0x7d && kinds[depth - 1] === OBJECT) || (c === 0x5d && kinds[depth - 1] === ARRAY)) {
      depth--;
      i++;
      if (redactDepth === depth) {
        replace(redactStart, i, m.pathReplacement);
        m.onPath();
        redactDepth = -1;
      }
      expect = depth === 0 ? DONE : AFTER;
      continue;
    }
    throw NOT_JSON;
  }
  if (expect !== DONE) throw NOT_JSON;
  if (parts === null) return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const list: Uint8Array[] = parts;
  if (copied < n) list.push(b.subarray(copied));
  return Buffer.concat(list);
}
