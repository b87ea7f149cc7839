// Schema validation with ajv, turned into messages a person can act on, each tied to a key path.
import { Ajv, type ErrorObject } from 'ajv';
import { FORMATS } from './formats.js';
import { configSchema } from './schema.js';

export type Segment = string | number;

/** Where a problem points: at a key (unknown key), at a value, or at the mapping that lacks a key. */
export interface SchemaProblem {
  path: Segment[];
  at: 'key' | 'value';
  message: string;
}

let compiled: ReturnType<Ajv['compile']> | undefined;

function validator() {
  if (compiled) return compiled;
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    verbose: true,
    discriminator: true,
    allowUnionTypes: true,
  });
  for (const [name, check] of Object.entries(FORMATS)) {
    ajv.addFormat(name, { type: 'string', validate: (v: string) => check(v) === undefined });
  }
  compiled = ajv.compile(configSchema);
  return compiled;
}

export function validateSchema(data: unknown): SchemaProblem[] {
  const validate = validator();
  if (validate(data)) return [];
  const errors = pruneAlternatives(validate.errors ?? []);
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const p = describe(e);
    if (!p) continue;
    const key = `${p.path.join('\u0000')}|${p.at}|${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

function jsType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/**
 * For `anyOf` (one value or a list; integer or size string), keep only the errors of the branch
 * whose type fits the value, so `category: reed` says what is wrong with "reed", not with lists.
 */
function pruneAlternatives(errors: ErrorObject[]): ErrorObject[] {
  const drop = new Set<ErrorObject>();
  const replace = new Map<ErrorObject, ErrorObject>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf') continue;
    const branches = (e.schema as { type?: string }[]) ?? [];
    const t = jsType(e.data);
    const fit = branches.findIndex((b) => b.type === t || (b.type === 'number' && t === 'integer'));
    const prefix = `${e.schemaPath}/`;
    for (const other of errors) {
      if (other === e || !other.schemaPath.startsWith(prefix)) continue;
      const branch = Number(other.schemaPath.slice(prefix.length).split('/')[0]);
      if (branch !== fit) drop.add(other);
    }
    if (fit >= 0) drop.add(e);
    else {
      const types = branches.map((b) => typeName(b.type ?? 'value'));
      replace.set(e, {
        ...e,
        keyword: 'anyOf-type',
        message: `must be ${types.join(' or ')}, not ${quoteValue(e.data)}`,
      });
    }
  }
  return errors.filter((e) => !drop.has(e)).map((e) => replace.get(e) ?? e);
}

function typeName(t: string): string {
  switch (t) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    default:
      return t;
  }
}

export function pointerToPath(pointer: string): Segment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

/** Edit distance, to suggest the key someone meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function quoteValue(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function describe(e: ErrorObject): SchemaProblem | undefined {
  const path = pointerToPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  const schema = e.schema as unknown;
  switch (e.keyword) {
    case 'required':
      return { path, at: 'key', message: `missing required key "${params.missingProperty}"` };
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
      const near = allowed
        .map((k) => ({ k, d: distance(key.toLowerCase(), k.toLowerCase()) }))
        .filter((x) => x.d <= Math.max(2, Math.floor(key.length / 3)))
        .sort((a, b) => a.d - b.d)[0];
      const hint = near
        ? ` (did you mean "${near.k}"?)`
        : allowed.length > 0
          ? ` (allowed: ${allowed.join(', ')})`
          : '';
      return { path: [...path, key], at: 'key', message: `unknown key "${key}"${hint}` };
    }
    case 'type':
      return {
        path,
        at: 'value',
        message: `must be ${String(params.type).split(',').map(typeName).join(' or ')}, not ${quoteValue(e.data)}`,
      };
    case 'enum':
      return {
        path,
        at: 'value',
        message: `${quoteValue(e.data)} is not one of: ${(params.allowedValues as unknown[]).join(', ')}`,
      };
    case 'const':
      return {
        path,
        at: 'value',
        message: `must be ${quoteValue(params.allowedValue)}, not ${quoteValue(e.data)}`,
      };
    case 'format': {
      const format = String(params.format);
      const why =
        Object.hasOwn(FORMATS, format) && typeof e.data === 'string' ? FORMATS[format](e.data) : undefined;
      return { path, at: 'value', message: why ?? `invalid ${params.format}` };
    }
    case 'pattern':
      return {
        path,
        at: 'value',
        message:
          schema === '^[A-Za-z0-9][A-Za-z0-9_.-]*$'
            ? `${quoteValue(e.data)} is not a valid name (letters, digits, ".", "_", "-"; starting with a letter or digit)`
            : `${quoteValue(e.data)} does not match ${String(schema)}`,
      };
    case 'propertyNames':
      return {
        path: [...path, String(params.propertyName)],
        at: 'key',
        message: `invalid key "${params.propertyName}"`,
      };
    case 'minLength':
      return { path, at: 'value', message: 'must not be empty' };
    case 'minItems':
      return { path, at: 'value', message: `must have at least ${params.limit} item(s)` };
    case 'minProperties':
      return { path, at: 'value', message: 'must not be empty' };
    case 'uniqueItems':
      return { path, at: 'value', message: `has a duplicate: items ${params.j} and ${params.i} are equal` };
    case 'minimum':
    case 'maximum':
      return {
        path,
        at: 'value',
        message: `must be ${params.comparison} ${params.limit}, not ${quoteValue(e.data)}`,
      };
    case 'discriminator': {
      if (params.error === 'tag' && e.data && typeof e.data === 'object' && !('protocol' in e.data)) {
        return { path, at: 'key', message: 'missing required key "protocol" (postgres, ssh or http)' };
      }
      const tag = (e.data as Record<string, unknown> | undefined)?.protocol;
      return {
        path: [...path, 'protocol'],
        at: 'value',
        message: `${quoteValue(tag)} is not one of: postgres, ssh, http`,
      };
    }
    case 'oneOf':
    case 'anyOf':
    case 'anyOf-type':
      return { path, at: 'value', message: e.message ?? 'invalid value' };
    default:
      return { path, at: 'value', message: e.message ?? `invalid (${e.keyword})` };
  }
}
