// createMasker: a policy's masking config turned into value(), stream() and json() maskers that
// share one detector set, one replacement and one set of counts.
import { createHmac, randomBytes } from 'node:crypto';
import { compileJsonPath, type JsonPathStep } from '../analyze/http/index.js';
import type { ColumnMaskRule, Detector, MaskingConfig } from '../config/types.js';
import { PortcullisError } from '../errors.js';
import type { MaskColumn, Masker, StreamMasker } from '../types.js';
import { credentialKeyKind, credentialValueMasked, KEY_NONE } from './credentials.js';
import {
  combinedGate,
  contextHint,
  DETECTOR_ORDER,
  DETECTORS,
  type DetectorSpec,
  emailAt,
  isCardDigitBytes,
  isCardDigits,
  type Match,
  type ScanHint,
  setTokenRunHint,
  wholeEmailBytes,
} from './detectors.js';
import { maskJsonBytes, PathAutomaton } from './json-bytes.js';
import { type PathKey, type PathState, stepInto } from './json-path.js';
import { JsonPathRedactor } from './json-stream.js';
import { decode, findAll, newPreScan, prescan, prescanBytes, render, resolve } from './scan.js';
import { MaskingStream } from './stream.js';

export const DEFAULT_REPLACEMENT = '[MASKED:{type}]';

/** The `{type}` of a value replaced by a column rule, and of a value at one of the json_paths. */
export const COLUMN_TYPE = 'column';
export const JSON_PATH_TYPE = 'json_path';

export interface MaskerOptions {
  /** Called once per masked value with its type (a detector name, `column` or `json_path`). */
  onMask?: (type: string) => void;
}

interface CompiledColumnRule {
  /** Lower-cased table (possibly schema-qualified); undefined for a bare column rule. */
  table?: string;
  with: ColumnMaskRule['with'];
}

// Keyed per process: equal values hash equal within a gateway run, but a low-entropy value
// (an SSN, a PIN) cannot be recovered by hashing guesses offline.
const HASH_KEY = randomBytes(32);
const MIN_DETECTABLE = 6; // the shortest match any detector makes ("a@b.co")

function configError(key: string, message: string): PortcullisError {
  return new PortcullisError('config', `masking.${key}: ${message}`, `masking.${key}`);
}

/** What createMasker returns: a Masker whose optional members are all there. */
export interface CoreMasker extends Masker {
  /** The detectors this masker runs, in priority order. */
  readonly detectors: readonly Detector[];
  valueBytes(
    bytes: Uint8Array,
    start: number,
    end: number,
    column?: MaskColumn,
    encoding?: 'utf8' | 'latin1',
  ): string | undefined;
  maskJsonBytes(body: Uint8Array): Buffer | undefined;
  jsonStream(): StreamMasker & { readonly failed: boolean };
  columnRule(column: MaskColumn): 'redact' | 'mask' | 'hash' | 'null' | undefined;
  /** value() through the general scan only, without the shape fast paths (for tests). */
  valueUnoptimized(text: string, column?: MaskColumn): string;
}

export function createMasker(cfg: MaskingConfig, opts: MaskerOptions = {}): CoreMasker {
  const names = cfg.detectors ?? [];
  for (const n of names) {
    if (!Object.hasOwn(DETECTORS, n)) {
      throw configError('detectors', `unknown detector "${n}" (known: ${DETECTOR_ORDER.join(', ')})`);
    }
  }
  const specs: DetectorSpec[] = DETECTOR_ORDER.filter((n) => names.includes(n)).map((n) => DETECTORS[n]);
  const template = cfg.replacement ?? DEFAULT_REPLACEMENT;
  const replacements = new Map<string, string>();
  const replacementFor = (type: string): string => {
    let r = replacements.get(type);
    if (r === undefined) {
      r = template.replaceAll('{type}', type);
      replacements.set(type, r);
    }
    return r;
  };
  const latin1Replacements = new Map<Detector, string>();
  for (const s of specs) {
    latin1Replacements.set(s.name, Buffer.from(replacementFor(s.name), 'utf8').toString('latin1'));
  }

  const counts: Record<string, number> = {};
  const count = (type: string): void => {
    counts[type] = (counts[type] ?? 0) + 1;
    opts.onMask?.(type);
  };

  // ── column rules ──
  const byColumn = new Map<string, CompiledColumnRule[]>();
  for (const [i, rule] of (cfg.columns ?? []).entries()) {
    if (typeof rule?.match !== 'string' || rule.match.trim() === '') {
      throw configError(`columns[${i}].match`, 'expected "table.column" or "column"');
    }
    const m = rule.match.trim().toLowerCase();
    const dot = m.lastIndexOf('.');
    const column = dot < 0 ? m : m.slice(dot + 1);
    const table = dot < 0 ? undefined : m.slice(0, dot);
    const list = byColumn.get(column) ?? [];
    // table-qualified rules are consulted before bare ones
    if (table) list.unshift({ table, with: rule.with });
    else list.push({ with: rule.with });
    byColumn.set(column, list);
  }
  const ruleCache = new WeakMap<MaskColumn, CompiledColumnRule | null>();
  const columnCache = new WeakMap<MaskColumn, { rule: CompiledColumnRule | null; hint: ScanHint }>();

  function lookupRule(col: MaskColumn): CompiledColumnRule | null {
    const rules = byColumn.get(col.column.toLowerCase());
    if (!rules) return null;
    const table = col.table?.toLowerCase();
    for (const r of rules) {
      // an unknown table matches a qualified rule: masking too much beats leaking
      if (!r.table || !table) return r;
      if (table === r.table || table.endsWith(`.${r.table}`) || r.table.endsWith(`.${table}`)) return r;
    }
    return null;
  }
  function ruleFor(col: MaskColumn): CompiledColumnRule | null {
    let r = ruleCache.get(col);
    if (r === undefined) {
      r = lookupRule(col);
      ruleCache.set(col, r);
    }
    return r;
  }

  function applyColumnRule(rule: CompiledColumnRule, text: string): string {
    count(COLUMN_TYPE);
    switch (rule.with) {
      case 'mask':
        // keep the last four characters of a long value (a card's "…1234"), star the rest
        return text.length >= 8 ? '*'.repeat(text.length - 4) + text.slice(-4) : '*'.repeat(text.length);
      case 'hash':
        return replacementFor(
          `sha256:${createHmac('sha256', HASH_KEY).update(text).digest('hex').slice(0, 16)}`,
        );
      default:
        // 'redact', and 'null' (which a listener that can send NULL learns from columnRule())
        return replacementFor(COLUMN_TYPE);
    }
  }

  const hasCard = specs.includes(DETECTORS.credit_card);
  const hasEmail = specs.includes(DETECTORS.email);
  const hasApiKey = specs.includes(DETECTORS.api_key);
  const scratch = newPreScan(); // refilled per value: no allocation on the common path
  const anyGate = combinedGate(specs);
  const renderMatch = (m: Match): string => replacementFor(m.detector);

  function maskText(text: string, hint?: ScanHint): string {
    const n = text.length;
    if (n < MIN_DETECTABLE || specs.length === 0) return text;
    // Shapes a column's values usually have, decided without the scanner. Both produce exactly
    // what the scan below would (a property test compares them on generated values).
    const c0 = text.charCodeAt(0);
    if (c0 >= 48 && c0 <= 57 && n !== 9) {
      // all digits: only a card can match (cards, NANP and E.164 phones need a separator, a
      // '+' or more than digits; a bare SSN is exactly nine digits, left to the scan)
      let i = 1;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c < 48 || c > 57) break;
      }
      if (i === n) {
        if (!hasCard || !isCardDigits(text)) return text;
        count('credit_card');
        return replacementFor('credit_card');
      }
    }
    if (hasEmail) {
      // the whole value is one address: it is the longest match, so it names the one cluster
      const at = text.indexOf('@');
      if (at > 0) {
        const m = emailAt(text, at);
        if (m !== null && m.start === 0 && m.end === n) {
          count('email');
          return replacementFor('email');
        }
      }
    }
    prescan(text, scratch);
    if (!anyGate(scratch)) return text;
    let active: DetectorSpec[] | undefined;
    for (let i = 0; i < specs.length; i++) {
      const s = specs[i]!;
      if (s.gate(scratch)) (active ??= []).push(s);
    }
    if (!active) return text;
    setTokenRunHint(text, scratch.tokenRun);
    const found = findAll(text, 0, active, hint);
    setTokenRunHint(undefined, 0);
    if (found.length === 0) return text;
    const ms = resolve(found);
    for (const m of ms) count(m.detector);
    return render(text, 0, text.length, ms, renderMatch);
  }

  /** The general scan without the shape fast paths (tests compare the two). */
  function maskTextSlow(text: string, hint?: ScanHint): string {
    if (text.length < MIN_DETECTABLE || specs.length === 0) return text;
    const pre = prescan(text);
    const active = specs.filter((s) => s.gate(pre));
    if (active.length === 0) return text;
    const found = findAll(text, 0, active, hint);
    if (found.length === 0) return text;
    const ms = resolve(found);
    for (const m of ms) count(m.detector);
    return render(text, 0, text.length, ms, renderMatch);
  }

  // ── json ──
  const paths: (readonly JsonPathStep[])[] = (cfg.jsonPaths ?? []).map((p, i) => {
    try {
      return compileJsonPath(p).steps;
    } catch (e) {
      throw configError(`json_paths[${i}]`, e instanceof Error ? e.message : String(e));
    }
  });
  const rootStates: PathState[] = paths.filter((p) => p.length > 0).map((steps) => ({ steps, at: 0 }));
  const rootMatched = paths.some((p) => p.length === 0);
  // `[-1]` needs an array's length: the byte scanner cannot know it before the end
  const pathsNeedLengths = paths.some((p) =>
    p.some((s) => s.selector.kind === 'index' && s.selector.index < 0),
  );
  const pathReplacementBytes = Buffer.from(JSON.stringify(replacementFor(JSON_PATH_TYPE)), 'utf8');
  const cardJsonBytes = Buffer.from(JSON.stringify(replacementFor('credit_card')), 'utf8');
  const jsonBytesMasking = {
    maskString: (s: string, hint?: ScanHint) => maskText(s, hint),
    keyContext: specs.includes(DETECTORS.us_ssn),
    cardDigits: (b: Uint8Array, start: number, end: number): Uint8Array | undefined => {
      if (!hasCard || !isCardDigitBytes(b, start, end)) return undefined;
      count('credit_card');
      return cardJsonBytes;
    },
    mayMatch: anyGate,
    paths: new PathAutomaton(rootStates),
    pathReplacement: pathReplacementBytes,
    onPath: () => count(JSON_PATH_TYPE),
    credentials: hasApiKey,
    credentialReplacement: Buffer.from(JSON.stringify(replacementFor('api_key')), 'utf8'),
    onCredential: () => count('api_key'),
  };

  /** json(): a string value under a credential key, masked whole (undefined: not one). */
  function keyedCredential(key: PathKey, v: unknown): string | undefined {
    if (!hasApiKey || typeof v !== 'string' || typeof key !== 'string') return undefined;
    const kind = credentialKeyKind(key);
    if (kind === KEY_NONE || !credentialValueMasked(kind, key, v)) return undefined;
    count('api_key');
    return replacementFor('api_key');
  }

  /**
   * json() of a string or number under `key`: a string through the detectors, a number of nine digits
   * or more (a card, an SSN) as its digits, becoming the replacement string when masked. A parsed
   * number is a double: beyond 2^53 its digits are not the document's (maskJsonBytes reads them).
   */
  function maskScalar(node: unknown, key: PathKey | undefined): unknown {
    const hint = typeof key === 'string' ? contextHint(key) : undefined;
    if (typeof node === 'string') return maskText(node, hint);
    if (typeof node === 'number' && node >= 1e8 && Number.isSafeInteger(node)) {
      const s = String(node);
      const masked = maskText(s, hint);
      return masked === s ? node : masked;
    }
    return node;
  }

  function maskJson(node: unknown, states: readonly PathState[], key?: PathKey): unknown {
    if (node === null || typeof node !== 'object') return maskScalar(node, key);
    const child = (key: PathKey, v: unknown, siblings: number): unknown => {
      if (states.length === 0) return keyedCredential(key, v) ?? maskJson(v, states, key);
      const { next, matched } = stepInto(states, key, siblings);
      if (matched) {
        count(JSON_PATH_TYPE);
        return replacementFor(JSON_PATH_TYPE);
      }
      return keyedCredential(key, v) ?? maskJson(v, next, key);
    };
    if (Array.isArray(node)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < node.length; i++) {
        const v = child(i, node[i], node.length);
        if (v !== node[i]) (out ??= node.slice())[i] = v;
      }
      return out ?? node;
    }
    let changed = false;
    const entries = Object.entries(node).map(([k, v], _i, all) => {
      const m = child(k, v, all.length);
      if (m !== v) changed = true;
      return [k, m] as const;
    });
    // fromEntries defines own properties, so a "__proto__" key stays a plain key
    return changed ? Object.fromEntries(entries) : node;
  }

  const masker: CoreMasker = {
    counts,
    detectors: specs.map((s) => s.name),
    value(text: string, column?: MaskColumn): string {
      if (column === undefined) return maskText(text);
      // one lookup per value: the column's rule and its scan hint together
      let c = columnCache.get(column);
      if (c === undefined) {
        c = {
          rule: byColumn.size > 0 ? ruleFor(column) : null,
          hint: { column: column.column.toLowerCase() },
        };
        columnCache.set(column, c);
      }
      if (c.rule) return applyColumnRule(c.rule, text);
      return maskText(text, c.hint);
    },
    valueBytes(
      bytes: Uint8Array,
      start: number,
      end: number,
      column?: MaskColumn,
      encoding: 'utf8' | 'latin1' = 'utf8',
    ): string | undefined {
      const buf = Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (column !== undefined && byColumn.size > 0 && ruleFor(column)) {
        return masker.value(buf.toString(encoding, start, end), column);
      }
      // bytes can only outnumber characters, and every byte of a non-ASCII character breaks a run
      // as the character does: a value these checks clear holds nothing once decoded either
      const n = end - start;
      if (n < MIN_DETECTABLE || specs.length === 0) return undefined;
      let digitsOnly = n !== 9; // nine digits may be a bare SSN: left to the scan
      for (let i = start; i < end && digitsOnly; i++) {
        const c = buf[i]!;
        digitsOnly = c >= 48 && c <= 57;
      }
      if (digitsOnly) {
        // value()'s all-digits shape (only a card can match), on the bytes: nothing to decode
        if (!hasCard || !isCardDigitBytes(buf, start, end)) return undefined;
        count('credit_card');
        return replacementFor('credit_card');
      }
      if (hasEmail && wholeEmailBytes(buf, start, end)) {
        // value()'s whole-value address, on the bytes (an email column: every value, nothing decoded)
        count('email');
        return replacementFor('email');
      }
      if (!anyGate(prescanBytes(buf, start, end, scratch))) return undefined;
      const text = decode(buf, start, end, encoding);
      const out = masker.value(text, column);
      return out === text ? undefined : out;
    },
    stream(): StreamMasker {
      return new MaskingStream(
        specs,
        (m) => latin1Replacements.get(m.detector)!,
        (m) => count(m.detector),
      );
    },
    jsonStream() {
      // json_paths on the structure as it flows, then the detectors on the resulting text
      const text = new MaskingStream(
        specs,
        (m) => latin1Replacements.get(m.detector)!,
        (m) => count(m.detector),
      );
      const paths = new JsonPathRedactor(
        rootStates,
        rootMatched,
        Buffer.from(JSON.stringify(replacementFor(JSON_PATH_TYPE)), 'utf8'),
        () => count(JSON_PATH_TYPE),
      );
      return {
        write: (chunk: Uint8Array) => text.write(paths.write(chunk)),
        flush: () => text.flush(),
        get pending() {
          return text.pending;
        },
        get failed() {
          return paths.failed;
        },
      };
    },
    json(doc: unknown): unknown {
      if (rootMatched) {
        count(JSON_PATH_TYPE);
        return replacementFor(JSON_PATH_TYPE);
      }
      return maskJson(doc, rootStates);
    },
    maskJsonBytes(body: Uint8Array): Buffer | undefined {
      if (rootMatched || pathsNeedLengths) {
        // rare configurations: the parsed document (numbers re-printed by JSON.stringify)
        let doc: unknown;
        try {
          doc = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
        } catch {
          return undefined;
        }
        return Buffer.from(JSON.stringify(masker.json(doc)), 'utf8');
      }
      return maskJsonBytes(body, jsonBytesMasking);
    },
    valueUnoptimized(text: string, column?: MaskColumn): string {
      if (column !== undefined && byColumn.size > 0) {
        const rule = ruleFor(column);
        if (rule) return applyColumnRule(rule, text);
      }
      return maskTextSlow(text, column === undefined ? undefined : { column: column.column.toLowerCase() });
    },
    columnRule(column: MaskColumn) {
      return ruleFor(column)?.with;
    },
    ruledColumnOf(tables: readonly string[]): MaskColumn | undefined {
      if (byColumn.size === 0 || tables.length === 0) return undefined;
      let bare: MaskColumn | undefined;
      for (const [column, rules] of byColumn) {
        for (const r of rules) {
          if (!r.table) {
            bare ??= { column };
            continue;
          }
          for (const t of tables) {
            const table = t.toLowerCase();
            if (table === r.table || table.endsWith(`.${r.table}`) || r.table.endsWith(`.${table}`)) {
              return { table: r.table, column };
            }
          }
        }
      }
      return bare;
    },
  };
  return masker;
}
