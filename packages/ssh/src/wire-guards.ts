// Checks on what the SSH protocol carries beside the command itself: env requests, the pty's
// terminal modes, and exec commands that start a file-transfer server the gateway cannot judge.
import type { PseudoTtyInfo } from 'ssh2';

/**
 * Names an `env` request may never set, on top of core's list (LD_*, BASH_ENV, ENV, PATH, PS4,
 * PROMPT_COMMAND, SHELLOPTS, GIT_* …), whatever env_allow says: each makes the upstream shell or a
 * program it starts run code the gateway never judged (prompts expand $(…), pagers and editors are
 * commands, rc files are read from HOME/ZDOTDIR/INPUTRC) or changes where a judged command runs.
 */
const NEVER_ENV = [
  /^PS[0-9]$/,
  /^PROMPT_/,
  /^BASH_/,
  /^SHELLOPTS$/,
  /^BASHOPTS$/,
  /PAGER$/,
  /EDITOR$/,
  /^VISUAL$/,
  /^LESS/,
  /^INPUTRC$/,
  /^ZDOTDIR$/,
  /^HOME$/,
  /^SHELL$/,
  /^TERMINFO/,
  /^TMPDIR$/,
  /^MAIL/,
  /^SSH_/,
  /^XDG_/,
  /^FPATH$/,
  /^HISTFILE/,
  /^HISTCONTROL$/,
  /^HISTIGNORE$/,
  /^TMOUT$/,
  /^JAVA_TOOL_OPTIONS$/,
  /^_JAVA_OPTIONS$/,
  /^GCONV_PATH$/,
  /^LOCPATH$/,
  /^NLSPATH$/,
  /^MANOPT$/,
  /^BROWSER$/,
];

/** Why an env request is not forwarded even though the policy's env_allow admits the name; undefined: it may go. */
export function envRefusal(name: string, value: string): string | undefined {
  if (NEVER_ENV.some((re) => re.test(name))) return `${name} can make the shell run unjudged code`;
  if (value.length > 1024) return 'value longer than 1024 bytes';
  // A value is data, never code: nothing a shell or a prompt would expand or a terminal would act on.
  if (/[\x00-\x1f\x7f`]|\$[({]/.test(value)) return 'value holds control characters or shell expansions';
  return undefined;
}

/**
 * The terminal modes forwarded to the upstream pty. Everything else the agent's client sends
 * (ECHO/ICANON off, VERASE/VKILL/VWERASE/VLNEXT/VEOL remapped …) is dropped, so the upstream tty
 * keeps its defaults and the line the gateway's terminal model shows is the line the shell runs.
 */
const PTY_MODES = new Set(['IUTF8', 'TTY_OP_ISPEED', 'TTY_OP_OSPEED']);

export function safePtyModes(modes: PseudoTtyInfo['modes'] | undefined): {
  modes: Record<string, number>;
  dropped: string[];
} {
  const out: Record<string, number> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(modes ?? {})) {
    if (typeof value !== 'number') continue;
    if (PTY_MODES.has(name)) out[name] = value;
    else dropped.push(name);
  }
  return { modes: out, dropped };
}

/** A pty-req's TERM as the upstream gets it: a terminal name, or `xterm` (sshd puts it in the shell's environment). */
export function terminalName(term: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/.test(term) ? term : 'xterm';
}

/** The most env requests one channel may set (each is a name the policy admits). */
export const MAX_ENV = 64;

/** The gateway's terminal model keeps at most this many columns/rows (terminal-line.ts). */
const MAX_TERMINAL = 2000;

/**
 * The size the upstream pty and the gateway's terminal model both get: an agent's 0 (unknown) or
 * oversized value would otherwise reach the upstream as is while the model kept another width, and
 * readline's cursor moves on the real width would draw a different line in the model than the shell holds.
 */
export function terminalSize(cols: number, rows: number): { cols: number; rows: number } {
  const fit = (n: number, fallback: number) =>
    Number.isInteger(n) && n > 0 ? Math.min(n, MAX_TERMINAL) : fallback;
  return { cols: fit(cols, 80), rows: fit(rows, 24) };
}

/** Programs that speak a file-transfer protocol on stdin/stdout; the gateway judges them only as subsystems. */
const FILE_SERVERS = ['sftp-server', 'internal-sftp'];

/**
 * Does an exec command start an SFTP server (`sftp -s /usr/lib/openssh/sftp-server` sends it as an
 * exec)? Its requests would travel as plain stdin, never judged by path. Any word naming one counts,
 * also through quotes, backslashes or a glob (`/usr/lib/openssh/sftp-serv?r`).
 */
export function startsFileServer(command: string): string | undefined {
  const words = command.replace(/['"\\]/g, '').split(/[\s;&|()<>`=]+/);
  for (const word of words) {
    const base = word.split('/').pop() ?? '';
    // A glob naming almost nothing (`ls *`, `rm logs/*`) is not taken as naming a server; one with
    // a letter of the name in a path (`…/openssh/s*`), or four in a bare word (`sftp*`), is.
    const literal = base.replace(/[*?[\]{},!]/g, '').length;
    if (literal < (word.includes('/') ? 1 : 4)) continue;
    const re = globRegExp(base);
    const hit = FILE_SERVERS.find((s) => re.test(s));
    if (hit) return hit;
  }
  return undefined;
}

function globRegExp(word: string): RegExp {
  let src = '';
  for (let i = 0; i < word.length; i++) {
    const c = word[i];
    if (c === '*') src += '.*';
    else if (c === '?') src += '.';
    else if (c === '[') {
      const end = word.indexOf(']', i + 2);
      if (end < 0) src += '\\[';
      else {
        src += `[${word
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '{')
      src += '.*'; // brace expansion: anything may come out of it
    else if (c === '}' || c === ',') src += '.*';
    else src += c.replace(/[.+^$()|\\/]/g, '\\$&');
  }
  try {
    return new RegExp(`^${src}$`);
  } catch {
    return /^.*$/; // a word the gateway cannot read as a glob is taken to name anything
  }
}
