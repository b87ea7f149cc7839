// HttpCommand → one HttpUnit: the facts `http:` rules match. Never throws: what cannot be read
// unambiguously becomes a parseError, so the policy's on_parse_error decides.
import type { Analysis, HttpCommand, HttpUnit } from '../../types.js';
import { BodyError, decodeContent, decodeText, isJsonType, parseJsonStrict, parseMediaType } from './body.js';
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

    const target = parseTarget(String(cmd.target ?? ''));
    unit.path = target.path;
    notes.push(...target.notes);
    unit.query = parseParams(target.rawQuery);

    const overrides: string[] = [];
    for (const h of METHOD_OVERRIDE_HEADERS)
      for (const v of unit.headers[h] ?? []) overrides.push(...v.split(','));
    overrides.push(...(unit.query[METHOD_OVERRIDE_PARAM] ?? []));

    const body = cmd.body;
    if (body && body.length > 0) {
      const media = parseMediaType(unit.headers['content-type']?.[0]);
      const encodings = (unit.headers['content-encoding'] ?? [])
        .flatMap((v) => v.split(','))
        .map((v) => v.trim().toLowerCase())
        .filter((v) => v !== '');
      // A truncated compressed body cannot be decoded; body rules fail closed on bodyTruncated anyway.
      const decoded = unit.bodyTruncated && encodings.length > 0 ? undefined : decodeContent(body, encodings);
      if (decoded === undefined) {
        unit.bodyTruncated = true;
        notes.push('body not inspected in full');
      } else {
        const text = decodeText(decoded, media.charset);
        unit.bodyText = text;
        if (!unit.bodyTruncated) {
          const json = readJson(text, media.essence);
          if (json !== undefined) {
            unit.json = json.doc;
            const m =
              json.doc !== null && typeof json.doc === 'object' && !Array.isArray(json.doc)
                ? (json.doc as Record<string, unknown>)[METHOD_OVERRIDE_PARAM]
                : undefined;
            if (typeof m === 'string') overrides.push(m);
          }
          if (media.essence === 'application/x-www-form-urlencoded') {
            overrides.push(...(parseParams(text)[METHOD_OVERRIDE_PARAM] ?? []));
          }
        }
      }
    }

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

function normaliseHeaders(headers: HttpCommand['headers'] | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const list = out[key] ?? (out[key] = []);
    if (Array.isArray(value)) list.push(...value.map(String));
    else list.push(String(value));
  }
  return out;
}

/** application/x-www-form-urlencoded parsing (WHATWG: `+` is a space, bad escapes kept literally). */
function parseParams(raw: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (raw === '') return out;
  for (const [k, v] of new URLSearchParams(raw)) (out[k] ?? (out[k] = [])).push(v);
  return out;
}

function readJson(text: string, essence: string): { doc: unknown } | undefined {
  if (isJsonType(essence)) {
    try {
      return { doc: parseJsonStrict(text) };
    } catch (err) {
      throw err instanceof BodyError ? err : new BodyError('body declared as JSON is not valid JSON');
    }
  }
  // Some upstreams parse JSON whatever the Content-Type says: read anything shaped like JSON.
  if (!/^[\s\ufeff]*[[{]/.test(text)) return undefined;
  try {
    return { doc: parseJsonStrict(text.replace(/^\ufeff/, '')) };
  } catch (err) {
    if (err instanceof BodyError) throw err;
    return undefined;
  }
}
