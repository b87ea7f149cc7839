import { describe, expect, it } from 'vitest';
import { parseScp, readsCommandsFromStdin, wireRefusal } from './exec.js';
import { envRefusal, safePtyModes, startsFileServer, terminalName, terminalSize } from './wire-guards.js';

describe('envRefusal', () => {
  it.each([
    ['PS1', '$(touch /tmp/x)\\$ '],
    ['PS0', 'x'],
    ['PROMPT_COMMAND', 'touch /tmp/x'],
    ['BASH_ENV', '/tmp/evil'],
    ['BASHOPTS', 'extdebug'],
    ['SHELLOPTS', 'xtrace'],
    ['PAGER', 'sh -c id'],
    ['GIT_PAGER', 'sh'],
    ['MANPAGER', 'sh'],
    ['EDITOR', 'sh'],
    ['GIT_EDITOR', 'sh'],
    ['VISUAL', 'sh'],
    ['LESSOPEN', '|sh %s'],
    ['INPUTRC', '/tmp/inputrc'],
    ['ZDOTDIR', '/tmp'],
    ['HOME', '/tmp/evil-home'],
    ['SSH_ORIGINAL_COMMAND', 'x'],
  ])('refuses %s (runs code the analyzer never sees)', (name, value) => {
    expect(envRefusal(name, value)).toMatch(/unjudged code/);
  });

  it('refuses values that a shell would expand or a terminal act on, whatever the name', () => {
    expect(envRefusal('LC_ALL', '$(id)')).toMatch(/expansions/);
    expect(envRefusal('LC_ALL', '`id`')).toMatch(/expansions/);
    expect(envRefusal('LC_ALL', '${X}')).toMatch(/expansions/);
    expect(envRefusal('LANG', 'C\nid')).toMatch(/control/);
    expect(envRefusal('LANG', 'x'.repeat(2000))).toMatch(/longer/);
  });

  it('lets ordinary locale and policy-allowed values through', () => {
    expect(envRefusal('LANG', 'en_US.UTF-8')).toBeUndefined();
    expect(envRefusal('LC_CTYPE', 'C.UTF-8')).toBeUndefined();
    expect(envRefusal('TZ', 'Europe/Paris')).toBeUndefined();
    expect(envRefusal('APP_MODE', 'staging')).toBeUndefined();
  });
});

describe('safePtyModes', () => {
  it('drops echo, canonical mode and remapped editing keys; keeps IUTF8 and speeds', () => {
    const { modes, dropped } = safePtyModes({
      ECHO: 0,
      ICANON: 0,
      VERASE: 120,
      VKILL: 97,
      VWERASE: 98,
      VEOL: 59,
      VLNEXT: 0,
      IUTF8: 1,
      TTY_OP_ISPEED: 38400,
    } as never);
    expect(modes).toEqual({ IUTF8: 1, TTY_OP_ISPEED: 38400 });
    expect(dropped.sort()).toEqual(['ECHO', 'ICANON', 'VEOL', 'VERASE', 'VKILL', 'VLNEXT', 'VWERASE']);
  });

  it('handles a pty-req without modes', () => {
    expect(safePtyModes(undefined)).toEqual({ modes: {}, dropped: [] });
  });
});

describe('startsFileServer', () => {
  it.each([
    '/usr/lib/openssh/sftp-server',
    '/usr/lib/openssh/sftp-server -e -l DEBUG',
    'exec /usr/libexec/openssh/sftp-server',
    'sh -c "/usr/lib/openssh/sftp-server"',
    "/usr/lib/openssh/'sftp'-server",
    '/usr/lib/openssh/sftp\\-server',
    '/usr/lib/openssh/sftp-serv?r',
    '/usr/lib/openssh/s*',
    '/usr/lib/openssh/sftp-[s]erver',
    'env X=1 /usr/lib/openssh/sftp-server',
    'true; internal-sftp',
    'sftp-server',
  ])('finds an SFTP server in %s', (cmd) => {
    expect(startsFileServer(cmd)).toBeDefined();
  });

  it.each([
    'ls -la',
    'ls *',
    'rm -f logs/*',
    'cat ./*',
    'sftp -b batch host',
    'grep -r Subsystem /etc/ssh',
    'echo server',
    'scp -t /tmp',
  ])('leaves everyday commands alone: %s', (cmd) => {
    expect(startsFileServer(cmd)).toBeUndefined();
  });
});

describe('wireRefusal', () => {
  it('refuses an exec of sftp-server, a legacy recursive scp download and scp -t with two targets', () => {
    expect(wireRefusal('/usr/lib/openssh/sftp-server')?.rules).toEqual(['ssh_file_server']);
    expect(wireRefusal('scp -r -f /home/agent')?.rules).toEqual(['ssh_scp_recursive']);
    expect(wireRefusal('scp -rf /home/agent')?.rules).toEqual(['ssh_scp_recursive']);
    expect(wireRefusal('scp -t /tmp/a /tmp/b')?.rules).toEqual(['ssh_scp_target']);
  });

  it('lets plain scp transfers and commands through to the policy', () => {
    expect(wireRefusal('scp -f /tmp/a')).toBeUndefined();
    expect(wireRefusal('scp -r -t /tmp/dir')).toBeUndefined();
    expect(wireRefusal('scp -t -- /tmp')).toBeUndefined();
    expect(wireRefusal('uptime')).toBeUndefined();
  });

  it('parseScp notes -r', () => {
    expect(parseScp('scp -r -t /tmp')).toEqual({ op: 'open-write', paths: ['/tmp'], recursive: true });
    expect(parseScp('scp -f /tmp/a')).toEqual({ op: 'open-read', paths: ['/tmp/a'], recursive: false });
  });
});

describe('terminalSize', () => {
  it('keeps ordinary sizes, replaces 0 (unknown) and caps what the terminal model cannot hold', () => {
    expect(terminalSize(120, 40)).toEqual({ cols: 120, rows: 40 });
    expect(terminalSize(0, 0)).toEqual({ cols: 80, rows: 24 });
    expect(terminalSize(100_000, 4_294_967_295)).toEqual({ cols: 2000, rows: 2000 });
  });
});

describe('readsCommandsFromStdin', () => {
  it.each([
    'bash',
    'sh',
    '/bin/bash -l',
    'exec bash',
    'bash -s',
    'bash -s arg',
    'sh -e',
    'bash -o pipefail',
    'zsh -i',
  ])('%s reads its commands from stdin', (cmd) => expect(readsCommandsFromStdin(cmd)).toBe(true));
  it.each(['bash -c "echo hi"', 'bash -lc ls', 'sh script.sh', 'bash ./x', 'ls', 'bashful', 'echo bash'])(
    '%s does not',
    (cmd) => expect(readsCommandsFromStdin(cmd)).toBe(false),
  );
});

describe('terminalName', () => {
  it('passes terminal names, replaces anything else with xterm', () => {
    expect(terminalName('xterm-256color')).toBe('xterm-256color');
    expect(terminalName('screen.xterm-256color')).toBe('screen.xterm-256color');
    expect(terminalName('../../tmp/evil')).toBe('xterm');
    expect(terminalName('xterm$(id)')).toBe('xterm');
    expect(terminalName('')).toBe('xterm');
  });
});
