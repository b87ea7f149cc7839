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

/** sha256 over the command's canonical JSON (body bytes included by their own digest). */
export function commandDigest(c: Command): string {
  const canonical =
    c.kind === 'http'
      ? { ...c, body: c.body ? createHash('sha256').update(c.body).digest('hex') : null }
      : c;
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export function commandFrameKind(c: Command): FrameKind {
  return c.kind === 'sql' || c.kind === 'pg_function_call' ? 'query' : c.kind === 'http' ? 'request' : 'command';
}
