// The web UI in Debian's chromium (playwright-core): sign in, replay an SSH session in the terminal
// player and seek to a command, a Postgres timeline with a denied statement and its rule, the live
// view, approving a real psql statement held for review, and OIDC sign-in. Screenshots of each page
// go to e2e/artifacts/ (git-ignored) for a reviewer.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgresListener } from '@portcullis/postgres';
import { Redis } from 'ioredis';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdminFixture,
  openSession,
  recordHttpSession,
  recordPgSession,
  recordSshSession,
  SSH_SCRIPT,
  startAdminFixture,
} from '../../packages/cli/src/admin/testing/fixture.js';
import { createTestDatabase, mainQuery } from '../support/postgres.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'e2e/artifacts');
const UI_SRC = join(ROOT, 'packages/cli/src/admin/ui');
const UI_DIR = join(ROOT, 'packages/cli/dist/ui');
const CHROMIUM = '/usr/bin/chromium';

/** Builds the UI bundle when it is missing or older than its sources. */
function ensureUiBuilt() {
  const built = join(UI_DIR, 'app.js');
  const newest = Math.max(
    ...['app.ts', 'app.css', 'index.html'].map((f) => statSync(join(UI_SRC, f)).mtimeMs),
  );
  if (existsSync(join(UI_DIR, 'index.html')) && existsSync(built) && statSync(built).mtimeMs >= newest)
    return;
  execFileSync(process.execPath, [join(ROOT, 'packages/cli/scripts/build-ui.mjs')], { stdio: 'inherit' });
}

let f: AdminFixture;
let db: { name: string; drop(): Promise<void> };
let pgListener: { address: { port: number }; close(): Promise<void> };
let browser: BrowserContext;
let profile: string;
let auditor: string;
let dba: string;
let sshId: string;
let pgId: string;
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (listed in .ci/apt-packages.txt)`);
  ensureUiBuilt();
  mkdirSync(ARTIFACTS, { recursive: true });
  db = await createTestDatabase('portcullis_e2e_admin');
  await mainQuery('CREATE TABLE deploys (id serial PRIMARY KEY, note text)', db.name);
  f = await startAdminFixture({ admin: { uiDir: UI_DIR }, pg: { database: db.name, user: 'postgres' } });
  pgListener = await startPostgresListener(f.gateway, f.gateway.connection('orders-db'));
  [auditor, dba] = await Promise.all([f.token('auditor-1', ['security']), f.token('dba-1', ['dba'])]);
  sshId = await recordSshSession(f, 300);
  pgId = await recordPgSession(f);
  await f.gateway.store.flush();
  profile = mkdtempSync(join(tmpdir(), 'portcullis-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 860 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await pgListener?.close();
  await f?.close();
  await db?.drop();
  // Console errors and CSP violations on any page fail the run here, once, with all of them.
  expect(problems).toEqual([]);
});

async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return page;
}

async function signIn(page: Page, token: string) {
  await page.goto(`${f.base}/`);
  await page.locator('#token').fill(token);
  await page.locator('#signin-button').click();
  await page.locator('#whoami').getByText('sign out').waitFor();
}

/** The terminal's visible rows as text. */
const terminalText = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('.xterm-rows > div')].map((r) => r.textContent ?? '').join('\n'),
  );

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(ARTIFACTS, `admin-${name}.png`), fullPage: true });

describe('web UI', () => {
  it('signs in with a pasted token and lists sessions with their badges; refuses a bad token', async () => {
    const page = await newPage();
    await page.goto(`${f.base}/`);
    await page.locator('#token').fill('not-a-token');
    await page.locator('#signin-button').click();
    await expect.poll(() => page.locator('#signin-error').textContent()).toMatch(/Token refused/);
    await shot(page, 'signin');

    await page.locator('#token').fill(auditor);
    await page.locator('#signin-button').click();
    await page.locator('#sessions tbody tr[data-session]').first().waitFor();
    expect(await page.locator('#whoami').textContent()).toContain('auditor-1');
    const rows = page.locator('#sessions tbody tr[data-session]');
    expect(await rows.count()).toBe(2);
    const ssh = page.locator(`tr[data-session="${sshId}"]`);
    expect(await ssh.locator('[data-badge="denied"]').textContent()).toBe('1 denied');
    expect(await ssh.locator('[data-badge="masked"]').textContent()).toBe('1 masked');
    expect(await page.locator(`tr[data-session="${pgId}"] [data-badge="masked"]`).textContent()).toBe(
      '2 masked',
    );
    await shot(page, 'sessions');

    // Filters go through the API: protocol=postgres leaves the Postgres session only.
    await page.locator('select[name="protocol"]').selectOption('postgres');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-session')).toBe(pgId);
    await page.close();
  });

  it('replays an SSH session in the terminal player and seeks to a command', async () => {
    const page = await newPage();
    await signIn(page, auditor);
    await page.locator(`tr[data-session="${sshId}"]`).click();
    await page.locator('#terminal .xterm-rows').waitFor();
    expect(await page.locator('#verify').textContent()).toMatch(/intact \(\d+ frames\)/);
    expect(await page.locator('#commands li').allTextContents()).toEqual([
      expect.stringContaining(SSH_SCRIPT.commands[0]),
      expect.stringMatching(new RegExp(`${SSH_SCRIPT.commands[1]}.*rule no-destructive`)),
      expect.stringContaining(SSH_SCRIPT.commands[2]),
    ]);
    // Play at 4×: the whole session appears, masked.
    await page.locator('#speed').selectOption('4');
    await page.locator('#play').click();
    await expect.poll(() => terminalText(page), { timeout: 5000 }).toContain('load average');
    const end = await terminalText(page);
    expect(end).toContain('Welcome to build-vm');
    expect(end).toContain('(owner [MASKED:email])');
    expect(end).not.toContain('alice@example.com');
    expect(end).toContain('portcullis: denied by rule no-destructive');
    await shot(page, 'ssh-replay');

    // Seek to the denied command: what came before it is on screen, what came after is not.
    await page.locator('#commands li').nth(1).click();
    // xterm writes asynchronously after its reset: wait for the replayed text, then check what is absent.
    await expect.poll(() => terminalText(page)).toContain(`${SSH_SCRIPT.prompt}${SSH_SCRIPT.commands[0]}`);
    await new Promise((r) => setTimeout(r, 100));
    const atRm = await terminalText(page);
    expect(atRm).not.toContain('load average');
    expect(atRm).toContain('(owner [MASKED:email])');
    expect(atRm).not.toContain('denied by rule');
    expect(await page.locator('#commands li.current').getAttribute('data-seq')).toBe(
      await page.locator('#commands li').nth(1).getAttribute('data-seq'),
    );
    expect(Number(await page.locator('#seek').inputValue())).toBe(
      Number(await page.locator('#commands li').nth(1).getAttribute('data-t')),
    );
    await shot(page, 'ssh-seek');
    await page.close();
  });

  it('shows a Postgres session as a timeline with the denied statement and its rule', async () => {
    const page = await newPage();
    await signIn(page, auditor);
    await page.goto(`${f.base}/#/sessions/${pgId}`);
    await page.locator('#timeline tbody tr').first().waitFor();
    const denied = page.locator('#timeline tr[data-action="deny"]');
    expect(await denied.count()).toBe(1);
    expect(await denied.locator('pre.statement').textContent()).toBe('DELETE FROM users');
    expect(await denied.textContent()).toContain('rule delete-needs-where');
    const read = page.locator('#timeline tr[data-action="allow"]');
    expect(await read.textContent()).toContain('SELECT 2');
    await read.locator('details summary').click();
    expect(await read.locator('table.sample').textContent()).toContain('[MASKED:email]');
    expect(await page.locator('#timeline').textContent()).not.toContain('alice@example.com');
    await shot(page, 'postgres-timeline');

    // The same through the real listener and psql: the denial reaches psql and the timeline alike.
    const agentToken = await f.token('agent-1', ['ai-agents']);
    const psql = await runPsql(
      pgListener.address.port,
      agentToken,
      db.name,
      'SELECT count(*) AS n FROM deploys; DELETE FROM deploys',
    ).done;
    expect(psql.stderr).toContain('ERROR:  portcullis: denied by rule delete-needs-where');
    await f.gateway.store.flush();
    const sessions = (await (await f.get('/api/sessions?connection=orders-db&limit=1', auditor)).json()) as {
      id: string;
    }[];
    await page.goto(`${f.base}/#/sessions/${sessions[0].id}`);
    // Only the hash changes: wait for the new session's page, not the old one still on screen.
    const real = page.locator('#timeline tr[data-action="deny"]', { hasText: 'FROM deploys' });
    await real.waitFor();
    expect(await real.locator('pre.statement').textContent()).toBe(
      'SELECT count(*) AS n FROM deploys; DELETE FROM deploys',
    );
    expect(await real.textContent()).toContain('rule delete-needs-where');
    await shot(page, 'postgres-psql-timeline');
    await page.close();
  });

  it('shows an HTTP session as a timeline of requests with status, masked preview and the denied one', async () => {
    const id = await recordHttpSession(f);
    await f.gateway.store.flush();
    const page = await newPage();
    await signIn(page, auditor);
    await page.goto(`${f.base}/#/sessions/${id}`);
    const post = page.locator('#timeline tr[data-action="allow"]');
    await post.waitFor();
    expect(await post.locator('pre.statement').textContent()).toBe('POST /v1/payments');
    expect(await post.textContent()).toContain('HTTP 201');
    expect(await post.textContent()).toContain('12 ms');
    expect(await post.locator('.badge.masked').textContent()).toBe('1 credit_card');
    await post.locator('details summary').click();
    expect(await post.locator('details pre').textContent()).toBe(
      '{"id":"pay_1","card":"[MASKED:credit_card]"}',
    );
    const del = page.locator('#timeline tr[data-action="deny"]');
    expect(await del.locator('pre.statement').textContent()).toBe('DELETE /v1/payments/7');
    expect(await del.textContent()).toContain('rule no-deletes');
    await shot(page, 'http-timeline');
    await page.close();
  });

  it('shows a tampered recording as tampered, naming the frame', async () => {
    const id = await recordPgSession(f);
    await f.gateway.store.flush();
    const r = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
    try {
      // Rewrite the DELETE's decision frame in place: same seq, another verdict.
      const key = `${f.keyPrefix}:{${id}}:frames`;
      const entries = await r.xrange(key, '-', '+');
      const fields = entries[6][1];
      const data = fields.indexOf('data') + 1;
      fields[data] = fields[data].replace('"deny"', '"allow"');
      await r.del(key);
      for (const [, e] of entries) await r.xadd(key, '*', ...e);
    } finally {
      r.disconnect();
    }
    const page = await newPage();
    await signIn(page, auditor);
    await page.goto(`${f.base}/#/sessions/${id}`);
    await page.locator('#verify.verify-bad').waitFor();
    expect(await page.locator('#verify').textContent()).toMatch(/^✗ tampered at frame 7: altered/);
    await shot(page, 'tampered');
    await page.close();
  });

  it('follows a live session as frames are recorded', async () => {
    const s = await openSession(f, 'build-vm');
    s.record('resize', { cols: 90, rows: 20 });
    s.record('output', new TextEncoder().encode('live-session$ '));
    await f.gateway.store.flush();
    const page = await newPage();
    await signIn(page, auditor);
    await page.goto(`${f.base}/#/sessions/${s.id}`);
    await page.locator('#terminal .xterm-rows').waitFor();
    expect(await page.locator('#session-status').textContent()).toContain('live');
    await new Promise((r) => setTimeout(r, 200));
    await s.judge({ kind: 'shell', text: 'whoami', source: 'interactive', context: 'prompt' });
    s.record('output', new TextEncoder().encode('whoami\r\ndeploy\r\nlive-session$ '));
    await expect.poll(() => terminalText(page), { timeout: 5000 }).toContain('deploy');
    await expect
      .poll(() => page.locator('#commands li').allTextContents())
      .toEqual([expect.stringContaining('whoami')]);
    await shot(page, 'live');
    await s.close();
    await expect.poll(() => page.locator('#session-status').textContent(), { timeout: 5000 }).toBe('closed');
    await page.close();
  });

  it('approves a psql statement held for review; psql then completes', async () => {
    const agentToken = await f.token('agent-1', ['ai-agents']);
    const psql = runPsql(
      pgListener.address.port,
      agentToken,
      db.name,
      "INSERT INTO deploys (note) VALUES ('release 42')",
    );
    try {
      const page = await newPage();
      await signIn(page, dba);
      // An approver who is not an auditor lands on the approvals page.
      await page.locator('#approvals').waitFor();
      const card = page.locator('.approval[data-status="pending"]');
      await card.first().waitFor({ timeout: 10_000 });
      expect(await card.count()).toBe(1);
      expect(await card.locator('pre.command').textContent()).toBe(
        "INSERT INTO deploys (note) VALUES ('release 42')",
      );
      expect(await card.textContent()).toMatch(
        /agent-1 asks on orders-db · rule writes-reviewed · \d+s left/,
      );
      await card.locator('input[aria-label="reason"]').fill('release window');
      await shot(page, 'approvals');
      await card.locator('button[data-vote="approve"]').click();
      const result = await psql.done;
      // The listener tells psql it is waiting (a NOTICE), then the statement runs.
      expect(result.stderr).toMatch(/^NOTICE: {2}portcullis: waiting for approval [0-9a-f-]+ from dba/);
      expect(result.stderr).not.toContain('ERROR');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('INSERT 0 1');
      expect((await mainQuery('SELECT note FROM deploys', db.name)).rows).toEqual([{ note: 'release 42' }]);
      await page.locator('.approval[data-status="approved"]').waitFor();
      expect(await page.locator('.approval[data-status="approved"] .votes').textContent()).toBe(
        'dba-1: approve (release window)',
      );
      await shot(page, 'approvals-resolved');
      await page.close();
    } finally {
      psql.child.kill();
    }
  });

  it('signs in through the OIDC issuer (code + PKCE) when its discovery document allows it', async () => {
    const page = await newPage();
    await page.goto(`${f.base}/`);
    const button = page.locator('#oidc-button');
    await button.waitFor();
    expect(await button.textContent()).toBe(`Sign in with ${new URL(f.issuer.issuer).host}`);
    f.issuer.user = { sub: 'auditor-oidc', groups: ['security'] };
    await button.click();
    await page.locator('#sessions tbody tr[data-session]').first().waitFor();
    expect(await page.locator('#whoami').textContent()).toContain('auditor-oidc');
    // The code went back with its verifier; the page no longer shows it.
    const form = f.issuer.tokenRequests.at(-1);
    expect(form?.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(page.url()).not.toContain('code=');
    await page.close();
  });
});

function runPsql(port: number, password: string, database: string, sql: string) {
  const child: ChildProcess = spawn(
    'psql',
    [
      '-X',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'agent-1',
      '-d',
      database,
      '-c',
      sql,
    ],
    {
      env: { ...process.env, PGPASSWORD: password, PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '10' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}
