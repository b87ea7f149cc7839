// Every error core hands a listener or the CLI is created here, one kind per class, and carries
// what produced it (a rule, a limit, a config key) so the message can say so.
import type { Decision } from './types.js';

export type ErrorKind = 'config' | 'auth' | 'forbidden' | 'policy' | 'limit' | 'store' | 'upstream' | 'protocol';

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
