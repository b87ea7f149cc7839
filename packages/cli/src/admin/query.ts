// Query-string and path values of the admin API, checked in one place: bad input is a 400 that says
// which parameter and why, never a NaN handed to the store.
import type { ApprovalStatus, Protocol } from '@portcullis/core';
import { parseDuration } from '@portcullis/core';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function intParam(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return dflt;
  if (!/^\d+$/.test(raw))
    throw new HttpError(400, `${name}: expected a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new HttpError(400, `${name}: expected ${min}..${max}, got ${n}`);
  return n;
}

export function enumParam<T extends string>(
  q: URLSearchParams,
  name: string,
  values: readonly T[],
): T | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  if (!(values as readonly string[]).includes(raw)) {
    throw new HttpError(400, `${name}: expected one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

export function textParam(q: URLSearchParams, name: string): string | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  if (raw.length > 256) throw new HttpError(400, `${name}: longer than 256 characters`);
  return raw;
}

/** `since`: a duration ago (`15m`, `1h`, `7d`), an ISO date, or ms since the epoch. */
export function sinceParam(q: URLSearchParams, now = Date.now()): number | undefined {
  const raw = q.get('since');
  if (raw === null || raw === '') return undefined;
  if (/^\d{10,}$/.test(raw)) return Number(raw);
  const ago = /^\d/.test(raw) && !raw.includes('-') ? parseDuration(raw) : undefined;
  if (ago !== undefined) return now - ago;
  const date = Date.parse(raw);
  if (!Number.isNaN(date)) return date;
  throw new HttpError(
    400,
    `since: expected a duration ago (1h, 7d), an ISO date or ms since the epoch, got ${JSON.stringify(raw)}`,
  );
}

export const PROTOCOLS: readonly Protocol[] = ['postgres', 'ssh', 'http'];
export const SESSION_STATUSES = ['active', 'closed', 'failed'] as const;
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = [
  'pending',
  'approved',
  'denied',
  'expired',
  'cancelled',
];
