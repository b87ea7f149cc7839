// SFTP READ data checked for secrets before it reaches the agent. SFTP data cannot be masked in
// place (a masked value changes length, and the client writes each response at its own offset), so
// a response that holds anything the session's masker would change is refused instead (fail closed).
//
// Per open handle the bytes are fed, in file order, to one of core's stream maskers (a "run"): a
// secret split across two responses is found exactly as exec output finds it. What the stream still
// holds at the end of a response (a value that may be growing) is checked with the bytes that follow
// it in the file (the proxy reads a little past what the agent asked for), so the start of a secret
// is not delivered either. A response that does not continue a run (a client that reads out of order,
// seeks, or resumes a download with `reget`) starts a new run primed with the bytes before it, read
// from the upstream: a secret's second half is refused as surely as its first.
import { type Masker, PRIVATE_KEY_BOUND, type StreamMasker } from '@portcullis/core';

/** Bytes before a new run's first response fed to its stream as context (a PEM block's reach, plus slack). */
export const LEFT_CONTEXT = PRIVATE_KEY_BOUND + 1024;
/** Bytes past each response read from the upstream to decide a value that may still be growing. */
export const RIGHT_CONTEXT = 1024;
/** Look-behind given to the check of held bytes (the masker's context rules reach back ≤ 120). */
const LOOK_BEHIND = 256;
/** Each run keeps this many of its last bytes: what its stream may hold, plus the look-behind. */
const TAIL = LEFT_CONTEXT + LOOK_BEHIND + 2048;
/** Runs kept per handle (a client reading two places of one file at once). */
const MAX_RUNS = 4;

interface Run {
  /** File offset just past the last byte fed. */
  end: number;
  stream: StreamMasker;
  /** The last ≤ TAIL bytes fed, ending at `end`. */
  tail: Buffer;
}

export type Fetch = (offset: number, length: number) => Promise<Buffer>;

/** True when the masker runs no detector at all (then SFTP is relayed as it always was). */
export function masksNothing(masker: Masker): boolean {
  const detectors = (masker as { detectors?: readonly unknown[] }).detectors;
  return Array.isArray(detectors) && detectors.length === 0;
}

export class ReadScanner {
  private runs: Run[] = [];
  /** Set once a response was refused: the detectors that matched. */
  refused: string[] | undefined;

  constructor(
    private readonly masker: Masker,
    /** Reads file bytes from the upstream (for the context of a response that starts a new run). */
    private readonly fetch: Fetch,
  ) {}

  /**
   * Checks one READ response before it is sent. `data` goes to the agent at `offset`; `after` are
   * the bytes that follow it in the file (`eof`: nothing follows them). Calls must not overlap (the
   * proxy checks a handle's responses one after another). Returns the detectors that matched, or
   * undefined when the bytes may be sent.
   */
  async check(offset: number, data: Buffer, after: Buffer, eof: boolean): Promise<string[] | undefined> {
    if (this.refused) return this.refused;
    const run = this.runs.find((r) => r.end === offset) ?? (await this.startRun(offset));
    if (this.refused) return this.refused;
    // Taken after a new run's priming: what its context alone holds is not this response's.
    const before = { ...this.masker.counts };

    // 1. the stream: everything up to what it still holds is decided (values split across responses too)
    const held = run.stream.pending;
    const out = run.stream.write(data);
    const emittedAsIs = out.length === held + data.length - run.stream.pending;
    append(run, data, offset);
    let hit = changed(before, this.masker.counts);
    if (hit.length === 0 && !emittedAsIs) hit = ['masking'];

    // 2. what it holds (a value that may still grow): checked with the bytes that follow
    if (hit.length === 0 && run.stream.pending > 0) {
      const from = Math.max(0, run.tail.length - run.stream.pending - LOOK_BEHIND);
      const next = eof ? after : trimToLine(after);
      const window = Buffer.concat([run.tail.subarray(from), next]);
      const snapshot = { ...this.masker.counts };
      if (maskChanges(this.masker, window)) {
        hit = changed(snapshot, this.masker.counts);
        if (hit.length === 0) hit = ['masking'];
      }
    }
    if (hit.length > 0) {
      this.refused = hit;
      this.runs = [];
    }
    return this.refused;
  }

  /** The file changed under the handle (an SFTP WRITE): what the runs know is stale. */
  invalidate(): void {
    this.runs = [];
  }

  private async startRun(offset: number): Promise<Run> {
    const run: Run = { end: offset, stream: this.masker.stream(), tail: Buffer.alloc(0) };
    if (offset > 0) {
      const from = Math.max(0, offset - LEFT_CONTEXT);
      const context = await this.fetch(from, offset - from);
      if (context.length === offset - from) {
        // Matches that end inside the context are counted here (the masked-values metric may count
        // them once) but are not this response's: check() compares counts from after the priming.
        run.stream.write(context);
        run.tail = context.subarray(Math.max(0, context.length - TAIL));
      } else {
        // The file is shorter than the offset now: nothing before it to know.
        run.stream = this.masker.stream();
      }
    }
    this.runs.unshift(run);
    if (this.runs.length > MAX_RUNS) this.runs.pop();
    return run;
  }
}

function append(run: Run, data: Buffer, offset: number): void {
  run.end = offset + data.length;
  if (data.length >= TAIL) run.tail = data.subarray(data.length - TAIL);
  else {
    const keep = Math.min(run.tail.length, TAIL - data.length);
    run.tail = Buffer.concat([run.tail.subarray(run.tail.length - keep), data]);
  }
}

/** The following bytes up to their last line end, so a token cut by the over-read is not judged half-read. */
function trimToLine(after: Buffer): Buffer {
  const nl = after.lastIndexOf(10);
  return nl < 0 ? after : after.subarray(0, nl + 1);
}

function maskChanges(masker: Masker, bytes: Buffer): boolean {
  if (masker.valueBytes) return masker.valueBytes(bytes, 0, bytes.length, undefined, 'latin1') !== undefined;
  const text = bytes.toString('latin1');
  return masker.value(text) !== text;
}

function changed(before: Record<string, number>, now: Record<string, number>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(now)) if (v > (before[k] ?? 0)) out.push(k);
  return out;
}
