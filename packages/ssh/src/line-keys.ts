// Splits an agent's keystroke stream into keys and classifies each: does it only edit the line,
// does it make the shell accept the line, or can the gateway not tell (then it is judged too).

export type KeyKind =
  /** Edits or moves within the line; the screen shows the effect. */
  | 'edit'
  /** Makes a line editor accept the line (CR, LF, Ctrl-O, M-#…). */
  | 'accept'
  /** Unclassified: treated as possibly accepting, so the line is judged before it is sent. */
  | 'unknown'
  /** Never sent: runs what the screen cannot show (edit-and-execute, literal control chars). */
  | 'refuse'
  /** Interrupts (Ctrl-C, Ctrl-Z, Ctrl-\): sent at once, ahead of anything queued. */
  | 'interrupt';

export interface Key {
  bytes: Buffer;
  kind: KeyKind;
  /** Why a key is refused or unknown (shown/recorded). */
  note?: string;
}

const ESC = 0x1b;
// Meta (ESC + char) bindings that only edit, move or insert visible text in readline.
const SAFE_META = new Set(
  Array.from('bfdBFDulctyr<>.?_*=/~$@!^\\ 0123456789-', (c) => c.charCodeAt(0)).concat([0x7f, 0x08]),
);
// CSI final bytes of cursor/editing keys; '~' keys are checked by number.
const SAFE_CSI_FINAL = new Set(Array.from('ABCDHFPQRSZIO', (c) => c.charCodeAt(0)));
const SAFE_TILDE = new Set([1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 23, 24]);
const SAFE_SS3 = new Set(Array.from('ABCDHFPQRS', (c) => c.charCodeAt(0)));
const BRACKETED_PASTE = new Set([200, 201]);

export class KeyReader {
  private held: Buffer = Buffer.alloc(0);

  /** Keys complete so far; an escape sequence cut by the chunk boundary waits for the next chunk. */
  read(chunk: Buffer): Key[] {
    const data = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    const keys: Key[] = [];
    let i = 0;
    while (i < data.length) {
      const r = classifyAt(data, i);
      if (r === 'incomplete') {
        this.held = Buffer.from(data.subarray(i));
        break;
      }
      if (r.key) keys.push(r.key);
      i = r.next;
    }
    return keys;
  }

  /** A lone ESC (or a cut sequence) that waited too long: the agent really pressed Escape. */
  flushHeld(): Key[] {
    if (this.held.length === 0) return [];
    const held = this.held;
    this.held = Buffer.alloc(0);
    if (held.length === 1 && held[0] === ESC) return [{ bytes: held, kind: 'edit' }];
    return [{ bytes: held, kind: 'unknown', note: 'incomplete escape sequence' }];
  }

  get holding(): boolean {
    return this.held.length > 0;
  }
}

type Step = { key?: Key; next: number } | 'incomplete';

function classifyAt(d: Buffer, i: number): Step {
  const b = d[i];
  const one = (kind: KeyKind, note?: string): Step => ({
    key: { bytes: d.subarray(i, i + 1), kind, note },
    next: i + 1,
  });
  if (b === 0x0d || b === 0x0a || b === 0x0f) return one('accept');
  if (b === 0x03 || b === 0x1a || b === 0x1c) return one('interrupt');
  // XOFF: with `ixon` (the pty default) the terminal stops showing output, so what is typed next
  // would run while the screen still shows the line as it was.
  if (b === 0x13) return one('refuse', 'Ctrl-S (XOFF) stops the output that shows the line');
  if (b === 0x16 || b === 0x11) {
    // quoted-insert: the next byte goes into the line literally; a literal control char (^J…) would
    // be displayed as two harmless characters while the shell runs it as a separator.
    if (i + 1 >= d.length) return 'incomplete';
    const n = d[i + 1];
    const kind: KeyKind = n < 0x20 || n === 0x7f ? 'refuse' : 'edit';
    return {
      key: {
        bytes: d.subarray(i, i + 2),
        kind,
        note: kind === 'refuse' ? 'quoted insert of a control character' : undefined,
      },
      next: i + 2,
    };
  }
  if (b === 0x18) {
    if (i + 1 >= d.length) return 'incomplete';
    const n = d[i + 1];
    if (n === 0x05 || n === 0x1b) {
      return {
        key: { bytes: d.subarray(i, i + 2), kind: 'refuse', note: 'edit-and-execute (Ctrl-X Ctrl-E)' },
        next: i + 2,
      };
    }
    return { key: { bytes: d.subarray(i, i + 2), kind: 'unknown', note: 'Ctrl-X sequence' }, next: i + 2 };
  }
  if (b === ESC) return classifyEscape(d, i);
  if (b < 0x20 && b !== 0x09 && b !== 0x08) {
    // Ctrl-A B D E F G K L N P R S T U W Y _ @ ] ^: readline edits, moves, searches, yanks.
    return one('edit');
  }
  // Printable ASCII, TAB, backspace, DEL and UTF-8 bytes: take the whole run at once.
  let j = i + 1;
  while (j < d.length && isPlain(d[j])) j++;
  return { key: { bytes: d.subarray(i, j), kind: 'edit' }, next: j };
}

function isPlain(b: number): boolean {
  return b >= 0x20 || b === 0x09 || b === 0x08;
}

function classifyEscape(d: Buffer, i: number): Step {
  if (i + 1 >= d.length) return 'incomplete';
  const n = d[i + 1];
  if (n === 0x5b /* [ */) {
    let j = i + 2;
    while (j < d.length && d[j] >= 0x30 && d[j] <= 0x3f) j++; // parameters
    while (j < d.length && d[j] >= 0x20 && d[j] <= 0x2f) j++; // intermediates
    if (j >= d.length)
      return d.length - i > 32
        ? { key: { bytes: d.subarray(i), kind: 'unknown', note: 'overlong CSI' }, next: d.length }
        : 'incomplete';
    const final = d[j];
    const bytes = d.subarray(i, j + 1);
    const params = d.subarray(i + 2, j).toString('latin1');
    if (final === 0x7e /* ~ */) {
      const num = Number.parseInt(params.split(';')[0] ?? '', 10);
      // Bracketed-paste markers are dropped: a paste becomes typed keys, judged line by line.
      if (BRACKETED_PASTE.has(num)) return { next: j + 1 };
      if (SAFE_TILDE.has(num)) return { key: { bytes, kind: 'edit' }, next: j + 1 };
    } else if (SAFE_CSI_FINAL.has(final) && /^[0-9;]*$/.test(params)) {
      return { key: { bytes, kind: 'edit' }, next: j + 1 };
    } else if ((final === 0x4d || final === 0x6d) && params.startsWith('<')) {
      return { key: { bytes, kind: 'edit' }, next: j + 1 }; // SGR mouse report
    }
    return {
      key: { bytes, kind: 'unknown', note: `escape sequence ${JSON.stringify(bytes.toString('latin1'))}` },
      next: j + 1,
    };
  }
  if (n === 0x4f /* O */) {
    if (i + 2 >= d.length) return 'incomplete';
    const bytes = d.subarray(i, i + 3);
    return { key: { bytes, kind: SAFE_SS3.has(d[i + 2]) ? 'edit' : 'unknown' }, next: i + 3 };
  }
  const bytes = d.subarray(i, i + 2);
  if (n === 0x23 /* M-# insert-comment accepts the line */ || n === 0x0d || n === 0x0a) {
    return { key: { bytes, kind: 'accept' }, next: i + 2 };
  }
  if (n === 0x05 || n === 0x16) {
    return {
      key: {
        bytes,
        kind: 'refuse',
        note: 'meta editing key that runs or inserts what the screen cannot show',
      },
      next: i + 2,
    };
  }
  if (n === ESC) return { key: { bytes: d.subarray(i, i + 1), kind: 'edit' }, next: i + 1 };
  if (SAFE_META.has(n)) return { key: { bytes, kind: 'edit' }, next: i + 2 };
  return {
    key: { bytes, kind: 'unknown', note: `meta key ${JSON.stringify(bytes.toString('latin1'))}` },
    next: i + 2,
  };
}
