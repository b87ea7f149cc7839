// Matches the HTTP unit against a rule's `http:` section. Returns what matched (for the reason), or null.
// `body` and `json` fail closed: a body over the inspection cap counts as matching. (A body that says it
// is JSON but does not parse never gets here: the analyzer reports a parse error → on_parse_error.)
import { RE2JS } from 're2js';
import { jsonPathValues } from '../analyze/http/index.js';
import type { HttpMatch } from '../config/types.js';
import type { HttpUnit } from '../types.js';
import { globToRegExp } from './glob.js';

export interface CompiledHttpMatch {
  methods?: Set<string>;
  paths?: RegExp[];
  headers?: [string, RegExp][];
  query?: [string, RegExp][];
  body?: RE2JS;
  json?: [string, unknown][];
}

export function compileHttpMatch(m: HttpMatch): CompiledHttpMatch {
  return {
    methods: m.methods ? new Set(m.methods.map((x) => x.toUpperCase())) : undefined,
    // Case-insensitive: many frameworks (Express by default, ASP.NET, IIS) route /V1/Payments to /v1/payments.
    paths: m.paths?.map((p) => globToRegExp(p, 'path', true)),
    headers:
      m.headers &&
      Object.entries(m.headers).map(([k, v]) => [k.toLowerCase(), globToRegExp(v, 'word', true)]),
    query: m.query && Object.entries(m.query).map(([k, v]) => [k, globToRegExp(v, 'word')]),
    body: m.body !== undefined ? RE2JS.compile(m.body) : undefined,
    json: m.json && Object.entries(m.json),
  };
}

export function matchHttp(m: CompiledHttpMatch, u: HttpUnit): string[] | null {
  const why: string[] = [];
  if (m.methods) {
    const meth = u.methods.find((x) => m.methods!.has(x));
    if (meth === undefined) return null;
    why.push(meth);
  }
  if (m.paths) {
    if (!m.paths.some((re) => re.test(u.path))) return null;
    why.push(`path ${u.path}`);
  }
  if (m.headers) {
    for (const [name, re] of m.headers) {
      if (!(u.headers[name] ?? []).some((v) => re.test(v))) return null;
      why.push(`header ${name}`);
    }
  }
  if (m.query) {
    for (const [name, re] of m.query) {
      if (!(u.query[name] ?? []).some((v) => re.test(v))) return null;
      why.push(`query ${name}`);
    }
  }
  if (m.body) {
    if (u.bodyTruncated) why.push('body over the inspection limit');
    else if (u.bodyText !== undefined && m.body.matcher(u.bodyText).find()) why.push('body pattern');
    else return null;
  }
  if (m.json) {
    if (u.bodyTruncated) why.push('body over the inspection limit');
    else {
      for (const [p, expected] of m.json) {
        if (u.json === undefined) return null;
        if (!jsonPathValues(u.json, p).some((v) => sameValue(v, expected))) return null;
        why.push(`json ${p}`);
      }
    }
  }
  return why;
}

function sameValue(actual: unknown, expected: unknown): boolean {
  if (typeof expected === 'string' && typeof actual === 'string')
    return globToRegExp(expected, 'word').test(actual);
  if (expected !== null && typeof expected === 'object')
    return JSON.stringify(actual) === JSON.stringify(expected);
  return actual === expected;
}
