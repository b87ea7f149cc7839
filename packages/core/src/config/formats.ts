// Value formats the schema names (`format: duration` …), each with the message a user sees.
import { RE2JS } from 're2js';
import { parseSshPublicKey, SSH_KEY_TYPES } from '../identity/ssh-keys.js';
import { isRedisUrl, parseRedisUrl } from '../redis/client.js';
import { parseDuration, parseSize } from './units.js';

/** Returns undefined when valid, else what is wrong. */
type Check = (value: string) => string | undefined;

function listenProblem(v: string): string | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(v);
  if (!m) return `"${v}" is not host:port (e.g. 127.0.0.1:15432, [::1]:2222)`;
  if (Number(m[3]) > 65535) return `port ${m[3]} is out of range (0-65535)`;
  return undefined;
}

export function globProblem(v: string): string | undefined {
  if (v === '') return 'an empty glob matches nothing';
  let braces = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '\\') {
      if (i + 1 >= v.length) return `glob "${v}" ends with a lone backslash`;
      i++;
    } else if (c === '[') {
      const end = v.indexOf(']', i + 2);
      if (end < 0) return `glob "${v}" has an unclosed "["`;
      i = end;
    } else if (c === '{') braces++;
    else if (c === '}') {
      if (braces === 0) return `glob "${v}" has a "}" without "{"`;
      braces--;
    }
  }
  return braces > 0 ? `glob "${v}" has an unclosed "{"` : undefined;
}

export function re2Problem(v: string): string | undefined {
  try {
    RE2JS.compile(v);
    return undefined;
  } catch (err) {
    return `invalid regular expression (RE2 syntax): ${(err as Error).message}`;
  }
}

function urlProblem(v: string, schemes: string[]): string | undefined {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return `"${v}" is not a URL`;
  }
  const scheme = u.protocol.replace(/:$/, '');
  return schemes.includes(scheme) ? undefined : `URL scheme must be ${schemes.join(' or ')}, not "${scheme}"`;
}

function storeUrlProblem(v: string): string | undefined {
  if (v.startsWith('file:'))
    return v.length > 5 ? undefined : 'file: needs a directory (file:./data/sessions)';
  if (isRedisUrl(v)) {
    try {
      parseRedisUrl(v);
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }
  return `"${v}" must be redis://…, rediss://…, redis-cluster://host:port,host:port…, rediss-cluster://… or file:DIR`;
}

function jsonPathProblem(v: string): string | undefined {
  if (!v.startsWith('$')) return `JSONPath "${v}" must start with $`;
  let depth = 0;
  for (const c of v) {
    if (c === '[') depth++;
    else if (c === ']' && --depth < 0) break;
  }
  return depth === 0 ? undefined : `JSONPath "${v}" has unbalanced brackets`;
}

function sshKeyProblem(v: string): string | undefined {
  const parts = v.trim().split(/\s+/);
  if (parts.length < 2) return 'expected "<type> <base64 key> [comment]", as in authorized_keys';
  if (!(SSH_KEY_TYPES as readonly string[]).includes(parts[0])) {
    return `unknown key type "${parts[0]}" (expected one of: ${SSH_KEY_TYPES.join(', ')})`;
  }
  return undefined;
}

export const FORMATS: Record<string, Check> = {
  duration: (v) =>
    parseDuration(v) === undefined ? `"${v}" is not a duration (e.g. 250ms, 30s, 5m, 1h, 30d)` : undefined,
  size: (v) =>
    parseSize(v) === undefined ? `"${v}" is not a size (e.g. 1024, 64KiB, 64MiB, 1MB)` : undefined,
  listen: listenProblem,
  glob: globProblem,
  re2: re2Problem,
  url: (v) => urlProblem(v, ['http', 'https']),
  'store-url': storeUrlProblem,
  jsonpath: jsonPathProblem,
  // Shape only: documentation examples elide key data ("AAAA..."); the full check is a warning.
  'ssh-public-key': sshKeyProblem,
};

/** A full parse of an SSH public key line, for warnings (a key that can never match). */
export function sshKeyWarning(v: string): string | undefined {
  const r = parseSshPublicKey(v);
  return r.ok ? undefined : `${r.error}: this key can never match`;
}
