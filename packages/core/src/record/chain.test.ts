import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Frame, SessionMeta } from '../types.js';
import { chainStart, frameHash, type StoredEntry, verifyChain } from './chain.js';

const meta = (over: Partial<SessionMeta> = {}): SessionMeta => ({
  id: 'sess-1',
  connection: 'c',
  protocol: 'ssh',
  subject: 's',
  groups: [],
  client: '127.0.0.1',
  started_at: 0,
  status: 'closed',
  ...over,
});

function chain(n: number, id = 'sess-1'): Frame[] {
  const out: Frame[] = [];
  let prev = chainStart(id);
  for (let seq = 1; seq <= n; seq++) {
    const f = {
      seq,
      t: seq * 10,
      kind: 'output' as const,
      enc: 'json' as const,
      data: JSON.stringify({ seq }),
    };
    const hash = frameHash(prev, f);
    out.push({ ...f, hash });
    prev = hash;
  }
  return out;
}

describe('hash chain', () => {
  it('is sha256 over the documented canonical text', () => {
    const start = createHash('sha256').update('portcullis-session\nsess-1').digest('hex');
    expect(chainStart('sess-1')).toBe(start);
    const f = { seq: 1, t: 0, kind: 'open' as const, enc: 'json' as const, data: '{"a":1}' };
    expect(frameHash(start, f)).toBe(
      createHash('sha256').update(`${start}\n1\n0\nopen\njson\n{"a":1}`).digest('hex'),
    );
    // enc defaults to json, so an absent enc hashes the same.
    expect(frameHash(start, { seq: 1, t: 0, kind: 'open', data: '{"a":1}' })).toBe(frameHash(start, f));
  });

  it('accepts an intact chain and counts its frames', () => {
    const frames = chain(5);
    expect(verifyChain(meta({ frames: 5, last_hash: frames[4].hash }), frames)).toEqual({
      ok: true,
      frames: 5,
    });
    expect(verifyChain(meta({ status: 'active' }), frames)).toEqual({ ok: true, frames: 5 });
    expect(verifyChain(meta(), [])).toEqual({ ok: true, frames: 0 });
  });

  it('binds the chain to the session id', () => {
    expect(verifyChain(meta({ id: 'sess-2' }), chain(3))).toMatchObject({
      ok: false,
      seq: 1,
      problem: 'altered',
    });
  });

  it('names the first bad frame for each kind of tampering', () => {
    const f = chain(6);
    const altered = f.map((x) => (x.seq === 3 ? { ...x, t: 999 } : x));
    expect(verifyChain(meta(), altered)).toMatchObject({ ok: false, seq: 3, problem: 'altered' });
    expect(verifyChain(meta(), [f[0], f[1], f[3], f[4]])).toMatchObject({
      ok: false,
      seq: 3,
      problem: 'missing',
    });
    expect(verifyChain(meta(), [f[1], f[2]])).toMatchObject({ ok: false, seq: 1, problem: 'missing' });
    expect(verifyChain(meta(), [f[0], f[2], f[1], f[3]])).toMatchObject({
      ok: false,
      seq: 2,
      problem: 'reordered',
    });
    expect(verifyChain(meta(), [f[0], f[1], f[1], f[2]])).toMatchObject({
      ok: false,
      seq: 2,
      problem: 'reordered',
    });
    expect(verifyChain(meta({ frames: 6 }), f.slice(0, 4))).toMatchObject({
      ok: false,
      seq: 5,
      problem: 'missing',
    });
    const bad: StoredEntry[] = [f[0], { invalid: 'hash is missing or malformed', seq: 2 }];
    expect(verifyChain(meta(), bad)).toMatchObject({ ok: false, seq: 2, problem: 'altered' });
    expect(verifyChain(meta({ frames: 6, last_hash: 'f'.repeat(64) }), f)).toMatchObject({
      ok: false,
      seq: 6,
      problem: 'altered',
    });
  });

  it('reports a capped session as truncated, after checking what was kept', () => {
    const f = chain(10);
    expect(verifyChain(meta({ truncated: true }), f.slice(4))).toMatchObject({
      ok: false,
      seq: 4,
      problem: 'truncated',
    });
    expect(verifyChain(meta({ truncated: true, frames: 12 }), f)).toMatchObject({
      ok: false,
      seq: 11,
      problem: 'truncated',
    });
    const tampered = f.slice(4).map((x) => (x.seq === 7 ? { ...x, data: '{}' } : x));
    expect(verifyChain(meta({ truncated: true }), tampered)).toMatchObject({
      ok: false,
      seq: 7,
      problem: 'altered',
    });
  });
});
