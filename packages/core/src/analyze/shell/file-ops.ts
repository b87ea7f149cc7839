// SFTP and scp operations as the command a shell user would have typed, so `shell.commands` and
// `shell.paths` rules apply to file transfers without a second rule language.
import type { FileCommand, FileOp, ShellUnit } from '../../types.js';
import { expandHome, normalisePath } from './paths.js';

/** File operation → equivalent command (and the flags it implies). */
export const FILE_OP_COMMANDS: Record<FileOp, { command: string; flags: string[] }> = {
  'open-read': { command: 'cat', flags: [] },
  read: { command: 'cat', flags: [] },
  'open-write': { command: 'tee', flags: [] },
  write: { command: 'tee', flags: [] },
  remove: { command: 'rm', flags: [] },
  rmdir: { command: 'rmdir', flags: [] },
  rename: { command: 'mv', flags: [] },
  mkdir: { command: 'mkdir', flags: [] },
  readdir: { command: 'ls', flags: [] },
  setstat: { command: 'chmod', flags: [] },
  symlink: { command: 'ln', flags: ['-s'] },
  stat: { command: 'stat', flags: [] },
  readlink: { command: 'stat', flags: [] },
  realpath: { command: 'stat', flags: [] },
};

export type FileOpResult = { unit: ShellUnit; resolved: string[] } | { error: string };

/**
 * Paths are resolved as an SFTP server does: relative to the login (home) directory; `~`, `.` and
 * `..` resolved. The unit's args hold the resolved paths; `paths` also keeps each path as sent.
 */
export function fileOpUnit(cmd: FileCommand, home: string): FileOpResult {
  const map = Object.hasOwn(FILE_OP_COMMANDS, cmd.op) ? FILE_OP_COMMANDS[cmd.op] : undefined;
  if (!map) return { error: `unknown file operation ${JSON.stringify(String(cmd.op))}` };
  if (!Array.isArray(cmd.paths) || cmd.paths.length === 0) return { error: `${cmd.op}: no path given` };
  const resolved: string[] = [];
  const paths: string[] = [];
  for (const p of cmd.paths) {
    if (typeof p !== 'string' || p === '') return { error: `${cmd.op}: empty or invalid path` };
    if (p.includes('\0')) return { error: `${cmd.op}: path contains a NUL byte` };
    if (p.length > 4096)
      return { error: `${cmd.op}: path too long (${p.length} characters; the limit is 4096)` };
    const expanded = expandHome(p, home);
    const abs = normalisePath(expanded.startsWith('/') ? expanded : `${home}/${expanded}`);
    resolved.push(abs);
    if (!paths.includes(abs)) paths.push(abs);
    if (!paths.includes(p)) paths.push(p);
  }
  const via = cmd.via === 'scp' ? 'scp' : 'sftp';
  return {
    unit: {
      kind: 'shell',
      command: map.command,
      args: [...map.flags, ...resolved],
      paths,
      dynamic: false,
      notes: [`${via}:${cmd.op}`],
      argc: map.flags.length + resolved.length,
    },
    resolved,
  };
}
