// Two-step evasion: one command writes a script (or an SFTP upload does), a later command runs it. The
// session remembers what its allowed commands wrote, so the second step is judged as dynamic code.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Session } from '../types.js';
import { type ShellGateway, shellGateway } from './testing/shell-gateway.js';

let gw: ShellGateway;

beforeAll(async () => {
  gw = await shellGateway(`      - name: no-unknown-code
        when: { shell: { dynamic: true } }
        action: deny`);
});

afterAll(async () => {
  await gw?.close();
});

const open = () => gw.open();
const exec = (s: Session, text: string) => s.judge({ kind: 'shell', text, source: 'exec' });

it('a script written by one exec and run by the next is denied as unknown code', async () => {
  const s = await open();
  expect((await exec(s, 'bash /tmp/job.sh')).action).toBe('allow');
  expect((await exec(s, "printf 'rm -rf /srv\\n' > /tmp/job.sh")).action).toBe('allow');
  const d = await exec(s, 'bash /tmp/job.sh');
  expect(d).toMatchObject({ action: 'deny', rules: ['no-unknown-code'] });
  expect(d.reason).toMatch(/earlier command of this session/);
  expect((await exec(s, 'chmod +x /tmp/job.sh && /tmp/job.sh')).action).toBe('deny');
  // Another session did not write it.
  const other = await open();
  expect((await exec(other, 'bash /tmp/job.sh')).action).toBe('allow');
  await s.close('done');
  await other.close('done');
});

it('an SFTP upload counts as writing the file', async () => {
  const s = await open();
  await s.judge({ kind: 'file', op: 'open-write', paths: ['deploy.sh'], via: 'sftp' });
  expect((await exec(s, 'sh /home/deploy/deploy.sh')).action).toBe('deny');
  expect((await exec(s, 'sh ~/deploy.sh')).action).toBe('deny');
  expect((await exec(s, 'sh /home/deploy/other.sh')).action).toBe('allow');
  await s.close('done');
});
