// The real Postgres parser: libpg-query@18.1.5, Postgres 18's own grammar compiled to WASM (see
// README.md for why this package). Loaded once per process and shared by every SqlAnalyzer.
//
// We call the WASM exports that libpg-query's own parseSync/parsePlPgSQLSync call, through its
// Emscripten glue, rather than those wrappers: their result string is found with a JavaScript
// byte-by-byte loop (~1.5 µs of a ~25 µs parse); here it is a native indexOf and one Buffer decode.
// Same parser, same JSON. If the glue ever lacks an export we use (a version bump), we fall back
// to the public wrappers, so this is a speed-up, never a different parse.
import type { PgQueryWasm } from 'libpg-query/wasm/libpg-query.js';
import type { PgNode } from './categories.js';

interface Parser {
  parse(text: string): string;
  plpgsql(text: string): string;
}

let parser: Parser | undefined;
let loading: Promise<void> | undefined;

const GLUE_EXPORTS = [
  '_malloc',
  '_free',
  '_wasm_parse_query_raw',
  '_wasm_free_parse_result',
  '_wasm_parse_plpgsql',
  '_wasm_free_string',
  'lengthBytesUTF8',
  'stringToUTF8',
  'UTF8ToString',
] as const;

/** Loads the WASM module (once; later calls share the same promise). */
export function loadPgParser(): Promise<void> {
  loading ??= load().catch((err: unknown) => {
    loading = undefined; // let a later create() try again
    throw err;
  });
  return loading;
}

async function load(): Promise<void> {
  const glue = (await import('libpg-query/wasm/libpg-query.js')).default;
  const wasm = await glue();
  const complete =
    GLUE_EXPORTS.every((name) => typeof wasm[name] === 'function') && wasm.HEAPU8 instanceof Uint8Array;
  parser = complete ? directParser(wasm) : await wrapperParser();
}

function directParser(wasm: PgQueryWasm): Parser {
  const encoder = new TextEncoder();
  // The text goes in as NUL-terminated UTF-8, written natively (a lone surrogate becomes U+FFFD).
  const withText = <T>(text: string, fn: (ptr: number) => T): T => {
    const size = Buffer.byteLength(text, 'utf8') + 1;
    const ptr = wasm._malloc(size);
    if (!ptr) throw new Error('parser out of memory');
    try {
      const heap = wasm.HEAPU8;
      encoder.encodeInto(text, heap.subarray(ptr, ptr + size - 1));
      heap[ptr + size - 1] = 0;
      return fn(ptr);
    } finally {
      wasm._free(ptr);
    }
  };
  const cString = (ptr: number): string => {
    const heap = wasm.HEAPU8; // read after the call: the memory may have grown
    const end = heap.indexOf(0, ptr);
    return Buffer.from(heap.buffer, heap.byteOffset + ptr, (end < 0 ? heap.length : end) - ptr).toString(
      'utf8',
    );
  };
  return {
    parse: (text) =>
      withText(text, (query) => {
        const result = wasm._wasm_parse_query_raw(query);
        if (!result) throw new Error('parser out of memory');
        try {
          // PgQueryParseResult { char *parse_tree; char *stderr_buffer; PgQueryError *error }
          const heap = wasm.HEAPU32;
          const tree = heap[result >> 2];
          const error = heap[(result + 8) >> 2];
          if (error) throw new Error(wasm.UTF8ToString(heap[error >> 2]) || 'syntax error');
          if (!tree) throw new Error('no parse tree');
          return cString(tree);
        } finally {
          wasm._wasm_free_parse_result(result);
        }
      }),
    plpgsql: (text) =>
      withText(text, (query) => {
        const result = wasm._wasm_parse_plpgsql(query);
        if (!result) throw new Error('parser out of memory');
        try {
          return cString(result);
        } finally {
          wasm._wasm_free_string(result);
        }
      }),
  };
}

async function wrapperParser(): Promise<Parser> {
  const lib = await import('libpg-query');
  await lib.loadModule();
  return {
    parse: (text) => JSON.stringify(lib.parseSync(text)),
    plpgsql: (text) => JSON.stringify(lib.parsePlPgSQLSync(text)),
  };
}

function loaded(): Parser {
  if (!parser) throw new Error('the Postgres parser is not loaded (await SqlAnalyzer.create())');
  return parser;
}

export interface RawStatement {
  stmt?: PgNode;
  stmt_location?: number;
  stmt_len?: number;
}

/** Parses SQL text into raw statements; throws the parser's error (with its message) on bad SQL. */
export function parseSql(text: string): RawStatement[] {
  const result = JSON.parse(loaded().parse(text)) as { stmts?: RawStatement[] };
  return result.stmts ?? [];
}

/** Parses a DO or CREATE FUNCTION … LANGUAGE plpgsql statement into its PL/pgSQL function trees. */
export function parsePlpgsql(text: string): PgNode[] {
  const json = loaded().plpgsql(text);
  // success is a JSON object; anything else is the error message
  if (!json.startsWith('{')) throw new Error(json);
  const result = JSON.parse(json) as { plpgsql_funcs?: PgNode[] };
  return result.plpgsql_funcs ?? [];
}
