// Container and cluster CLIs that run a command somewhere else: `docker exec CTR rm -rf /data`,
// `podman run IMG sh -c …`, `docker compose exec SVC …`, `kubectl exec POD -- …`. The wrapped command is
// judged as if typed (its paths are the container's, which policies about `/etc`, `rm -rf` and so on
// should meet just the same). Each CLI is a wrapper with a subcommand: global options, then the
// subcommand, then a wrapper spec. A line whose subcommand cannot be found for sure is flagged, never
// passed as a plain `docker` call.
import type { Word } from './words.js';
import type { WrapperSpec } from './wrappers.js';

export interface SubcommandWrapper {
  /** e.g. `docker exec`, `kubectl exec` (the label in notes). */
  name: string;
  spec: WrapperSpec;
  /** The words after the subcommand (the spec applies to them). */
  rest: Word[];
  /** Notes worth a reviewer's eye (`--privileged`, the host's root mounted). */
  notes: string[];
  /** `--entrypoint X`: what runs is X, then the words after the image. */
  entrypoint?: Word;
}

/** Why a line names a subcommand that runs something but where its command starts is unknown. */
export interface UnknownSubcommand {
  unknown: string;
}

const DOCKER_GLOBAL_VALUES = new Set([
  '-H',
  '--host',
  '-c',
  '--context',
  '--config',
  '-l',
  '--log-level',
  '--tlscacert',
  '--tlscert',
  '--tlskey',
  // podman
  '--url',
  '--connection',
  '--root',
  '--runroot',
  '--storage-driver',
  '--storage-opt',
  '--cgroup-manager',
  '--conmon',
  '--events-backend',
  '--hooks-dir',
  '--identity',
  '--imagestore',
  '--network-cmd-path',
  '--network-config-dir',
  '--module',
  '--runtime',
  '--runtime-flag',
  '--ssh',
  '--tmpdir',
  '--volumepath',
  // nerdctl
  '-n',
  '--namespace',
  '-a',
  '--address',
  '--snapshotter',
  '--cni-path',
  '--data-root',
]);

const EXEC: WrapperSpec = {
  how: 'docker/podman exec: options (-e/-u/-w take a value), CONTAINER, then the command',
  short: 'euw',
  long: ['--env', '--env-file', '--user', '--workdir', '--detach-keys', '--preserve-fds', '--cidfile'],
};

const RUN_LONG = [
  '--attach',
  '--add-host',
  '--annotation',
  '--blkio-weight',
  '--blkio-weight-device',
  '--cap-add',
  '--cap-drop',
  '--cgroup-parent',
  '--cgroupns',
  '--cidfile',
  '--cpu-period',
  '--cpu-quota',
  '--cpu-rt-period',
  '--cpu-rt-runtime',
  '--cpu-shares',
  '--cpus',
  '--cpuset-cpus',
  '--cpuset-mems',
  '--detach-keys',
  '--device',
  '--device-cgroup-rule',
  '--device-read-bps',
  '--device-read-iops',
  '--device-write-bps',
  '--device-write-iops',
  '--dns',
  '--dns-option',
  '--dns-search',
  '--domainname',
  '--entrypoint',
  '--env',
  '--env-file',
  '--expose',
  '--gpus',
  '--group-add',
  '--health-cmd',
  '--health-interval',
  '--health-retries',
  '--health-start-interval',
  '--health-start-period',
  '--health-timeout',
  '--hostname',
  '--ip',
  '--ip6',
  '--ipc',
  '--isolation',
  '--kernel-memory',
  '--label',
  '--label-file',
  '--link',
  '--link-local-ip',
  '--log-driver',
  '--log-opt',
  '--mac-address',
  '--memory',
  '--memory-reservation',
  '--memory-swap',
  '--memory-swappiness',
  '--mount',
  '--name',
  '--network',
  '--net',
  '--network-alias',
  '--oom-score-adj',
  '--pid',
  '--pids-limit',
  '--platform',
  '--publish',
  '--pull',
  '--restart',
  '--runtime',
  '--security-opt',
  '--shm-size',
  '--stop-signal',
  '--stop-timeout',
  '--storage-opt',
  '--sysctl',
  '--tmpfs',
  '--ulimit',
  '--user',
  '--userns',
  '--uts',
  '--volume',
  '--volume-driver',
  '--volumes-from',
  '--workdir',
  // podman
  '--arch',
  '--os',
  '--pod',
  '--secret',
  '--userns',
  '--uidmap',
  '--gidmap',
  '--subuidname',
  '--subgidname',
  '--preserve-fds',
  '--log-level',
];

const RUN: WrapperSpec = {
  how: 'docker/podman run: options (-a/-c/-e/-h/-l/-m/-p/-u/-v/-w and many long ones take a value), IMAGE, then the command; none runs the image default',
  short: 'acehlmpuvw',
  long: RUN_LONG,
  // No command runs the image's default; with stdin attached that may be a shell reading it.
  shellOptions: ['-i', '--interactive'],
};

const COMPOSE_GLOBAL_VALUES = new Set([
  '-f',
  '--file',
  '-p',
  '--project-name',
  '--env-file',
  '--profile',
  '--project-directory',
  '--ansi',
  '--parallel',
  '--progress',
]);

const COMPOSE_EXEC: WrapperSpec = {
  how: 'compose exec: options (-e/-u/-w/--index take a value), SERVICE, then the command',
  short: 'euw',
  long: ['--env', '--user', '--workdir', '--index'],
};

const COMPOSE_RUN: WrapperSpec = {
  how: 'compose run: options (-e/-l/-p/-u/-v/-w/--name/--entrypoint… take a value), SERVICE, then the command',
  short: 'elpuvw',
  long: [
    '--env',
    '--label',
    '--publish',
    '--user',
    '--volume',
    '--workdir',
    '--name',
    '--entrypoint',
    '--cap-add',
    '--cap-drop',
    '--pull',
  ],
  shellOptions: ['-i', '--interactive'],
};

const KUBE_GLOBAL_VALUES = new Set([
  '-n',
  '--namespace',
  '--context',
  '--kubeconfig',
  '-s',
  '--server',
  '--cluster',
  '--user',
  '--token',
  '--as',
  '--as-group',
  '--as-uid',
  '--certificate-authority',
  '--client-certificate',
  '--client-key',
  '--request-timeout',
  '--tls-server-name',
  '--cache-dir',
  '--log-file',
  '-v',
  '--v',
  '--vmodule',
  '--profile',
  '--profile-output',
]);

const KUBE_EXEC: WrapperSpec = {
  how: 'kubectl exec: options (-c/-f/-n take a value), POD (or TYPE/NAME), then `--` and the command',
  short: 'cfn',
  long: ['--container', '--filename', '--namespace', '--pod-running-timeout', '--context', '--kubeconfig'],
  positional: 1,
  optionsAfterPositional: true,
};

const KUBE_RUN: WrapperSpec = {
  how: 'kubectl run: NAME, options (--image, --env, -l … take a value), then `--` and the command (args or, with --command, the command)',
  short: 'lnf',
  long: [
    '--image',
    '--env',
    '--labels',
    '--annotations',
    '--overrides',
    '--port',
    '--restart',
    '--serviceaccount',
    '--namespace',
    '--image-pull-policy',
    '--pod-running-timeout',
    '--filename',
    '--field-manager',
    '--dry-run',
    '--output',
    '--timeout',
    '--cascade',
    '--grace-period',
    '--context',
  ],
  positional: 1,
  optionsAfterPositional: true,
  shellOptions: ['-i', '--stdin'],
};

const KUBE_DEBUG: WrapperSpec = {
  how: 'kubectl debug: TARGET, options (--image, -c, --target, --profile … take a value), then `--` and the command',
  short: 'cn',
  long: [
    '--image',
    '--container',
    '--target',
    '--profile',
    '--copy-to',
    '--set-image',
    '--namespace',
    '--env',
    '--image-pull-policy',
    '--custom',
    '--context',
  ],
  positional: 1,
  optionsAfterPositional: true,
  shellOptions: ['-i', '--stdin'],
};

/** Subcommands these CLIs know: any other first word means the global options were not read right. */
const DOCKER_SUBCOMMANDS = new Set(
  `attach build builder buildx checkpoint commit compose config container context cp create diff events exec export
  generate healthcheck history image images import info init inspect kill kube load login logout logs machine manifest
  mount network node pause play plugin pod port ps pull push rename restart rm rmi run save scout search secret service
  stack start stats stop swarm system tag top trust unmount unpause unshare update version volume wait debug farm
  namespace ns apparmor builder ipfs completion help`.split(/\s+/),
);
const KUBE_SUBCOMMANDS = new Set(
  `annotate api-resources api-versions apply attach auth autoscale certificate cluster-info completion config cordon cp
  create debug delete describe diff drain edit events exec explain expose get help kustomize label logs options patch
  plugin port-forward proxy replace rollout run scale set taint top uncordon version wait new-project project projects
  login logout whoami status new-app start-build rsh rsync adm policy`.split(/\s+/),
);

const COMPOSE_SUBCOMMANDS = new Set(
  `attach build commit config cp create down events exec export images kill logs ls pause port ps publish pull push
  restart rm run scale start stats stop top unpause up version volumes wait watch alpha viz help`.split(
    /\s+/,
  ),
);

const DOCKERS = new Set(['docker', 'podman', 'nerdctl', 'finch']);
const KUBES = new Set(['kubectl', 'oc', 'microk8s.kubectl', 'k3s']);

/** Skips global options (those in `values` take the next word unless `=`-joined); returns the index of the first other word. */
function skipGlobals(words: Word[], from: number, values: Set<string>): number | undefined {
  let i = from;
  while (i < words.length) {
    const w = words[i]!;
    if (!w.literal) return undefined;
    const t = w.text;
    if (t === '--') return i + 1;
    if (!t.startsWith('-') || t === '-') return i;
    const name = t.startsWith('--') ? t.split('=')[0]! : t.slice(0, 2);
    const joined = t.startsWith('--') ? t.includes('=') : t.length > 2;
    i += values.has(name) && !joined ? 2 : 1;
  }
  return i;
}

const RUNS_SOMETHING = /^(exec|run|debug|attach|start|container|compose)$/;

/** For a container CLI: where the wrapped command is, or why it cannot be known; undefined when nothing runs. */
export function subcommandWrapper(
  command: string,
  args: Word[],
): SubcommandWrapper | UnknownSubcommand | undefined {
  if (command === 'k3s' && args[0]?.text === 'kubectl') return subcommandWrapper('kubectl', args.slice(1));
  const kube = KUBES.has(command);
  const docker = DOCKERS.has(command) || command === 'docker-compose';
  if (!kube && !docker) return undefined;
  const unknown = (): UnknownSubcommand | undefined =>
    args.some((a) => !a.literal || RUNS_SOMETHING.test(a.text))
      ? { unknown: `${command}: where the command it runs starts cannot be told from this line` }
      : undefined;
  let i = skipGlobals(args, 0, kube ? KUBE_GLOBAL_VALUES : DOCKER_GLOBAL_VALUES);
  if (i === undefined) return unknown();
  let sub = args[i]?.text;
  let compose = command === 'docker-compose';
  if (docker && !compose && sub === 'container') {
    i++;
    sub = args[i]?.text;
  }
  if (docker && !compose && sub === 'compose') {
    compose = true;
    i++;
  }
  if (compose) {
    const j = skipGlobals(args, i, COMPOSE_GLOBAL_VALUES);
    if (j === undefined) return unknown();
    i = j;
    sub = args[i]?.text;
  }
  const known = kube ? KUBE_SUBCOMMANDS : compose ? COMPOSE_SUBCOMMANDS : DOCKER_SUBCOMMANDS;
  if (sub !== undefined && !known.has(sub)) return unknown();
  const rest = args.slice(i + 1);
  const label = `${command}${compose && command !== 'docker-compose' ? ' compose' : ''} ${sub}`;
  let spec: WrapperSpec | undefined;
  if (kube)
    spec =
      sub === 'exec'
        ? KUBE_EXEC
        : sub === 'rsh' // oc rsh POD [command]: none starts the pod's shell
          ? { ...KUBE_EXEC, shellWhenNoCommand: true }
          : sub === 'run'
            ? KUBE_RUN
            : sub === 'debug'
              ? KUBE_DEBUG
              : undefined;
  else if (compose) spec = sub === 'exec' ? COMPOSE_EXEC : sub === 'run' ? COMPOSE_RUN : undefined;
  else
    spec =
      sub === 'exec'
        ? { ...EXEC, positional: 1 }
        : sub === 'run' || sub === 'create'
          ? { ...RUN, positional: 1 }
          : undefined;
  // Other subcommands (ps, logs, build, cp, start, attach …) run no command given on this line.
  if (!spec) return undefined;
  if (compose || kube) spec = { ...spec, positional: spec.positional ?? 1 };
  const notes: string[] = [];
  const texts = rest.map((w) => w.text);
  if (texts.includes('--privileged'))
    notes.push(`${label} --privileged: the command has the host's devices and capabilities`);
  for (let k = 0; k < texts.length; k++) {
    const t = texts[k]!;
    const v = t === '-v' || t === '--volume' ? texts[k + 1] : /^(-v|--volume=)(.+)$/.exec(t)?.[2];
    if (v !== undefined && /^\/(:|$)/.test(v)) notes.push(`${label} mounts the host's root (${v})`);
    if (t === '--pid=host' || (t === '--pid' && texts[k + 1] === 'host'))
      notes.push(`${label} --pid=host: the command sees the host's processes`);
  }
  let entrypoint: Word | undefined;
  for (let k = 0; k < rest.length; k++) {
    const t = rest[k]!.text;
    if (t === '--') break;
    if (t === '--entrypoint') entrypoint = rest[k + 1];
    else if (t.startsWith('--entrypoint='))
      entrypoint = { ...rest[k]!, text: t.slice('--entrypoint='.length) };
  }
  return { name: label, spec, rest, notes, entrypoint };
}
