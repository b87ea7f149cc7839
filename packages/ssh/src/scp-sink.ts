// Legacy scp upload (`scp -O`, an exec of `scp -t TARGET`): the file and directory names travel
// inside the protocol stream (`C0644 12 name`, `D0755 0 dir` … `E`), not on the command line.
// This parser reads the agent's stream as the remote scp sink does and stops at each control line
// that names a path, so the path can be judged before the line reaches the upstream.
import { posix } from 'node:path';

/** OpenSSH's sink reads a record into a 2 KiB buffer; a longer one would split there. */
const MAX_RECORD = 1024;

export type SinkItem =
  /** Bytes to pass on as they are (file data, acks, T records, error records); `answered`: the sink responds once. */
  | { kind: 'bytes'; bytes: Buffer; answered: boolean }
  /** A C/D record: judge `paths` (every place it may land) before sending `bytes`. */
  | { kind: 'entry'; dir: boolean; name: string; paths: string[]; bytes: Buffer }
  /** Something the gateway cannot read as the sink would: the channel must end. */
  | { kind: 'invalid'; reason: string };

export class ScpSinkParser {
  /** Directories the current entries land in: the target itself, or the target/name it creates. */
  private dirs: string[][];
  private state: 'record' | 'data' | 'ack' = 'record';
  private remaining = 0;
  private record: Buffer = Buffer.alloc(0);
  /** Set when the last entry was not sent on (refused): its data and E record never come. */
  private pendingDir: string[] | undefined;

  constructor(private readonly target: string) {
    this.dirs = [[target]];
  }

  private input: Buffer = Buffer.alloc(0);
  private waiting = false;

  /** Adds the agent's bytes; take the items with `next()`. */
  push(chunk: Buffer): void {
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
  }

  /**
   * The next item, or undefined when more input is needed. After an `entry`, nothing more comes
   * until `entryDone` says whether it was sent on (its data follows) or refused (the client skips it).
   */
  next(): SinkItem | undefined {
    while (!this.waiting && this.input.length > 0) {
      const chunk = this.input;
      if (this.state === 'data') {
        const n = Math.min(this.remaining, chunk.length);
        this.input = chunk.subarray(n);
        this.remaining -= n;
        if (this.remaining === 0) this.state = 'ack';
        return { kind: 'bytes', bytes: chunk.subarray(0, n), answered: false };
      }
      if (this.state === 'ack' && chunk[0] === 0) {
        this.input = chunk.subarray(1);
        this.state = 'record';
        return { kind: 'bytes', bytes: chunk.subarray(0, 1), answered: true };
      }
      // A record (or the error record that replaces an ack): up to its newline.
      const nl = chunk.indexOf(0x0a);
      const end = nl < 0 ? chunk.length : nl + 1;
      this.record = Buffer.concat([this.record, chunk.subarray(0, end)]);
      this.input = chunk.subarray(end);
      if (this.record.length > MAX_RECORD) {
        this.waiting = true;
        return { kind: 'invalid', reason: `an scp record longer than ${MAX_RECORD} bytes` };
      }
      if (nl < 0) return undefined;
      const record = this.record;
      this.record = Buffer.alloc(0);
      const item = this.parseRecord(record);
      if (item.kind !== 'bytes') this.waiting = true;
      return item;
    }
    return undefined;
  }

  /** The entry just reported was sent on (true) or refused (false: the client skips it). */
  entryDone(sent: boolean): void {
    this.waiting = false;
    const dir = this.pendingDir;
    this.pendingDir = undefined;
    if (sent && dir) this.dirs.push(dir);
    if (!sent) this.state = 'record';
  }

  private parseRecord(record: Buffer): SinkItem {
    const wasAck = this.state === 'ack';
    this.state = 'record';
    const text = record.toString('latin1');
    const type = text[0];
    // After a file's data the source's ack (or error record) is answered by the sink; elsewhere an
    // error record from the source is not.
    if (wasAck) return { kind: 'bytes', bytes: record, answered: true };
    if (type === '\x01' || type === '\x02') return { kind: 'bytes', bytes: record, answered: false };
    if (type === 'T') {
      if (!/^T\d+ \d+ \d+ \d+\n$/.test(text)) return { kind: 'invalid', reason: 'a malformed scp T record' };
      return { kind: 'bytes', bytes: record, answered: true };
    }
    if (type === 'E') {
      if (text !== 'E\n' || this.dirs.length <= 1)
        return { kind: 'invalid', reason: 'an unexpected scp E record' };
      this.dirs.pop();
      return { kind: 'bytes', bytes: record, answered: true };
    }
    const m = /^([CD])([0-7]{4}) (\d{1,18}) ([^\n]*)\n$/.exec(text);
    if (!m) return { kind: 'invalid', reason: 'an scp record the gateway cannot read' };
    const name = Buffer.from(m[4], 'latin1').toString('utf8');
    if (name === '' || name === '.' || name === '..' || /[/\x00]/.test(name))
      return { kind: 'invalid', reason: `an scp entry name the sink refuses too: ${JSON.stringify(name)}` };
    const parents = this.dirs[this.dirs.length - 1];
    // At the top, the target may be a directory (the entry lands inside) or not (the entry is the target).
    const top = this.dirs.length === 1;
    const paths = [...new Set([...parents.map((p) => posix.join(p, name)), ...(top ? [this.target] : [])])];
    const dir = m[1] === 'D';
    if (dir) this.pendingDir = paths;
    else {
      this.remaining = Number(m[3]);
      this.state = this.remaining === 0 ? 'ack' : 'data';
    }
    return { kind: 'entry', dir, name, paths, bytes: record };
  }
}

/**
 * The sink's answers on its stdout, in order: a 0 byte (ok) or an error record (\x01/\x02 … \n).
 * One answer comes for the sink's start, each T, C, D and E record and each file's end. Whether a
 * C or D record was accepted upstream decides what the agent's next bytes are (a refused file's
 * data never comes), so the gateway waits for that answer before reading on.
 */
export class ScpSinkAnswers {
  private readonly waiting: (((ok: boolean) => void) | undefined)[] = [undefined]; // the start
  private errorRecord = false;

  /** The bytes just sent upstream will be answered once; `onAnswer` gets whether it was ok. */
  expect(onAnswer?: (ok: boolean) => void): void {
    this.waiting.push(onAnswer);
  }

  /** The next answer, as a promise. */
  next(): Promise<boolean> {
    return new Promise((resolve) => this.expect(resolve));
  }

  /** Upstream stdout. */
  feed(chunk: Buffer): void {
    for (const byte of chunk) {
      if (this.errorRecord) {
        if (byte === 0x0a) this.errorRecord = false;
        continue;
      }
      if (byte === 0) this.answer(true);
      else {
        this.errorRecord = true;
        this.answer(false);
      }
    }
  }

  private answer(ok: boolean): void {
    if (this.waiting.length === 0) return;
    this.waiting.shift()?.(ok);
  }
}
