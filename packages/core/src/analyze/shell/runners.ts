// Programs that run shell commands they are handed in their own syntax — editor and debugger commands
// (`vim -c ':!rm -rf /'`, `gdb -ex 'shell …'`), terminal multiplexers (`tmux new 'cmd'`, `screen -dm cmd`,
// `tmux send-keys`), SQL clients' shell escapes (`psql -c '\! cmd'`, `mysql -e 'system cmd'`,
// `sqlite3 db '.shell cmd'`), `socat EXEC:cmd`, `make -f -`. Each says what it runs: a command line to
// analyse as shell code, or why what runs cannot be known (the line is flagged dynamic).
import type { Word } from './words.js';

export interface RunnerFinding {
  /** Command lines the program runs (analysed one level deeper). */
  lines: { text: string; label: string }[];
  /** Reasons the line runs code that cannot be known from it. */
  dynamic: string[];
}

const VIMS = new Set(['vim', 'vi', 'nvim', 'ex', 'view', 'gvim', 'vimdiff', 'nvi', 'elvis']);
/** Editor commands that reach a shell or an embedded interpreter. */
const VIM_CODE =
  /(^|[|:\s])(!|sh(ell)?\b|te(rm(inal)?)?\b|sy(stem)?\b|systemlist\b|py(thon)?3?\b|pyx?\b|py3do\b|lua\b|perl\b|rub(y)?\b|tcl\b|mz(scheme)?\b|exe(cute)?\b|cal(l)?\b|so(urce)?\b|r(ead)?\s*!|w(rite)?\s*!|e(dit)?\s+!|norm(al)?\b|redir\b|let\s+\$|!)/;

const TMUX_RUNS = new Set([
  'new',
  'new-session',
  'new-window',
  'neww',
  'split-window',
  'splitw',
  'respawn-pane',
  'respawnp',
  'respawn-window',
  'respawnw',
  'run-shell',
  'run',
  'pipe-pane',
  'pipep',
  'display-popup',
  'popup',
  'if-shell',
  'if',
]);
/** tmux options that take a value, over the subcommands above. */
const TMUX_VALUES = new Set([
  '-t',
  '-s',
  '-n',
  '-c',
  '-e',
  '-x',
  '-y',
  '-F',
  '-l',
  '-p',
  '-L',
  '-S',
  '-f',
  '-T',
  '-w',
  '-b',
  '-d',
]);
const TMUX_FLAGS_ONLY = new Set(['-d', '-b']); // flags on new/split/run (-d detached, -b background)

/** hyperfine options that take a value (-P takes three, -L two). */
const HYPERFINE_VALUES = new Set([
  '-w',
  '--warmup',
  '-m',
  '--min-runs',
  '-M',
  '--max-runs',
  '-r',
  '--runs',
  '-p',
  '--prepare',
  '-c',
  '--cleanup',
  '-s',
  '--setup',
  '--conclude',
  '-P',
  '--parameter-scan',
  '-D',
  '--parameter-step-size',
  '-L',
  '--parameter-list',
  '-S',
  '--shell',
  '--style',
  '--sort',
  '-u',
  '--time-unit',
  '--export-asciidoc',
  '--export-csv',
  '--export-json',
  '--export-markdown',
  '--export-orgmode',
  '--output',
  '--input',
  '-n',
  '--command-name',
  '--reference',
]);

/**
 * The values given to any of these options, in argument order: `--name=value`, `NAME value`, and for a
 * single-dash option its attached form (`-ofoo`, `-Iprog`).
 */
export function optionValues(args: Word[], names: readonly string[]): { name: string; value: Word }[] {
  const out: { name: string; value: Word }[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    for (const name of names) {
      let value: Word | undefined;
      if (name.startsWith('--') && a.text.startsWith(`${name}=`))
        value = { ...a, text: a.text.slice(name.length + 1) };
      else if (a.text === name) value = args[i + 1];
      else if (!name.startsWith('--') && a.text.startsWith(name) && a.text.length > name.length)
        value = { ...a, text: a.text.slice(name.length) };
      if (value) out.push({ name, value });
    }
  }
  return out;
}

const values = (args: Word[], names: readonly string[]): Word[] =>
  optionValues(args, names).map((v) => v.value);

/**
 * Programs that, given no command of their own, read commands from stdin in a language with a shell
 * escape (`psql` `\\!`, `mysql` `system`, `sqlite3` `.shell`, `ed`/`ex` `!`, gdb `shell`). `given`
 * says the line handed them their commands already, so stdin is data.
 */
export const STDIN_COMMANDS: Record<string, { given: (texts: string[]) => boolean; escape: RegExp }> = {
  psql: {
    given: (t) =>
      t.some(
        (x) => /^(-c|--command|-l|--list|-V|--version|-\?|--help)(=|$)/.test(x) || /^-[a-zA-Z]*c/.test(x),
      ) || t.some((x, i) => (x === '-f' || x === '--file') && t[i + 1] !== '-' && t[i + 1] !== '/dev/stdin'),
    escape: /\\!|\\o\s*\||\\g\s*\||\\copy[^\n]*\bprogram\b|\\setenv\s+PAGER|\\(i|ir|include)\b/i,
  },
  mysql: {
    given: (t) => t.some((x) => /^(-e|--execute|-V|--version|--help)(=|$)/.test(x) || /^-e./.test(x)),
    escape: /\\!|^\s*(system|\\!|pager|source|\\\.)\b|\bpager\b/im,
  },
  mariadb: {
    given: (t) => t.some((x) => /^(-e|--execute|-V|--version|--help)(=|$)/.test(x) || /^-e./.test(x)),
    escape: /\\!|^\s*(system|\\!|pager|source|\\\.)\b|\bpager\b/im,
  },
  sqlite3: {
    // `sqlite3 DB SQL`: the second operand is the SQL.
    given: (t) => t.filter((x) => !x.startsWith('-')).length >= 2,
    escape: /^\s*\.(shell|system|once|output|read|load)\b/im,
  },
  ed: { given: () => false, escape: /!/ },
  red: { given: () => false, escape: /!/ },
  ex: { given: () => false, escape: VIM_CODE },
  gdb: { given: () => false, escape: /^\s*(shell|!|pipe|\||python|py|source|define)\b/im },
  sftp: {
    given: (t) => !t.some((x, i) => x === '-b' && (t[i + 1] === '-' || t[i + 1] === '/dev/stdin')),
    escape: /^\s*!/m,
  },
  ftp: { given: () => false, escape: /^\s*!/m },
  lftp: { given: (t) => t.includes('-c') || t.includes('-f'), escape: /^\s*!|\bshell\b/m },
};

/** What `command args…` runs besides itself, if it is one of the programs above. */
export function runnerFinding(
  command: string,
  args: Word[],
  stdinIsCode: boolean,
): RunnerFinding | undefined {
  const f: RunnerFinding = { lines: [], dynamic: [] };
  const texts = args.map((a) => a.text);
  if (VIMS.has(command)) {
    const cmds = [
      ...values(args, ['-c', '--cmd']),
      ...args
        .filter((a) => a.text.startsWith('+') && a.text.length > 1)
        .map((a) => ({ ...a, text: a.text.slice(1) })),
    ];
    for (const c of cmds) {
      if (!c.literal) f.dynamic.push(`${command} runs editor commands that are not literal`);
      else if (VIM_CODE.test(c.text)) {
        const bang = /(?:^|[|:\s])!(.+)$/.exec(c.text);
        if (bang) f.lines.push({ text: bang[1]!, label: `${command} :!` });
        f.dynamic.push(`${command} -c ${JSON.stringify(c.text)} runs a shell or script from the editor`);
      }
    }
    if (values(args, ['-S']).length > 0) f.dynamic.push(`${command} -S runs an editor script`);
    if (texts.includes('-s') || texts.includes('-es') || texts.includes('-Es'))
      f.dynamic.push(`${command} -s reads editor commands from input`);
    return f;
  }
  switch (command) {
    case 'gdb':
    case 'lldb':
    case 'pdb': {
      const cmds = values(args, [
        '-ex',
        '--eval-command',
        '-iex',
        '--init-eval-command',
        '-o',
        '--one-line',
        '-x',
        '--command',
        '-s',
        '--source',
      ]);
      if (cmds.length > 0) f.dynamic.push(`${command} runs debugger commands (which can run a shell)`);
      return f;
    }
    case 'tmux': {
      let i = 0;
      while (i < args.length && args[i]!.text.startsWith('-'))
        i += ['-L', '-S', '-f', '-T'].includes(args[i]!.text) ? 2 : 1;
      const sub = args[i]?.text;
      if (sub === undefined) return undefined;
      if (
        sub === 'send-keys' ||
        sub === 'send' ||
        sub === 'paste-buffer' ||
        sub === 'pasteb' ||
        sub === 'set-buffer' ||
        sub === 'setb' ||
        sub === 'load-buffer' ||
        sub === 'loadb'
      ) {
        f.dynamic.push(`tmux ${sub} types text into a shell`);
        return f;
      }
      if (!TMUX_RUNS.has(sub)) return undefined;
      let j = i + 1;
      while (j < args.length && args[j]!.text.startsWith('-') && args[j]!.text !== '--') {
        const t = args[j]!.text;
        j += TMUX_VALUES.has(t) && !TMUX_FLAGS_ONLY.has(t) ? 2 : 1;
      }
      if (args[j]?.text === '--') j++;
      const rest = args.slice(j);
      if (rest.length === 0) return f;
      if (!rest.every((w) => w.literal)) f.dynamic.push(`tmux ${sub} runs a command that is not literal`);
      else if (sub === 'if-shell' || sub === 'if')
        for (const w of rest) f.lines.push({ text: w.text, label: `tmux ${sub}` });
      else f.lines.push({ text: rest.map((w) => w.text).join(' '), label: `tmux ${sub}` });
      return f;
    }
    case 'psql':
    case 'mysql':
    case 'mariadb': {
      const sql = command === 'psql' ? values(args, ['-c', '--command']) : values(args, ['-e', '--execute']);
      for (const s of sql) {
        if (!s.literal) continue;
        const m =
          /\\!\s*(.*)$/s.exec(s.text) ??
          (command !== 'psql' ? /(?:^|;)\s*system\s+(.*)$/is.exec(s.text) : null);
        if (m) {
          f.dynamic.push(`${command} runs a shell command from its own prompt (\\!)`);
          if (m[1]) f.lines.push({ text: m[1].split(/\\[a-z]/)[0]!, label: `${command} \\!` });
        }
      }
      if (
        command === 'psql' &&
        values(args, ['-f', '--file']).some((w) => w.text === '-' || w.text === '/dev/stdin') &&
        stdinIsCode
      )
        f.dynamic.push('psql reads commands (which may escape to a shell) from input');
      return f;
    }
    case 'sqlite3': {
      for (const a of [...args, ...values(args, ['-cmd'])]) {
        const m = /^\s*\.(shell|system)\s+(.*)$/s.exec(a.text);
        if (m && a.literal) {
          f.dynamic.push(`sqlite3 .${m[1]} runs a shell command`);
          f.lines.push({ text: m[2]!, label: `sqlite3 .${m[1]}` });
        }
      }
      return f;
    }
    case 'socat': {
      for (const a of args) {
        const m = /^(exec|system):(.*)$/is.exec(a.text);
        if (!m) continue;
        if (!a.literal) f.dynamic.push('socat runs a command that is not literal');
        else {
          // socat splits address options after the first unquoted comma
          const cmd = m[2]!.split(',')[0]!;
          f.lines.push({ text: cmd, label: `socat ${m[1]!.toUpperCase()}` });
        }
      }
      return f;
    }
    case 'screen': {
      // The command itself is unwrapped by the wrapper table; -X sends commands (`stuff` types keys) to a session.
      if (args.some((a) => /^-[A-Za-z]*X/.test(a.text)))
        f.dynamic.push('screen -X sends commands to a running session');
      return f;
    }
    case 'less':
    case 'more': {
      // `+cmd` runs a pager command at start; `!cmd` in it is a shell escape.
      for (const a of args) {
        const m = /^\+.*?!(.*)$/s.exec(a.text);
        if (!m) continue;
        f.dynamic.push(`${command} ${a.text.slice(0, 20)} runs a shell command from the pager`);
        if (a.literal && m[1]) f.lines.push({ text: m[1], label: `${command} !` });
      }
      return f;
    }
    case 'hyperfine': {
      // Every operand is a command line (options with a value are skipped; -p/-c/-s are COMMAND_OPTIONS).
      for (let i = 0; i < args.length; i++) {
        const t = args[i]!.text;
        if (t.startsWith('-')) {
          if (HYPERFINE_VALUES.has(t))
            i += t === '-P' || t === '--parameter-scan' ? 3 : t === '-L' || t === '--parameter-list' ? 2 : 1;
          continue;
        }
        if (args[i]!.literal) f.lines.push({ text: t, label: 'hyperfine' });
        else f.dynamic.push('hyperfine runs a command that is not literal');
      }
      return f;
    }
    case 'concurrently': {
      for (let i = 0; i < args.length; i++) {
        const t = args[i]!.text;
        if (t.startsWith('-')) {
          if (
            /^-[npcsk]$|^--(names|prefix|prefix-colors|success|kill-others-on-fail|restart-tries|restart-after|max-processes|timestamp-format|handle-input|default-input-target|cwd)$/.test(
              t,
            )
          )
            i++;
          continue;
        }
        if (args[i]!.literal) f.lines.push({ text: t, label: 'concurrently' });
        else f.dynamic.push('concurrently runs a command that is not literal');
      }
      return f;
    }
    case 'ansible': {
      // The default module is `command`; shell/command/raw/script take a command line in -a.
      const module = values(args, ['-m', '--module-name']).pop()?.text ?? 'command';
      if (!/^(ansible\.builtin\.)?(shell|command|raw|script)$/.test(module)) return f;
      for (const a of values(args, ['-a', '--args'])) {
        if (a.literal) f.lines.push({ text: a.text, label: `ansible -m ${module}` });
        else f.dynamic.push('ansible runs a command that is not literal');
      }
      return f;
    }
    case 'salt':
    case 'salt-call':
    case 'salt-ssh': {
      const k = args.findIndex((a) => /^cmd\.(run|shell|script|run_all|run_stdout|exec_code)$/.test(a.text));
      if (k < 0) return f;
      const cmd = args.slice(k + 1).find((a) => !a.text.startsWith('-'));
      if (cmd?.literal) f.lines.push({ text: cmd.text, label: `salt ${args[k]!.text}` });
      else if (cmd) f.dynamic.push('salt runs a command that is not literal');
      return f;
    }
    case 'npm':
    case 'pnpm':
    case 'yarn': {
      // The shell package scripts run with: every later `npm run` runs through it.
      if (texts.some((t) => t === '--script-shell' || t.startsWith('--script-shell=')))
        f.dynamic.push(`${command} --script-shell runs package scripts with another program`);
      const k = texts.indexOf('config');
      if (k >= 0 && texts[k + 1] === 'set' && /^script-shell(=|$)/.test(texts[k + 2] ?? ''))
        f.dynamic.push(`${command} config set script-shell changes the program package scripts run with`);
      return f;
    }
    case 'make':
    case 'gmake': {
      if (texts.some((t) => /^(SHELL|MAKESHELL|\.SHELLFLAGS)=/.test(t)))
        f.dynamic.push(`${command} SHELL= runs every recipe with another program`);
      const files = values(args, ['-f', '--file', '--makefile']);
      if (files.some((w) => w.text === '-' || w.text === '/dev/stdin' || !w.literal))
        f.dynamic.push(`${command} reads its rules (shell recipes) from input`);
      if (values(args, ['--eval', '-E']).length > 0)
        f.dynamic.push(`${command} --eval adds rules (shell recipes) from the line`);
      return f;
    }
  }
  return undefined;
}
