// Redacting `masking.json_paths` while walking a document once: each path (compiled by the HTTP
// analyzer's JSONPath subset, so rules and masking speak one dialect) is followed as a state
// that steps into children; `..` keeps a state alive at every depth below.
import type { JsonPathStep } from '../analyze/http/index.js';

export type PathKey = string | number;

/** A position in one compiled path: the next step to match is `steps[at]`. */
export interface PathState {
  steps: readonly JsonPathStep[];
  at: number;
}

function selects(step: JsonPathStep, key: PathKey, siblings: number): boolean {
  const sel = step.selector;
  if (sel.kind === 'wildcard') return true;
  if (sel.kind === 'name') return typeof key === 'string' && key === sel.name;
  if (typeof key !== 'number') return false;
  // a stream does not know an array's length yet: `[-1]` then takes every element (fail closed)
  if (sel.index < 0 && siblings < 0) return true;
  return (sel.index < 0 ? siblings + sel.index : sel.index) === key;
}

/**
 * The states after stepping into child `key` of a container with `siblings` children (-1: not
 * known yet); `matched` is true when a path ends there (the child is redacted whole).
 */
export function stepInto(
  states: readonly PathState[],
  key: PathKey,
  siblings: number,
): { next: PathState[]; matched: boolean } {
  const next: PathState[] = [];
  let matched = false;
  for (const s of states) {
    const step = s.steps[s.at];
    if (!step) continue;
    if (step.descendant) next.push(s);
    if (selects(step, key, siblings)) {
      if (s.at + 1 === s.steps.length) matched = true;
      else next.push({ steps: s.steps, at: s.at + 1 });
    }
  }
  return { next, matched };
}
