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
