// Matches the HTTP unit against a rule's `http:` section. Returns what matched (for the reason), or null.
//
// A request can mean more than one thing to the upstream: an override header or `_method` names
// another method, HEAD runs the GET handler, a path has other readings (`/admin.json`), a body has other
// decodings, a name repeats. Deny and review rules match if ANY reading matches (and what cannot be read
// — a body over the inspection cap — counts as matching: fail closed). Allow rules match only if EVERY reading matches and the body was read in full, so a request
// cannot borrow an allow it only partly deserves. (A body that says it is JSON but does not parse never
// gets here: the analyzer reports a parse error → on_parse_error.)
import { RE2JS } from 're2js';
import { headerKey, jsonPathValues, paramKey } from '../analyze/http/index.js';
import type { HttpMatch } from '../config/types.js';
import type { HttpUnit } from '../types.js';
import { globToRegExp } from './glob.js';

export interface CompiledHttpMatch {
  methods?: Set<string>;
  paths?: RegExp[];
  headers?: [string, RegExp][];
  /** name, the value glob, and the same glob case-insensitively (deny and review: `?force=TRUE`). */
  query?: [string, RegExp, RegExp][];
  body?: RE2JS;
  json?: [string, unknown][];
}

/** `any`: deny and review rules (any reading of the request). `all`: allow rules (every reading). */
export type HttpMatchMode = 'any' | 'all';

export function compileHttpMatch(m: HttpMatch): CompiledHttpMatch {
  return {
    methods: m.methods ? new Set(m.methods.map((x) => x.toUpperCase())) : undefined,
    // Case-insensitive: many frameworks (Express by default, ASP.NET, IIS) route /V1/Payments to /v1/payments.
    paths: m.paths?.map((p) => globToRegExp(p, 'path', true)),
    headers:
      m.headers && Object.entries(m.headers).map(([k, v]) => [headerKey(k), globToRegExp(v, 'word', true)]),
    query:
      m.query &&
      Object.entries(m.query).map(([k, v]) => [
        paramKey(k),
        globToRegExp(v, 'word'),
        globToRegExp(v, 'word', true),
      ]),
    body: m.body !== undefined ? RE2JS.compile(m.body) : undefined,
    json: m.json && Object.entries(m.json),
  };
}

export function matchHttp(m: CompiledHttpMatch, u: HttpUnit, mode: HttpMatchMode = 'any'): string[] | null {
  const any = mode === 'any';
  const why: string[] = [];
  if (m.methods) {
    const set = m.methods;
    if (u.methodsUnknown) {
      // A form body over the inspection cap may carry `_method` where it was not read.
      if (!any) return null;
      why.push('method unknown (body over the inspection limit)');
    } else if (any) {
      // HEAD runs the GET handler in Express, Rails, Django, Flask, Spring …
      const meth = u.methods.find((x) => set.has(x) || (x === 'HEAD' && set.has('GET')));
      if (meth === undefined) return null;
      why.push(meth);
    } else {
      if (!u.methods.every((x) => set.has(x))) return null;
      why.push(u.methods.join('/'));
    }
  }
  if (m.paths) {
    const paths = m.paths;
    const hit = (p: string) => paths.some((re) => re.test(p));
    const p = hit(u.path) ? u.path : any ? u.pathReadings?.find(hit) : undefined;
    if (p === undefined) return null;
    why.push(p === u.path ? `path ${p}` : `path ${u.path} (read as ${p})`);
  }
  if (m.headers) {
    for (const [name, re] of m.headers) {
      if (!values(u.headers[name], re, any)) return null;
      why.push(`header ${name}`);
    }
  }
  if (m.query) {
    for (const [name, re, reAnyCase] of m.query) {
      if (!values(u.query[name], any ? reAnyCase : re, any)) return null;
      why.push(`query ${name}`);
    }
  }
  if (m.body) {
    const re = m.body;
    const found = (t: string) => re.matcher(t).find();
    if (u.bodyTruncated) {
      if (!any) return null;
      why.push('body over the inspection limit');
    } else if (u.bodyText === undefined) return null;
    else if (any ? found(u.bodyText) || u.bodyReadings?.some(found) : found(u.bodyText))
      why.push('body pattern');
    else return null;
  }
  if (m.json) {
    if (u.bodyTruncated) {
      if (!any) return null;
      why.push('body over the inspection limit');
    } else {
      const docs = any ? [u.json, ...(u.jsonReadings ?? [])] : [u.json];
      const doc = docs.find(
        (d) => d !== undefined && m.json!.every(([p, expected]) => jsonMatches(d, p, expected, any)),
      );
      if (doc === undefined) return null;
      for (const [p] of m.json) why.push(`json ${p}`);
    }
  }
  return why;
}

function values(list: string[] | undefined, re: RegExp, any: boolean): boolean {
  if (!list || list.length === 0) return false;
  return any ? list.some((v) => re.test(v)) : list.every((v) => re.test(v));
}

function jsonMatches(doc: unknown, path: string, expected: unknown, any: boolean): boolean {
  const found = jsonPathValues(doc, path);
  if (found.length === 0) return false;
  return any
    ? found.some((v) => sameValue(v, expected, true))
    : found.every((v) => sameValue(v, expected, false));
}

function sameValue(actual: unknown, expected: unknown, loose: boolean): boolean {
  if (typeof expected === 'string') {
    if (typeof actual === 'string') return globToRegExp(expected, 'word').test(actual);
    // Loose: `amount: 5` is what a binder makes of "5" (and a form field is always a string).
    return (
      loose &&
      (typeof actual === 'number' || typeof actual === 'boolean') &&
      globToRegExp(expected, 'word').test(String(actual))
    );
  }
  if (expected !== null && typeof expected === 'object')
    return JSON.stringify(actual) === JSON.stringify(expected);
  if (actual === expected) return true;
  if (!loose) return false;
  if (typeof expected === 'number') {
    if (typeof actual === 'string') return actual.trim() !== '' && Number(actual) === expected;
    return false;
  }
  if (typeof expected === 'boolean') {
    const text = typeof actual === 'string' ? actual.trim().toLowerCase() : actual;
    return expected
      ? text === 'true' || text === '1' || text === 1
      : text === 'false' || text === '0' || text === 0;
  }
  return false;
}
