// One allowed request's trip upstream and back, driven by undici's dispatch() callbacks rather than
// request()'s promise + BodyReadable: an uncompressed JSON response (the common API answer) is collected
// straight from the parser's chunks, masked whole and written with its head in one go, with no stream
// objects per response. Every other response (text, binary, compressed, a JSON body over the JSON cap,
// an upstream that fails mid-body) is turned into a Readable and relayed by the same streaming code as
// before, so it behaves exactly as it did.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HttpCommand, Masker, Session } from '@portcullis/core';
import { type Dispatcher, util as undiciUtil } from 'undici';
import { agentResponseHeaders, redactedHeaders } from './headers.js';
import {
  type BodyMode,
  bodyMode,
  contentCodings,
  decoders,
  foreignCharset,
  looksLikeText,
  maskJsonResponse,
  maskStream,
  readUpTo,
  relabelUtf8,
  sseJsonLines,
  toUtf8,
  transferCodings,
} from './response-body.js';

/** JSON responses up to this size are parsed and masked value by value; larger ones as a text stream. */
export const JSON_MASK_CAP = 8 * 1024 * 1024;

type Headers = Record<string, string | string[] | undefined>;

/** Response headers the masking step rewrites (the body that reaches the agent is not the upstream's). */
const REWRITTEN = ['content-length', 'content-encoding', 'content-md5', 'digest', 'etag'];

/** Bytes of a body labelled binary looked at to tell whether it is text after all. */
const SNIFF_BYTES = 1024;

export interface CallOwner {
  /** Upstream calls in flight on the agent's connection: aborted when the agent goes away. */
  readonly inflight: Set<UpstreamCall>;
}

/** What the listener does when the upstream could not be reached or answered nothing (502). */
export type UpstreamFailure = (call: UpstreamCall, err: Error) => void;

enum State {
  /** Waiting for the response head. */
  Head = 0,
  /** Collecting an identity-coded JSON body. */
  Collect = 1,
  /** Relayed through a Readable by the streaming code. */
  Stream = 2,
  /** Nothing more to do with what arrives (HEAD/204/304 answered, or given up). */
  Done = 3,
}

/** A dispatch handler (undici's raw callback interface) for one request. */
export class UpstreamCall implements Dispatcher.DispatchHandler {
  private state = State.Head;
  private abortFn: ((err?: Error) => void) | undefined;
  private resumeFn: (() => void) | undefined;
  private gone = false;
  status = 0;
  headers: Headers = {};
  private mode: BodyMode = 'none';
  private chunks: Buffer[] = [];
  private size = 0;
  private body: UpstreamBody | undefined;
  private masker: Masker | undefined;
  private before: Record<string, number> | undefined;

  constructor(
    private readonly owner: CallOwner,
    readonly session: Session,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly command: HttpCommand,
    private readonly started: number,
    private readonly recordCap: number,
    private readonly onFailure: UpstreamFailure,
  ) {
    owner.inflight.add(this);
  }

  /** The agent went away: stop the upstream request (or its body) where it is. */
  clientGone(): void {
    this.gone = true;
    if (this.state === State.Stream) this.body?.destroy();
    else this.abort(new Error('client went away'));
  }

  abort(err: Error): void {
    this.abortFn?.(err);
  }

  // --- undici's dispatch handler ---

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.gone) abort(new Error('client went away'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx (103 Early Hints…) is informational: request() never showed it either; the final head follows.
    if (statusCode < 200 || this.state !== State.Head) return true;
    this.status = statusCode;
    this.resumeFn = resume;
    // The same object request() would have given (undici's own parser of raw headers).
    this.headers = undiciUtil.parseHeaders(rawHeaders) as Headers;
    this.masker = this.session.masker();
    this.before = { ...this.masker.counts };
    this.mode = bodyMode(this.req.method ?? 'GET', statusCode, headerValue(this.headers['content-type']));
    if (this.mode === 'none') {
      this.state = State.Done;
      try {
        this.res.writeHead(statusCode, agentResponseHeaders(this.headers, [], this.masker));
        this.res.end();
        this.record(0, undefined);
      } catch (err) {
        // e.g. a header value Node refuses to write: the agent gets a 502, never silence
        this.relayFailed(err as Error);
      }
      return true;
    }
    if (this.mode !== 'binary' && isByteRange(statusCode, this.headers)) {
      this.refuse('cannot mask a partial (byte-range) response: a secret could be split at its edge');
      return true;
    }
    if (
      this.mode === 'json' &&
      isIdentity(this.headers['content-encoding']) &&
      this.headers['transfer-encoding'] === undefined &&
      isAsciiCharset(this.headers['content-type'])
    ) {
      this.state = State.Collect;
      return true;
    }
    this.toStream([]);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.state === State.Collect) {
      this.chunks.push(chunk);
      this.size += chunk.length;
      // Over the JSON cap: the text masker takes it from here, the chunks so far first.
      if (this.size > JSON_MASK_CAP) this.toStream(this.chunks, 'json-as-text');
      return true;
    }
    if (this.state === State.Stream) return this.body!.push(chunk);
    return true;
  }

  onComplete(): void {
    this.owner.inflight.delete(this);
    if (this.state === State.Collect) {
      this.state = State.Done;
      try {
        this.sendCollected();
      } catch (err) {
        this.relayFailed(err as Error);
      }
    } else if (this.state === State.Stream) this.body!.push(null);
  }

  onError(err: Error): void {
    this.owner.inflight.delete(this);
    const state = this.state;
    this.state = State.Done;
    if (state === State.Head) {
      if (!this.gone) this.onFailure(this, err);
    } else if (state === State.Collect) this.relayFailed(err);
    else if (state === State.Stream) this.body!.destroy(err);
  }

  // --- the response ---

  /** An identity-coded JSON body, complete: masked whole; not JSON after all → masked as text. */
  private sendCollected(): void {
    const whole = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    const b0 = whole[0];
    // JSON text starts with an ASCII byte and never has a NUL second: only then is it worth a look.
    if (b0 === 0 || b0 === 0xef || b0 === 0xfe || b0 === 0xff || (whole.length > 1 && whole[1] === 0)) {
      // UTF-16 without a label, or a UTF-8 BOM: converted (or refused) by the streaming path, then masked
      // whole there. (0xEF cannot start JSON text, so this costs nothing on the fast path.)
      this.toStream([whole], undefined, true);
      return;
    }
    const masked = maskJsonResponse(this.masker!, whole);
    if (!masked) {
      this.state = State.Stream;
      this.toStream([whole], 'json-as-text', true);
      return;
    }
    const headers = agentResponseHeaders(this.headers, REWRITTEN, this.masker);
    headers['content-length'] = String(masked.length);
    this.res.writeHead(this.status, headers);
    this.res.end(masked);
    // The masked body is ours and never reused: the preview is a view of it, not a copy.
    this.record(masked.length, masked.subarray(0, this.recordCap));
  }

  /** The response cannot be passed on masked: 502, nothing of its body relayed. */
  private refuse(reason: string): void {
    this.state = State.Done;
    this.session.record('error', { message: reason, code: 'mask' });
    replyBadGateway(this.res, reason);
    this.abort(new Error(reason));
  }

  private relayFailed(err: Error): void {
    this.session.record('error', { message: `response relay failed: ${err.message}`, code: 'upstream' });
    replyBadGateway(this.res);
  }

  /** From here on the body flows through a Readable into the streaming relay. */
  private toStream(head: Buffer[], relabel?: string, ended = false): void {
    this.state = State.Stream;
    const body = new UpstreamBody(this);
    this.body = body;
    for (const c of head) body.push(c);
    this.chunks = [];
    if (ended) body.push(null);
    void this.relayStream(body, relabel);
  }

  /** Resumes a paused upstream (the Readable wants more). */
  resume(): void {
    this.resumeFn?.();
  }

  /** The streaming relay: the code path every non-collected response takes. */
  private async relayStream(body: Readable, relabel: string | undefined): Promise<void> {
    const res = this.res;
    const recordCap = this.recordCap;
    const preview: Buffer[] = [];
    let previewSize = 0;
    let bytesOut = 0;
    const tap = (b: Uint8Array) => {
      bytesOut += b.length;
      if (previewSize < recordCap) {
        const part = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, recordCap - previewSize));
        preview.push(Buffer.from(part));
        previewSize += part.length;
      }
    };
    const previewBuf = () => (preview.length === 1 ? preview[0]! : Buffer.concat(preview));
    const fail = (reason: string) => {
      body.destroy();
      this.session.record('error', { message: reason, code: 'mask' });
      replyBadGateway(res, reason);
    };
    try {
      // Content codings, then transfer codings other than chunked (undici leaves those on the body).
      let codings: string[] | undefined;
      let charset: string | undefined;
      let codingError: Error | undefined;
      try {
        codings = [
          ...contentCodings(this.headers['content-encoding']),
          ...transferCodings(this.headers['transfer-encoding']),
        ];
        charset = foreignCharset(headerValue(this.headers['content-type']));
      } catch (err) {
        codingError = err as Error;
      }
      let source: Readable = body;
      if (this.mode === 'binary') {
        // Binary is passed through unmasked, but only if it is binary: bytes that read as text are masked.
        if (codings === undefined) {
          // A coding the gateway cannot undo on a binary type: passed as it came.
          res.writeHead(this.status, agentResponseHeaders(this.headers, [], this.masker));
          await pipeline(
            body,
            counting((n) => (bytesOut += n)),
            res,
          );
          return this.record(bytesOut, undefined);
        }
        const decoded = codings.length > 0 ? chain(body, decoders(codings)) : body;
        const head = await readUpTo(decoded, SNIFF_BYTES);
        const sample = head.chunks.length === 1 ? head.chunks[0]! : Buffer.concat(head.chunks, head.size);
        const rest = prepend(head.chunks, head.complete ? null : decoded);
        if (!looksLikeText(sample.subarray(0, SNIFF_BYTES))) {
          res.writeHead(
            this.status,
            agentResponseHeaders(this.headers, codings.length > 0 ? REWRITTEN : [], this.masker),
          );
          await pipeline(
            rest,
            counting((n) => (bytesOut += n)),
            res,
          );
          return this.record(bytesOut, undefined);
        }
        if (isByteRange(this.status, this.headers)) {
          rest.destroy();
          return fail('cannot mask a partial (byte-range) response: a secret could be split at its edge');
        }
        this.mode = 'text';
        relabel = 'binary-as-text';
        source = rest;
      } else {
        if (codings === undefined) return fail(codingError!.message);
        if (codings.length > 0) source = chain(body, decoders(codings));
      }
      if (codingError) return fail(codingError.message);
      const text = chain(source, [toUtf8(charset)]);
      const headers = agentResponseHeaders(this.headers, REWRITTEN, this.masker);
      const type = headerValue(this.headers['content-type']);
      if (charset !== undefined && type !== undefined) headers['content-type'] = relabelUtf8(type);
      if (this.mode === 'json' && relabel === undefined) {
        // A compressed (or converted) JSON body: collected and masked whole like an identity one.
        const head = await readUpTo(text, JSON_MASK_CAP);
        if (head.complete) {
          const whole = head.chunks.length === 1 ? head.chunks[0]! : Buffer.concat(head.chunks, head.size);
          const masked = maskJsonResponse(this.masker!, whole);
          if (masked) {
            headers['content-length'] = String(masked.length);
            res.writeHead(this.status, headers);
            res.end(masked);
            return this.record(masked.length, masked.subarray(0, recordCap));
          }
        }
        res.writeHead(this.status, headers);
        await pipeline(prepend(head.chunks, head.complete ? null : text), maskStream(this.masker!, tap), res);
        return this.record(bytesOut, previewBuf(), 'json-as-text');
      }
      // (A UTF-32 body found by sniffing fails the pipeline after the head: the connection is cut.)
      res.writeHead(this.status, headers);
      const sse = /^\s*text\/event-stream/i.test(type ?? '');
      await pipeline(
        sse ? chain(text, [sseJsonLines(this.masker!)]) : text,
        maskStream(this.masker!, tap),
        res,
      );
      return this.record(bytesOut, previewBuf(), relabel);
    } catch (err) {
      body.destroy();
      this.session.record('error', {
        message: `response relay failed: ${(err as Error).message}`,
        code: 'upstream',
      });
      const reason = (err as Error).message;
      if (!res.headersSent) replyBadGateway(res, reason.startsWith('cannot mask') ? reason : undefined);
      else res.destroy();
    }
  }

  /** The `result` frame: status, redacted headers, what was masked, a preview of what the agent got. */
  private record(bytes: number, preview: Buffer | undefined, relabel?: string): void {
    const masked: Record<string, number> = {};
    const counts = this.masker!.counts;
    const before = this.before ?? {};
    for (const k in counts) {
      const d = counts[k]! - (before[k] ?? 0);
      if (d !== 0) masked[k] = d;
    }
    this.session.record('result', {
      status: this.status,
      headers: redactedHeaders(this.headers),
      mode: relabel ?? this.mode,
      bytes,
      masked,
      preview: this.mode === 'binary' ? undefined : (preview ?? Buffer.alloc(0)).toString('utf8'),
      request: {
        headers: this.command.headers,
        body: requestPreview(this.command, this.recordCap, this.session),
      },
      ms: Math.round((performance.now() - this.started) * 1000) / 1000,
    });
  }
}

/** The body of a streamed response: reading resumes the upstream, destroying it aborts the request. */
class UpstreamBody extends Readable {
  private ended = false;
  constructor(private readonly call: UpstreamCall) {
    super();
  }
  override push(chunk: Buffer | null): boolean {
    if (chunk === null) this.ended = true;
    return super.push(chunk);
  }
  override _read(): void {
    this.call.resume();
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.ended) this.call.abort(err ?? new Error('response body destroyed'));
    cb(err);
  }
}

function replyBadGateway(res: ServerResponse, reason = 'upstream response failed'): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify({ error: 'bad_gateway', reason });
  res.writeHead(502, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/** A 206 whose body is a byte range (or several): masking it could miss a secret cut at an edge. */
function isByteRange(status: number, headers: Headers): boolean {
  if (status !== 206) return false;
  const range = headerValue(headers['content-range']);
  const type = headerValue(headers['content-type']) ?? '';
  return range === undefined || /^\s*bytes\b/i.test(range) || /^\s*multipart\/byteranges/i.test(type);
}

function isAsciiCharset(contentType: string | string[] | undefined): boolean {
  try {
    return foreignCharset(headerValue(contentType)) === undefined;
  } catch {
    return false;
  }
}

function isIdentity(v: string | string[] | undefined): boolean {
  if (v === undefined) return true;
  try {
    return contentCodings(v).length === 0;
  } catch {
    return false;
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function requestPreview(command: HttpCommand, cap: number, session: Session): string | undefined {
  if (!command.body || command.body.length === 0) return undefined;
  const text = Buffer.from(
    command.body.buffer,
    command.body.byteOffset,
    Math.min(command.body.length, cap),
  ).toString('utf8');
  return session.masker().value(text);
}

function chain(src: Readable, stages: NodeJS.ReadWriteStream[]): Readable {
  let cur: NodeJS.ReadableStream = src;
  for (const s of stages) {
    cur.on('error', (e: Error) => (s as unknown as Readable).destroy(e));
    cur = cur.pipe(s);
  }
  return cur as unknown as Readable;
}

function prepend(chunks: Buffer[], rest: Readable | null): Readable {
  const out = new PassThrough();
  for (const c of chunks) out.write(c);
  if (rest) {
    rest.on('error', (e) => out.destroy(e));
    rest.pipe(out);
    rest.resume();
  } else out.end();
  return out;
}

function counting(add: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      add(chunk.length);
      cb(null, chunk);
    },
  });
}
