// A small JSONPath subset for `http.json` rules and `masking.json_paths`:
// `$`, `.name`, `['name']`, `["name"]`, `[0]`, `[-1]`, `[*]`, `.*`, and `..` (descendants) before any of them.

export class JsonPathError extends Error {
  constructor(path: string, detail: string) {
    super(`invalid JSONPath "${path}": ${detail}`);
    this.name = 'JsonPathError';
  }
}

type Selector = { kind: 'name'; name: string } | { kind: 'index'; index: number } | { kind: 'wildcard' };

export interface JsonPathStep {
  descendant: boolean;
  selector: Selector;
}

export interface CompiledJsonPath {
  readonly source: string;
  readonly steps: readonly JsonPathStep[];
  /** Every value the path selects, in document order. */
  values(doc: unknown): unknown[];
}

const NAME = /^[A-Za-z_$\u0080-\uffff][A-Za-z0-9_$\-\u0080-\uffff]*/;

export function compileJsonPath(source: string): CompiledJsonPath {
  if (typeof source !== 'string' || !source.startsWith('$'))
    throw new JsonPathError(String(source), 'must start with "$"');
  const steps: JsonPathStep[] = [];
  let i = 1;
  while (i < source.length) {
    let descendant = false;
    if (source.startsWith('..', i)) {
      descendant = true;
      i += 2;
    } else if (source[i] === '.') {
      i += 1;
    } else if (source[i] !== '[') {
      throw new JsonPathError(source, `unexpected "${source[i]}" at ${i}`);
    }
    if (source[i] === '*') {
      steps.push({ descendant, selector: { kind: 'wildcard' } });
      i += 1;
    } else if (source[i] === '[') {
      const [selector, next] = bracket(source, i);
      steps.push({ descendant, selector });
      i = next;
    } else {
      const m = NAME.exec(source.slice(i));
      if (!m) throw new JsonPathError(source, `expected a name at ${i}`);
      steps.push({ descendant, selector: { kind: 'name', name: m[0] } });
      i += m[0].length;
    }
  }
  return { source, steps, values: (doc) => evaluate(steps, doc) };
}

function bracket(source: string, start: number): [Selector, number] {
  let i = start + 1;
  const q = source[i];
  if (q === "'" || q === '"') {
    let name = '';
    i += 1;
    while (i < source.length && source[i] !== q) {
      if (source[i] === '\\' && i + 1 < source.length) i += 1;
      name += source[i];
      i += 1;
    }
    if (source[i] !== q || source[i + 1] !== ']')
      throw new JsonPathError(source, `unterminated ['…'] at ${start}`);
    return [{ kind: 'name', name }, i + 2];
  }
  const close = source.indexOf(']', i);
  if (close < 0) throw new JsonPathError(source, `unterminated [ at ${start}`);
  const inner = source.slice(i, close).trim();
  if (inner === '*') return [{ kind: 'wildcard' }, close + 1];
  if (/^-?\d+$/.test(inner)) return [{ kind: 'index', index: Number(inner) }, close + 1];
  throw new JsonPathError(source, `unsupported selector [${inner}] (supported: ['name'], [n], [*])`);
}

function select(node: unknown, sel: Selector, out: unknown[]): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    if (sel.kind === 'wildcard') out.push(...node);
    else if (sel.kind === 'index') {
      const idx = sel.index < 0 ? node.length + sel.index : sel.index;
      if (idx >= 0 && idx < node.length) out.push(node[idx]);
    }
    return;
  }
  const obj = node as Record<string, unknown>;
  if (sel.kind === 'wildcard') out.push(...Object.values(obj));
  else if (sel.kind === 'name' && Object.hasOwn(obj, sel.name)) out.push(obj[sel.name]);
}

/** The node and all nodes below it, pre-order, without recursion (documents may be deep). */
function descendants(root: unknown): unknown[] {
  const out: unknown[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    out.push(node);
    if (node !== null && typeof node === 'object') {
      const kids = Array.isArray(node) ? node : Object.values(node as Record<string, unknown>);
      for (let k = kids.length - 1; k >= 0; k--) stack.push(kids[k]);
    }
  }
  return out;
}

function evaluate(steps: readonly JsonPathStep[], doc: unknown): unknown[] {
  let nodes: unknown[] = [doc];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (step.descendant) for (const d of descendants(node)) select(d, step.selector, next);
      else select(node, step.selector, next);
    }
    nodes = next;
    if (nodes.length === 0) break;
  }
  return nodes;
}

const cache = new Map<string, CompiledJsonPath>();

/** Values selected by `path` in `doc`. Throws JsonPathError for a path outside the subset. */
export function jsonPathValues(doc: unknown, path: string): unknown[] {
  let compiled = cache.get(path);
  if (!compiled) {
    compiled = compileJsonPath(path);
    if (cache.size > 1000) cache.clear();
    cache.set(path, compiled);
  }
  return compiled.values(doc);
}
