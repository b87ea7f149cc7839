// Programs that run shell commands handed to them in their own syntax: editors, debuggers, multiplexers,
// SQL clients' shell escapes, socat, man's pager, make reading its rules from input.
import { shellCases } from './testing/cases.js';

shellCases('editors and debuggers', [
  { cmd: "vim -c ':!rm -rf /' -c q", commands: ['vim', 'rm'], dynamic: true },
  { cmd: "vi -c '!rm -rf /tmp/x'", commands: ['vi', 'rm'], paths: ['/tmp/x'] },
  { cmd: 'nvim --cmd \'call system("id")\'', exact: ['nvim'], dynamic: true },
  { cmd: "vim +'py3 import os' x", exact: ['vim'], dynamic: true },
  { cmd: 'vim -c "set number" notes.txt', exact: ['vim'], dynamic: false },
  { cmd: 'vim +42 notes.txt', exact: ['vim'], dynamic: false },
  { cmd: 'vim -S /tmp/s.vim', exact: ['vim'], dynamic: true },
  { cmd: 'ex -s x < cmds', exact: ['ex'], dynamic: true },
  { cmd: "gdb -batch -ex 'shell rm -rf /' /bin/true", exact: ['gdb'], dynamic: true },
  { cmd: 'gdb -p 1234', exact: ['gdb'], dynamic: false },
  { cmd: "man -P 'rm -rf /x' ls", commands: ['man', 'rm'] },
  { cmd: "man --pager='sh -c id' ls", commands: ['man', 'sh', 'id'] },
]);

shellCases('terminal multiplexers', [
  { cmd: "tmux new -d 'rm -rf /data'", commands: ['tmux', 'rm'], paths: ['/data'] },
  { cmd: "tmux new-session -d -s job -c /srv 'rm -rf /data'", commands: ['tmux', 'rm'] },
  { cmd: 'tmux split-window -t 0 rm -rf /data', commands: ['tmux', 'rm'] },
  { cmd: "tmux run-shell 'rm -rf /data'", commands: ['tmux', 'rm'] },
  { cmd: "tmux -L sock new -d 'curl x | sh'", commands: ['tmux', 'curl', 'sh'], dynamic: true },
  { cmd: "tmux send-keys -t 0 'rm -rf /' Enter", exact: ['tmux'], dynamic: true },
  { cmd: 'tmux ls', exact: ['tmux'], dynamic: false },
  { cmd: 'tmux new -d', exact: ['tmux'], dynamic: false },
  { cmd: 'screen -dm rm -rf /data', commands: ['screen', 'rm'], paths: ['/data'] },
  { cmd: 'screen -dmS job rm -rf /data', commands: ['screen', 'rm'] },
  { cmd: "screen -S job -X stuff 'rm -rf /\\n'", commands: ['screen'], dynamic: true },
  { cmd: 'screen -ls', exact: ['screen'], dynamic: false },
  { cmd: 'screen -r job', exact: ['screen'], dynamic: false },
]);

shellCases('shell escapes of other programs', [
  { cmd: "psql -c '\\! rm -rf /data'", commands: ['psql', 'rm'], dynamic: true },
  { cmd: "psql -c 'select 1'", exact: ['psql'], dynamic: false },
  { cmd: "mysql -e 'system rm -rf /data'", commands: ['mysql', 'rm'], dynamic: true },
  { cmd: "mysql -e '\\! rm x'", commands: ['mysql', 'rm'], dynamic: true },
  { cmd: "sqlite3 db '.shell rm -rf /data'", commands: ['sqlite3', 'rm'], dynamic: true },
  { cmd: "sqlite3 db 'select 1'", exact: ['sqlite3'], dynamic: false },
  { cmd: "socat - EXEC:'rm -rf /data',pty", commands: ['socat', 'rm'], paths: ['/data'] },
  { cmd: 'socat TCP-LISTEN:9000 SYSTEM:id', commands: ['socat', 'id'] },
  { cmd: 'socat - TCP:127.0.0.1:80', exact: ['socat'], dynamic: false },
  { cmd: 'make -f - < x', exact: ['make'], dynamic: true },
  { cmd: "make --eval='x: ; rm -rf /'", exact: ['make'], dynamic: true },
  { cmd: 'make -j4 test', exact: ['make'], dynamic: false },
]);
