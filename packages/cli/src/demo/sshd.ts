// Starts a real OpenSSH sshd: free loopback port, host key, an authorized key for the gateway, all in a
// temp dir; runs as the current user; stopped by pid. Used by the demo and by the e2e tests.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Sshd {
  host: string;
  port: number;
  /** The user the gateway (and direct clients) log in as: whoever runs the tests. */
  user: string;
  dir: string;
  /** "ssh-ed25519 AAAA…" — what `upstream.host_key` pins. */
  hostKey: string;
  /** Private key the gateway logs in with (authorized on this sshd). */
  clientKeyFile: string;
  clientPublicKey: string;
  pid: number;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Extra sshd_config lines. */
  extraConfig?: string[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function sshKeygen(file: string, type = 'ed25519'): string {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'portcullis-test', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

const SSHD = '/usr/sbin/sshd';

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-sshd-'));
  const hostKeyFile = join(dir, 'ssh_host_ed25519_key');
  const hostKey = sshKeygen(hostKeyFile).split(' ').slice(0, 2).join(' ');
  const clientKeyFile = join(dir, 'gateway_key');
  const clientPublicKey = sshKeygen(clientKeyFile);
  writeFileSync(join(dir, 'authorized_keys'), `${clientPublicKey}\n`, { mode: 0o600 });
  // sshd refuses to start without its privilege-separation directory.
  execFileSync('mkdir', ['-p', '/run/sshd']);
  const user = execFileSync('id', ['-un']).toString().trim();
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKeyFile}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PubkeyAuthentication yes',
    'PermitRootLogin prohibit-password',
    // Accept every env name: the gateway, not sshd, must be what filters them.
    'AcceptEnv *',
    'AllowTcpForwarding yes',
    'AllowAgentForwarding yes',
    'X11Forwarding no',
    'MaxSessions 64',
    'MaxStartups 200',
    'PrintMotd no',
    'PrintLastLog no',
    'LogLevel ERROR',
    'Subsystem sftp internal-sftp',
    ...(opts.extraConfig ?? []),
  ];
  const configFile = join(dir, 'sshd_config');
  writeFileSync(configFile, `${config.join('\n')}\n`);
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('sshd did not start');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForBanner(port, 5_000, () => child.exitCode !== null);
  } catch (err) {
    child.kill('SIGTERM');
    throw new Error(`sshd failed to start: ${(err as Error).message}\n${stderr}`);
  }
  return {
    host: '127.0.0.1',
    port,
    user,
    dir,
    hostKey,
    clientKeyFile,
    clientPublicKey,
    pid,
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000))]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForBanner(port: number, timeoutMs: number, dead: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (dead()) throw new Error('sshd exited');
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('data', (d) => {
        sock.destroy();
        resolve(d.toString().startsWith('SSH-'));
      });
      sock.once('error', () => resolve(false));
      sock.setTimeout(500, () => {
        sock.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no SSH banner on port ${port} after ${timeoutMs} ms`);
}
