// What a request body says: its text (after Content-Encoding and charset), its JSON and its form fields.
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

/** Decompressed request bodies are inspected up to this size; beyond it body rules fail closed. */
export const MAX_DECODED_BODY_BYTES = 8 * 1024 * 1024;

export class BodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BodyError';
  }
}

export interface MediaType {
  /** Lower-cased `type/subtype`, "" when absent. */
  essence: string;
  charset?: string;
}

export function parseMediaType(value: string | undefined): MediaType {
  if (!value) return { essence: '' };
  const [head, ...params] = value.split(';');
  let charset: string | undefined;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    if (p.slice(0, eq).trim().toLowerCase() === 'charset') {
      charset = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
    }
  }
  return { essence: head!.trim().toLowerCase(), charset };
}

export function isJsonType(essence: string): boolean {
  return essence === 'application/json' || essence.endsWith('+json') || essence === 'text/json';
}

/** Undoes Content-Encoding (listed in the order applied). Returns undefined when over the cap. */
export function decodeContent(body: Uint8Array, encodings: string[]): Uint8Array | undefined {
  let out: Uint8Array = body;
  const opts = { maxOutputLength: MAX_DECODED_BODY_BYTES };
  for (const enc of [...encodings].reverse()) {
    try {
      switch (enc) {
        case 'identity':
          break;
        case 'gzip':
        case 'x-gzip':
          out = gunzipSync(out, opts);
          break;
        case 'deflate':
          // "deflate" is zlib-wrapped by the RFC, raw by some clients: accept both.
          try {
            out = inflateSync(out, opts);
          } catch (err) {
            if (err instanceof RangeError) throw err;
            out = inflateRawSync(out, opts);
          }
          break;
        case 'br':
          out = brotliDecompressSync(out, opts);
          break;
        default:
          throw new BodyError(`unsupported Content-Encoding "${enc}"`);
      }
    } catch (err) {
      if (err instanceof BodyError) throw err;
      if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
        return undefined;
      throw new BodyError(`body is not valid ${enc}`);
    }
  }
  return out;
}

export function decodeText(bytes: Uint8Array, charset: string | undefined): string {
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(charset ?? 'utf-8');
  } catch {
    throw new BodyError(`unsupported charset "${charset}"`);
  }
  return decoder.decode(bytes);
}

/** JSON.parse, refusing duplicate keys: parsers disagree on which one wins. */
export function parseJsonStrict(text: string): unknown {
  const doc: unknown = JSON.parse(text);
  const dup = findDuplicateKey(text);
  if (dup !== undefined) throw new BodyError(`duplicate key "${dup}" in JSON body`);
  return doc;
}

/** Scans valid JSON text for an object with a repeated key (iterative: any depth). */
function findDuplicateKey(text: string): string | undefined {
  if (!text.includes('{')) return undefined;
  // Each open container: a Set of keys for objects, null for arrays.
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      stack.push(null);
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] instanceof Set;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const keys = stack[stack.length - 1] as Set<string>;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = j;
    }
  }
  return undefined;
}
