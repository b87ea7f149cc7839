// How a response body reaches the agent: JSON parsed and masked value by value, text through the
// streaming masker, binary passed through. Compressed maskable bodies are decoded and sent identity.
import { type Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import { isJsonType, type Masker, parseMediaType } from '@portcullis/core';

export type BodyMode = 'none' | 'json' | 'text' | 'binary';

/** Content types passed through unmasked: media, archives, fonts, opaque bytes. */
const BINARY =
  /^(image|audio|video|font)\/|^application\/(octet-stream|pdf|zip|gzip|x-gzip|x-tar|x-7z-compressed|x-bzip2|zstd|wasm|vnd\.ms-excel|vnd\.openxmlformats[^;]*|x-protobuf|protobuf|grpc[^;]*)$/;

export function bodyMode(method: string, status: number, contentType: string | undefined): BodyMode {
  if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) return 'none';
  const { essence } = parseMediaType(contentType);
  if (isJsonType(essence)) return 'json';
  // An unlabelled body may be anything: mask it as text rather than guess it is safe.
  if (essence === '' || !BINARY.test(essence)) return 'text';
  return 'binary';
}

/** Content-Encoding values in the order applied; throws on a coding the gateway cannot undo. */
export function contentCodings(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  const codings = joined
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  for (const c of codings) {
    if (!['gzip', 'x-gzip', 'deflate', 'br'].includes(c))
      throw new Error(`cannot mask a body with Content-Encoding "${c}"`);
  }
  return codings;
}

/**
 * Transfer-Encoding codings other than `chunked` (`gzip, chunked`): undici frames the body but leaves
 * these on it, so they are undone like content codings (applied after them). Throws like contentCodings.
 */
export function transferCodings(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  const codings = joined.split(',').filter((c) => c.trim().toLowerCase() !== 'chunked');
  return contentCodings(codings.join(','));
}

/** Charsets whose ASCII bytes are ASCII text: the detectors (all ASCII patterns) see them as they are. */
const ASCII_COMPATIBLE = new Set([
  'utf-8',
  'utf8',
  'us-ascii',
  'ascii',
  'iso-8859-1',
  'latin1',
  'windows-1252',
]);

/**
 * The charset a maskable body must be converted from before masking: undefined when its bytes can be
 * masked as they are. Throws when the gateway cannot read it (UTF-7, EBCDIC …): never passed unmasked.
 */
export function foreignCharset(contentType: string | undefined): string | undefined {
  const label = parseMediaType(contentType).charset;
  if (label === undefined || ASCII_COMPATIBLE.has(label)) return undefined;
  try {
    return new TextDecoder(label).encoding;
  } catch {
    throw new Error(`cannot mask a body in charset "${label}"`);
  }
}

/** A UTF-16 or UTF-32 body without a label, from its BOM or zero bytes (RFC 4627 §3); undefined if neither. */
export function sniffWideCharset(b: Uint8Array): 'utf-16le' | 'utf-16be' | 'utf-32' | undefined {
  if (b.length >= 4 && ((b[0] === 0 && b[1] === 0) || (b[1] === 0 && b[2] === 0 && b[3] === 0)))
    return 'utf-32';
  if (b.length >= 2) {
    if ((b[0] === 0xfe && b[1] === 0xff) || (b[0] === 0 && b[1] !== 0)) return 'utf-16be';
    if ((b[0] === 0xff && b[1] === 0xfe) || (b[0] !== 0 && b[1] === 0)) return 'utf-16le';
  }
  return undefined;
}

/**
 * Converts a body to UTF-8 for the masker: from `label` (see foreignCharset), or — without one — from
 * UTF-16 when the first bytes show it. UTF-32 is refused. A UTF-8 BOM is dropped (a JSON parser would
 * stop at it, and json_paths with it). Anything else passes through untouched.
 */
export function toUtf8(label: string | undefined): Transform {
  let decoder: InstanceType<typeof TextDecoder> | null | undefined =
    label === undefined ? undefined : new TextDecoder(label);
  let held: Buffer | undefined;
  /** Decides from the first bytes; returns them as they go on (or an error). */
  const decide = (first: Buffer): Buffer | Error => {
    if (first[0] === 0xef && first[1] === 0xbb && first[2] === 0xbf) {
      decoder = null;
      return first.subarray(3);
    }
    const wide = sniffWideCharset(first);
    if (wide === 'utf-32') return new Error('cannot mask a UTF-32 body');
    decoder = wide ? new TextDecoder(wide) : null;
    return first;
  };
  const convert = (chunk: Buffer, end: boolean): Buffer =>
    decoder ? Buffer.from(decoder.decode(chunk, { stream: !end }), 'utf8') : chunk;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (decoder === undefined) {
        held = held ? Buffer.concat([held, chunk]) : chunk;
        if (held.length < 4) return cb();
        const first = decide(held);
        held = undefined;
        if (first instanceof Error) return cb(first);
        chunk = first;
      }
      cb(null, convert(chunk, false));
    },
    flush(cb) {
      if (decoder === undefined && held) {
        const first = decide(held);
        if (first instanceof Error) return cb(first);
        return cb(null, convert(first, true));
      }
      if (decoder) {
        const rest = decoder.decode();
        if (rest.length > 0) return cb(null, Buffer.from(rest, 'utf8'));
      }
      cb();
    },
  });
}

/** `Content-Type` with its charset parameter replaced by utf-8 (the body was converted). */
export function relabelUtf8(contentType: string): string {
  return contentType.replace(/;\s*charset\s*=\s*("[^"]*"|[^;]*)/i, '; charset=utf-8');
}

/**
 * Whether bytes labelled binary are text after all (valid UTF-8 or a UTF-16 BOM, no NUL or stray control
 * characters in the sample): an upstream can label JSON `application/octet-stream` or SVG `image/*`.
 */
export function looksLikeText(sample: Uint8Array): boolean {
  if (sample.length === 0) return false;
  if ((sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff)) return true;
  for (let i = 0; i < sample.length; i++) {
    const c = sample[i]!;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c && c !== 0x1b) return false;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Streams that undo the codings (last applied first). */
export function decoders(codings: string[]): Transform[] {
  return [...codings].reverse().map((c) => {
    if (c === 'br') return createBrotliDecompress();
    if (c === 'deflate') return inflateAny();
    return createGunzip();
  });
}

/** "deflate" is zlib-wrapped per RFC 9110 but raw from some servers: sniff the first byte. */
function inflateAny(): Transform {
  let inner: Transform | undefined;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (!inner) {
        // A zlib header has CM=8 in the low nibble and a header checksum divisible by 31.
        const zlib =
          chunk.length >= 2 && (chunk[0]! & 0x0f) === 8 && ((chunk[0]! << 8) | chunk[1]!) % 31 === 0;
        inner = zlib ? createInflate() : createInflateRaw();
        inner.on('data', (d: Buffer) => this.push(d));
        inner.on('error', (e) => this.destroy(e));
      }
      inner.write(chunk, cb);
    },
    flush(cb) {
      if (!inner) return cb();
      inner.once('end', () => cb());
      inner.end();
    },
  });
}

/**
 * A wrapper some upstreams put before a JSON document: a JSONP callback (`cb(`, `/**\/ cb(` — an agent
 * can ask for one with `?callback=`) or an anti-XSSI prefix (`)]}'`, `while(1);`, `for(;;);`).
 */
const JSON_WRAPPER =
  /^\s*(?:\/\*\*\/\s*)?[A-Za-z_$][\w$.]*\s*\(\s*(?=[[{])|^\s*\)\]\}',?\s*(?=[[{])|^\s*(?:while\s*\(\s*1\s*\)|for\s*\(\s*;\s*;\s*\))\s*;\s*(?=[[{])/;
/** Bytes held at the start of a text body to find such a wrapper. */
const WRAPPER_MAX = 256;

/**
 * The streaming masker as a Transform. `tap` sees every masked byte (for the recording). With the
 * masker's JSON stream, json_paths apply whenever the text is JSON, whatever its label or size —
 * also behind a JSONP or anti-XSSI wrapper (the wrapper itself goes through the detectors).
 */
export function maskStream(masker: Masker, tap: (b: Uint8Array) => void): Transform {
  const sm = masker.jsonStream?.() ?? masker.stream();
  const emit = (t: Transform, out: Uint8Array) => {
    if (out.length > 0) {
      tap(out);
      t.push(out);
    }
  };
  let head: Buffer | undefined = masker.jsonStream ? Buffer.alloc(0) : undefined;
  /** Decides on the held start: true once decided (the held bytes are written). */
  const start = (t: Transform, end: boolean): boolean => {
    const held = head!;
    const text = held.toString('latin1');
    const first = /\S/.exec(text);
    if (!end && held.length < WRAPPER_MAX && (!first || /[A-Za-z_$/)wf]/.test(first[0]))) {
      // Could still be a wrapper: wait for its opening bracket (bounded).
      if (!/[[{]/.test(text)) return false;
    }
    head = undefined;
    const m = JSON_WRAPPER.exec(text);
    if (!m) {
      emit(t, sm.write(held));
      return true;
    }
    emit(t, Buffer.from(masker.value(m[0]), 'utf8'));
    emit(t, sm.write(held.subarray(m[0].length)));
    return true;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (head !== undefined) {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        start(this, false);
        return cb();
      }
      emit(this, sm.write(chunk));
      cb();
    },
    flush(cb) {
      if (head !== undefined && head.length > 0) start(this, true);
      emit(this, sm.flush());
      cb();
    },
  });
}

/**
 * Server-sent events: every `data:` line that is one JSON document is masked as JSON (json_paths
 * apply); the whole stream then goes through maskStream as text (multi-line secrets, other lines).
 * A line over `lineCap` ends the per-line pass (the text masker still sees everything).
 */
export function sseJsonLines(masker: Masker, lineCap = 1024 * 1024): Transform {
  let pending: Buffer[] = [];
  let pendingSize = 0;
  let off = false;
  const line = (b: Buffer): Buffer => {
    if (b.length < 6 || b.toString('latin1', 0, 5) !== 'data:') return b;
    const from = b[5] === 0x20 ? 6 : 5;
    let to = b.length;
    if (b[to - 1] === 0x0a) to--;
    if (b[to - 1] === 0x0d) to--;
    const c = b[from];
    if (c !== 0x7b && c !== 0x5b) return b;
    const masked = masker.maskJsonBytes?.(b.subarray(from, to));
    return masked ? Buffer.concat([b.subarray(0, from), masked, b.subarray(to)]) : b;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (off) return cb(null, chunk);
      let at = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, at)) {
        const part = chunk.subarray(at, nl + 1);
        const whole = pending.length > 0 ? Buffer.concat([...pending, part]) : part;
        pending = [];
        pendingSize = 0;
        this.push(line(whole));
        at = nl + 1;
      }
      if (at < chunk.length) {
        pending.push(chunk.subarray(at));
        pendingSize += chunk.length - at;
        if (pendingSize > lineCap) {
          off = true;
          this.push(Buffer.concat(pending));
          pending = [];
        }
      }
      cb();
    },
    flush(cb) {
      if (pending.length > 0) this.push(line(Buffer.concat(pending)));
      cb();
    },
  });
}

/**
 * Reads a body up to `cap` bytes. `complete` is false when it was longer: the chunks read so far
 * are returned and the stream is left paused so the caller can continue it.
 */
export function readUpTo(
  stream: Readable,
  cap: number,
): Promise<{ chunks: Buffer[]; size: number; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (complete: boolean) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      resolve({ chunks, size, complete });
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size > cap) {
        stream.pause();
        done(false);
      }
    };
    const onEnd = () => done(true);
    const onError = (e: Error) => {
      stream.off('data', onData);
      reject(e);
    };
    const onClose = () => {
      if (!stream.readableEnded) onError(new Error('stream closed before the body was complete'));
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}

/**
 * Masks a complete JSON response body: with core's byte-level masker when it has one (strings masked
 * as json() masks them, json_paths redacted, everything else byte for byte, no parse), else by
 * parse/mask/stringify. Undefined when it is not one JSON text (then it is masked as text).
 */
export function maskJsonResponse(masker: Masker, bytes: Buffer): Buffer | undefined {
  return masker.maskJsonBytes ? masker.maskJsonBytes(bytes) : maskJsonBody(masker, bytes);
}

/**
 * Masks a complete JSON body; undefined when it is not JSON after all (then it is masked as text).
 * Numbers that would not survive a parse/stringify round trip (big integers, `1.0`) are kept verbatim.
 */
export function maskJsonBody(masker: Masker, bytes: Buffer): Buffer | undefined {
  const text = bytes.toString('utf8');
  const kept: string[] = [];
  const nonce = Math.random().toString(36).slice(2, 10);
  let doc: unknown;
  try {
    doc = JSON.parse(protectNumbers(text, kept, nonce));
  } catch {
    return undefined;
  }
  let out = JSON.stringify(masker.json(doc));
  if (kept.length > 0) {
    out = out.replace(new RegExp(`"\\\\u0000${nonce}:(\\d+)"`, 'g'), (_m, i: string) => kept[Number(i)]!);
  }
  return Buffer.from(out, 'utf8');
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Swaps number literals that JSON.parse would alter for placeholder strings (outside string tokens). */
function protectNumbers(text: string, kept: string[], nonce: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) continue;
      const lit = m[0];
      if (String(Number(lit)) !== lit) {
        out += `${text.slice(last, i)}"\\u0000${nonce}:${kept.length}"`;
        kept.push(lit);
        last = i + lit.length;
      }
      i += lit.length - 1;
    }
  }
  return last === 0 ? text : out + text.slice(last);
}
