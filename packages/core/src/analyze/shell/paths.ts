// Which arguments are paths, and their normal form (so `/etc/../etc/shadow` matches `/etc/shadow`).

/** Commands whose every operand is a file (so `cat .env` and `rm foo` report their operands). */
export const FILE_COMMANDS = new Set([
  'rm',
  'rmdir',
  'unlink',
  'shred',
  'cat',
  'tac',
  'less',
  'more',
  'head',
  'tail',
  'cp',
  'mv',
  'ln',
  'install',
  'chmod',
  'chown',
  'chgrp',
  'chattr',
  'touch',
  'mkdir',
  'tee',
  'truncate',
  'vi',
  'vim',
  'nvim',
  'nano',
  'emacs',
  'ed',
  'source',
  '.',
  'stat',
  'ls',
  'du',
  'file',
  'wc',
  'sort',
  'uniq',
  'diff',
  'cmp',
  'strings',
  'xxd',
  'hexdump',
  'od',
  'base64',
  'md5sum',
  'sha1sum',
  'sha256sum',
  'sha512sum',
  'dd',
  'tar',
  'zip',
  'unzip',
  'gzip',
  'gunzip',
  'zcat',
  'bzip2',
  'xz',
  'scp',
  'rsync',
  'sudoedit',
  'readlink',
  'realpath',
  'basename',
  'dirname',
  'grep',
  'egrep',
  'fgrep',
  'rg',
  'cd',
  'pushd',
  'nl',
  'cut',
  'paste',
  'jq',
  'yq',
  'openssl',
  'gpg',
  'sqlite3',
  'mount',
  'umount',
  'mkfs',
  'wipefs',
  'srm',
]);

/** Does this word look like a path even without a file command (contains `/`, starts `~` or `.`)? */
export function looksLikePath(w: string): boolean {
  if (w === '' || w === '-' || w.length > 4096) return false;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(w)) return false; // URLs are not local paths
  if (w[0] === '/' || w[0] === '~' || w[0] === '.') return true;
  // A relative path with a slash; text with whitespace around a slash is code or prose, not a path.
  return w.includes('/') && !/\s/.test(w);
}

/** Collapses `//`, `.` and (for absolute paths) `..` segments. Relative `..` at the front is kept. */
export function normalisePath(p: string): string {
  if (p === '' || (!p.includes('//') && !/(^|\/)\.\.?(\/|$)/.test(p))) return p;
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  if (abs) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

const BRACED_HOME = '$' + '{HOME}';

/** Expands a leading `~`/`~user` and `$HOME`/`${HOME}` (for paths that arrive as plain text: SFTP). */
export function expandHome(p: string, home: string): string {
  if (p === '~' || p.startsWith('~/')) return home + p.slice(1);
  const user = /^~([A-Za-z0-9._-]+)(\/|$)/.exec(p);
  if (user) return (user[1] === 'root' ? '/root' : `/home/${user[1]}`) + p.slice(1 + user[1]!.length);
  if (p.startsWith('$HOME')) return home + p.slice(5);
  if (p.startsWith(BRACED_HOME)) return home + p.slice(BRACED_HOME.length);
  return p;
}

/** The default home for a user: `/root` for root (and when unknown), `/home/<user>` otherwise. */
export function defaultHome(user: string | undefined): string {
  return !user || user === 'root' ? '/root' : `/home/${user}`;
}
