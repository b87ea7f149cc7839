// SFTP data is checked for secrets: a READ response that masking would change is refused (it cannot
// be masked in place), files without secrets transfer byte for byte. Real core (masker, Redis
// recording), real sshd, OpenSSH sftp and scp (SFTP mode and legacy -O).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { type Sshd, startSshd } from '../support/sshd.js';
import { askpass, clientEnv, commonOptions, type RunResult, run, type Target } from './client.js';

const CARD = '4111111111111111'; // Luhn-valid
const CHUNK = 32 * 1024; // OpenSSH sftp's read size
const MESSAGE = /holds data masking would hide \(credit_card\); SFTP transfers cannot be masked/;

let sshd: Sshd;
let gw: TestGateway;
let target: Target;
let plain: Target;
let ask: string;
let work: string;

beforeAll(async () => {
  sshd = await startSshd();
  const upstream = `
    host_key_file: \${DIR}/gw/ssh_host_ed25519
    upstream:
      host: 127.0.0.1
      port: ${sshd.port}
      user: ${sshd.user}
      private_key_file: ${sshd.clientKeyFile}
      host_key: "${sshd.hostKey}"`;
  gw = await startGateway(
    (ctx) => `${ctx.preamble}
connections:
  - name: masked
    protocol: ssh
    listen: 127.0.0.1:0${upstream.replace('${DIR}', ctx.dir)}
    policy: masked
  - name: unmasked
    protocol: ssh
    listen: 127.0.0.1:0${upstream.replace('${DIR}', ctx.dir)}
    policy: unmasked
policies:
  masked:
    allow_groups: [ai-agents]
    default: allow
    masking: { detectors: [email, credit_card, us_ssn, iban, aws_access_key, private_key, jwt, api_key] }
  unmasked:
    allow_groups: [ai-agents]
    default: allow
`,
  );
  work = join(gw.dir, 'work');
  mkdirSync(work);
  ask = askpass(gw.dir);
  const token = await gw.token();
  target = { host: '127.0.0.1', port: gw.port('masked'), user: 'agent', token };
  plain = { ...target, port: gw.port('unmasked') };
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await sshd?.stop();
});

function filler(n: number): string {
  const line = 'order 1042 shipped to warehouse seven, status ok\n';
  return line.repeat(Math.ceil(n / line.length)).slice(0, n);
}

function sftpGet(t: Target, src: string, dst: string): Promise<RunResult> {
  const batch = join(work, `batch-${Math.random().toString(36).slice(2)}`);
  writeFileSync(batch, `get ${src} ${dst}\n`);
  return run(
    'sftp',
    [...commonOptions(t), '-o', 'BatchMode=no', '-P', String(t.port), '-b', batch, `${t.user}@127.0.0.1`],
    clientEnv(t, ask),
    undefined,
    120_000,
  );
}

function scp(t: Target, src: string, dst: string, legacy = false): Promise<RunResult> {
  return run(
    'scp',
    [...commonOptions(t), ...(legacy ? ['-O'] : []), '-P', String(t.port), `${t.user}@127.0.0.1:${src}`, dst],
    clientEnv(t, ask),
    undefined,
    120_000,
  );
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const local = (name: string) => (existsSync(name) ? readFileSync(name, 'latin1') : '');

interface Frame {
  kind: string;
  data: string;
}
async function allFrames(): Promise<Frame[]> {
  const r = gw.redis();
  const out: Frame[] = [];
  for (const k of await r.keys(`${gw.keyPrefix}:{*}:frames`)) {
    for (const [, fields] of await r.xrange(k, '-', '+')) {
      const f: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) f[fields[i]] = fields[i + 1];
      out.push({ kind: f.kind, data: f.data });
    }
  }
  return out;
}

describe('sftp data with secrets', () => {
  it('refuses a file whose Luhn-valid card is split exactly across the 32 KiB read boundary', async () => {
    const src = join(work, 'split-card.txt');
    const head = `${filler(CHUNK - 9)} `;
    writeFileSync(src, `${head}${CARD} and more\n${filler(CHUNK)}`);
    expect(readFileSync(src, 'latin1').slice(CHUNK - 8, CHUNK + 8)).toBe(CARD);
    const dst = join(work, 'split-card.got');
    const r = await sftpGet(target, src, dst);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(MESSAGE);
    expect(r.stderr).toContain('read it with a command, whose output is masked');
    expect(local(dst)).not.toContain(CARD);
    expect(local(dst)).not.toContain(CARD.slice(8));
    // a resumed download starts at the second half: refused too
    const again = join(work, 'batch-reget');
    writeFileSync(again, `reget ${src} ${dst}\n`);
    const rr = await run(
      'sftp',
      [
        ...commonOptions(target),
        '-o',
        'BatchMode=no',
        '-P',
        String(target.port),
        '-b',
        again,
        'agent@127.0.0.1',
      ],
      clientEnv(target, ask),
    );
    expect(rr.code).not.toBe(0);
    expect(local(dst)).not.toContain(CARD);
    // the same file through exec comes back masked
    const cat = await run(
      'ssh',
      [...commonOptions(target), '-p', String(target.port), 'agent@127.0.0.1', `cat ${src}`],
      clientEnv(target, ask),
    );
    expect(cat.stdout).toContain('[MASKED:credit_card]');
    expect(cat.stdout).not.toContain(CARD);
  }, 60_000);

  it('downloads a file of look-alikes only (Luhn-invalid card, bad IBAN) byte for byte', async () => {
    const src = join(work, 'lookalikes.txt');
    const text = `${filler(CHUNK - 20)} 4111111111111112 GB82WEST12345698765433 ${filler(CHUNK)} 4111-1111-1111-1112\n`;
    writeFileSync(src, text);
    const dst = join(work, 'lookalikes.got');
    const r = await sftpGet(target, src, dst);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(dst).equals(readFileSync(src))).toBe(true);
  }, 60_000);

  it('downloads a 10 MB clean file identical', async () => {
    const src = join(work, 'clean-10m.bin');
    // random bytes hold email-shaped strings now and then (exec output would mask them too): no '@'
    const noise = randomBytes(5 << 20).map((b) => (b === 0x40 ? 0x41 : b));
    const data = Buffer.concat([noise, Buffer.from(filler(5 << 20))]);
    writeFileSync(src, data);
    const dst = join(work, 'clean-10m.got');
    const r = await sftpGet(target, src, dst);
    expect(r.code, r.stderr).toBe(0);
    expect(sha(readFileSync(dst))).toBe(sha(data));
  }, 120_000);

  it('refuses a big file with a secret in the middle; the partial local file lacks the secret', async () => {
    const src = join(work, 'big-secret.txt');
    const half = 3 << 20;
    writeFileSync(src, `${filler(half)}card ${CARD} end\n${filler(half)}`);
    for (const [how, get] of [
      ['sftp', (d: string) => sftpGet(target, src, d)],
      ['scp', (d: string) => scp(target, src, d)],
    ] as const) {
      const dst = join(work, `big-secret.${how}`);
      const r = await get(dst);
      expect(r.code, how).not.toBe(0);
      expect(r.stderr, how).toMatch(MESSAGE);
      const got = local(dst);
      expect(got, how).not.toContain(CARD);
      // what arrived is the file's own bytes up to the refusal, nothing past the secret
      expect(got.length, how).toBeLessThan(half + 5);
      rmSync(dst, { force: true });
    }
  }, 120_000);

  it('legacy scp -O (an exec of scp -f): the secret never arrives intact', async () => {
    const src = join(work, 'legacy.txt');
    writeFileSync(src, `${filler(1000)}card ${CARD} end\n${filler(1000)}`);
    const dst = join(work, 'legacy.got');
    const r = await scp(target, src, dst, true);
    // a masked value would not fit the length scp announced: the transfer is cut before it
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/holds data masking would hide \(credit_card\); scp cannot carry masked data/);
    expect(local(dst)).not.toContain(CARD);
    expect(local(dst)).not.toContain('MASKED');
    // a clean file still copies byte for byte over the legacy protocol
    const clean = join(work, 'legacy-clean.txt');
    writeFileSync(clean, `${filler(100_000)}4111111111111112\n`);
    const ok = await scp(target, clean, join(work, 'legacy-clean.got'), true);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(join(work, 'legacy-clean.got')).equals(readFileSync(clean))).toBe(true);
  }, 60_000);

  it('with no masking detectors in the policy, the same file downloads as it always did', async () => {
    const src = join(work, 'split-card.txt');
    const dst = join(work, 'unmasked.got');
    const r = await sftpGet(plain, src, dst);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(dst).equals(readFileSync(src))).toBe(true);
  }, 60_000);

  it('records each refusal (error frame naming the path and detector) and counts it as masked', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    const frames = await allFrames();
    const refusals = frames.filter((f) => f.kind === 'error' && f.data.includes('"code":"sftp_masking"'));
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    const first = JSON.parse(refusals[0].data);
    expect(first.detectors).toEqual(['credit_card']);
    expect(first.message).toMatch(MESSAGE);
    expect(frames.some((f) => f.kind === 'result' && f.data.includes('"refused":"masking"'))).toBe(true);
    expect(gw.gateway.metrics.render()).toMatch(
      /portcullis_masked_values_total\{detector="credit_card"\} [1-9]/,
    );
  });
});
