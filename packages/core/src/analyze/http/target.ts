// The request-target, normalised twice: once for matching (every plausible reading of the path
// must agree, or it is refused) and once for forwarding (an RFC 3986 equivalent with no dot segments).

export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

export interface ParsedTarget {
  /** The path rules match: decoded, dot segments resolved, `//` collapsed, `;params` dropped, no trailing `/`. */
  path: string;
  /**
   * Other paths some servers route this one to (deny and review rules match them too): the last
   * segment without its `.ext` (Rails `(.:format)`, Spring suffix match), segments without trailing
   * dots or spaces (Windows, IIS), the path cut at a decoded `?` or `#`. Absent when there are none.
   */
  readings?: string[];
  /** The path to send upstream: unreserved escapes decoded, other escapes upper-cased, dot segments resolved. */
  forwardPath: string;
  /** The query exactly as received, without the `?` ("" when absent). */
  rawQuery: string;
  hasQuery: boolean;
  notes: string[];
}

const HEX = /^[0-9A-Fa-f]{2}$/;
const UNRESERVED = /[A-Za-z0-9\-._~]/;
// RFC 3986 pchar plus "/" and "%": anything else raw in a path is malformed.
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Splits and normalises a request-target. Throws TargetError with a one-line reason. */
export function parseTarget(target: string): ParsedTarget {
  const notes: string[] = [];
  // Asterisk-form (OPTIONS *, RFC 9112 §3.2.4) asks about the server as a whole: judged and sent as "/".
  if (target === '*') {
    notes.push('asterisk-form request-target read as /');
    return { path: '/', forwardPath: '/', rawQuery: '', hasQuery: false, notes };
  }
  let rest = target;
  const abs = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(rest);
  if (abs) {
    rest = rest.slice(abs[0].length);
    if (!rest.startsWith('/')) rest = `/${rest}`;
    notes.push('absolute-form request-target');
  }
  if (!rest.startsWith('/')) throw new TargetError('request-target must start with "/"');
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    rest = rest.slice(0, hash);
    notes.push('fragment dropped');
  }
  const q = rest.indexOf('?');
  const rawPath = q >= 0 ? rest.slice(0, q) : rest;
  const rawQuery = q >= 0 ? rest.slice(q + 1) : '';
  if (rawPath.includes('\\')) throw new TargetError('backslash in path is ambiguous');
  if (!PATH_CHARS.test(rawPath)) throw new TargetError('invalid character in path');

  // Fast path: nothing to decode, no dot, params or empty segments.
  if (!/[%.;]|\/\//.test(rawPath)) {
    return { path: trimSlash(rawPath), forwardPath: rawPath, rawQuery, hasQuery: q >= 0, notes };
  }

  // Every segment decoded on its own; "/" from %2F stays inside its segment.
  const rawSegments = rawPath.slice(1).split('/');
  const decodedSegments = rawSegments.map(decodeSegment);
  const fullyDecoded = `/${decodedSegments.join('/')}`;
  if (/%[0-9A-Fa-f]{2}/.test(fullyDecoded)) throw new TargetError('double percent-encoding is ambiguous');
  if (/[\\\u0000-\u001f\u007f]/.test(fullyDecoded)) {
    throw new TargetError('encoded backslash or control character in path');
  }
  if (/[^\u0000-\u007f]/.test(fullyDecoded)) {
    if (fullyDecoded.normalize('NFKC') !== fullyDecoded)
      throw new TargetError('path changes under Unicode normalisation');
    // `ı`.toUpperCase() is `I`, `İ`.toLowerCase() holds `i`: a case-insensitive router may read /admın as /admin.
    for (const ch of fullyDecoded.replace(/[\u0000-\u007f]+/g, '')) {
      if (/[A-Za-z]/.test(ch.toUpperCase() + ch.toLowerCase()))
        throw new TargetError('path has a non-ASCII letter whose case maps to ASCII');
    }
  }
  if (fullyDecoded !== rawPath && /%/.test(rawPath)) notes.push('percent-decoded');

  // The readings upstreams actually use: %2F split or not, `//` merged or not, `;params` stripped or not.
  const readings: string[] = [];
  for (const splitSlash of [false, true]) {
    for (const collapse of [false, true]) {
      for (const strip of [false, true]) {
        let segs = splitSlash ? fullyDecoded.slice(1).split('/') : decodedSegments.slice();
        if (strip) segs = segs.map(stripParams);
        if (collapse) segs = dropEmpty(segs);
        readings.push(comparable(resolveDots(segs)));
      }
    }
  }
  // The last reading is the broadest (split, merged, stripped); the others must agree with it
  // once their leftover `;params`, `//` and `%2F` are read the same way (dot segments are not re-resolved).
  const path = readings[readings.length - 1]!;
  for (const r of readings) {
    if (r !== path)
      throw new TargetError(
        'path means different things to different servers (dot segments mixed with %2F, // or ;)',
      );
  }
  if (path !== trimSlash(fullyDecoded.replace(/\/{2,}/g, '/')))
    notes.push('dot segments or empty segments resolved');
  if (/;/.test(fullyDecoded)) notes.push('path parameters (;) dropped for matching');

  // A leading `//` is read as an authority by WHATWG URL parsers (`new URL('//evil/v1/x', base)` has
  // the path /v1/x): sent as one `/`, which every reading of the judged path agrees with.
  const forwardPath = `/${resolveDots(rawSegments.map(canonicalEscapes)).join('/')}`.replace(/^\/{2,}/, '/');
  const others = otherReadings(path);
  return others
    ? { path, readings: others, forwardPath, rawQuery, hasQuery: q >= 0, notes }
    : { path, forwardPath, rawQuery, hasQuery: q >= 0, notes };
}

/** The readings of `ParsedTarget.readings` that differ from the path itself. */
function otherReadings(path: string): string[] | undefined {
  if (!/[.?# ]/.test(path)) return undefined;
  const out: string[] = [];
  const add = (p: string) => {
    const t = trimSlash(p.replace(/\/{2,}/g, '/')) || '/';
    if (t !== path && !out.includes(t)) out.push(t);
  };
  const cut = path.search(/[?#]/);
  const truncated = cut >= 0 ? path.slice(0, cut) || '/' : path;
  add(truncated);
  const trimmed = truncated.replace(/[. ]+(?=\/|$)/g, (m, at: number, p: string) =>
    // `.` and `..` segments were resolved already: these are dots ending a name (`payments.`).
    at === 0 || p[at - 1] === '/' ? m : '',
  );
  add(trimmed);
  const slash = trimmed.lastIndexOf('/');
  const dot = trimmed.lastIndexOf('.');
  if (dot > slash + 1) add(trimmed.slice(0, dot));
  return out.length > 0 ? out : undefined;
}

function decodeSegment(seg: string): string {
  if (!seg.includes('%')) return seg;
  const bytes: number[] = [];
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c === 0x25) {
      const hex = seg.slice(i + 1, i + 3);
      if (!HEX.test(hex)) throw new TargetError('invalid percent-encoding in path');
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(c);
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    throw new TargetError('percent-encoded path is not valid UTF-8');
  }
}

/** Decodes escapes of unreserved characters, upper-cases the rest (RFC 3986 §6.2.2). */
function canonicalEscapes(seg: string): string {
  if (!seg.includes('%')) return seg;
  return seg.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
}

function stripParams(seg: string): string {
  const i = seg.indexOf(';');
  return i >= 0 ? seg.slice(0, i) : seg;
}

function dropEmpty(segs: string[]): string[] {
  // A trailing empty segment is a trailing slash, not a `//`.
  const last = segs.length - 1;
  return segs.filter((s, i) => s !== '' || i === last);
}

/** RFC 3986 remove_dot_segments over segments (the root cannot be climbed above). */
function resolveDots(segs: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const last = i === segs.length - 1;
    if (s === '.') {
      if (last) out.push('');
    } else if (s === '..') {
      out.pop();
      if (last) out.push('');
    } else out.push(s);
  }
  return out;
}

function comparable(segs: string[]): string {
  return flatten(segs.flatMap((s) => s.split('/')).map(stripParams));
}

/** Joins segments for matching: `//` collapsed and no trailing slash. */
function flatten(segs: string[]): string {
  return trimSlash(`/${segs.join('/')}`.replace(/\/{2,}/g, '/'));
}

function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.replace(/\/+$/, '') || '/' : p;
}
