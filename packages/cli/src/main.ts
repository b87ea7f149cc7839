// The `portcullis` binary: finds the verb, runs it, prints errors as one line (stack with --debug).
import type { CliCommand, CliIO } from './command.js';
import { CliUsageError } from './command.js';

type Loader = () => Promise<CliCommand>;

// Verbs are loaded lazily so `portcullis check` does not pay for the SSH stack.
const verbs: Record<string, Loader> = {
  check: async () => (await import('./commands/check.js')).default,
  start: async () => (await import('./commands/start.js')).default,
  demo: async () => (await import('./commands/demo.js')).default,
  'policy test': async () => (await import('./commands/policy-test.js')).default,
  'policy explain': async () => (await import('./commands/policy-explain.js')).default,
  'keys generate': async () => (await import('./commands/keys-generate.js')).default,
  'token mint': async () => (await import('./commands/token-mint.js')).default,
  'sessions list': async () => (await import('./commands/sessions-list.js')).default,
  'sessions show': async () => (await import('./commands/sessions-show.js')).default,
  'sessions verify': async () => (await import('./commands/sessions-verify.js')).default,
  'sessions tail': async () => (await import('./commands/sessions-tail.js')).default,
  replay: async () => (await import('./commands/replay.js')).default,
  // `sessions replay` is the same verb, beside its siblings.
  'sessions replay': async () => (await import('./commands/replay.js')).default,
  'approvals list': async () => (await import('./commands/approvals-list.js')).default,
  'approvals approve': async () => (await import('./commands/approvals-approve.js')).default,
  'approvals deny': async () => (await import('./commands/approvals-deny.js')).default,
};

function usage(group?: string): string {
  const names = Object.keys(verbs)
    .filter((v) => group === undefined || v.startsWith(`${group} `))
    .map((v) => `  portcullis ${v}`);
  return ['usage: portcullis <command> [options]   (every command takes --help)', '', ...names].join('\n');
}

/** `sessions`, `policy` … : the first word of two-word verbs. */
const groups = new Set(Object.keys(verbs).flatMap((v) => (v.includes(' ') ? [v.split(' ')[0]] : [])));

export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    io.stdout.write(`${usage()}\n`);
    return args.length === 0 ? 1 : 0;
  }
  const two = `${args[0]} ${args[1] ?? ''}`.trim();
  const name = verbs[two] ? two : verbs[args[0]] ? args[0] : undefined;
  if (!name) {
    if (groups.has(args[0]) && (args.length === 1 || args[1] === '--help' || args[1] === '-h')) {
      // `portcullis sessions` lists its verbs (on stdout for --help, as an error without it).
      if (args.length > 1) {
        io.stdout.write(`${usage(args[0])}\n`);
        return 0;
      }
      io.stderr.write(`portcullis ${args[0]}: which one? (see portcullis ${args[0]} --help)\n`);
      return 1;
    }
    // Errors are one line on stderr; the list of commands is one --help away.
    io.stderr.write(`portcullis: unknown command "${args.slice(0, 2).join(' ')}" (see portcullis --help)\n`);
    return 1;
  }
  const rest = args.slice(name.split(' ').length);
  let cmd: CliCommand;
  try {
    cmd = await verbs[name]();
  } catch (err) {
    io.stderr.write(`portcullis: ${name}: not available in this build (${(err as Error).message})\n`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${cmd.usage}\n\n${cmd.summary}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof CliUsageError || isParseArgsError(err)) {
      // One line: the problem, then where the usage is.
      io.stderr.write(`portcullis ${name}: ${(err as Error).message} (usage: ${cmd.usage})\n`);
      return 1;
    }
    const e = err as Error;
    io.stderr.write(`portcullis ${name}: ${e.message}\n`);
    if (debug && e.stack) io.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

/** node:util parseArgs errors (unknown option, missing value …) are usage errors too. */
function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

function defaultIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}
