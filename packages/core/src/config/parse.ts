// parseConfig: YAML → env substitution → schema → semantic checks → normalised Config.
// Every problem found is reported (sorted by position), each with line, column and key path.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { coerceWholeReferences, type EnvProblem, substituteEnv } from './env.js';
import { formatPath, Locator } from './locate.js';
import { normalise } from './normalise.js';
import { checkSemantics } from './semantic.js';
import type { Config } from './types.js';
import { type Segment, validateSchema } from './validate.js';

export interface ParseConfigOptions {
  /** Shown in problems (as the user named it). */
  file: string;
  /** Where `${VAR}` values come from; default process.env. */
  env?: Record<string, string | undefined>;
  /** Relative paths are resolved against this; default the folder of `file`. */
  baseDir?: string;
}

export interface ParseConfigResult {
  config?: Config;
  problems: ConfigProblem[];
  /** Things that do not stop the gateway but will not work as written (e.g. placeholder SSH keys). */
  warnings: ConfigProblem[];
}

const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export function parseConfig(text: string, opts: ParseConfigOptions): ParseConfigResult {
  const file = opts.file;
  const baseDir = opts.baseDir ?? dirname(resolve(file));
  const env = opts.env ?? process.env;
  if (text.length > MAX_CONFIG_BYTES) {
    return {
      problems: [problem(file, 1, 1, [], `file is larger than ${MAX_CONFIG_BYTES} bytes`)],
      warnings: [],
    };
  }

  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // After a syntax error the tree is a guess; report the syntax and stop.
    const problems = doc.errors.map((e) => {
      const { line, col } = lines.linePos(e.pos[0]);
      return problem(file, line, col, [], e.message.split('\n')[0]);
    });
    return { problems: sortProblems(problems), warnings: [] };
  }

  const locator = new Locator(doc, lines);
  const at = (path: Segment[], where: 'key' | 'value', message: string): ConfigProblem => {
    const { line, col } = locator.position(path, where);
    return problem(file, line, col, path, message);
  };

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { problems: [problem(file, 1, 1, [], (err as Error).message)], warnings: [] };
  }
  if (raw === null || raw === undefined) {
    return {
      problems: [problem(file, 1, 1, [], 'the file is empty (expected "version: 1" and the config)')],
      warnings: [],
    };
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      problems: [at([], 'value', 'must be a mapping of config keys (version, identity, connections …)')],
      warnings: [],
    };
  }

  const problems: ConfigProblem[] = [];
  const envProblems: EnvProblem[] = [];
  const resolved = substituteEnv(raw, env, envProblems);
  for (const p of envProblems) problems.push(envProblem(p, locator, text, file));

  // A value whose variable is missing was resolved to "": its other complaints would only be echoes.
  const unresolved = new Set(envProblems.map((p) => formatPath(p.path)));
  const echo = (path: Segment[]) => unresolved.has(formatPath(path));
  let schemaProblems = validateSchema(resolved);
  if (coerceWholeReferences(raw, resolved, schemaProblems)) schemaProblems = validateSchema(resolved);
  for (const p of schemaProblems) if (!echo(p.path)) problems.push(at(p.path, p.at, p.message));
  const semantic = checkSemantics(resolved, baseDir);
  for (const p of semantic.problems) if (!echo(p.path)) problems.push(at(p.path, p.at, p.message));
  const warnings = semantic.warnings.map((p) => at(p.path, p.at, p.message));

  if (problems.length > 0)
    return { problems: sortProblems(dedupe(problems)), warnings: sortProblems(warnings) };
  try {
    // biome-ignore lint/suspicious/noExplicitAny: validated above
    const config = normalise(resolved as Record<string, any>, baseDir, resolve(file));
    return { config, problems: [], warnings: sortProblems(warnings) };
  } catch (err) {
    // A gap between the checks and normalise must still fail closed with a position.
    return {
      problems: [problem(file, 1, 1, [], `cannot normalise config: ${(err as Error).message}`)],
      warnings,
    };
  }
}

/** Reads a config file's text; a file that cannot be read is a ConfigError at `shown`:1:1. */
export async function readConfigText(file: string, shown = file): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new ConfigError([problem(shown, 1, 1, [], `cannot read config: ${why}`)]);
  }
}

/** Reads, parses and normalises a config file; throws ConfigError with every problem. */
export async function loadConfig(file: string, env?: Record<string, string | undefined>): Promise<Config> {
  const text = await readConfigText(file);
  const result = parseConfig(text, { file, env });
  if (!result.config) throw new ConfigError(result.problems);
  return result.config;
}

/** Sections a reader of recordings and approvals does not use. */
const NOT_STORE = /^(identity|approvals|telemetry|limits|connections|policies)([.[]|$)/;

/**
 * The `store` and `admin` sections of a config file, for the CLI verbs that only read recordings and
 * approvals: a problem elsewhere — typically an upstream secret's `${VAR}` unset on an auditor's
 * machine — does not stop them. Problems in those sections (or the file as a whole) still throw.
 */
export async function loadStoreConfig(
  file: string,
  env: Record<string, string | undefined> = process.env,
): Promise<Pick<Config, 'store' | 'admin'>> {
  const text = await readConfigText(file);
  const result = parseConfig(text, { file, env });
  if (result.config) return result.config;
  const own = result.problems.filter((p) => !NOT_STORE.test(p.path));
  if (own.length > 0) throw new ConfigError(own);
  const raw = parseDocument(text).toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  const envProblems: EnvProblem[] = [];
  const part = substituteEnv({ store: raw.store, admin: raw.admin }, env, envProblems);
  // biome-ignore lint/suspicious/noExplicitAny: these two sections passed every check above
  const config = normalise(part as Record<string, any>, dirname(resolve(file)), resolve(file));
  return { store: config.store, admin: config.admin };
}

function problem(file: string, line: number, col: number, path: Segment[], message: string): ConfigProblem {
  return { file, line, col, path: formatPath(path), message };
}

function envProblem(p: EnvProblem, locator: Locator, text: string, file: string): ConfigProblem {
  // Point at the `${VAR}` itself when it is visible in the source text of the value.
  const range = locator.valueRange(p.path);
  let offset = locator.offset(p.path, 'value');
  if (range) {
    const i = text.slice(range[0], range[1]).indexOf(p.reference);
    if (i >= 0) offset = range[0] + i;
  }
  const { line, col } = locator.at(offset);
  return problem(file, line, col, p.path, p.message);
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.line}:${p.col}:${p.path}:${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
}
