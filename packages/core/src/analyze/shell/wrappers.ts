// Wrappers: commands that run another command. The table says, for each, how to find the wrapped
// command in its argument list. The wrapper is a unit too (so `sudo` rules match), and the
// wrapped command is analysed as if it were typed on its own (recursively: `sudo env nice rm`).
import type { Word } from './words.js';

export interface WrapperSpec {
  /** How the wrapped command is found, in a line (documentation and notes). */
  how: string;
  /** Short options that take a value, attached (`-uroot`) or as the next word (`-u root`). */
  short?: string;
  /** Short options whose value, if any, must be attached (`xargs -i`, `nsenter -m`). */
  shortOptional?: string;
  /** Long options that take a value (`--user root` or `--user=root`). */
  long?: string[];
  /** Words after the options and before the command (timeout's duration, chroot's new root). */
  positional?: number;
  /** `-<digits>` is an option (`nice -10`). */
  numericOption?: boolean;
  /** `NAME=value` words before the command set its environment (env, sudo). */
  assignments?: boolean;
  /** A lone `-` is an option (`env -`, `su -`). */
  dashOption?: boolean;
  /** Options whose value is a shell command string, run by `sh -c` (`su -c`, `flock -c`). */
  shellString?: string[];
  /** With these options no command runs (`command -v rm`, `sudo -l`). */
  noCommand?: string[];
  /** Options that make the wrapped words one shell string — or `always` (watch, ssh). */
  joinToShell?: string[] | 'always';
  /** Options that cancel `joinToShell: 'always'` (`watch -x`). */
  noJoin?: string[];
  /** With no command the wrapper starts a shell that reads commands from stdin (`su`, `chroot /x`). */
  shellWhenNoCommand?: boolean;
  /** Options that, with no command, start a shell reading stdin (`sudo -s`, `sudo -i`, `doas -s`). */
  shellOptions?: string[];
  /** With no command this command runs instead (`xargs` → `echo`). */
  defaultCommand?: string;
  /** Options may also follow the positional words (GNU getopt permutes: `flock FILE -c cmd`). */
  optionsAfterPositional?: boolean;
  /** With one of these options given first there is no positional word (`runuser -u USER cmd`). */
  positionalUnless?: string[];
  /** Long options that take two values (`bwrap --bind SRC DEST`). */
  long2?: string[];
  /** With no command but stdin redirected or piped, what it starts reads its commands from it (`ssh host < f`). */
  stdinShell?: boolean;
  /** Options whose value is the wrapped command's working directory (`env -C DIR`, `sudo -D DIR`). */
  chdir?: string[];
}

/** Wrapper name → how to find the wrapped command. `find`, `git` and interpreters are handled in analyze.ts. */
/** pssh's and parallel-ssh's long options that take a value. */
const PSSH_LONG = [
  '--hosts',
  '--host',
  '--user',
  '--par',
  '--outdir',
  '--errdir',
  '--option',
  '--timeout',
  '--extra-args',
  '--extra-arg',
];

export const WRAPPERS: Record<string, WrapperSpec> = {
  sudo: {
    how: 'options (-u/-g/-C/-D/-h/-p/-r/-t/-T/-U/-R take a value), NAME=value, then the command; -s/-i run it via a shell',
    short: 'CDghprtTUuR',
    long: [
      '--close-from',
      '--chdir',
      '--group',
      '--host',
      '--prompt',
      '--chroot',
      '--role',
      '--type',
      '--command-timeout',
      '--other-user',
      '--user',
    ],
    assignments: true,
    noCommand: [
      '-l',
      '--list',
      '-v',
      '--validate',
      '-K',
      '--remove-timestamp',
      '-V',
      '--version',
      '-e',
      '--edit',
    ],
    shellOptions: ['-s', '--shell', '-i', '--login'],
    chdir: ['-D', '--chdir'],
  },
  doas: {
    how: 'options (-u/-C take a value), then the command; -s alone starts a shell',
    short: 'uC',
    shellOptions: ['-s'],
  },
  pkexec: {
    how: '--user USER, then the command; none starts a root shell',
    long: ['--user'],
    shellWhenNoCommand: true,
  },
  su: {
    how: '-c/--command STRING is a shell string (anywhere); otherwise a login shell reading stdin',
    short: 'cgGsw',
    long: ['--command', '--group', '--supp-group', '--shell', '--whitelist-environment', '--session-command'],
    shellString: ['-c', '--command', '--session-command'],
    dashOption: true,
    positional: 1,
    optionsAfterPositional: true,
    shellWhenNoCommand: true,
  },
  runuser: {
    how: 'as su; or -u USER then the command',
    short: 'cgGswu',
    long: [
      '--command',
      '--group',
      '--supp-group',
      '--shell',
      '--whitelist-environment',
      '--user',
      '--session-command',
    ],
    shellString: ['-c', '--command', '--session-command'],
    dashOption: true,
    positional: 1,
    optionsAfterPositional: true,
    positionalUnless: ['-u', '--user'],
    shellWhenNoCommand: true,
  },
  sg: {
    how: 'GROUP, then -c STRING or the command words as one shell string',
    short: 'c',
    positional: 1,
    optionsAfterPositional: true,
    shellString: ['-c'],
    joinToShell: 'always',
  },
  env: {
    how: 'options (-u/-C take a value; -S STRING is split into words), NAME=value, then the command',
    short: 'uCS',
    long: ['--unset', '--chdir', '--split-string', '--default-signal', '--ignore-signal', '--block-signal'],
    shellString: ['-S', '--split-string'],
    assignments: true,
    dashOption: true,
    chdir: ['-C', '--chdir'],
  },
  nice: {
    how: '-n N / -N / --adjustment=N, then the command',
    short: 'n',
    long: ['--adjustment'],
    numericOption: true,
  },
  nohup: { how: 'the next word is the command' },
  timeout: {
    how: 'options (-s/-k take a value), the DURATION, then the command',
    short: 'sk',
    long: ['--signal', '--kill-after'],
    positional: 1,
  },
  time: {
    how: 'options (-f/-o take a value), then the command',
    short: 'fo',
    long: ['--format', '--output'],
  },
  xargs: {
    how: 'options (-a/-d/-E/-I/-L/-n/-P/-s take a value; -i/-e/-l an attached one), then the command; none → echo',
    short: 'adEILnPs',
    shortOptional: 'iel',
    long: [
      '--arg-file',
      '--delimiter',
      '--max-args',
      '--max-procs',
      '--max-chars',
      '--process-slot-var',
      '--max-lines',
    ],
    defaultCommand: 'echo',
  },
  command: { how: '-p, then the command; -v/-V only look it up', noCommand: ['-v', '-V'] },
  builtin: { how: 'the next word is the builtin' },
  exec: { how: '-a NAME, -c, -l, then the command (replaces the shell)', short: 'a' },
  coproc: { how: 'the next word is the command (run asynchronously)' },
  watch: {
    how: 'options (-n/-q take a value); the words are joined and run by sh -c, or exec-ed with -x',
    short: 'nq',
    long: ['--interval', '--equexit'],
    joinToShell: 'always',
    noJoin: ['-x', '--exec'],
  },
  strace: {
    how: 'options (-e/-o/-O/-p/-P/-s/-S/-u/-X/-I/-a/-b/-E take a value), then the command',
    short: 'eoOpPsSuXIabE',
  },
  ltrace: {
    how: 'options (-e/-o/-p/-s/-u/-a/-n/-l/-L/-F take a value), then the command',
    short: 'eopsuanlLF',
  },
  chroot: {
    how: '--userspec/--groups, the NEWROOT, then the command; none starts $SHELL -i',
    long: ['--userspec', '--groups'],
    positional: 1,
    shellWhenNoCommand: true,
  },
  flock: {
    how: 'options (-w/-E take a value), the lock FILE, then -c STRING or the command',
    short: 'wEc',
    long: ['--timeout', '--conflict-exit-code', '--command'],
    shellString: ['-c', '--command'],
    positional: 1,
    optionsAfterPositional: true,
  },
  ionice: {
    how: 'options (-c/-n/-p/-P/-u take a value), then the command; -p/-P/-u act on running processes',
    short: 'cnpPu',
    noCommand: ['-p', '-P', '-u'],
  },
  stdbuf: {
    how: 'options (-i/-o/-e take a value), then the command',
    short: 'ioe',
    long: ['--input', '--output', '--error'],
  },
  setsid: { how: 'options (-c/-f/-w), then the command' },
  taskset: {
    how: 'options, the MASK (or CPU list with -c), then the command; -p acts on a pid',
    positional: 1,
    noCommand: ['-p', '--pid'],
  },
  chrt: {
    how: 'options (-T/-P/-D take a value), the PRIORITY, then the command; -p acts on a pid',
    short: 'TPD',
    positional: 1,
    noCommand: ['-p', '--pid'],
  },
  nsenter: {
    how: 'options (-t/-S/-G take a value; namespace options an attached file), then the command',
    short: 'tSG',
    shortOptional: 'muinpUCTrw',
    long: ['--target', '--setuid', '--setgid'],
    shellWhenNoCommand: true,
  },
  unshare: { how: 'options, then the command; none starts $SHELL', shellWhenNoCommand: true },
  'systemd-run': {
    how: 'options (-p/-E/-u/-M/-H/-D take a value), then the command',
    short: 'pEuMHD',
    long: [
      '--property',
      '--setenv',
      '--unit',
      '--machine',
      '--host',
      '--working-directory',
      '--uid',
      '--gid',
      '--slice',
      '--description',
      '--nice',
      '--on-calendar',
      '--on-active',
    ],
  },
  busybox: { how: 'the next word is the applet (busybox rm …, busybox sh -c …)' },
  proxychains: { how: 'options (-f takes a value), then the command', short: 'f' },
  proxychains4: { how: 'options (-f takes a value), then the command', short: 'f' },
  torsocks: { how: 'options (-u/-p/-a/-P take a value), then the command', short: 'upaP' },
  unbuffer: { how: 'options (-p), then the command' },
  catchsegv: { how: 'the next word is the command' },
  valgrind: { how: '--options=value, then the command' },
  firejail: { how: '--options=value, then the command; none starts a shell', shellWhenNoCommand: true },
  script: {
    how: 'options, then the typescript FILE (not a command); -c STRING is a shell string, without it script starts a shell',
    short: 'cEtTIOBm',
    long: ['--command', '--log-io', '--log-in', '--log-out', '--log-timing', '--echo', '--logging-format'],
    shellString: ['-c', '--command'],
    positional: 1,
    optionsAfterPositional: true,
    shellWhenNoCommand: true,
  },
  ssh: {
    how: 'options (-b/-c/-D/-E/-e/-F/-I/-i/-J/-L/-l/-m/-O/-o/-p/-Q/-R/-S/-W/-w/-B take a value), HOST, then the words as one remote shell string',
    short: 'bcDEeFIiJLlmOopQRSWwB',
    positional: 1,
    // OpenSSH reads options after the host too (`ssh host -t -- cmd`), up to the first other word.
    optionsAfterPositional: true,
    joinToShell: 'always',
    stdinShell: true,
  },
  mosh: {
    how: 'options (--ssh/--port/--predict… take a value), HOST, then `--` and the command',
    long: [
      '--ssh',
      '--port',
      '--predict',
      '--family',
      '--server',
      '--client',
      '--bind-server',
      '--experimental-remote-ip',
    ],
    positional: 1,
    optionsAfterPositional: true,
  },
  sshpass: { how: 'options (-p/-f/-d/-P take a value), then the command', short: 'pfdP' },
  screen: {
    how: 'options (-S/-c/-e/-h/-p/-t/-T/-X take a value), then the command; none starts a shell; -r/-x/-R attach',
    short: 'ScehptTX',
    // -r/-x/-R re-attach to a running session (its name is no command).
    noCommand: ['-r', '-x', '-R'],
    shellWhenNoCommand: true,
  },
  parallel: {
    how: 'the words before ::: are a shell command template',
    short: 'jSdaI',
    long: ['--jobs', '--sshlogin', '--delimiter', '--arg-file', '--replace'],
    joinToShell: 'always',
  },
  toybox: { how: 'the next word is the applet (toybox rm …)' },
  setpriv: {
    how: 'options (--reuid/--regid/--groups/--inh-caps… take a value), then the command',
    long: [
      '--reuid',
      '--regid',
      '--ruid',
      '--rgid',
      '--euid',
      '--egid',
      '--groups',
      '--inh-caps',
      '--ambient-caps',
      '--bounding-set',
      '--securebits',
      '--pdeathsig',
      '--selinux-label',
      '--apparmor-profile',
      '--landlock-access',
      '--landlock-rule',
    ],
  },
  gosu: { how: 'USER[:GROUP], then the command', positional: 1 },
  'su-exec': { how: 'USER[:GROUP], then the command', positional: 1 },
  setuidgid: { how: 'USER, then the command', positional: 1 },
  's6-setuidgid': { how: 'USER, then the command', positional: 1 },
  chpst: {
    how: 'options (-u/-U/-b/-e/-/ /-n/-l/-L/-m/-d/-o/-p/-f/-c/-r/-t take a value), then the command',
    short: 'uUbe/CnlLmdopfcrt',
  },
  runcon: {
    how: 'CONTEXT (or -u/-r/-t/-l values), then the command',
    short: 'urtl',
    positional: 1,
    positionalUnless: ['-u', '-r', '-t', '-l', '--user', '--role', '--type', '--range'],
  },
  tini: { how: 'options (-p/-e take a value), then `--` and the command', short: 'pe' },
  'dumb-init': { how: 'options (-r takes a value), then the command', short: 'r', long: ['--rewrite'] },
  fakeroot: {
    how: 'options (-l/-s/-i/-b take a value), then the command',
    short: 'lsib',
    long: ['--lib', '--faked'],
  },
  fakechroot: {
    how: 'options (-e/-c/-d/-l take a value), then the command',
    short: 'ecdl',
    long: ['--environment', '--config-dir', '--elfloader', '--lib'],
  },
  proot: {
    how: 'options (-r/-b/-w/-q/-k/-R/-S take a value), then the command; none starts a shell',
    short: 'rbwqkRSmp',
    long: ['--rootfs', '--bind', '--mount', '--cwd', '--qemu', '--kernel-release'],
    shellWhenNoCommand: true,
  },
  bwrap: {
    how: 'options (most take a value, --bind/--ro-bind/--setenv… two), then the command',
    long: [
      '--args',
      '--argv0',
      '--unshare-user-try',
      '--userns',
      '--userns2',
      '--pidns',
      '--uid',
      '--gid',
      '--hostname',
      '--chdir',
      '--unsetenv',
      '--lock-file',
      '--sync-fd',
      '--remount-ro',
      '--exec-label',
      '--file-label',
      '--proc',
      '--dev',
      '--tmpfs',
      '--mqueue',
      '--dir',
      '--seccomp',
      '--add-seccomp-fd',
      '--block-fd',
      '--userns-block-fd',
      '--info-fd',
      '--json-status-fd',
      '--cap-add',
      '--cap-drop',
      '--perms',
      '--size',
    ],
    long2: [
      '--setenv',
      '--bind',
      '--bind-try',
      '--dev-bind',
      '--dev-bind-try',
      '--ro-bind',
      '--ro-bind-try',
      '--bind-fd',
      '--ro-bind-fd',
      '--file',
      '--bind-data',
      '--ro-bind-data',
      '--symlink',
      '--chmod',
      '--overlay-src',
    ],
  },
  'xvfb-run': {
    how: 'options (-n/-s/-e/-f/-p/-w take a value), then the command',
    short: 'nsefpw',
    long: ['--server-num', '--server-args', '--error-file', '--auth-file', '--xauth-protocol', '--wait'],
  },
  'dbus-launch': { how: 'options, then the command', long: ['--config-file'] },
  'dbus-run-session': { how: 'options, then the command', long: ['--config-file', '--dbus-daemon'] },
  eatmydata: { how: 'the next word is the command' },
  nocache: { how: 'options (-n takes a value), then the command', short: 'n' },
  chronic: { how: 'options (-e/-v), then the command' },
  ifne: { how: 'options (-n), then the command' },
  cgexec: { how: 'options (-g takes a value), then the command', short: 'g' },
  numactl: {
    how: 'options (-i/-m/-p/-C/-N/-P take a value), then the command',
    short: 'imCNpPw',
    long: ['--interleave', '--membind', '--preferred', '--physcpubind', '--cpunodebind', '--preferred-many'],
  },
  prlimit: {
    how: 'resource options (an attached value), then the command; -p acts on a pid',
    shortOptional: 'cdefilmnqrstuvxyTRS',
    long: ['--pid', '--output'],
    noCommand: ['-p', '--pid'],
  },
  'systemd-inhibit': {
    how: 'options (--what/--who/--why/--mode take a value), then the command',
    long: ['--what', '--who', '--why', '--mode'],
  },
  'ssh-agent': { how: 'options (-a/-E/-t/-P/-O take a value), then the command', short: 'aEtPO' },
  faketime: { how: 'options (-f/-m), the TIMESTAMP, then the command', short: 'p', positional: 1 },
  trickle: { how: 'options (-d/-u/-w/-t/-l/-n/-L take a value), then the command', short: 'duwtlnL' },
  cpulimit: {
    how: 'options (-l/-p/-e take a value), then the command; -p/-e act on a running process',
    short: 'lpe',
    long: ['--limit', '--pid', '--exe'],
    noCommand: ['-p', '-e', '--pid', '--exe'],
  },
  caffeinate: { how: 'options (-t/-w take a value), then the command', short: 'tw' },
  daemonize: { how: 'options (-a/-c/-e/-o/-p/-l/-u/-E take a value), then the command', short: 'ceEoplu' },
  npx: {
    how: 'options (-p/--package take a value; -c STRING is a shell string), then the package binary and its args',
    short: 'pc',
    long: ['--package', '--call', '--node-options', '--shell'],
    shellString: ['-c', '--call'],
  },
  bunx: { how: 'options, then the package binary and its args', short: 'p', long: ['--package'] },
  pnpx: { how: 'options, then the package binary and its args', long: ['--package'] },
  watchexec: {
    how: 'options (-w/-e/-f/-i/-s/-d/-E/--shell take a value), then the command (run by a shell)',
    short: 'wefisdEWo',
    long: [
      '--watch',
      '--exts',
      '--filter',
      '--ignore',
      '--signal',
      '--debounce',
      '--env',
      '--shell',
      '--workdir',
      '--on-busy-update',
      '--delay-run',
    ],
    joinToShell: 'always',
  },
  entr: { how: 'options, then the command; with -s its words are one shell string', joinToShell: ['-s'] },
  pdsh: {
    how: 'options (-w/-x/-g/-X/-l/-R/-t/-u/-f take a value), then the words as one remote shell string',
    short: 'wxgXlRtuf',
    joinToShell: 'always',
  },
  pssh: {
    how: 'options (-h/-H/-l/-p/-o/-e/-O/-t/-x/-X take a value), then the words as one remote shell string',
    short: 'hHlpoeOtxX',
    long: PSSH_LONG,
    joinToShell: 'always',
  },
  'parallel-ssh': { how: 'as pssh', short: 'hHlpoeOtxX', long: PSSH_LONG, joinToShell: 'always' },
};

/** Commands whose subcommand is a wrapper: `perf record CMD`, `npm exec -- CMD`. */
export const SUBCOMMAND_WRAPPERS: Record<string, Record<string, WrapperSpec>> = {
  perf: Object.fromEntries(
    ['record', 'stat', 'trace', 'top', 'kmem', 'lock', 'mem', 'sched', 'c2c', 'kwork'].map((sub) => [
      sub,
      {
        how: `perf ${sub}: options (-e/-o/-F/-c/-C/-p/-t/-u/-G/-r/-m/-I/-x/-j take a value), then the command`,
        short: 'eoFcCptuGrmIxj',
        long: [
          '--event',
          '--output',
          '--freq',
          '--count',
          '--cpu',
          '--pid',
          '--tid',
          '--uid',
          '--cgroup',
          '--repeat',
          '--mmap-pages',
          '--call-graph',
          '--filter',
        ],
        noCommand: ['-p', '--pid', '-t', '--tid'],
      },
    ]),
  ),
  npm: Object.fromEntries(
    ['exec', 'x'].map((sub) => [
      sub,
      {
        how: `npm ${sub}: options (--package/-c take a value), then \`--\` and the package binary`,
        short: 'c',
        long: ['--package', '--call', '--workspace'],
        shellString: ['-c', '--call'],
      },
    ]),
  ),
  pnpm: Object.fromEntries(
    ['exec', 'dlx'].map((sub) => [
      sub,
      { how: `pnpm ${sub}: options, then the command`, short: 'c', long: ['--package', '--filter'] },
    ]),
  ),
  yarn: Object.fromEntries(
    ['exec', 'dlx'].map((sub) => [
      sub,
      { how: `yarn ${sub}: options, then the command`, short: 'p', long: ['--package'] },
    ]),
  ),
  lxc: {
    exec: {
      how: 'lxc exec: CONTAINER, options, then `--` and the command',
      long: ['--env', '--cwd', '--user', '--group', '--project'],
      positional: 1,
      optionsAfterPositional: true,
    },
  },
  incus: {
    exec: {
      how: 'incus exec: CONTAINER, options, then `--` and the command',
      long: ['--env', '--cwd', '--user', '--group', '--project'],
      positional: 1,
      optionsAfterPositional: true,
    },
  },
  crictl: {
    exec: {
      how: 'crictl exec: options, CONTAINER, then the command',
      short: 'e',
      long: ['--timeout', '--env'],
      positional: 1,
    },
  },
};

export interface WrapResult {
  /** The wrapped command's words (may be empty). */
  argv: Word[];
  /** Shell strings the wrapper hands to `sh -c`. */
  shellStrings: Word[];
  /** The wrapped words are to be joined and run by a shell. */
  joinToShell: boolean;
  /** No command will run (`command -v`, `sudo -l`). */
  noCommand: boolean;
  /** No command given and the wrapper starts a shell reading stdin. */
  startsShell: boolean;
  /** `NAME=value` assignments it sets for the command. */
  assignments: string[];
  /** Option → value (the last one given), e.g. xargs -I. */
  values: Map<string, string>;
  /** Every option seen (`-u`, `--user`, `-r` from `-rf`). */
  options: Set<string>;
  /** An option or the command word was not literal: the wrapped command cannot be known. */
  unknownWord?: string;
}

/** Splits a wrapper's arguments (words after its name) into options and the wrapped command. */
export function unwrap(spec: WrapperSpec, words: Word[]): WrapResult {
  const r: WrapResult = {
    argv: [],
    shellStrings: [],
    joinToShell: false,
    noCommand: false,
    startsShell: false,
    assignments: [],
    values: new Map(),
    options: new Set(),
  };
  let i = 0;
  let positional = spec.positional ?? 0;
  const options = (): boolean => {
    while (i < words.length) {
      const word = words[i]!;
      const w = word.text;
      if (w === '--') {
        i++;
        return false;
      }
      if (spec.assignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) {
        r.assignments.push(w);
        i++;
        continue;
      }
      if (w === '-' && spec.dashOption) {
        r.options.add('-');
        i++;
        continue;
      }
      if (w.length < 2 || w[0] !== '-') return true;
      if (!word.literal) {
        r.unknownWord = w;
        return false;
      }
      if (w.startsWith('--')) {
        const eq = w.indexOf('=');
        const name = eq < 0 ? w : w.slice(0, eq);
        let value = eq < 0 ? undefined : w.slice(eq + 1);
        r.options.add(name);
        let valueWord: Word | undefined;
        if (value === undefined && spec.long?.includes(name)) {
          valueWord = words[++i];
          value = valueWord?.text;
        }
        if (spec.long2?.includes(name)) {
          i += eq < 0 ? 2 : 1;
          value = words[i]?.text;
        }
        if (value !== undefined) {
          r.values.set(name, value);
          if (spec.shellString?.includes(name)) r.shellStrings.push(valueWord ?? { ...word, text: value });
        }
        i++;
        continue;
      }
      if (spec.numericOption && /^-\d+$/.test(w)) {
        r.options.add(w);
        i++;
        continue;
      }
      for (let j = 1; j < w.length; j++) {
        const c = w[j]!;
        const opt = `-${c}`;
        r.options.add(opt);
        if (spec.short?.includes(c)) {
          let valueWord: Word | undefined;
          let value: string | undefined = w.slice(j + 1);
          if (value === '') {
            valueWord = words[++i];
            value = valueWord?.text;
          }
          if (value !== undefined) {
            r.values.set(opt, value);
            if (spec.shellString?.includes(opt)) r.shellStrings.push(valueWord ?? { ...word, text: value });
          }
          break;
        }
        if (spec.shortOptional?.includes(c)) {
          r.values.set(opt, w.slice(j + 1));
          break;
        }
      }
      i++;
    }
    return false;
  };
  let more = options();
  if (spec.positionalUnless?.some((o) => r.options.has(o))) positional = 0;
  while (more && positional > 0 && i < words.length) {
    positional--;
    i++;
    more = spec.optionsAfterPositional ? options() : true;
  }
  r.argv = words.slice(i);
  const has = (list: string[] | undefined) => list?.some((o) => r.options.has(o)) ?? false;
  if (has(spec.noCommand)) r.noCommand = true;
  if (spec.joinToShell === 'always') r.joinToShell = !has(spec.noJoin);
  else if (has(spec.joinToShell)) r.joinToShell = true;
  if (r.argv.length === 0 && r.shellStrings.length === 0 && !r.noCommand) {
    if (spec.shellWhenNoCommand || has(spec.shellOptions)) r.startsShell = true;
  }
  if (r.argv[0] && !r.argv[0].literal && !r.argv[0].fromVar) r.unknownWord ??= r.argv[0].text;
  return r;
}
