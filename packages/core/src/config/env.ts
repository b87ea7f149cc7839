// `${VAR}` in string values, read from the environment after YAML parsing (so a value can never
// inject YAML). `${VAR:-fallback}` gives a default; `$${` is a literal `${`.
import type { Segment } from './validate.js';

export interface EnvProblem {
  path: Segment[];
  /** Index of the reference inside the resolved string's source (best effort). */
  reference: string;
  message: string;
}

const REF = /\$\$\{|\$\{([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Returns the value with every string resolved, and a problem for each variable that is missing. */
export function substituteEnv(
  value: unknown,
  env: Record<string, string | undefined>,
  problems: EnvProblem[],
  path: Segment[] = [],
): unknown {
  if (typeof value === 'string') return substituteString(value, env, problems, path);
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, problems, [...path, i]));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    // defineProperty: a `__proto__` key stays a plain key (then rejected as unknown), never a prototype.
    for (const [k, v] of Object.entries(value)) {
      const resolved = substituteEnv(v, env, problems, [...path, k]);
      Object.defineProperty(out, k, {
        value: resolved,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

function substituteString(
  s: string,
  env: Record<string, string | undefined>,
  problems: EnvProblem[],
  path: Segment[],
): string {
  if (!s.includes('${')) return s;
  return s.replace(REF, (whole, inner: string | undefined) => {
    if (inner === undefined) return '${';
    const [name, fallback] = splitFallback(inner);
    if (!NAME.test(name)) {
      problems.push({ path, reference: whole, message: `invalid variable reference "${whole}"` });
      return '';
    }
    const v = env[name];
    if (v !== undefined && (v !== '' || fallback === undefined)) return v;
    if (fallback !== undefined) return fallback;
    problems.push({ path, reference: whole, message: `environment variable ${name} is not set` });
    return '';
  });
}

/**
 * `port: ${DB_PORT}` resolves to the string "5432". Where the schema asks for a number or a boolean and
 * the whole value was one `${VAR}`, the resolved text is read as that type — nowhere else, so a password
 * that happens to be digits stays a string.
 */
export function coerceWholeReferences(
  raw: unknown,
  resolved: unknown,
  wanted: { path: Segment[]; message: string }[],
): boolean {
  let changed = false;
  for (const p of wanted) {
    if (!/integer|number|boolean/.test(p.message) || p.path.length === 0) continue;
    const original = get(raw, p.path);
    if (typeof original !== 'string' || !/^\$\{[^}]*\}$/.test(original.trim())) continue;
    const parent = get(resolved, p.path.slice(0, -1)) as Record<string | number, unknown> | undefined;
    const key = p.path[p.path.length - 1];
    const text = parent?.[key];
    if (typeof text !== 'string') continue;
    if (/^-?\d+(\.\d+)?$/.test(text.trim())) parent![key] = Number(text);
    else if (text === 'true' || text === 'false') parent![key] = text === 'true';
    else continue;
    changed = true;
  }
  return changed;
}

function get(value: unknown, path: Segment[]): unknown {
  let v = value;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function splitFallback(inner: string): [string, string | undefined] {
  const i = inner.indexOf(':-');
  return i < 0 ? [inner, undefined] : [inner.slice(0, i), inner.slice(i + 2)];
}
