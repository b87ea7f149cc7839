// The shared judge with the real analyzers: built-in keys and the guards that sit beside the rules.
import { beforeAll, describe, expect, it } from 'vitest';
import { CommandJudge } from './command-judge.js';
import { CompiledPolicy } from './compiled-policy.js';
import { agent, policy } from './testing.js';

let judge: CommandJudge;
beforeAll(async () => {
  judge = await CommandJudge.create({ sql: true, shell: true });
});

const reads = policy([{ name: 'reads', when: { sql: { category: ['read'] } }, action: 'allow' }]);

describe('COPY TO STDOUT and column masking rules', () => {
  it('is allowed when the policy has no column rules (detectors still mask the rows)', () => {
    const p = new CompiledPolicy(reads);
    expect(
      judge.judge(
        { kind: 'sql', text: 'COPY users TO STDOUT', protocol: 'simple' },
        { policy: p, identity: agent },
      ).decision.action,
    ).toBe('allow');
  });
  it('is denied for tables a column rule names (rows carry no column names), allowed for others', () => {
    const p = new CompiledPolicy({
      ...reads,
      masking: { ...reads.masking, columns: [{ match: 'users.password_hash', with: 'redact' }] },
    });
    const j = (text: string) =>
      judge.judge({ kind: 'sql', text, protocol: 'simple' }, { policy: p, identity: agent }).decision;
    for (const text of [
      'COPY users TO STDOUT',
      'COPY public.users (id) TO STDOUT',
      'COPY (SELECT password_hash FROM users) TO STDOUT WITH CSV',
    ]) {
      expect(j(text)).toMatchObject({ action: 'deny', rules: ['masking.columns'] });
    }
    expect(j('COPY items TO STDOUT').action).toBe('allow');
    expect(j('SELECT password_hash FROM users').action).toBe('allow');
    const bare = new CompiledPolicy({
      ...reads,
      masking: { ...reads.masking, columns: [{ match: 'ssn', with: 'redact' }] },
    });
    expect(
      judge.judge(
        { kind: 'sql', text: 'COPY items TO STDOUT', protocol: 'simple' },
        { policy: bare, identity: agent },
      ).decision.action,
    ).toBe('deny');
  });
});

describe('built-in keys through the judge', () => {
  it('interactive shells, forwarding and FunctionCall follow their policy keys', () => {
    const p = new CompiledPolicy(policy([], { interactive: 'deny', portForwarding: 'allow' }));
    const j = (c: Parameters<CommandJudge['judge']>[0]) =>
      judge.judge(c, { policy: p, identity: agent }).decision;
    expect(j({ kind: 'shell', text: '', source: 'interactive', context: 'start' })).toMatchObject({
      action: 'deny',
      rules: ['interactive'],
    });
    expect(j({ kind: 'forward', type: 'direct-tcpip', host: '127.0.0.1', port: 5432 }).action).toBe('allow');
    expect(j({ kind: 'forward', type: 'agent' })).toMatchObject({
      action: 'deny',
      rules: ['agent_forwarding'],
    });
    expect(j({ kind: 'pg_function_call', oid: 1 })).toMatchObject({
      action: 'deny',
      rules: ['function_call'],
    });
  });
  it('a line away from the prompt: interactive_unknown, but a rule-denied command stays denied under allow', () => {
    const p = new CompiledPolicy(
      policy([{ name: 'no-rm', when: { shell: { commands: ['rm'] } } }], {
        default: 'deny',
        interactiveUnknown: 'allow',
      }),
    );
    const j = (text: string) =>
      judge.judge(
        { kind: 'shell', text, source: 'interactive', context: 'unknown' },
        { policy: p, identity: agent },
      ).decision;
    expect(j('print("hello")')).toMatchObject({ action: 'allow', rules: ['interactive_unknown'] });
    expect(j('rm -rf /srv')).toMatchObject({ action: 'deny', rules: ['no-rm'] });
    const strict = new CompiledPolicy(policy([], { interactiveUnknown: 'deny' }));
    expect(
      judge.judge(
        { kind: 'shell', text: 'ls', source: 'interactive', context: 'unknown' },
        { policy: strict, identity: agent },
      ).decision,
    ).toMatchObject({ action: 'deny', rules: ['interactive_unknown'] });
  });
});

describe('the working directory and globs in shell paths', () => {
  const p = new CompiledPolicy(
    policy(
      [{ name: 'no-secret-files', when: { shell: { paths: ['/etc/shadow', '~/.ssh/**', '**/.env'] } } }],
      {
        default: 'allow',
      },
    ),
    { home: '/home/deploy' },
  );
  const j = (text: string, cwd?: string | null) =>
    judge.judge(
      { kind: 'shell', text, source: 'exec' },
      { policy: p, identity: agent, home: '/home/deploy', cwd },
    ).decision.action;
  it.each([
    'cd /etc; cat shadow',
    'cd /etc && cat ./shadow',
    'pushd /etc >/dev/null; cat shadow',
    'cd /; cd etc; cat shadow',
    'cd ~/.ssh && cat id_rsa',
    'cd /tmp; cd; cat .ssh/id_rsa',
    'cd "$(mktemp -d)"; cat shadow',
    'cat /etc/sha*',
    'cat /etc/[s]hadow',
    'cat ~/.ss?/id_*',
  ])('%s is denied', (text) => {
    expect(j(text)).toBe('deny');
  });
  it.each(['cd /etc; cat hostname', 'cat notes.txt', 'cd /tmp && ls', 'cat /etc/pass*'])(
    '%s is allowed',
    (text) => {
      expect(j(text)).toBe('allow');
    },
  );
  it('an interactive session carries its directory from line to line', () => {
    const a = judge.judge(
      { kind: 'shell', text: 'cd /etc', source: 'interactive' },
      { policy: p, identity: agent, home: '/home/deploy' },
    );
    expect(a.analysis?.cwd).toBe('/etc');
    expect(j('cat shadow', a.analysis?.cwd)).toBe('deny');
    expect(j('cat shadow', null)).toBe('deny');
    expect(j('cat shadow')).toBe('allow');
  });
});

describe('whole-tree commands and protected paths below the directory they are given', () => {
  const p = new CompiledPolicy(
    policy(
      [{ name: 'no-secret-files', when: { shell: { paths: ['/etc/shadow', '~/.ssh/**', '**/.env'] } } }],
      {
        default: 'allow',
      },
    ),
    { home: '/home/deploy' },
  );
  const j = (text: string) =>
    judge.judge({ kind: 'shell', text, source: 'exec' }, { policy: p, identity: agent, home: '/home/deploy' })
      .decision.action;
  it.each([
    'tar czf /tmp/h.tgz /home/deploy',
    'tar czf /tmp/h.tgz .',
    'cp -r ~ /tmp/copy',
    'cp -a /etc /tmp/etc',
    'rsync -a / backup:/',
    'grep -r PRIVATE ~',
    'zip -r /tmp/x.zip /home',
    'mv /home/deploy /tmp/gone',
    'chmod -R 777 /etc',
  ])('%s is denied', (text) => {
    expect(j(text)).toBe('deny');
  });
  it.each([
    'tar czf /tmp/a.tgz /srv/app',
    'grep -r TODO /srv/app',
    'cp /etc/hostname /tmp/',
    'ls /etc',
    'ls -la /etc',
    'grep -i root /etc/passwd',
    'cat /etc/hosts',
  ])('%s is allowed', (text) => {
    expect(j(text)).toBe('allow');
  });
});
