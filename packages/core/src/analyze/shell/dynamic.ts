// What makes a command "dynamic": its real effect cannot be known from the text. One table for
// commands, one for variables; analyze.ts consults them and writes the reason into the unit's notes.

/** Commands that are dynamic by themselves (the condition is checked in analyze.ts). */
export const DYNAMIC_COMMANDS: Record<string, string> = {
  eval: 'always: runs a string as shell code (a literal string is also parsed, for its commands)',
  source:
    'when the file is not literal, is stdin/a pipe/<(…), or was written or downloaded earlier in the same input',
  '.': 'as source',
  alias: 'when it defines an alias (changes what a later word runs); the alias body is analysed too',
  trap: 'when it installs a handler (runs later); the handler string is analysed too',
  bind: 'with -x (runs a command on a key press) or any key binding or macro (a key could type and run a hidden line)',
  stty: 'any setting but queries and sizes (echo, erase, eol … make the screen an unreliable view of the line)',
  'psql, mysql, sqlite3, ed, ex, gdb, sed -f -': 'reading commands from a pipe (their shell escapes)',
  '$(… | base64 -d) and other decoded words': 'always (the real word is made at run time)',
  'a program built in the same input (gcc && ./a.out)': 'always, like a downloaded script',
  hash: 'with -p (maps a name to any file)',
  enable: 'with -f (loads a builtin from a shared object) or -n (disables a builtin so PATH is searched)',
  complete: 'with -C (runs a command on completion)',
  compgen: 'with -C',
  shopt: 'with -s expand_aliases',
  exec: 'with no command but a stdin redirection (the shell reads the rest of its commands from it)',
  crontab: 'unless -l (installs commands that run later)',
  fc: 'unless -l (re-runs commands from the history, which the text does not show)',
  r: 'always (ksh/zsh alias of fc -e -: re-runs a command from the history)',
  '!! / !n / !str as a command word':
    'always (history expansion: runs an earlier command the text does not show)',
  at: 'always (queues commands read from stdin); a literal heredoc is also analysed',
  batch: 'as at',
  'function definition': 'always (changes what a later word runs); the body is analysed too',
  'sh, bash, zsh … (SHELLS)':
    'when reading commands from stdin or a non-literal/downloaded script; -c with a non-literal string',
  'python, perl, ruby, node, php, lua, Rscript … (INTERPRETERS)':
    'when reading code from stdin, or when -c/-e code can run programs, evaluate code, decode or delete files (INLINE_CODE_RISK)',
  'awk, gawk, mawk, nawk': 'when the program calls system(), pipes to or from a command, or uses |&',
  sed: 'when the script uses the GNU `e` command or the `e` flag of s///',
  git: 'with -c or `git config` setting a key that runs a command or loads hooks (GIT_EXEC_KEYS)',
  '$x / ${x} / $(…) / `…` as a command name': 'always (a known literal value is reported as the command too)',
  'glob in a command name (/bin/r?)': 'always',
};

/** Shells: `-c STRING` is re-parsed; no script operand means commands come from stdin. */
export const SHELLS = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'ksh93',
  'mksh',
  'ash',
  'rbash',
  'yash',
  'posh',
  'lksh',
  'oksh',
  'fish',
  'csh',
  'tcsh',
]);

/** Interpreters: the options that carry inline code, and those that take a value. */
export interface InterpreterSpec {
  inline: string[];
  /** Short options that take a value (so their value is not mistaken for the script). */
  short: string;
  long?: string[];
  /** Options after which the rest is arguments to a module, not a script file (python -m). */
  module?: string[];
}

const PYTHON: InterpreterSpec = { inline: ['-c'], short: 'WX', module: ['-m'] };
export const INTERPRETERS: Record<string, InterpreterSpec> = {
  python: PYTHON,
  pypy: PYTHON,
  pypy3: PYTHON,
  perl: { inline: ['-e', '-E'], short: 'IMmx' },
  ruby: { inline: ['-e'], short: 'IrCEx' },
  irb: { inline: [], short: 'I' },
  node: {
    inline: ['-e', '--eval', '-p', '--print'],
    short: 'r',
    long: ['--require', '--import', '--loader', '--input-type'],
  },
  nodejs: {
    inline: ['-e', '--eval', '-p', '--print'],
    short: 'r',
    long: ['--require', '--import', '--loader'],
  },
  bun: { inline: ['-e', '--eval', '-p', '--print'], short: '' },
  deno: { inline: [], short: '' },
  php: { inline: ['-r', '-B', '-R', '-E'], short: 'cdz' },
  lua: { inline: ['-e'], short: 'l' },
  luajit: { inline: ['-e'], short: 'l' },
  Rscript: { inline: ['-e'], short: '' },
  osascript: { inline: ['-e'], short: '' },
  tclsh: { inline: [], short: '' },
  wish: { inline: [], short: '' },
  expect: { inline: ['-c'], short: 'f' },
  julia: { inline: ['-e', '--eval', '-E', '--print'], short: 'LJ', long: ['--project', '--load'] },
  groovy: { inline: ['-e'], short: 'c' },
  scala: { inline: ['-e'], short: '' },
  jshell: { inline: [], short: '' },
  // PowerShell can do anything in a line (`rm -r /data` is Remove-Item): its inline code is never read as safe.
  pwsh: { inline: ['-c', '-Command', '-command', '-EncodedCommand', '-e', '-ec'], short: '' },
  powershell: { inline: ['-c', '-Command', '-command', '-EncodedCommand', '-e', '-ec'], short: '' },
};

/** `python3.11` and friends share python's spec. */
export function interpreterFor(command: string): InterpreterSpec | undefined {
  const spec = INTERPRETERS[command];
  if (spec) return spec;
  if (/^python[0-9.]*$/.test(command)) return PYTHON;
  if (/^(perl|ruby|php|lua|node)[0-9.]+$/.test(command)) return INTERPRETERS[command.replace(/[0-9.]+$/, '')];
  return undefined;
}

export const AWKS = new Set(['awk', 'gawk', 'mawk', 'nawk']);

/** Inline interpreter code that can run programs, evaluate code, hide itself, or delete files. */
export const INLINE_CODE_RISK =
  /system|exec|popen|spawn|subprocess|\bos\b|\bpty\b|child_process|shell_exec|passthru|proc_open|pcntl|Runtime|ProcessBuilder|Open3|Kernel|eval|__import__|importlib|getattr|compile|ctypes|require\s*\(|import\s*\(|process\.(binding|dlopen)|Function\s*\(|`|\bqx\b|%x|\bopen\s*\(?[^)]*\||\bfork\b|dlopen|b64decode|base64|atob|fromCharCode|\bchr\s*\(|\\x[0-9a-fA-F]{2}|\\[0-7]{3}|unlink|rmtree|rmdir|\bremove\b|shutil|\bfs\b|FileUtils|File\.delete|socket|file\s+delete|removeSync|rmSync|Deno\.|\brun\s*\(`|Remove-Item|Invoke-|iex\b|\brm\s|\bdel\s|Start-Process/;

export const AWK_RISK = /system\s*\(|\|\s*getline|\bprint[f]?\b[^;}]*\|(?!\|)|\|&/;

/** GNU sed's `e` command (line start, after an address or `;`) or the `e` flag of `s///`. */
export const SED_RISK = /(^|[;\n{}\d$/])\s*e(\s|;|$)|s(.)(?:\\.|(?!\3).)*\3(?:\\.|(?!\3).)*\3[gpiImMw0-9]*e/;

/** Variables that change what later commands run (assigned, exported, or as a command prefix). */
export const STATE_VARIABLES: Record<string, string> = {
  PATH: 'changes where command names are looked up',
  HOME: 'changes what ~ and $HOME mean',
  IFS: 'changes how later words are split',
  LD_PRELOAD: 'loads a library into every program',
  LD_LIBRARY_PATH: 'changes which libraries programs load',
  LD_AUDIT: 'loads an audit library into every program',
  BASH_ENV: 'a file every non-interactive bash runs first',
  ENV: 'a file sh runs first',
  PROMPT_COMMAND: 'runs before every prompt',
  PS0: 'prompt strings run $(…) when shown',
  PS1: 'prompt strings run $(…) when shown',
  PS2: 'prompt strings run $(…) when shown',
  PS4: 'prompt strings run $(…) when shown',
  SHELLOPTS: 'turns on shell options in child shells',
  BASHOPTS: 'turns on shell options in child shells',
  PERL5OPT: 'adds options (e.g. -M modules) to every perl',
  PERL5LIB: 'changes where perl loads modules',
  PERLLIB: 'changes where perl loads modules',
  RUBYOPT: 'adds options to every ruby',
  RUBYLIB: 'changes where ruby loads code',
  PYTHONPATH: 'changes where python loads modules',
  PYTHONSTARTUP: 'a file python runs first',
  PYTHONHOME: "changes python's library location",
  NODE_OPTIONS: 'adds options (e.g. --require) to every node',
  NODE_PATH: 'changes where node loads modules',
  JAVA_TOOL_OPTIONS: 'adds options (e.g. -javaagent) to every JVM',
  _JAVA_OPTIONS: 'adds options to every JVM',
  GIT_SSH_COMMAND: 'a command git runs',
  GIT_SSH: 'a program git runs',
  GIT_EXEC_PATH: 'where git finds its subcommands',
  GIT_PAGER: 'a command git runs',
  GIT_EDITOR: 'a command git runs',
  GIT_ASKPASS: 'a program git runs',
  GIT_EXTERNAL_DIFF: 'a command git runs',
  GIT_PROXY_COMMAND: 'a command git runs',
  GIT_CONFIG_PARAMETERS: 'git config that may run commands',
  SSH_ASKPASS: 'a program ssh runs',
  SUDO_ASKPASS: 'a program sudo runs',
  PAGER: 'a command many programs run',
  MANPAGER: 'a command man runs',
  EDITOR: 'a command many programs run',
  VISUAL: 'a command many programs run',
  LESSOPEN: 'a command less runs on every file',
  LESSCLOSE: 'a command less runs on every file',
  BROWSER: 'a command many programs run',
  INPUTRC: 'changes what keys do in the line editor',
  CDPATH: 'changes where cd looks for a directory',
};

/** Of those, the ones whose value is itself a command line: a literal value is analysed too. */
export const COMMAND_VARIABLES = new Set([
  'PROMPT_COMMAND',
  'GIT_SSH_COMMAND',
  'GIT_PAGER',
  'GIT_EDITOR',
  'GIT_EXTERNAL_DIFF',
  'GIT_PROXY_COMMAND',
  'PAGER',
  'MANPAGER',
  'EDITOR',
  'VISUAL',
  'LESSOPEN',
  'LESSCLOSE',
  'BROWSER',
]);

export function stateVariable(name: string): string | undefined {
  if (name.startsWith('BASH_FUNC_')) return 'an exported shell function';
  if (/^npm_config_script_shell$/i.test(name)) return 'the shell npm runs package scripts with';
  if (name.startsWith('GIT_CONFIG_')) return 'git config that may run commands';
  return Object.hasOwn(STATE_VARIABLES, name) ? STATE_VARIABLES[name] : undefined;
}

/** Commands whose output is decoded text: used as a word, the real word cannot be known. */
const DECODERS: Record<string, (args: string[]) => boolean> = {
  base64: (a) => a.some((x) => x === '--decode' || /^-[a-zA-Z]*[dD]/.test(x)),
  base32: (a) => a.some((x) => x === '--decode' || /^-[a-zA-Z]*d/.test(x)),
  basenc: (a) => a.some((x) => x === '--decode' || /^-[a-zA-Z]*d/.test(x)),
  xxd: (a) => a.some((x) => /^-[a-zA-Z]*r/.test(x) || x === '-revert'),
  openssl: (a) => a.includes('-d'),
  uudecode: () => true,
  rev: () => true,
  gunzip: () => true,
  zcat: () => true,
  bzcat: () => true,
  xzcat: () => true,
  unxz: () => true,
  gzip: (a) => a.some((x) => x === '--decompress' || /^-[a-zA-Z]*d/.test(x)),
  bzip2: (a) => a.some((x) => x === '--decompress' || /^-[a-zA-Z]*d/.test(x)),
  xz: (a) => a.some((x) => x === '--decompress' || /^-[a-zA-Z]*d/.test(x)),
  zstd: (a) => a.some((x) => x === '--decompress' || /^-[a-zA-Z]*d/.test(x)),
  // Escapes (`\x2f`, `\057`) and %b spell any text.
  printf: (a) => a.some((x) => x.includes('\\') || x.includes('%b')),
  echo: (a) => a.some((x) => /^-[neE]*e[neE]*$/.test(x)) && a.some((x) => x.includes('\\')),
};

/** Commands that rewrite text: fed literal text (`echo /etc/shaXow | tr X d`) they spell a hidden word. */
export const TRANSFORMERS = new Set([
  'tr',
  'sed',
  'awk',
  'gawk',
  'cut',
  'perl',
  'python',
  'python3',
  'iconv',
  'dd',
  'fold',
  'paste',
  'xargs',
]);

/** Why a command's output, used as a word, is not knowable ("decoded"), or undefined. */
export function decoderReason(command: string, args: string[]): string | undefined {
  const test = Object.hasOwn(DECODERS, command) ? DECODERS[command] : undefined;
  return test?.(args) ? `decoded by ${command}` : undefined;
}

/** stty words that only read or size the terminal; any other setting may hide or re-map what is typed. */
const STTY_READ_ONLY = /^(-a|--all|-g|--save|size|speed|sane|cols|columns|rows|\d+)$/;

/** Why an `stty` call makes the screen an unreliable view of the typed line, or undefined. */
export function terminalChange(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-F' || a === '--file') {
      i++;
      continue;
    }
    if (a.startsWith('--file=') || (a.startsWith('-F') && a.length > 2)) continue;
    if (!STTY_READ_ONLY.test(a))
      return `stty ${a} changes how the terminal echoes, edits or ends lines (what the screen shows may not be what the shell runs)`;
  }
  return undefined;
}

/** git config keys whose value is a command git runs (or a directory of hooks it runs). */
export const GIT_EXEC_KEYS =
  /^(core\.(pager|editor|sshcommand|fsmonitor|hookspath|askpass|gitproxy)|sequence\.editor|diff\.external|diff\..*\.(command|textconv)|merge\..*\.driver|filter\..*\.(clean|smudge|process)|alias\..*|credential\.helper|credential\..*\.helper|pager\..*|gpg\.program|gpg\..*\.program|uploadpack\.packobjectshook|remote\..*\.(uploadpack|receivepack|proxy)|include\.path|includeif\..*\.path|protocol\..*\.allow|http\.proxy|sendemail\..*|web\.browser|browser\..*\.cmd|man\..*\.cmd|difftool\..*\.cmd|mergetool\..*\.cmd|instaweb\..*|submodule\..*\.update|ssh\.variant|interactive\.difffilter|notes\..*)$/i;

/** Of those, keys whose value is a shell command (`alias.x=!cmd` counts when it starts with `!`). */
export const GIT_COMMAND_KEYS =
  /^(core\.(pager|editor|sshcommand|fsmonitor|askpass)|sequence\.editor|diff\.external|diff\..*\.(command|textconv)|merge\..*\.driver|filter\..*\.(clean|smudge|process)|credential\.helper|pager\..*|difftool\..*\.cmd|mergetool\..*\.cmd|submodule\..*\.update)$/i;
