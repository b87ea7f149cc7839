// HttpCommand → one HttpUnit: the facts `http:` rules match. Never throws: what cannot be read
// unambiguously becomes a parseError, so the policy's on_parse_error decides.
import type { Analysis, HttpCommand, HttpUnit } from '../../types.js';
import {
  BodyError,
  bodyTexts,
  decodeContent,
  formDocuments,
  formPairs,
  isJsonType,
  jsonStrings,
  paramKey,
  parseJsonStrict,
  parseLenientJson,
  parseMediaType,
  parseMultipart,
} from './body.js';
import { parseTarget, TargetError } from './target.js';

/** Headers through which frameworks let a request claim another method. */
export const METHOD_OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'];
/** The query parameter / form field / JSON member that Rails, Laravel, Symfony … read as the method. */
export const METHOD_OVERRIDE_PARAM = '_method';

export function analyzeHttp(cmd: HttpCommand): Analysis {
  const unit: HttpUnit = {
    kind: 'http',
    methods: [],
    path: '',
    headers: {},
    query: {},
    bodyTruncated: cmd.bodyTruncated === true,
    notes: [],
  };
  const notes = unit.notes!;
  try {
    const method = String(cmd.method ?? '').toUpperCase();
    unit.methods.push(method);
    unit.headers = normaliseHeaders(cmd.headers);
    if (cmd.websocket) notes.push('websocket upgrade');

    const rawTarget = String(cmd.target ?? '');
    if (rawTarget === '*' && method !== 'OPTIONS')
      throw new TargetError('asterisk-form request-target is only valid for OPTIONS');
    const target = parseTarget(rawTarget);
    unit.path = target.path;
    if (target.readings) unit.pathReadings = target.readings;
    notes.push(...target.notes);
    unit.query = params(formPairs(target.rawQuery, true));

    const overrides: string[] = [];
    for (const h of METHOD_OVERRIDE_HEADERS)
      for (const v of unit.headers[h] ?? []) overrides.push(...v.split(','));
    overrides.push(...(unit.query[METHOD_OVERRIDE_PARAM] ?? []));

    const body = cmd.body;
    if (body && body.length > 0) overrides.push(...readBody(unit, body));

    for (const o of overrides) {
      const m = o.trim().toUpperCase();
      if (m !== '' && !unit.methods.includes(m)) {
        unit.methods.push(m);
        notes.push(`method override ${m}`);
      }
    }
    if (notes.length === 0) delete unit.notes;
    return { units: [unit] };
  } catch (err) {
    const parseError =
      err instanceof TargetError || err instanceof BodyError
        ? err.message
        : `cannot analyse HTTP request: ${err instanceof Error ? err.message : String(err)}`;
    if (notes.length === 0) delete unit.notes;
    return { units: [unit], parseError };
  }
}

/** Fills the body facts of `unit`; returns the method overrides the body carries. */
function readBody(unit: HttpUnit, body: Uint8Array): string[] {
  const notes = unit.notes!;
  const overrides: string[] = [];
  const types = unit.headers['content-type'] ?? [];
  if (new Set(types.map((t) => t.trim().toLowerCase())).size > 1)
    throw new BodyError('more than one Content-Type');
  const media = parseMediaType(types[0]);
  const encodings = (unit.headers['content-encoding'] ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== '');
  // A truncated compressed body cannot be decoded; body rules fail closed on bodyTruncated anyway.
  const decoded = unit.bodyTruncated && encodings.length > 0 ? undefined : decodeContent(body, encodings);
  // Rails, Laravel, Symfony and method-override read `_method` from form bodies: in a part not read, unknown.
  const form =
    media.essence === 'application/x-www-form-urlencoded' || media.essence === 'multipart/form-data';
  if (decoded === undefined) {
    unit.bodyTruncated = true;
    if (form) unit.methodsUnknown = true;
    notes.push('body not inspected in full');
    return overrides;
  }
  const { text, others } = bodyTexts(decoded, media.charset);
  unit.bodyText = text;
  const readings = others;
  if (others.length > 0) notes.push('body read under more than one charset');
  if (unit.bodyTruncated) {
    if (readings.length > 0) unit.bodyReadings = readings;
    if (form) unit.methodsUnknown = true;
    return overrides;
  }

  const json = readJson(text, media.essence);
  const docs: unknown[] = [];
  if (json !== undefined) {
    if (json.strict) unit.json = json.doc;
    else {
      docs.push(json.doc);
      notes.push('body read as lenient JSON (comments, trailing commas, quotes)');
    }
    const doc = json.doc;
    if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
      for (const [k, v] of Object.entries(doc as Record<string, unknown>))
        if (paramKey(k) === METHOD_OVERRIDE_PARAM && typeof v === 'string') overrides.push(v);
    }
    // Escapes (`\u0061`, `\t`) hide text from a body regex that the upstream reads unescaped.
    if (text.includes('\\')) readings.push(JSON.stringify(doc), jsonStrings(doc));
  }

  let fields: [string, string][] | undefined;
  if (media.essence === 'application/x-www-form-urlencoded' || (media.essence === '' && json === undefined)) {
    fields = formPairs(text, true);
    if (/[%+]/.test(text)) readings.push(fields.map(([k, v]) => `${k}=${v}`).join('\n'));
  } else if (media.essence === 'multipart/form-data') {
    const mp = parseMultipart(decoded, media.boundary);
    fields = mp.fields;
    readings.push(...mp.decoded);
  }
  if (fields && fields.length > 0) {
    for (const [k, v] of fields) if (paramKey(k) === METHOD_OVERRIDE_PARAM) overrides.push(v);
    docs.push(...formDocuments(fields));
  }
  if (docs.length > 0) unit.jsonReadings = docs;
  if (readings.length > 0) unit.bodyReadings = readings;
  return overrides;
}

function normaliseHeaders(headers: HttpCommand['headers'] | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = headerKey(name);
    const list = out[key] ?? (out[key] = []);
    if (Array.isArray(value)) list.push(...value.map(String));
    else list.push(String(value));
  }
  return out;
}

/** A header name as rules see it: lower-cased, `_` as `-` (CGI, PHP and WSGI turn both into `HTTP_X_Y`). */
export function headerKey(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

function params(pairs: [string, string][]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of pairs) (out[paramKey(k)] ??= []).push(v);
  return out;
}

function readJson(text: string, essence: string): { doc: unknown; strict: boolean } | undefined {
  if (isJsonType(essence)) {
    try {
      return { doc: parseJsonStrict(text), strict: true };
    } catch (err) {
      throw err instanceof BodyError ? err : new BodyError('body declared as JSON is not valid JSON');
    }
  }
  // Some upstreams parse JSON whatever the Content-Type says: read anything shaped like JSON.
  if (!/^[\s\ufeff]*[[{]/.test(text)) return undefined;
  const bare = text.replace(/^\ufeff/, '');
  try {
    return { doc: parseJsonStrict(bare), strict: true };
  } catch (err) {
    if (err instanceof BodyError) throw err;
  }
  // JSON5, Gson's and Jackson's lenient modes take comments, trailing commas, single quotes and
  // bare keys: what they would read is judged by deny and review rules.
  const doc = parseLenientJson(bare);
  return doc === undefined ? undefined : { doc, strict: false };
}
