// The streaming masker. Bytes are read as latin1 (one char per byte, lossless), so binary and
// UTF-8 pass through untouched while the ASCII-only detectors run unchanged. A write emits
// everything up to the cut: the earliest place where a secret could still be growing at the end
// of what has arrived (each detector says where, see DetectorSpec.holdFrom). The cut never falls
// inside a match nor inside a UTF-8 character, so the output equals value() on the whole text.
import type { StreamMasker } from '../types.js';
import type { DetectorSpec, Match } from './detectors.js';
import { findAll, render, resolve } from './scan.js';

/** Original text kept before the held part, for look-behinds and context rules (≥ their reach). */
const CONTEXT = 256;
const EMPTY = new Uint8Array(0);

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Moves `cut` back so it does not split a UTF-8 sequence that is still incomplete before it. */
function utf8Cut(text: string, lo: number, cut: number): number {
  let k = cut - 1;
  while (k >= lo && k > cut - 4 && (text.charCodeAt(k) & 0xc0) === 0x80) k--;
  if (k < lo) return cut;
  const lead = text.charCodeAt(k);
  const need = lead >= 0xf0 && lead <= 0xf7 ? 4 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xc0 ? 2 : 1;
  return need > cut - k && lead >= 0xc0 ? k : cut;
}

export class MaskingStream implements StreamMasker {
  private held = '';
  private context = '';

  constructor(
    private readonly specs: readonly DetectorSpec[],
    /** The replacement for a match, as latin1 (UTF-8 bytes, one char each). */
    private readonly replacement: (m: Match) => string,
    private readonly onMatch: (m: Match) => void,
  ) {}

  get pending(): number {
    return this.held.length;
  }

  write(chunk: Uint8Array): Uint8Array {
    if (chunk.byteLength === 0) return EMPTY;
    const heldLength = this.held.length;
    const text = this.context + this.held + latin1(chunk);
    const lo = this.context.length;
    const end = text.length;

    let cut = end;
    for (const d of this.specs) {
      const h = d.holdFrom(text, lo);
      if (h < cut) cut = h;
    }
    const found = findAll(text, lo, this.specs);
    // a match (or the keyword it hangs on) that straddles the cut is held whole; one that began
    // in text already sent cannot be (the holds above prevent it) and must not pin the buffer
    for (let moved = true; moved; ) {
      moved = false;
      for (const m of found) {
        if (m.from >= lo && m.from < cut && m.end > cut) {
          cut = m.from;
          moved = true;
        }
      }
    }
    cut = utf8Cut(text, lo, Math.max(lo, cut));

    const emit = found.filter((m) => m.end <= cut && m.from >= lo);
    let out: Uint8Array;
    const fromChunk = cut - lo - heldLength;
    if (emit.length > 0 || fromChunk < 0) out = this.emit(text, lo, cut, emit);
    else if (heldLength === 0)
      out = chunk.subarray(0, fromChunk); // nothing masked: the caller's bytes
    else out = Buffer.concat([Buffer.from(this.held, 'latin1'), chunk.subarray(0, fromChunk)]);
    this.held = text.slice(cut);
    this.context = text.slice(Math.max(0, cut - CONTEXT), cut);
    return out;
  }

  flush(): Uint8Array {
    if (this.held.length === 0) return EMPTY;
    const text = this.context + this.held;
    const lo = this.context.length;
    const found = findAll(text, lo, this.specs).filter((m) => m.from >= lo);
    const out = this.emit(text, lo, text.length, found);
    this.held = '';
    this.context = text.slice(Math.max(0, text.length - CONTEXT));
    return out;
  }

  private emit(text: string, from: number, to: number, found: Match[]): Uint8Array {
    if (from === to) return EMPTY;
    const ms = resolve(found);
    for (const m of ms) this.onMatch(m);
    return Buffer.from(render(text, from, to, ms, this.replacement), 'latin1');
  }
}
