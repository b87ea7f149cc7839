// What a request body says: its text (after Content-Encoding and charset), its JSON and its form fields.
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';

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
  boundary?: string;
}

export function parseMediaType(value: string | undefined): MediaType {
  if (!value) return { essence: '' };
  const [head, ...params] = value.split(';');
  let charset: string | undefined;
  let boundary: string | undefined;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const v = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (name === 'charset') charset = v.toLowerCase();
    else if (name === 'boundary') boundary = v;
  }
  return boundary === undefined
    ? { essence: head!.trim().toLowerCase(), charset }
    : { essence: head!.trim().toLowerCase(), charset, boundary };
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
  if (charset === 'utf-32be' || charset === 'utf-32le' || charset === 'utf-32')
    return decodeUtf32(bytes, charset === 'utf-32le');
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(charset ?? 'utf-8');
  } catch {
    throw new BodyError(`unsupported charset "${charset}"`);
  }
  return decoder.decode(bytes);
}

/** UTF-32 (not in TextDecoder): code points outside Unicode become U+FFFD. A BOM is dropped. */
function decodeUtf32(b: Uint8Array, le: boolean): string {
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  let out = '';
  for (let i = 0; i + 4 <= b.length; i += 4) {
    const cp = view.getUint32(i, le);
    if (i === 0 && cp === 0xfeff) continue;
    out += cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : '\ufffd';
  }
  return out;
}

/** JSON.parse, refusing duplicate keys: parsers disagree on which one wins. */
export function parseJsonStrict(text: string): unknown {
  const doc: unknown = JSON.parse(text);
  const dup = findDuplicateKey(text);
  if (dup !== undefined) throw new BodyError(`duplicate key "${dup}" in JSON body`);
  return doc;
}

/**
 * What a lenient JSON parser makes of text that is not strict JSON: comments and trailing commas
 * dropped, then single quotes and bare keys read as YAML flow style does. Undefined when it is not
 * JSON to them either. Duplicate keys are refused as in strict JSON.
 */
export function parseLenientJson(text: string): unknown {
  const cleaned = stripJsonComments(text);
  try {
    return parseJsonStrict(cleaned);
  } catch (err) {
    if (err instanceof BodyError) throw err;
  }
  let doc: unknown;
  try {
    doc = parseYaml(cleaned, { schema: 'core', uniqueKeys: true, maxAliasCount: 0 });
  } catch {
    return undefined;
  }
  return doc !== null && typeof doc === 'object' ? doc : undefined;
}

const TRAILING_COMMA = /,\s*[}\]]/y;

/** Removes `//` and `/* *\/` comments outside strings, and commas before `}` or `]`. */
function stripJsonComments(text: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      i = j;
    } else if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) {
      const end = text[i + 1] === '/' ? text.indexOf('\n', i) : text.indexOf('*/', i + 2);
      out += `${text.slice(last, i)} `;
      i = end < 0 ? text.length : text[i + 1] === '/' ? end - 1 : end + 1;
      last = i + 1;
    } else if (c === ',') {
      TRAILING_COMMA.lastIndex = i;
      if (TRAILING_COMMA.test(text)) {
        out += text.slice(last, i);
        last = i + 1;
      }
    }
  }
  return last === 0 ? text : out + text.slice(last);
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

/**
 * The charset a body without a declared one is in, from its BOM or RFC 4627's pattern of zero bytes
 * (Jackson and others detect UTF-16 and UTF-32 this way); undefined for UTF-8 or unknown.
 */
export function sniffCharset(b: Uint8Array): string | undefined {
  if (b.length >= 4) {
    if (b[0] === 0 && b[1] === 0 && (b[2] !== 0 || b[3] !== 0)) return 'utf-32be';
    if (b[0] !== 0 && b[1] === 0 && b[2] === 0 && b[3] === 0) return 'utf-32le';
    if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return 'utf-32le';
  }
  if (b.length >= 2) {
    if (b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
    if (b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
    if (b[0] === 0 && b[1] !== 0) return 'utf-16be';
    if (b[0] !== 0 && b[1] === 0) return 'utf-16le';
  }
  return undefined;
}

/** The body's text under the declared (or sniffed) charset, and its other plausible decodings. */
export function bodyTexts(
  bytes: Uint8Array,
  declared: string | undefined,
): { text: string; others: string[] } {
  const sniffed = sniffCharset(bytes);
  const primary = declared ?? sniffed;
  const text = decodeText(bytes, primary);
  const others: string[] = [];
  // An upstream may ignore the declared charset, or detect one itself: judge those readings too.
  for (const cs of [sniffed, 'utf-8']) {
    if (cs === undefined || cs === primary || (cs === 'utf-8' && primary === undefined)) continue;
    const alt = decodeText(bytes, cs);
    if (alt !== text && !others.includes(alt)) others.push(alt);
  }
  return { text, others };
}

/** application/x-www-form-urlencoded pairs (WHATWG: `+` is a space, bad escapes kept literally). */
export function formPairs(raw: string, semicolons = false): [string, string][] {
  if (raw === '') return [];
  const out: [string, string][] = [];
  for (const pair of new URLSearchParams(raw)) out.push(pair);
  // Older Rack, Python's parse_qs before 3.9.2 and others also split on ";".
  if (semicolons && raw.includes(';'))
    for (const part of raw.split(';')) for (const pair of new URLSearchParams(part)) out.push(pair);
  return out;
}

/**
 * A parameter name as PHP, Rails and case-insensitive binders read it: lower-cased, `.` and space as
 * `_`, a trailing `[]` dropped (`force[]=true` is `force` holding a list).
 */
export function paramKey(name: string): string {
  return name.toLowerCase().replace(/[. ]/g, '_').replace(/\[\]$/, '');
}

export interface MultipartBody {
  /** Fields that are not files, by name, in order. */
  fields: [string, string][];
  /** Part bodies that had to be decoded (Content-Transfer-Encoding), for the body rules. */
  decoded: string[];
}

/** multipart/form-data (RFC 7578), strictly: a body that does not follow the syntax is refused. */
export function parseMultipart(bytes: Uint8Array, boundary: string | undefined): MultipartBody {
  if (!boundary || boundary.length > 70) throw new BodyError('multipart body without a valid boundary');
  // One char per byte: delimiters are ASCII, values are decoded from their bytes afterwards.
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  const delim = `--${boundary}`;
  const out: MultipartBody = { fields: [], decoded: [] };
  let at = raw.startsWith(delim) ? 0 : raw.indexOf(`\r\n${delim}`);
  if (at < 0) throw new BodyError('multipart body has no part');
  at = raw.indexOf(delim, at) + delim.length;
  for (;;) {
    if (raw.startsWith('--', at)) return out;
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0 || !/^[ \t]*$/.test(raw.slice(at, lineEnd)))
      throw new BodyError('malformed multipart body');
    const headEnd = raw.indexOf('\r\n\r\n', lineEnd);
    const next = raw.indexOf(`\r\n${delim}`, lineEnd);
    if (next < 0) throw new BodyError('multipart body is not terminated');
    let headers: string;
    let content: string;
    if (headEnd < 0 || headEnd > next) {
      headers = '';
      content = raw.slice(lineEnd + 2, next);
    } else {
      headers = raw.slice(lineEnd + 2, headEnd);
      content = raw.slice(headEnd + 4, next);
    }
    readPart(headers, content, out);
    at = next + 2 + delim.length;
  }
}

function readPart(head: string, content: string, out: MultipartBody): void {
  let disposition = '';
  let cte = '';
  let charset: string | undefined;
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new BodyError('malformed multipart part header');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') disposition = value;
    else if (name === 'content-transfer-encoding') cte = value.toLowerCase();
    else if (name === 'content-type') charset = parseMediaType(value).charset;
  }
  let bytes: Buffer = Buffer.from(content, 'latin1');
  if (cte === 'base64') bytes = Buffer.from(content.replace(/\s+/g, ''), 'base64');
  else if (cte === 'quoted-printable') bytes = decodeQuotedPrintable(content);
  else if (cte !== '' && cte !== '7bit' && cte !== '8bit' && cte !== 'binary')
    throw new BodyError(`unsupported multipart Content-Transfer-Encoding "${cte}"`);
  const params = dispositionParams(disposition);
  const text = decodeText(bytes, charset);
  if (cte === 'base64' || cte === 'quoted-printable') out.decoded.push(text);
  if (params.name !== undefined && params.filename === undefined) out.fields.push([params.name, text]);
}

function dispositionParams(value: string): { name?: string; filename?: string } {
  const out: { name?: string; filename?: string } = {};
  const re = /;\s*([A-Za-z*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const key = m[1]!.toLowerCase();
    const v = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
    if (key === 'name') out.name ??= v;
    else if (key === 'filename' || key === 'filename*') out.filename = v;
    else if (key === 'name*') {
      // RFC 5987 (charset'lang'percent-encoded): what a binder that honours it reads.
      const q = v.indexOf("'", v.indexOf("'") + 1);
      try {
        out.name = decodeURIComponent(v.slice(q + 1));
      } catch {
        throw new BodyError('malformed multipart field name');
      }
    }
  }
  return out;
}

function decodeQuotedPrintable(s: string): Buffer {
  const bytes: number[] = [];
  const soft = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    const c = soft.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c & 0xff);
  }
  return Buffer.from(bytes);
}

type Doc = Record<string, unknown>;

/**
 * Form fields as the documents a binder builds (`a[b][]=1`, `a.b=1` nested, as Rails, PHP, qs and
 * Spring do). Two when a name repeats: one where the first value wins, one where the last does.
 */
export function formDocuments(fields: [string, string][]): unknown[] {
  if (fields.length === 0) return [];
  const first: Doc = Object.create(null);
  const last: Doc = Object.create(null);
  let repeated = false;
  for (const [name, value] of fields) {
    const path = fieldPath(name);
    if (!put(first, path, value, false)) repeated = true;
    put(last, path, value, true);
  }
  return repeated ? [first, last] : [first];
}

function fieldPath(name: string): string[] {
  const out: string[] = [];
  const head = /^[^[.]*/.exec(name)![0];
  out.push(head);
  const re = /\[([^\]]*)\]|\.([^[.]*)/y;
  re.lastIndex = head.length;
  for (let m = re.exec(name); m; m = re.exec(name)) out.push(m[1] ?? m[2]!);
  return out;
}

/** Sets doc[path] = value; `[]` appends. Returns false when a scalar was already there. */
function put(doc: Doc, path: string[], value: string, overwrite: boolean): boolean {
  let cur: Doc | unknown[] = doc;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const isLast = i === path.length - 1;
    if (Array.isArray(cur)) {
      if (isLast) {
        cur.push(value);
        return true;
      }
      const child: Doc = Object.create(null);
      cur.push(child);
      cur = child;
      continue;
    }
    const wantArray = path[i + 1] === '';
    if (isLast) {
      if (key in cur && !overwrite) return false;
      const had = key in cur;
      cur[key] = value;
      return !had;
    }
    const existing = cur[key];
    if (existing !== null && typeof existing === 'object') cur = existing as Doc | unknown[];
    else {
      const child: Doc | unknown[] = wantArray ? [] : Object.create(null);
      cur[key] = child;
      cur = child;
    }
    if (wantArray && i + 1 === path.length - 1 && Array.isArray(cur)) {
      cur.push(value);
      return true;
    }
  }
  return true;
}

/** Every key and string value of a parsed JSON document, unescaped, one per line (for body regexes). */
export function jsonStrings(doc: unknown): string {
  const out: string[] = [];
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        stack.push(entries[i]![1]);
        stack.push(entries[i]![0]);
      }
    }
  }
  return out.join('\n');
}
