// A headless terminal fed with what the upstream shell prints, so the gateway reads the line the
// way the agent's terminal shows it (after backspaces, history recall, completion, redraws).
import pkg from '@xterm/headless';

const { Terminal } = pkg;
type XTerminal = InstanceType<typeof Terminal>;

export interface ScreenLine {
  /** The whole logical line (wrapped rows joined), trailing blanks trimmed. */
  text: string;
  /** From the start of the logical line up to the cursor. */
  beforeCursor: string;
  startRow: number;
  endRow: number;
  cursorRow: number;
}

export class TerminalView {
  private readonly term: XTerminal;
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(cols: number, rows: number) {
    this.term = new Terminal({
      cols: clamp(cols, 80),
      rows: clamp(rows, 24),
      scrollback: 200,
      allowProposedApi: true,
    });
  }

  /** Feeds bytes the terminal would receive. */
  write(data: Uint8Array | string): void {
    this.lastWrite = new Promise((resolve) => this.term.write(data, resolve));
  }

  /** Resolves once everything written so far has been parsed. */
  settled(): Promise<void> {
    return this.lastWrite;
  }

  resize(cols: number, rows: number): void {
    this.term.resize(clamp(cols, this.term.cols), clamp(rows, this.term.rows));
  }

  get alternate(): boolean {
    return this.term.buffer.active.type === 'alternate';
  }

  onBufferChange(handler: (alternate: boolean) => void): void {
    this.term.buffer.onBufferChange((b) => handler(b.type === 'alternate'));
  }

  /** The logical line holding the cursor. */
  line(): ScreenLine {
    const buf = this.term.buffer.active;
    const cursorRow = buf.baseY + buf.cursorY;
    let startRow = cursorRow;
    while (startRow > 0 && buf.getLine(startRow)?.isWrapped) startRow--;
    let endRow = cursorRow;
    while (endRow + 1 < buf.length && buf.getLine(endRow + 1)?.isWrapped) endRow++;
    let text = '';
    let beforeCursor = '';
    for (let r = startRow; r <= endRow; r++) {
      const row = buf.getLine(r);
      if (!row) continue;
      // Full rows keep their trailing spaces: a blank at the wrap point is part of the command.
      const full = r < endRow ? row.translateToString(false) : row.translateToString(true);
      text += full;
      if (r < cursorRow) beforeCursor += row.translateToString(false);
      else if (r === cursorRow) beforeCursor += row.translateToString(false, 0, buf.cursorX);
    }
    return { text, beforeCursor, startRow, endRow, cursorRow };
  }

  dispose(): void {
    this.term.dispose();
  }
}

function clamp(n: number, fallback: number): number {
  return Number.isInteger(n) && n > 0 && n <= 2000 ? n : fallback;
}
