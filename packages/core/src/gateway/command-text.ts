// How a command reads in a recording, an approval and `policy explain`, and the digest an approval binds to.
import { createHash } from 'node:crypto';
import type { Command, FrameKind } from '../types.js';

export function commandText(c: Command): string {
  switch (c.kind) {
    case 'sql':
      return c.params?.length ? `${c.text}  -- params: ${JSON.stringify(c.params)}` : c.text;
    case 'pg_function_call':
      return `FunctionCall oid ${c.oid}`;
    case 'shell':
      return c.context === 'start' ? '(interactive shell)' : c.text;
    case 'file':
      return `${c.via} ${c.op} ${c.paths.join(' ')}`;
    case 'forward':
      return c.host ? `${c.type} ${c.host}:${c.port ?? ''}` : c.type;
    case 'http':
      return `${c.method} ${c.target}`;
  }
}

// `CREATE|ALTER ROLE|USER … [ENCRYPTED] PASSWORD '…'` (and psql's \password, which sends the same with a hash):
// the literal, in any of Postgres's string forms, never reaches a recording, an approval or a log.
const SQL_PASSWORD =
  /\b(PASSWORD\s+)('(?:[^']|'')*'|[Ee]'(?:[^'\\]|\\[\s\S]|'')*'|(\$[A-Za-z_0-9]*\$)[\s\S]*?\3)/gi;

/** The SQL text with role passwords replaced by `mark` (as a string literal, so the statement still reads as SQL). */
export function redactSqlPasswords(text: string, mark: string): string {
  if (!/password/i.test(text)) return text;
  return text.replace(SQL_PASSWORD, (_m, kw: string) => `${kw}'${mark.replace(/'/g, "''")}'`);
}

/** What an approver sees: the command's text, and for a request with a body, the body's size and sha256. */
export function approvalCommandText(c: Command, text: string): string {
  if (c.kind !== 'http' || !c.body?.length) return text;
  const digest = createHash('sha256').update(c.body).digest('hex');
  return `${text}\nbody: ${c.body.length} bytes${c.bodyTruncated ? ' (first part; longer body)' : ''}, sha256 ${digest}`;
}

/** sha256 over the command's canonical JSON (body bytes included by their own digest). */
export function commandDigest(c: Command): string {
  const canonical =
    c.kind === 'http' ? { ...c, body: c.body ? createHash('sha256').update(c.body).digest('hex') : null } : c;
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export function commandFrameKind(c: Command): FrameKind {
  return c.kind === 'sql' || c.kind === 'pg_function_call'
    ? 'query'
    : c.kind === 'http'
      ? 'request'
      : 'command';
}
