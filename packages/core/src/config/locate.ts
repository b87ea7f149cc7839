// Finds the YAML node behind a key path, so every problem can name a line and column.
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import type { Segment } from './validate.js';

export interface Position {
  line: number;
  col: number;
}

export class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** The source offset of a key path: its key (`at: 'key'`) or its value; the nearest existing ancestor otherwise. */
  offset(path: Segment[], at: 'key' | 'value'): number {
    let node: unknown = this.doc.contents;
    let keyNode: Node | undefined;
    let best = rangeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isAlias(node)) node = node.resolve(this.doc);
      let next: unknown;
      keyNode = undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyOf(p.key) === String(seg));
        if (!pair) break;
        keyNode = pair.key as Node;
        next = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
      } else break;
      const last = i === path.length - 1;
      const start =
        last && at === 'key' && keyNode ? rangeStart(keyNode) : (rangeStart(next) ?? rangeStart(keyNode));
      if (start === undefined) break;
      best = start;
      node = next;
    }
    return best;
  }

  position(path: Segment[], at: 'key' | 'value'): Position {
    return this.at(this.offset(path, at));
  }

  at(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line, col };
  }

  /** The source text of the value at a path (to point inside it, e.g. at a `${VAR}`). */
  valueRange(path: Segment[]): [number, number] | undefined {
    let node: unknown = this.doc.contents;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(this.doc);
      if (isMap(node)) node = node.items.find((p) => isPair(p) && keyOf(p.key) === String(seg))?.value;
      else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
      else return undefined;
    }
    const r = (node as Node | undefined)?.range;
    return r ? [r[0], r[1]] : undefined;
  }
}

function keyOf(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  return typeof k === 'string' ? k : undefined;
}

function rangeStart(n: unknown): number | undefined {
  const r = (n as Node | null | undefined)?.range;
  return r ? r[0] : undefined;
}

/** `connections[1].upstream.port` */
export function formatPath(path: Segment[]): string {
  if (path.length === 0) return '(document)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
