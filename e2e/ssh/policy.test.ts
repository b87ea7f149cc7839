// The SSH listener with the real core (config, JWT, shell analyzer, policy, masker, Redis
// recording) in front of a real sshd, driven by OpenSSH ssh/scp/sftp.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { type Sshd, startSshd } from '../support/sshd.js';
import { askpass, clientEnv, commonOptions, PtyDriver, run, spawnSsh, ssh, type Target } from './client.js';
import { EVASIONS } from './evasions.js';

const SOAK = process.env.PORTCULLIS_SOAK === '1';
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';

let sshd: Sshd;
let gw: TestGateway;
let target: Target;
let ask: string;
let work: string;
let sshDir: string;
const homeSecret = `portcullis-e2e-${process.pid}`;

beforeAll(async () => {
  sshd = await startSshd();
  gw = await startGateway(
    (ctx) => `${ctx.preamble}
connections:
  - name: build-vm
    protocol: ssh
    listen: 127.0.0.1:0
    host_key_file: ${ctx.dir}/gw/ssh_host_ed25519
    upstream:
      host: 127.0.0.1
      port: ${sshd.port}
      user: ${sshd.user}
      private_key_file: ${sshd.clientKeyFile}
      host_key: "${sshd.hostKey}"
    policy: shell-guardrails
  - name: build-vm-no-pty
    protocol: ssh
    listen: 127.0.0.1:0
    host_key_file: ${ctx.dir}/gw/ssh_host_ed25519
    upstream:
      host: 127.0.0.1
      port: ${sshd.port}
      user: ${sshd.user}
      private_key_file: ${sshd.clientKeyFile}
      host_key: "${sshd.hostKey}"
    policy: no-pty
policies:
  shell-guardrails:
    allow_groups: [ai-agents]
    default: allow
    interactive: allow
    interactive_unknown: deny
    port_forwarding: deny
    rules:
      - name: no-destructive
        when: { shell: { commands: [rm], args: ["-rf", "-fr", "-r", "--no-preserve-root"] } }
        action: deny
      - name: no-secret-files
        when: { shell: { paths: ["/etc/shadow", "~/.ssh/**", "**/.env"] } }
        action: deny
      - name: no-dynamic-exec
        when: { shell: { dynamic: true } }
        action: deny
      - name: privileged-reviewed
        when: { shell: { commands: [sudo, systemctl] } }
        action: review
        approvers: [sre]
        timeout: 1s
    masking: { detectors: [aws_access_key, private_key, jwt, api_key] }
  no-pty:
    allow_groups: [ai-agents]
    default: allow
    interactive: deny
`,
  );
  work = join(gw.dir, 'work');
  mkdirSync(work);
  ask = askpass(gw.dir);
  target = { host: '127.0.0.1', port: gw.port('build-vm'), user: 'agent', token: await gw.token() };
  sshDir = join(process.env.HOME ?? '/root', '.ssh');
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(sshDir, homeSecret), 'PRIVATE');
}, 60_000);

afterAll(async () => {
  rmSync(join(sshDir, homeSecret), { force: true });
  await gw?.close();
  await sshd?.stop();
});

const x = (cmd: string, input?: string) => ssh(target, [cmd], { askpass: ask, input });

describe('exec', () => {
  it('runs an allowed command and masks secrets in its output, also split across writes', async () => {
    const r = await x(`echo key=${AWS_KEY}; printf 'AKIAIOSF'; printf 'ODNN7EXAMPLE\\n'`);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(AWS_KEY);
    expect(r.stdout).not.toContain('ODNN7EXAMPLE');
    expect(r.stdout.match(/\[MASKED:aws_access_key\]/g)).toHaveLength(2);
  });

  it('denies before anything runs: stderr names the rule, exit 126, no marker upstream', async () => {
    const r = await x(`touch ${work}/m1; rm -rf ${work}/nothing`);
    expect(r.code).toBe(126);
    expect(r.stderr).toContain('portcullis: denied by rule no-destructive');
    expect(existsSync(`${work}/m1`)).toBe(false);
  });

  it('holds a reviewed command, shows the approval id, and denies it when nobody approves', async () => {
    const r = await x(`touch ${work}/m2; sudo true`);
    expect(r.stderr).toMatch(/waiting for approval \S+/);
    expect(r.stderr).toContain('portcullis: denied by rule privileged-reviewed');
    expect(r.code).toBe(126);
    expect(existsSync(`${work}/m2`)).toBe(false);
  });

  it.each(EVASIONS.map((e, i) => [e.family, e, i] as const))(
    'evasion through exec never runs: %s',
    async (_f, e, i) => {
      const victim = `${work}/victim-${i}`;
      const mark = `${work}/mark-${i}`;
      writeFileSync(victim, 'keep');
      writeFileSync(`${work}/.env`, 'SECRET=1');
      const b64 = Buffer.from(`rm -rf ${victim}`).toString('base64');
      const cmd = e.cmd
        .replaceAll('VICTIM', victim)
        .replaceAll('MARK', mark)
        .replaceAll('SECRET', `${work}/.env`)
        .replaceAll('B64', b64);
      const r = await x(cmd, `rm -rf ${victim}\n`);
      expect(r.code, `${cmd}\n${r.stderr}`).toBe(126);
      expect(existsSync(mark), cmd).toBe(false);
      expect(existsSync(victim), cmd).toBe(true);
    },
  );

  it('judges each stdin line of a shell without a pty', async () => {
    const r = await ssh(target, ['-T'], {
      askpass: ask,
      input: `touch ${work}/t1\nrm -rf ${work}/t1\ntouch ${work}/t2\n`,
    });
    expect(r.stderr).toContain('denied by rule no-destructive');
    expect(existsSync(`${work}/t1`)).toBe(true);
    expect(existsSync(`${work}/t2`)).toBe(true);
  });
});

describe('interactive pty', () => {
  it('judges the line the terminal shows; a denied line never runs', async () => {
    const p = new PtyDriver(target, ask);
    await p.waitFor(/[$#] $/);
    await p.typeSlowly(`cd ${work}; touch p1\r`);
    await p.waitFor(/p1\r?\n[^\n]*[$#] $/s);
    let at = p.output.length;
    await p.typeSlowly('touch p2; rm -r -x\x7ff nothing\r');
    await p.waitFor('denied by rule no-destructive', 5_000, at);
    at = p.output.length;
    // a line typed into a program reading the terminal is away from the prompt: interactive_unknown
    await p.typeSlowly('cat > p3\r');
    await new Promise((r) => setTimeout(r, 300));
    at = p.output.length;
    await p.typeSlowly('hello\r');
    await p.waitFor('denied by rule interactive_unknown', 5_000, at);
    p.type('\x03');
    await new Promise((r) => setTimeout(r, 300));
    at = p.output.length;
    // history expansion is unknown too: bash would run a line the gateway never saw
    await p.typeSlowly('touch p4; !!\r');
    await p.waitFor('denied by rule', 5_000, at);
    expect(existsSync(`${work}/p1`)).toBe(true);
    for (const f of ['p2', 'p4']) expect(existsSync(`${work}/${f}`), f).toBe(false);
    expect(existsSync(`${work}/p3`) ? readFileSync(`${work}/p3`, 'utf8') : '').not.toContain('hello');
    await p.close();
  }, 60_000);

  it('refuses pty shells when the policy says interactive: deny', async () => {
    const p = new PtyDriver({ ...target, port: gw.port('build-vm-no-pty') }, ask);
    const code = await p.exited;
    expect(p.output + p.stderr).toContain('denied by rule interactive');
    expect(code).toBe(126);
  });
});

describe('files and side doors', () => {
  it('denies sftp and scp reads of ~/.ssh/**, allows the rest', async () => {
    writeFileSync(`${work}/plain.txt`, 'plain');
    const env = clientEnv(target, ask);
    const scp = (src: string, dst: string) =>
      run('scp', [...commonOptions(target), '-P', String(target.port), src, dst], env);
    const ok = await scp(`agent@127.0.0.1:${work}/plain.txt`, `${work}/plain-copy.txt`);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(`${work}/plain-copy.txt`, 'utf8')).toBe('plain');
    // modern scp speaks sftp; -O is the legacy scp protocol (an exec of `scp -f`)
    for (const legacy of [[], ['-O']]) {
      const r = await run(
        'scp',
        [
          ...commonOptions(target),
          ...legacy,
          '-P',
          String(target.port),
          `agent@127.0.0.1:~/.ssh/${homeSecret}`,
          `${work}/leak`,
        ],
        env,
      );
      expect(r.code, r.stderr).not.toBe(0);
      expect(existsSync(`${work}/leak`)).toBe(false);
    }
  });

  it('refuses ssh -L to the Postgres port and records the refusal', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const fwd = spawnSsh(target, ['-N'], ask, ['-L', `${port}:127.0.0.1:5432`]);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const r = await run(
        'psql',
        ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-c', 'select 1', 'postgres'],
        {
          ...process.env,
          PGCONNECT_TIMEOUT: '3',
        },
      );
      expect(r.code).not.toBe(0);
    } finally {
      fwd.kill();
    }
    await new Promise((r) => setTimeout(r, 1200));
    const frames = await allFrames();
    expect(frames.some((f) => f.kind === 'decision' && f.data.includes('port_forwarding'))).toBe(true);
  });
});

describe('recording', () => {
  it('records commands, decisions, input, masked output, resize and exit status', async () => {
    await x(`echo rec-${AWS_KEY}; exit 3`);
    const p = new PtyDriver(target, ask);
    await p.waitFor(/[$#] $/);
    await p.typeSlowly('echo typed\r');
    await p.waitFor('typed\r\n');
    await p.close();
    await new Promise((r) => setTimeout(r, 1500));
    const frames = await allFrames();
    const kinds = new Set(frames.map((f) => f.kind));
    for (const k of ['open', 'auth', 'command', 'decision', 'input', 'output', 'resize', 'result', 'close'])
      expect(kinds, k).toContain(k);
    const output = frames
      .filter((f) => f.kind === 'output')
      .map((f) => Buffer.from(f.data, 'base64').toString())
      .join('');
    expect(output).toContain('rec-[MASKED:aws_access_key]');
    expect(output).not.toContain(AWS_KEY);
    expect(frames.some((f) => f.kind === 'result' && f.data.includes('"exit_status":3'))).toBe(true);
  });
});

describe('transfers', () => {
  const size = (SOAK ? 100 : 20) * 1024 * 1024;
  it(`moves ${size >> 20} MB through exec and through sftp with equal checksums`, async () => {
    const src = `${work}/big.bin`;
    writeFileSync(src, randomBytes(size));
    const sum = createHash('sha256').update(readFileSync(src)).digest('hex');
    const viaExec = await ssh(target, [`cat ${src}`], { askpass: ask, timeoutMs: 120_000 });
    expect(viaExec.stdoutBytes.length).toBe(size);
    expect(createHash('sha256').update(viaExec.stdoutBytes).digest('hex')).toBe(sum);
    const dst = `${work}/big-sftp.bin`;
    const batch = `${work}/batch`;
    writeFileSync(batch, `get ${src} ${dst}\n`);
    const r = await run(
      'sftp',
      [
        ...commonOptions(target),
        '-o',
        'BatchMode=no',
        '-P',
        String(target.port),
        '-b',
        batch,
        'agent@127.0.0.1',
      ],
      clientEnv(target, ask),
      undefined,
      120_000,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(createHash('sha256').update(readFileSync(dst)).digest('hex')).toBe(sum);
  }, 180_000);
});

interface Frame {
  kind: string;
  data: string;
}

async function allFrames(): Promise<Frame[]> {
  const r = gw.redis();
  const keys = await r.keys(`${gw.keyPrefix}:{*}:frames`);
  const out: Frame[] = [];
  for (const k of keys) {
    for (const [, fields] of await r.xrange(k, '-', '+')) {
      const f: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) f[fields[i]] = fields[i + 1];
      out.push({ kind: f.kind, data: f.data });
    }
  }
  return out;
}
