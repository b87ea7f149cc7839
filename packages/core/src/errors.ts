// Every error core hands a listener or the CLI is created here, one kind per class, and carries
// what produced it (a rule, a limit, a config key) so the message can say so.
import type { Decision } from './types.js';

export type ErrorKind =
  | 'config'
  | 'auth'
  | 'forbidden'
  | 'policy'
  | 'limit'
  | 'store'
  | 'upstream'
  | 'protocol';

export class PortcullisError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** The rule, limit or config key that produced the error. */
    readonly source?: string,
  ) {
    super(message);
    this.name = 'PortcullisError';
  }
}

/** A bad or missing credential (401 / FATAL 28P01 / SSH auth failure). `reason` is distinct per cause. */
export class AuthError extends PortcullisError {
  constructor(readonly reason: string) {
    super('auth', `authentication failed: ${reason}`);
    this.name = 'AuthError';
  }
}

/** A valid identity that may not use this connection (allow_groups) or API. */
export class ForbiddenError extends PortcullisError {
  constructor(message: string, source = 'allow_groups') {
    super('forbidden', message, source);
    this.name = 'ForbiddenError';
  }
}

/** A limit from `limits:` was hit; the message names it. */
export class LimitError extends PortcullisError {
  constructor(limit: string, detail: string) {
    super('limit', `limit ${limit} exceeded: ${detail}`, limit);
    this.name = 'LimitError';
  }
}

/** The recording store cannot take frames and on_failure is close. */
export class StoreUnavailableError extends PortcullisError {
  constructor(detail: string) {
    super('store', `recording store unavailable: ${detail}`, 'store.on_failure');
    this.name = 'StoreUnavailableError';
  }
}

/** The one-line text shown to an agent for a deny: `portcullis: denied by rule <name>: <reason>`. */
export function denialMessage(decision: Decision): string {
  const rule = decision.rules.length > 0 ? decision.rules.join(', ') : 'default';
  return `portcullis: denied by rule ${rule}: ${decision.reason}`;
}

/** One problem in a config file, at a position: `FILE:LINE:COL: <key path>: <what is wrong>`. */
export interface ConfigProblem {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  /** e.g. `connections[1].upstream.port`; `(document)` for the file as a whole. */
  path: string;
  message: string;
}

export function formatConfigProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path}: ${p.message}`;
}

/** A config file that cannot be used; `problems` holds every problem found, sorted by position. */
export class ConfigError extends PortcullisError {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      'config',
      problems.length === 1
        ? formatConfigProblem(problems[0])
        : `${problems.length} problems in config:\n${problems.map(formatConfigProblem).join('\n')}`,
      problems[0]?.path,
    );
    this.name = 'ConfigError';
  }
}
