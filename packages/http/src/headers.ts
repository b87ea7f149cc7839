// Header rules at the proxy boundary: what is hop-by-hop (RFC 9110 §7.6.1), what the agent may not pass
// through (its own credentials, forwarding claims), and what is redacted in recordings.
import type { IncomingMessage } from 'node:http';
import type { Masker } from '@portcullis/core';

export type HeaderMap = Record<string, string | string[]>;

/** Connection-specific headers: never forwarded in either direction. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Request headers the gateway replaces or refuses to pass on. */
const REQUEST_DROPPED = new Set([
  'authorization', // the agent's JWT: the upstream gets its own credentials
  'host',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-real-ip',
  'expect', // 100-continue is answered here; the body is sent upstream only after the verdict
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'x-cluster-client-ip',
  // Path and host overrides that Symfony, Laravel, IIS and some proxies honour instead of the request line:
  // the upstream would route a path that was never judged.
  'x-original-url',
  'x-rewrite-url',
  'x-override-url',
  'x-original-uri',
  'x-original-host',
  'x-host',
  'range', // masking needs whole bodies: a range could split a secret in two unmasked halves
  'request-range', // Range's old alias (Apache)
  'if-range',
  'accept-charset', // a UTF-16 answer would hide text from the masker
  'sec-websocket-extensions', // no permessage-deflate: compressed frames could not be masked
]);

/** Every `X-Forwarded-*` (Prefix, Port, Server, Scheme …): claims only the gateway may make. */
const dropped = (name: string) => REQUEST_DROPPED.has(name) || name.startsWith('x-forwarded-');

/** Content codings the gateway can undo to mask a response. */
export const DECODABLE = ['gzip', 'x-gzip', 'deflate', 'br', 'identity'];

const CREDENTIAL_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
]);

const NONE: ReadonlySet<string> = new Set<string>();

function connectionTokens(value: string | string[] | undefined): ReadonlySet<string> {
  if (value === undefined) return NONE;
  const out = new Set<string>();
  for (const v of Array.isArray(value) ? value : value ? [value] : []) {
    for (const t of v.split(',')) {
      const name = t.trim().toLowerCase();
      if (name) out.add(name);
    }
  }
  return out;
}

function add(out: HeaderMap, name: string, value: string): void {
  const prev = out[name];
  if (prev === undefined) out[name] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else out[name] = [prev, value];
}

export interface ForwardContext {
  clientAddress: string;
  proto: 'http' | 'https';
  upstreamHost: string;
  inject: Record<string, string>;
  websocket: boolean;
}

/** The headers sent upstream: the agent's end-to-end headers minus credentials, plus the gateway's. */
export function upstreamRequestHeaders(req: IncomingMessage, ctx: ForwardContext): HeaderMap {
  const out: HeaderMap = {};
  const listed = connectionTokens(req.headers.connection);
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || dropped(name) || listed.has(name)) continue;
    if (name === 'accept-encoding') {
      const allowed = raw[i + 1]!.split(',')
        .map((t) => t.trim())
        .filter((t) => DECODABLE.includes(t.split(';')[0]!.trim().toLowerCase()));
      if (allowed.length > 0) add(out, name, allowed.join(', '));
      continue;
    }
    add(out, name, raw[i + 1]!);
  }
  if (ctx.websocket) {
    out.connection = 'Upgrade';
    out.upgrade = 'websocket';
  }
  out.host = ctx.upstreamHost;
  out['x-forwarded-for'] = ctx.clientAddress;
  out['x-forwarded-proto'] = ctx.proto;
  if (req.headers.host) out['x-forwarded-host'] = req.headers.host;
  for (const [name, value] of Object.entries(ctx.inject)) out[name.toLowerCase()] = value;
  return out;
}

/** Response headers that hold no free text a detector could find: not masked (the rest are). */
const STRUCTURAL = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'date',
  'expires',
  'last-modified',
  'etag',
  'age',
  'cache-control',
  'pragma',
  'vary',
  'server',
  'accept-ranges',
  'connection',
  'keep-alive',
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
]);

/**
 * Response headers passed to the agent: hop-by-hop removed (and what the masking step rewrites); with a
 * masker, every other value is masked too (`Location`, `Link`, `Content-Disposition`, `Set-Cookie`, custom
 * `X-*`: an upstream can echo a secret there as easily as in the body).
 */
export function agentResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
  drop: string[] = [],
  masker?: Pick<Masker, 'value'>,
): HeaderMap {
  const out: HeaderMap = {};
  const listed = connectionTokens(headers.connection);
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || drop.includes(name)) continue;
    if (!masker || STRUCTURAL.has(name)) out[name] = value;
    else out[name] = Array.isArray(value) ? value.map((v) => masker.value(v)) : masker.value(value);
  }
  return out;
}

/**
 * The agent's headers as judged and recorded: what is forwarded (a header the agent lists in `Connection`
 * never reaches the upstream, so it cannot satisfy a rule either), credentials redacted.
 */
export function judgedHeaders(req: IncomingMessage): Record<string, string[]> {
  const all = redactedHeaders(req.headersDistinct);
  const listed = connectionTokens(req.headers.connection);
  if (listed.size === 0) return all;
  for (const name of listed) if (!HOP_BY_HOP.has(name)) delete all[name];
  return all;
}

/** Headers for the judge and the recording: credentials replaced by a marker (cookie names kept). */
export function redactedHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    out[name] = CREDENTIAL_HEADERS.has(name) ? values.map((v) => redact(name, v)) : values;
  }
  return out;
}

function redact(name: string, value: string): string {
  if (name === 'cookie') {
    return value
      .split(';')
      .map((c) => `${c.split('=')[0]!.trim()}=[REDACTED]`)
      .join('; ');
  }
  if (name === 'set-cookie') return `${value.split('=')[0]!.trim()}=[REDACTED]`;
  const scheme = /^(\w+)\s/.exec(value);
  return scheme ? `${scheme[1]} [REDACTED]` : '[REDACTED]';
}
