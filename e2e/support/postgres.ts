// Postgres test support: the machine's server (127.0.0.1:5432, trust), a private throw-away cluster
// (TLS, SCRAM/md5/password users, every statement logged) and runners for psql/pgbench.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const MAIN_PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const BIN = '/usr/lib/postgresql/15/bin';

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

/** A self-signed certificate for 127.0.0.1/localhost (it is its own CA). */
export function makeCert(dir: string, name = 'server'): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  chmodSync(keyFile, 0o600);
  return { certFile, keyFile };
}

/** Runs SQL on the machine's server as postgres (trust). */
export async function mainQuery(sql: string, database = 'postgres'): Promise<pg.QueryResult> {
  const c = new pg.Client({ ...MAIN_PG, database });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Creates a fresh database on the machine's server; drop() removes it. */
export async function createTestDatabase(
  prefix = 'portcullis_e2e_pg',
): Promise<{ name: string; drop(): Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  await mainQuery(`CREATE DATABASE ${name}`);
  return {
    name,
    drop: async () => {
      await mainQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export interface PrivatePostgres {
  host: string;
  port: number;
  dir: string;
  /** The server's certificate (also its CA: self-signed). */
  certFile: string;
  /** Every statement the server received (log_statement = all). */
  log(): string;
  query(sql: string, user?: string, database?: string): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

/**
 * A private cluster (initdb as the postgres OS user) on a free port, with TLS on and users:
 * scram_user/md5_user/pw_user (password "s3cret!"), tls_only (trust, hostssl only), postgres (trust).
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pg-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const pgUid = Number(execFileSync('id', ['-u', 'postgres']).toString());
  const pgGid = Number(execFileSync('id', ['-g', 'postgres']).toString());
  chownSync(dir, pgUid, pgGid);
  const asPg = (cmd: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
  asPg(`${BIN}/initdb`, [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  const { certFile, keyFile } = makeCert(dir);
  chownSync(certFile, pgUid, pgGid);
  chownSync(keyFile, pgUid, pgGid);
  const port = await freePort();
  writeFileSync(
    join(data, 'postgresql.auto.conf'),
    [
      `port = ${port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${dir}'`,
      'ssl = on',
      `ssl_cert_file = '${certFile}'`,
      `ssl_key_file = '${keyFile}'`,
      `log_statement = 'all'`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'max_connections = 40',
      'shared_buffers = 16MB',
      `log_line_prefix = '%u '`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(data, 'pg_hba.conf'),
    [
      'local all all trust',
      'host all scram_user 127.0.0.1/32 scram-sha-256',
      'host all md5_user 127.0.0.1/32 md5',
      'host all pw_user 127.0.0.1/32 password',
      'hostssl all tls_only 127.0.0.1/32 trust',
      'hostnossl all tls_only 127.0.0.1/32 reject',
      'host all all 127.0.0.1/32 trust',
      '',
    ].join('\n'),
  );
  const logFile = join(dir, 'server.log');
  asPg(`${BIN}/pg_ctl`, ['-D', data, '-l', logFile, '-w', '-o', '-k ' + dir, 'start']);
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);

  const query = async (sql: string, user = 'postgres', database = 'postgres') => {
    const c = new pg.Client({ host: '127.0.0.1', port, user, database, password: 's3cret!' });
    await c.connect();
    try {
      return await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await query(
    `SET password_encryption = 'scram-sha-256'; CREATE ROLE scram_user LOGIN SUPERUSER PASSWORD 's3cret!'`,
  );
  await query(`SET password_encryption = 'md5'; CREATE ROLE md5_user LOGIN SUPERUSER PASSWORD 's3cret!'`);
  await query(`CREATE ROLE pw_user LOGIN SUPERUSER PASSWORD 's3cret!'; CREATE ROLE tls_only LOGIN SUPERUSER`);

  return {
    host: '127.0.0.1',
    port,
    dir,
    certFile,
    log: () => readFileSync(logFile, 'utf8'),
    query,
    stop: async () => {
      try {
        process.kill(pid, 'SIGINT'); // fast shutdown
      } catch {}
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client program (psql, pgbench …) with optional stdin; never throws on a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      {
        env: { ...process.env, ...opts.env },
        timeout: opts.timeoutMs ?? 30_000,
        maxBuffer: 256 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** psql against a gateway listener: the JWT is the password. */
export function psqlArgs(port: number, database = 'gw'): string[] {
  return [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    'agent',
    '-d',
    database,
    '-X',
    '-v',
    'ON_ERROR_STOP=0',
  ];
}

export function spawnPsql(port: number, token: string, args: string[] = []): ChildProcess {
  return spawn('psql', [...psqlArgs(port), ...args], {
    env: { ...process.env, PGPASSWORD: token, PGSSLMODE: 'disable' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}
