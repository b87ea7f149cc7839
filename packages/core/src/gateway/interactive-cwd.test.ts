// A pty shell's directory carries from one judged line to the next: `cd /etc` then `cat shadow` is a
// read of /etc/shadow. Exec commands start at home every time.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Session } from '../types.js';
import { type ShellGateway, shellGateway } from './testing/shell-gateway.js';

let gw: ShellGateway;

beforeAll(async () => {
  gw = await shellGateway(`      - name: no-secret-files
        when: { shell: { paths: ["/etc/shadow", "~/.ssh/**"] } }
        action: deny`);
});

afterAll(async () => {
  await gw?.close();
});

const line = (s: Session, text: string) =>
  s.judge({ kind: 'shell', text, source: 'interactive', context: 'prompt' });

it('a cd on one line decides what a relative path means on the next', async () => {
  const s = await gw.open();
  expect((await line(s, 'cat shadow')).action).toBe('allow'); // /home/deploy/shadow
  expect((await line(s, 'cd /etc')).action).toBe('allow');
  expect(await line(s, 'cat shadow')).toMatchObject({ action: 'deny', rules: ['no-secret-files'] });
  expect((await line(s, 'cd')).action).toBe('allow');
  expect((await line(s, 'cat .ssh/id_ed25519')).action).toBe('deny');
  expect((await line(s, 'cd "$(mktemp -d)"')).action).toBe('allow');
  expect((await line(s, 'cat shadow')).action).toBe('deny'); // directory unknown: fail closed
  expect((await line(s, 'cd /tmp')).action).toBe('allow');
  expect((await line(s, 'cat shadow')).action).toBe('allow');
  // exec commands are separate shells: they start at home whatever the pty did
  expect((await s.judge({ kind: 'shell', text: 'cat shadow', source: 'exec' })).action).toBe('allow');
  await s.close();
});

it('each shell (SSH channel) keeps its own directory: a cd on one does not move another', async () => {
  const s = await gw.open();
  const on = (shell: string, text: string) =>
    s.judge({ kind: 'shell', text, source: 'interactive', context: 'prompt' }, { shell });
  expect((await on('a', 'cd /etc')).action).toBe('allow');
  // channel b's shell is still at home: its cd must not make channel a's relative paths mean home
  expect((await on('b', 'cd')).action).toBe('allow');
  expect(await on('a', 'cat shadow')).toMatchObject({ action: 'deny', rules: ['no-secret-files'] });
  expect((await on('b', 'cat shadow')).action).toBe('allow'); // /home/deploy/shadow
  await s.close();
});
