// SessionMeta ⇄ flat string fields (the Redis hash). Spec fields stay readable in redis-cli; extras are JSON.
import type { Frame, SessionMeta } from '../types.js';
import type { StoredEntry } from './chain.js';
import { isFrameKind } from './chain.js';

const TEXT = new Set(['id', 'connection', 'protocol', 'subject', 'client', 'status', 'last_hash', 'reason']);
const NUMBER = new Set(['started_at', 'ended_at', 'frames']);

export function encodeMeta(fields: Partial<SessionMeta>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    if (TEXT.has(k)) out[k] = String(v);
    else if (NUMBER.has(k)) out[k] = String(Math.trunc(Number(v)));
    else if (k === 'truncated') out[k] = v ? '1' : '0';
    else out[k] = JSON.stringify(v);
  }
  return out;
}

export function decodeMeta(h: Record<string, string>): SessionMeta | undefined {
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) {
    if (TEXT.has(k)) meta[k] = v;
    else if (NUMBER.has(k)) meta[k] = Number(v);
    else if (k === 'truncated') meta[k] = v === '1' || v === 'true';
    else {
      try {
        meta[k] = JSON.parse(v);
      } catch {
        meta[k] = v;
      }
    }
  }
  return normalizeMeta(meta);
}

/** Fills what a reader relies on; undefined when there is no session id. */
export function normalizeMeta(meta: Record<string, unknown>): SessionMeta | undefined {
  if (typeof meta.id !== 'string' || meta.id === '') return undefined;
  if (!Array.isArray(meta.groups)) meta.groups = [];
  for (const k of ['connection', 'protocol', 'subject', 'client'])
    if (typeof meta[k] !== 'string') meta[k] = '';
  if (typeof meta.started_at !== 'number' || Number.isNaN(meta.started_at)) meta.started_at = 0;
  if (meta.status !== 'closed' && meta.status !== 'failed') meta.status = 'active';
  return meta as SessionMeta;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** A stored frame's fields (stream entry or JSON line) → a Frame, or why it is not one. */
export function parseStoredFrame(f: Record<string, unknown>): StoredEntry {
  const seq = Number(f.seq);
  const t = Number(f.t);
  const seqOk = Number.isInteger(seq) && seq > 0;
  const bad = (why: string): StoredEntry => (seqOk ? { invalid: why, seq } : { invalid: why });
  if (!seqOk) return bad(`seq ${JSON.stringify(f.seq)} is not a frame number`);
  if (!Number.isInteger(t) || t < 0) return bad(`t ${JSON.stringify(f.t)} is not a time`);
  if (!isFrameKind(f.kind)) return bad(`kind ${JSON.stringify(f.kind)} is not a frame kind`);
  const enc = f.enc === undefined || f.enc === '' ? 'json' : f.enc;
  if (enc !== 'json' && enc !== 'b64') return bad(`enc ${JSON.stringify(f.enc)} is unknown`);
  if (typeof f.data !== 'string') return bad('data is missing');
  if (typeof f.hash !== 'string' || !HEX64.test(f.hash)) return bad('hash is missing or malformed');
  return { seq, t, kind: f.kind, enc, data: f.data, hash: f.hash };
}

/** A frame as one JSON object; base64 data needs no escaping, which saves a scan of large outputs. */
export function frameJson(f: Frame): string {
  const enc = f.enc ?? 'json';
  const data = enc === 'b64' ? `"${f.data}"` : JSON.stringify(f.data);
  return `{"seq":${f.seq},"t":${f.t},"kind":"${f.kind}","enc":"${enc}","data":${data},"hash":"${f.hash}"}`;
}
