// SSH limits and side doors with the real core gateway in front of a real sshd, driven by
// OpenSSH: idle_timeout (keepalives are not activity), handshake_timeout, agent forwarding
// relayed when allowed, refused with a reason when not, X11 refused with a reason.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayContext, startGateway, type TestGateway } from '../support/gateway.js';
import { type Sshd, startSshd } from '../support/sshd.js';
import { askpass, clientEnv, collect, commonOptions, type RunResult, type Target } from './client.js';

const { Client } = ssh2;

let sshd: Sshd;
let gw: TestGateway;
let doors: TestGateway;
let ask: string;
let token: string;
let doorsToken: string;
let agentPid: number | undefined;
let agentSock: string;
let agentKeyFingerprint: string;

// Long enough for a loaded 2-core machine to start the upstream command well inside it.
const IDLE_MS = 3000;
const HANDSHAKE_MS = 3000;
const REVIEW_S = 5; // longer than IDLE_MS

beforeAll(async () => {
  sshd = await startSshd();
  const upstream = (policy: string, name: string) => `  - name: ${name}
    protocol: ssh
    listen: 127.0.0.1:0
    host_key_file: \${DIR}/gw/ssh_host_ed25519
    upstream:
      host: 127.0.0.1
      port: ${sshd.port}
      user: ${sshd.user}
      private_key_file: ${sshd.clientKeyFile}
      host_key: "${sshd.hostKey}"
    policy: ${policy}
`;
  // Two gateways: one with short limits, one with the defaults for the side-door tests (a 3 s
  // idle limit can fire on a loaded machine before the upstream command prints anything).
  const config = (limits: string) => (ctx: GatewayContext) =>
    `${ctx.preamble}${limits}
connections:
${upstream('agent-allowed', 'vm-agent')}${upstream('agent-denied', 'vm-no-agent')}
policies:
  agent-allowed:
    allow_groups: [ai-agents]
    default: allow
    agent_forwarding: allow
    port_forwarding: allow
    rules:
      - name: held-for-review
        when: { shell: { commands: [sudo] } }
        action: review
        approvers: [sre]
        timeout: ${REVIEW_S}s
  agent-denied:
    allow_groups: [ai-agents]
    default: allow
    agent_forwarding: deny
`.replaceAll('${DIR}', ctx.dir);
  gw = await startGateway(
    config(`limits:\n  idle_timeout: ${IDLE_MS}ms\n  handshake_timeout: ${HANDSHAKE_MS}ms\n`),
  );
  doors = await startGateway(config(''));
  ask = askpass(gw.dir);
  token = await gw.token();
  doorsToken = await doors.token();
  // A real ssh-agent holding one key: what `ssh -A` forwards.
  agentSock = join(gw.dir, 'agent.sock');
  const out = execFileSync('ssh-agent', ['-s', '-a', agentSock]).toString();
  agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)?.[1]);
  const keyFile = join(gw.dir, 'agent_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'e2e-agent-key', '-f', keyFile]);
  execFileSync('ssh-add', ['-q', keyFile], { env: { ...process.env, SSH_AUTH_SOCK: agentSock } });
  agentKeyFingerprint =
    execFileSync('ssh-keygen', ['-lf', `${keyFile}.pub`])
      .toString()
      .split(' ')[1] ?? '';
}, 60_000);

afterAll(async () => {
  if (agentPid) process.kill(agentPid);
  await gw?.close();
  await doors?.close();
  await sshd?.stop();
});

const target = (connection: string, g: TestGateway): Target => ({
  host: '127.0.0.1',
  port: g.port(connection),
  user: 'agent',
  token: g === doors ? doorsToken : token,
});

/** ssh through the gateway with extra client options (e.g. -A, ServerAliveInterval). */
function sshWith(
  connection: string,
  extra: string[],
  command: string,
  env: NodeJS.ProcessEnv = {},
  g: TestGateway = gw,
): Promise<RunResult> {
  const t = target(connection, g);
  const child = spawn(
    'ssh',
    [...commonOptions(t, extra), '-p', String(t.port), `${t.user}@${t.host}`, command],
    {
      env: { ...clientEnv(t, ask), ...env },
    },
  );
  return collect(child, undefined, 30_000);
}

interface Frame {
  kind: string;
  data: string;
}

/** The frames of the one recorded session whose frames mention `marker`. */
async function sessionFrames(marker: string): Promise<Frame[]> {
  const r = gw.redis();
  // Frames are batched: give the recorder a moment to flush.
  for (let attempt = 0; attempt < 20; attempt++) {
    for (const k of await r.keys(`${gw.keyPrefix}:{*}:frames`)) {
      const frames: Frame[] = [];
      for (const [, fields] of await r.xrange(k, '-', '+')) {
        const f: Record<string, string> = {};
        for (let i = 0; i < fields.length; i += 2) f[fields[i]] = fields[i + 1];
        frames.push({ kind: f.kind, data: f.data });
      }
      if (frames.some((f) => f.data.includes(marker)) && frames.some((f) => f.kind === 'close'))
        return frames;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no closed session mentions ${marker}`);
}

describe('limits.idle_timeout', () => {
  it('closes a connection with no traffic, says which limit, records an error then the close', async () => {
    const marker = `idle-${randomBytes(4).toString('hex')}`;
    const started = Date.now();
    const r = await sshWith('vm-agent', [], `echo ${marker}; sleep 20`);
    const took = Date.now() - started;
    expect(r.stderr).toContain('portcullis: limit idle_timeout exceeded: no traffic for');
    expect(r.code).not.toBe(0);
    expect(took).toBeLessThan(10_000);
    const frames = await sessionFrames(marker);
    const errorAt = frames.findIndex((f) => f.kind === 'error' && f.data.includes('idle_timeout'));
    expect(errorAt).toBeGreaterThan(-1);
    expect(frames.findIndex((f) => f.kind === 'close')).toBeGreaterThan(errorAt);
    expect(frames.find((f) => f.kind === 'close')?.data).toContain('idle_timeout');
  });

  it('does not count keepalives as traffic (ServerAliveInterval shorter than the limit)', async () => {
    const started = Date.now();
    const r = await sshWith(
      'vm-agent',
      ['-o', 'ServerAliveInterval=1', '-o', 'ServerAliveCountMax=30'],
      'sleep 12',
    );
    expect(r.stderr).toContain('limit idle_timeout exceeded');
    expect(Date.now() - started).toBeLessThan(9_000);
  });

  it('keeps a connection whose command keeps printing, longer than the limit', async () => {
    const r = await sshWith(
      'vm-agent',
      [],
      'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo tick-$i; sleep 0.5; done',
    );
    expect(r.stderr).not.toContain('idle_timeout');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('tick-12');
  });
});

describe('limits.idle_timeout while the gateway waits', () => {
  it('does not cut a command waiting for an approval longer than the limit', async () => {
    const started = Date.now();
    const r = await sshWith('vm-agent', [], 'sudo true');
    expect(Date.now() - started).toBeGreaterThanOrEqual(REVIEW_S * 1000 - 200);
    expect(r.stderr).not.toContain('idle_timeout');
    expect(r.stderr).toContain('portcullis: denied by rule held-for-review');
    expect(r.code).toBe(126);
  });
});

describe('limits.handshake_timeout', () => {
  it('drops a TCP client that connects and never speaks SSH', async () => {
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const sock = connect(gw.port('vm-agent'), '127.0.0.1');
      sock.on('data', () => {}); // the gateway's version line
      sock.on('error', () => {});
      sock.on('close', () => resolve(Date.now() - started));
      setTimeout(() => {
        sock.destroy();
        reject(new Error('still connected 15 s later'));
      }, 15_000);
    });
    expect(closedAfter).toBeGreaterThanOrEqual(HANDSHAKE_MS - 100);
    expect(closedAfter).toBeLessThan(HANDSHAKE_MS + 4_000);
  });

  it('drops a client that finished key exchange but never authenticates', async () => {
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const c = new Client();
      let handshaken = false;
      c.on('handshake', () => {
        handshaken = true;
      });
      c.on('error', () => {});
      c.on('close', () =>
        handshaken ? resolve(Date.now() - started) : reject(new Error('no key exchange')),
      );
      c.connect({
        host: '127.0.0.1',
        port: gw.port('vm-agent'),
        username: 'agent',
        readyTimeout: 30_000,
        // Never picks an auth method: the connection sits between key exchange and auth.
        authHandler: () => {},
      });
      setTimeout(() => {
        c.end();
        reject(new Error('still connected 15 s later'));
      }, 15_000);
    });
    expect(closedAfter).toBeGreaterThanOrEqual(HANDSHAKE_MS - 100);
    expect(closedAfter).toBeLessThan(HANDSHAKE_MS + 4_000);
  });
});

describe('agent forwarding', () => {
  it('relays ssh -A to the agent when the policy allows it: upstream ssh-add lists the key', async () => {
    const r = await sshWith('vm-agent', ['-A'], 'ssh-add -l', { SSH_AUTH_SOCK: agentSock }, doors);
    expect(r.stderr).not.toContain('portcullis');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(agentKeyFingerprint);
  });

  it('refuses ssh -A when the policy denies it and says why; nothing reaches the upstream', async () => {
    const r = await sshWith(
      'vm-no-agent',
      ['-A'],
      'ssh-add -l; echo rc=$?',
      { SSH_AUTH_SOCK: agentSock },
      doors,
    );
    expect(r.stderr).toContain('portcullis: agent forwarding refused: denied by rule agent_forwarding');
    expect(r.stdout).not.toContain(agentKeyFingerprint);
    expect(r.stdout).toMatch(/rc=2/); // no agent upstream
  });

  it('refuses X11 even when allowed and says why', async () => {
    const r = await sshWith(
      'vm-agent',
      ['-o', 'ForwardX11=yes', '-o', 'ForwardX11Trusted=yes'],
      'echo ran',
      { DISPLAY: ':0' },
      doors,
    );
    expect(r.stderr).toContain(
      'portcullis: X11 forwarding refused: allowed by policy, but the gateway does not relay X11',
    );
    expect(r.stdout).toContain('ran');
  });
});
