// Globs for rule values. Two flavours: path globs (`*` stays inside one segment, `**` crosses `/`,
// `**/` also matches nothing, a trailing `/**` also matches the directory itself) and word globs (`*` matches anything). `{a,b}`, `?` and `[…]` work in both.
// Compiled once per policy; the produced RegExps have no backreferences.

export type GlobFlavour = 'path' | 'word';

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string, flavour: GlobFlavour, caseInsensitive = false): RegExp {
  const key = `${flavour}|${caseInsensitive ? 'i' : ''}|${glob}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const star = flavour === 'path' ? '[^/]*' : '[\\s\\S]*';
  const one = flavour === 'path' ? '[^/]' : '[\\s\\S]';
  let out = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (flavour === 'path' && i === glob.length - 1 && out.endsWith('\\/')) {
          // `dir/**` also means `dir` itself: `rm -rf ~/.ssh` must meet a rule on `~/.ssh/**`.
          out = `${out.slice(0, -2)}(?:\\/[\\s\\S]*)?`;
        } else if (flavour === 'path' && glob[i + 1] === '/') {
          i++;
          out += '(?:[\\s\\S]*/)?';
        } else out += '[\\s\\S]*';
      } else out += star;
    } else if (c === '?') out += one;
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) out += '\\[';
      else {
        let body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        out += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else if (c === '\\' && i + 1 < glob.length) {
      i++;
      out += escapeRe(glob[i]);
    } else out += escapeRe(c);
  }
  while (braces-- > 0) out += ')';
  const re = new RegExp(`^(?:${out})$`, caseInsensitive ? 'i' : '');
  if (cache.size > 10_000) cache.clear();
  cache.set(key, re);
  return re;
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** True when `glob` has any glob syntax (so exact comparison can be used otherwise). */
export function isGlob(glob: string): boolean {
  return /[*?[{]/.test(glob);
}

// ── intersection of two path globs ─────────────────────────────────────────
// "Could these two globs name the same path?" — for an argument the shell will expand (`cat /etc/sha*`)
// against a rule's path glob. Segment by segment, `**` spanning any number of segments; inside a
// segment `*`, `?`, `[…]` and literals. Braces are expanded first. Classes are compared loosely (two
// classes are taken to overlap unless both are plain sets with nothing in common): erring towards
// "they intersect" is the fail-closed side.

type SegToken =
  | { t: 'lit'; c: string }
  | { t: 'one' }
  | { t: 'star' }
  | { t: 'cls'; set: string; neg: boolean };

function expandBraces(glob: string, limit = 64): string[] {
  const m = /\{([^{}]*)\}/.exec(glob);
  if (!m) return [glob];
  const out: string[] = [];
  for (const alt of m[1].split(',')) {
    for (const rest of expandBraces(
      glob.slice(0, m.index) + alt + glob.slice(m.index + m[0].length),
      limit,
    )) {
      if (out.length < limit) out.push(rest);
    }
  }
  return out;
}

function segTokens(seg: string): SegToken[] {
  const out: SegToken[] = [];
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') {
      if (out.at(-1)?.t !== 'star') out.push({ t: 'star' });
    } else if (c === '?') out.push({ t: 'one' });
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) out.push({ t: 'lit', c });
      else {
        const body = seg.slice(i + 1, end);
        const neg = body.startsWith('!') || body.startsWith('^');
        out.push({ t: 'cls', set: neg ? body.slice(1) : body, neg });
        i = end;
      }
    } else if (c === '\\' && i + 1 < seg.length) out.push({ t: 'lit', c: seg[++i] });
    else out.push({ t: 'lit', c });
  }
  return out;
}

function inClass(c: string, k: { set: string; neg: boolean }): boolean {
  let hit = false;
  for (let i = 0; i < k.set.length; i++) {
    if (k.set[i + 1] === '-' && i + 2 < k.set.length) {
      if (c >= k.set[i] && c <= k.set[i + 2]) hit = true;
      i += 2;
    } else if (k.set[i] === c) hit = true;
  }
  return hit !== k.neg;
}

function charsOverlap(a: SegToken, b: SegToken): boolean {
  if (a.t === 'one' || b.t === 'one') return true;
  if (a.t === 'lit' && b.t === 'lit') return a.c === b.c;
  if (a.t === 'lit' && b.t === 'cls') return inClass(a.c, b);
  if (a.t === 'cls' && b.t === 'lit') return inClass(b.c, a);
  if (a.t === 'cls' && b.t === 'cls' && !a.neg && !b.neg)
    return [...a.set].some((c) => c !== '-' && inClass(c, b));
  return true;
}

function segmentsIntersect(a: SegToken[], b: SegToken[]): boolean {
  const memo = new Map<number, boolean>();
  const f = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (i === a.length && j === b.length) r = true;
    else if (i < a.length && a[i].t === 'star') r = f(i + 1, j) || (j < b.length && f(i, j + 1));
    else if (j < b.length && b[j].t === 'star') r = f(i, j + 1) || (i < a.length && f(i + 1, j));
    else if (i < a.length && j < b.length) r = charsOverlap(a[i], b[j]) && f(i + 1, j + 1);
    else r = false;
    memo.set(key, r);
    return r;
  };
  return f(0, 0);
}

function pathSegments(glob: string): (SegToken[] | '**')[] {
  return glob.split('/').map((s) => (s === '**' ? '**' : segTokens(s)));
}

/** Could some path match both path globs? */
export function pathGlobsIntersect(a: string, b: string): boolean {
  for (const x of expandBraces(a)) {
    for (const y of expandBraces(b)) {
      const p = pathSegments(x);
      const q = pathSegments(y);
      const memo = new Map<number, boolean>();
      const f = (i: number, j: number): boolean => {
        const key = i * (q.length + 1) + j;
        const hit = memo.get(key);
        if (hit !== undefined) return hit;
        let r: boolean;
        if (i === p.length && j === q.length) r = true;
        else if (i < p.length && p[i] === '**') r = f(i + 1, j) || (j < q.length && f(i, j + 1));
        else if (j < q.length && q[j] === '**') r = f(i, j + 1) || (i < p.length && f(i + 1, j));
        else if (i < p.length && j < q.length)
          r = segmentsIntersect(p[i] as SegToken[], q[j] as SegToken[]) && f(i + 1, j + 1);
        else r = false;
        memo.set(key, r);
        return r;
      };
      if (f(0, 0)) return true;
    }
  }
  return false;
}
