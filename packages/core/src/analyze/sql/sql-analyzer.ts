// The SQL analyzer: text → Analysis (units, or a parse error), with a shape cache in front of the
// parser so that statements differing only in their literal values are parsed once.
import type { Analysis, SqlUnit } from '../../types.js';
import { BoundedCache, Doorkeeper, ShapeCache, textHash } from './bounded-cache.js';
import { loadPgParser } from './pg-parser.js';
import type { SqlSessionState, SqlStateEffect } from './session-state.js';
import { ShapeScan, scanShape, shapeString } from './shape.js';
import { SqlAnalysisError, StatementWalker } from './statement-walker.js';
import { freezeUnits, withSchemas } from './unit-builder.js';

export interface SqlAnalyzerOptions {
  /** Cached analyses (by shape, and by exact text for the rest); 0 turns the cache off. Default 10,000. */
  cacheSize?: number;
  /** Texts longer than this are analysed but not cached (bounds the cache's memory). Default 8 KiB. */
  maxCachedLength?: number;
  /** Texts longer than this (UTF-16 units) are not analysed: a parse error. Default 1 MiB. */
  maxLength?: number;
}

interface CacheEntry {
  analysis: Analysis;
  effects?: readonly SqlStateEffect[];
}

// Put in the shape cache for a shape whose analyses read literals: look in the exact cache instead.
// (So a shape never seen that way costs no exact-text lookup.)
const BY_EXACT_TEXT: CacheEntry = Object.freeze({ analysis: Object.freeze({ units: [] }) });

const NO_COMMIT = () => {};

export class SqlAnalyzer {
  /** Keyed by shape: analyses that read no literal value and no session state. */
  private readonly shapes: ShapeCache<CacheEntry>;
  /** Keyed by exact text: analyses that read a literal (DO bodies, set_config) or whose text has no shape. */
  private readonly exact: BoundedCache<CacheEntry>;
  /** Only what is seen twice gets cached (one table for shape hashes and text hashes). */
  private readonly doorkeeper: Doorkeeper;
  private readonly maxCachedLength: number;
  private readonly maxLength: number;
  /** Scratch for the lexer: analyze() is synchronous and never re-entered. */
  private readonly scan = new ShapeScan();

  private constructor(opts: SqlAnalyzerOptions) {
    const size = Math.max(0, Math.floor(opts.cacheSize ?? 10_000));
    this.shapes = new ShapeCache(size);
    this.exact = new BoundedCache(size);
    this.doorkeeper = new Doorkeeper(size);
    this.maxCachedLength = size > 0 ? (opts.maxCachedLength ?? 8192) : -1;
    this.maxLength = opts.maxLength ?? 1 << 20;
  }

  /** Loads the Postgres parser (WASM, once per process) and returns an analyzer. */
  static async create(opts: SqlAnalyzerOptions = {}): Promise<SqlAnalyzer> {
    await loadPgParser();
    return new SqlAnalyzer(opts);
  }

  /**
   * Analyses one message's SQL text: one unit per statement plus the nested statements that run.
   * Never throws: what cannot be analysed comes back as `parseError`. `state` is the session's
   * prepared statements; the returned `commit` (when present) records PREPARE/DEALLOCATE in it.
   */
  analyze(text: string, state?: SqlSessionState): Analysis {
    if (typeof text !== 'string') return Object.freeze({ units: [], parseError: 'SQL text is not a string' });
    if (text.length > this.maxCachedLength) return this.serve(this.compute(text, state).entry, state);

    const scan = this.scan;
    const shaped = scanShape(text, scan);
    let hit = shaped ? this.shapes.get(text, scan) : this.exact.get(text);
    if (hit === BY_EXACT_TEXT) hit = this.exact.get(text);
    if (
      hit !== undefined &&
      !(state && (state.functionCount > 0 || state.relationCount > 0) && usesCreated(hit, state))
    ) {
      return this.serve(hit, state);
    }
    const hash = shaped ? scan.hash : 0;

    const { entry, literalDependent, stateDependent } = this.compute(text, state);
    if (!stateDependent) {
      if (shaped && !literalDependent) {
        if (this.doorkeeper.admit(hash)) this.shapes.set(hash, shapeString(text, scan), frozen(entry));
      } else if (this.doorkeeper.admit(textHash(text))) {
        this.exact.set(text, frozen(entry));
        if (shaped) this.shapes.set(hash, shapeString(text, scan), BY_EXACT_TEXT);
      }
    }
    return this.serve(entry, state);
  }

  /** Entries held by the caches (for tests and metrics). */
  get cached(): { shapes: number; exact: number } {
    return { shapes: this.shapes.size, exact: this.exact.size };
  }

  private compute(
    text: string,
    state: SqlSessionState | undefined,
  ): { entry: CacheEntry; literalDependent: boolean; stateDependent: boolean } {
    if (text.includes('\0')) {
      return { entry: failed('SQL text contains a NUL byte'), literalDependent: true, stateDependent: false };
    }
    // Parsing costs ~1 µs per character and the parse tree ~20 bytes per character: bounded.
    if (text.length > this.maxLength) {
      const why = `SQL text too long to analyse (${text.length} characters; the limit is ${this.maxLength})`;
      return { entry: failed(why), literalDependent: true, stateDependent: false };
    }
    const walker = new StatementWalker(state);
    try {
      const r = walker.run(text);
      const analysis: Analysis = { units: r.units };
      const entry: CacheEntry =
        r.effects.length > 0 ? { analysis, effects: Object.freeze(r.effects) } : { analysis };
      return { entry, literalDependent: r.literalDependent, stateDependent: r.stateDependent };
    } catch (err) {
      return { entry: failed(describe(err)), literalDependent: true, stateDependent: walker.readsState };
    }
  }

  private serve(entry: CacheEntry, state: SqlSessionState | undefined): Analysis {
    const effects = entry.effects;
    // A session that changed its search_path: unqualified tables are also named in those schemas.
    const units =
      state !== undefined && state.searchSchemas.size > 0
        ? (withSchemas(entry.analysis.units as SqlUnit[], state.searchSchemas) as Analysis['units'])
        : entry.analysis.units;
    if (effects === undefined)
      return units === entry.analysis.units ? entry.analysis : { ...entry.analysis, units };
    return {
      units,
      commit: state ? () => state.apply(effects) : NO_COMMIT,
    };
  }
}

/**
 * Does a cached analysis call a function, or use a relation with a view, rule or trigger, that this
 * session created? Then it is analysed again, with what those run.
 */
function usesCreated(entry: CacheEntry, state: SqlSessionState): boolean {
  for (const u of entry.analysis.units) {
    if (u.kind !== 'sql') continue;
    if (state.functionCount > 0) for (const f of u.functions) if (state.lookupFunction(f)) return true;
    if (state.relationCount > 0) for (const t of u.tables) if (state.lookupRelation(t)) return true;
  }
  return false;
}

/** A cache entry is shared by every caller from now on: nothing in it may change. */
function frozen(entry: CacheEntry): CacheEntry {
  freezeUnits(entry.analysis.units as SqlUnit[]);
  Object.freeze(entry.analysis);
  return Object.freeze(entry);
}

function failed(message: string): CacheEntry {
  return {
    analysis: Object.freeze({
      units: Object.freeze([]) as unknown as Analysis['units'],
      parseError: message,
    }),
  };
}

function describe(err: unknown): string {
  if (err instanceof SqlAnalysisError) return err.message;
  if (err instanceof RangeError) return 'statement too deeply nested to analyse';
  if (err instanceof Error && err.message) return err.message;
  return 'statement could not be parsed';
}
