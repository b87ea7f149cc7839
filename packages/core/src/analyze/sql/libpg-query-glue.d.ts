// Types for the Emscripten glue that libpg-query@18.1.5 ships next to its wrapper (wasm/libpg-query.js).
declare module 'libpg-query/wasm/libpg-query.js' {
  export interface PgQueryWasm {
    _malloc(size: number): number;
    _free(ptr: number): void;
    _wasm_parse_query_raw(query: number): number;
    _wasm_free_parse_result(result: number): void;
    _wasm_parse_plpgsql(query: number): number;
    _wasm_free_string(ptr: number): void;
    lengthBytesUTF8(text: string): number;
    stringToUTF8(text: string, ptr: number, maxBytes: number): void;
    UTF8ToString(ptr: number): string;
    HEAPU8: Uint8Array;
    HEAPU32: Uint32Array;
  }
  const createModule: () => Promise<PgQueryWasm>;
  export default createModule;
}
