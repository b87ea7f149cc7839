// `make demo` as a new user runs it: start it, wait for the printed commands, paste them, check the
// tour's promises (masking, a denial with its rule, a write that waits for approval, the SSH denial).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/sshd.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
let demo: ChildProcess;
let out = '';
let err = '';
const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-demo-'));

async function bash(script: string, env: Record<string, string> = {}) {
  try {
    const r = await run('bash', ['-c', script], {
      cwd: root,
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? 1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

/** The printed line that starts with `prefix` (commands are pasted as printed). */
function line(prefix: string, contains = ''): string {
  const l = out.split('\n').find((x) => x.trim().startsWith(prefix) && x.includes(contains));
  if (!l) throw new Error(`the demo printed no "${prefix}…${contains}" line:\n${out}`);
  return l.trim().replace(/\s+# .*$/, '');
}

beforeAll(async () => {
  const env = {
    ...process.env,
    PORTCULLIS_DEMO_DIR: dir,
    DEMO_PG_LISTEN: String(await freePort()),
    DEMO_HTTP_LISTEN: String(await freePort()),
    DEMO_SSH_LISTEN: String(await freePort()),
    DEMO_ADMIN_PORT: String(await freePort()),
    REDIS_URL: '',
  };
  demo = spawn('make', ['--no-print-directory', 'demo'], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout!.on('data', (d) => {
    out += d;
  });
  demo.stderr!.on('data', (d) => {
    err += d;
  });
  const deadline = Date.now() + 180_000;
  while (!err.includes('demo: ready')) {
    if (demo.exitCode !== null) throw new Error(`make demo exited with ${demo.exitCode}:\n${err}`);
    if (Date.now() > deadline) throw new Error(`make demo was not ready in time:\n${err}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 200_000);

afterAll(async () => {
  if (demo?.pid && demo.exitCode === null) {
    const exited = new Promise((r) => demo.once('exit', r));
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-demo.pid!, sig);
      } catch {
        // the group is already gone
      }
    };
    signal('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (demo.exitCode === null) signal('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('make demo', () => {
  const tokens = () => ({
    AGENT_TOKEN: /export AGENT_TOKEN='([^']+)'/.exec(out)![1],
    PORTCULLIS_TOKEN: /export PORTCULLIS_TOKEN='([^']+)'/.exec(out)![1],
  });

  it('prints ready-to-paste tokens, commands and the web UI address', () => {
    expect(out).toMatch(/export AGENT_TOKEN='ey/);
    expect(out).toMatch(/Web UI: http:\/\/127\.0\.0\.1:\d+\//);
    expect(err).toMatch(/postgres listener customers-db/);
  });

  it('the SELECT shows names and masks e-mails, cards and SSNs; order numbers stay readable', async () => {
    const r = await bash(line('PGPASSWORD=', 'SELECT'), tokens());
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('[MASKED:email]');
    expect(r.stdout).toContain('[MASKED:us_ssn]');
    expect(r.stdout).not.toMatch(/@example\.com/);
  });

  it('DELETE without WHERE is denied with the rule that said so', async () => {
    const r = await bash(line('PGPASSWORD=', 'DELETE FROM customers'), tokens());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('portcullis: denied by rule delete-needs-where');
  });

  it('DELETE with WHERE waits for approval, is approved from the CLI, then runs', async () => {
    const waiting = bash(line('PGPASSWORD=', 'WHERE id = 1'), tokens());
    let id = '';
    for (let i = 0; i < 80 && !id; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const list = await bash(
        `${line('node packages/cli/bin/portcullis.js approvals list')} --json`,
        tokens(),
      );
      const pending = (
        JSON.parse(list.stdout || '[]') as { id: string; status: string; command: string }[]
      ).find((a) => a.status === 'pending' && a.command.includes('DELETE FROM orders'));
      id = pending?.id ?? '';
    }
    expect(id).not.toBe('');
    const approve = await bash(
      line('node packages/cli/bin/portcullis.js approvals approve').replace('<ID>', id),
      tokens(),
    );
    expect(approve.code).toBe(0);
    const r = await waiting;
    expect(r.stdout).toContain('DELETE 1');
  });

  it('curl gets the record with its PII masked; the agent never needs the API’s own token', async () => {
    const r = await bash(line('curl', '/v1/customers/1'), tokens());
    const body = JSON.parse(r.stdout);
    expect(body.name).toBeTruthy();
    expect(body.email).toBe('[MASKED:email]');
  });

  it('ssh runs uname, and a line with rm -rf is refused as a whole', async () => {
    if (!out.includes('sshpass')) return; // OpenSSH server not installed: the demo says it skipped SSH
    const ok = await bash(line('sshpass', "'uname -a'"), tokens());
    expect(ok.stdout).toContain('Linux');
    const denied = await bash(line('sshpass', 'echo cleaning'), tokens());
    expect(denied.stdout).not.toContain('cleaning');
    expect(denied.stderr).toContain('portcullis: denied by rule no-destructive');
    expect(denied.code).toBe(126);
  });
});
