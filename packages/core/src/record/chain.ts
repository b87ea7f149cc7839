// The tamper-evident hash chain over a session's frames, and the check that walks it.
import { hash } from 'node:crypto';
import type { Frame, FrameKind, SessionMeta } from '../types.js';

export const FRAME_KINDS: readonly FrameKind[] = [
  'open',
  'auth',
  'query',
  'command',
  'request',
  'decision',
  'approval',
  'input',
  'output',
  'result',
  'resize',
  'error',
  'close',
];
const kindSet = new Set<string>(FRAME_KINDS);

export function isFrameKind(v: unknown): v is FrameKind {
  return typeof v === 'string' && kindSet.has(v);
}

/**
 * The chain starts from sha256("portcullis-session\n" + id), so a frame cannot be moved into
 * another session's chain without every hash after it changing.
 */
export function chainStart(sessionId: string): string {
  return hash('sha256', `portcullis-session\n${sessionId}`, 'hex');
}

/**
 * hash = hex(sha256(UTF-8 of `${prev}\n${seq}\n${t}\n${kind}\n${enc}\n${data}`)), where `prev` is the
 * previous frame's hash (hex) or `chainStart(id)` for seq 1, `enc` is "json" when absent, and `data`
 * is the stored text exactly (JSON text, or base64). seq and t are written as decimal integers.
 */
export function frameHash(prevHash: string, frame: Omit<Frame, 'hash'>): string {
  // One-shot crypto.hash: half the CPU of createHash().update().digest() for small frames (same bytes: UTF-8).
  return hash(
    'sha256',
    `${prevHash}\n${frame.seq}\n${frame.t}\n${frame.kind}\n${frame.enc ?? 'json'}\n${frame.data}`,
    'hex',
  );
}

export type VerifyResult =
  | { ok: true; frames: number }
  | {
      ok: false;
      seq: number;
      problem: 'altered' | 'missing' | 'reordered' | 'truncated';
      detail: string;
    };

/** A stored entry as read back: a frame, or why it is not one. */
export type StoredEntry = Frame | { invalid: string; seq?: number };

function isInvalid(e: StoredEntry): e is { invalid: string; seq?: number } {
  return 'invalid' in e;
}

/**
 * Walks the stored entries in storage order. Reports the first problem: an entry whose hash does
 * not chain from the one before (altered), a seq that never comes (missing), a seq out of place
 * (reordered), frames the end-of-session count says exist but are gone (missing), or — when the
 * chain is otherwise intact — frames dropped by the per-session cap (truncated).
 */
export function verifyChain(meta: SessionMeta, entries: StoredEntry[]): VerifyResult {
  const seqsAhead = new Map<number, number>(); // seq → index, to tell a missing frame from a moved one
  entries.forEach((e, i) => {
    const s = isInvalid(e) ? e.seq : e.seq;
    if (typeof s === 'number' && !seqsAhead.has(s)) seqsAhead.set(s, i);
  });
  let expected = 1;
  let prev = chainStart(meta.id);
  let truncatedHead = 0; // frames dropped from the head by a MAXLEN cap
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (isInvalid(e)) {
      return {
        ok: false,
        seq: e.seq ?? expected,
        problem: 'altered',
        detail: `entry ${i + 1}: ${e.invalid}`,
      };
    }
    if (i === 0 && e.seq > 1 && meta.truncated) {
      // Capped from the head: the first kept frame anchors the rest of the chain.
      truncatedHead = e.seq - 1;
      expected = e.seq + 1;
      prev = e.hash;
      continue;
    }
    if (e.seq !== expected) {
      const later = seqsAhead.get(expected);
      if (e.seq < expected || (later !== undefined && later > i)) {
        return {
          ok: false,
          seq: Math.min(e.seq, expected),
          problem: 'reordered',
          detail:
            e.seq < expected
              ? `frame ${e.seq} appears again after frame ${expected - 1}`
              : `frame ${e.seq} stored where frame ${expected} belongs`,
        };
      }
      return {
        ok: false,
        seq: expected,
        problem: 'missing',
        detail: `frame ${expected} is absent (next stored frame is ${e.seq})`,
      };
    }
    const h = frameHash(prev, e);
    if (h !== e.hash) {
      return {
        ok: false,
        seq: e.seq,
        problem: 'altered',
        detail: `stored hash is not sha256 of the previous hash and this frame's content`,
      };
    }
    prev = e.hash;
    expected++;
  }
  const stored = expected - 1;
  const declared = typeof meta.frames === 'number' ? meta.frames : undefined;
  if (declared !== undefined && stored < declared && !meta.truncated) {
    return {
      ok: false,
      seq: stored + 1,
      problem: 'missing',
      detail: `the session ended with ${declared} frames; only ${stored - truncatedHead} are stored (last is ${stored})`,
    };
  }
  if (
    declared !== undefined &&
    stored === declared &&
    typeof meta.last_hash === 'string' &&
    meta.last_hash !== prev
  ) {
    return {
      ok: false,
      seq: stored,
      problem: 'altered',
      detail: 'the last hash differs from the one the session ended with',
    };
  }
  if (meta.truncated) {
    const kept = entries.length;
    if (truncatedHead > 0) {
      return {
        ok: false,
        seq: truncatedHead,
        problem: 'truncated',
        detail: `frames 1..${truncatedHead} were dropped by the per-session cap; the ${kept} kept frames chain correctly`,
      };
    }
    return {
      ok: false,
      seq: stored + 1,
      problem: 'truncated',
      detail: `frames after ${stored} were dropped by the per-session cap${declared ? ` (the session had ${declared})` : ''}; the ${kept} kept frames chain correctly`,
    };
  }
  return { ok: true, frames: entries.length };
}
