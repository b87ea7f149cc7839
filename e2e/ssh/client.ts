// Drives the real OpenSSH clients (ssh, scp, sftp) against a gateway or sshd in tests.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Target {
  host: string;
  port: number;
  user: string;
  /** A JWT for password / keyboard-interactive auth (through the gateway). */
  token?: string;
  /** A private key file (direct to sshd, or an identity.ssh_keys key through the gateway). */
  identityFile?: string;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

/** Writes the askpass script that answers the password prompt with $PORTCULLIS_TEST_TOKEN. */
export function askpass(dir: string): string {
  const file = join(dir, 'askpass.sh');
  writeFileSync(file, '#!/bin/sh\nprintf "%s\\n" "$PORTCULLIS_TEST_TOKEN"\n');
  chmodSync(file, 0o755);
  return file;
}

export function commonOptions(t: Target, extra: string[] = []): string[] {
  const auth = t.identityFile
    ? [
        '-o',
        `IdentityFile=${t.identityFile}`,
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'PreferredAuthentications=publickey',
        '-o',
        'BatchMode=yes',
      ]
    : [
        '-o',
        'PubkeyAuthentication=no',
        '-o',
        'PreferredAuthentications=password',
        '-o',
        'NumberOfPasswordPrompts=1',
      ];
  return [
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ConnectTimeout=10',
    ...auth,
    ...extra,
  ];
}

export function clientEnv(t: Target, askpassFile?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.SSH_AUTH_SOCK;
  if (t.token && askpassFile) {
    env.SSH_ASKPASS = askpassFile;
    env.SSH_ASKPASS_REQUIRE = 'force';
    env.PORTCULLIS_TEST_TOKEN = t.token;
    env.DISPLAY = env.DISPLAY ?? ':0';
  }
  return env;
}

export function spawnSsh(
  t: Target,
  args: string[],
  askpassFile?: string,
  extra: string[] = [],
): ChildProcessWithoutNullStreams {
  return spawn('ssh', [...commonOptions(t, extra), '-p', String(t.port), `${t.user}@${t.host}`, ...args], {
    env: clientEnv(t, askpassFile),
  });
}

export function collect(
  child: ChildProcessWithoutNullStreams,
  input?: Buffer | string,
  timeoutMs = 30_000,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: ${Buffer.concat(err).toString()}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code,
        signal,
        stdout: stdoutBytes.toString(),
        stderr: Buffer.concat(err).toString(),
        stdoutBytes,
      });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

export function ssh(
  t: Target,
  command: string[],
  opts: { askpass?: string; input?: string | Buffer; extra?: string[]; timeoutMs?: number } = {},
): Promise<RunResult> {
  return collect(spawnSsh(t, command, opts.askpass, opts.extra), opts.input, opts.timeoutMs);
}

export function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
  timeoutMs = 60_000,
): Promise<RunResult> {
  return collect(spawn(cmd, args, { env }), input, timeoutMs);
}

/** An `ssh -tt` session driven by writing keystrokes to its stdin (the remote side gets a real pty). */
export class PtyDriver {
  readonly child: ChildProcessWithoutNullStreams;
  output = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(t: Target, askpassFile?: string, args: string[] = [], extra: string[] = []) {
    this.child = spawnSsh(t, ['-tt', ...args], askpassFile, ['-o', 'SetEnv=TERM=xterm', ...extra]);
    this.child.stdout.on('data', (d: Buffer) => {
      this.output += d.toString();
    });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  type(keys: string): void {
    this.child.stdin.write(keys);
  }

  /** Types one key at a time, like a person (or an agent's terminal driver). */
  async typeSlowly(keys: string, gapMs = 5): Promise<void> {
    for (const k of keys) {
      this.type(k);
      await new Promise((r) => setTimeout(r, gapMs));
    }
  }

  async waitFor(what: string | RegExp, timeoutMs = 10_000, from = 0): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const hay = this.output.slice(from);
      if (typeof what === 'string' ? hay.includes(what) : what.test(hay)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(
      `timed out waiting for ${what}; output so far:\n${JSON.stringify(this.output.slice(-2000))}\nstderr: ${this.stderr}`,
    );
  }

  async close(): Promise<number | null> {
    this.child.stdin.end('exit\r');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}
