// Every command in lists, pipelines, subshells, groups, control flow, functions; comments are not run.
import { shellCases } from './testing/cases.js';

shellCases('lists and pipelines', [
  { cmd: 'ls; rm x', exact: ['ls', 'rm'] },
  { cmd: 'ls && rm x', exact: ['ls', 'rm'] },
  { cmd: 'ls || rm x', exact: ['ls', 'rm'] },
  { cmd: 'ls & rm x', exact: ['ls', 'rm'] },
  { cmd: 'rm x &', exact: ['rm'] },
  { cmd: 'ls | grep a | rm x', exact: ['ls', 'grep', 'rm'] },
  { cmd: 'ls |& rm x', exact: ['ls', 'rm'] },
  { cmd: 'ls\nrm x', exact: ['ls', 'rm'] },
  { cmd: 'ls\r\nrm x', commands: ['rm'] },
  { cmd: 'ls;\n\n  rm x;', exact: ['ls', 'rm'] },
  { cmd: 'rm \\\n -rf \\\n /', exact: ['rm'], args: { rm: ['-rf', '/'] } },
  { cmd: '! rm x', exact: ['rm'] },
  { cmd: 'true && { ls; rm x; }', commands: ['true', 'ls', 'rm'] },
  { cmd: '(rm x)', exact: ['rm'] },
  { cmd: '( cd /; rm -rf * )', exact: ['cd', 'rm'] },
  { cmd: '{ rm x; } > /dev/null 2>&1', exact: ['rm'] },
  { cmd: 'time rm x', commands: ['time', 'rm'] },
  { cmd: 'time { rm x; }', commands: ['rm'], absent: ['}'] },
  { cmd: 'coproc rm x', commands: ['rm'] },
]);

shellCases('control flow and functions', [
  { cmd: 'if true; then rm x; fi', exact: ['true', 'rm'] },
  { cmd: 'if false; then ls; elif test -f x; then rm x; else rm y; fi', commands: ['test', 'rm'] },
  { cmd: 'while read l; do rm "$l"; done < list', commands: ['read', 'rm'] },
  { cmd: 'until false; do rm x; done', commands: ['rm'] },
  { cmd: 'for i in 1 2; do rm $i; done', commands: ['rm'] },
  { cmd: 'for ((i=0;i<3;i++)); do rm x; done', commands: ['rm'] },
  { cmd: 'select x in a b; do rm $x; done', commands: ['rm'] },
  { cmd: 'case x in x) rm y;; *) ls;; esac', commands: ['rm', 'ls'] },
  { cmd: 'f() { rm -rf /; }', commands: ['rm'], dynamic: true, note: /defines the function f/ },
  { cmd: 'function g { rm x; }; g', commands: ['rm', 'g'], note: /calls the function g/ },
  { cmd: 'ls() { rm -rf ~; }; ls', commands: ['rm', 'ls'], dynamic: true },
  { cmd: 'command_not_found_handle() { rm x; }', dynamic: true, commands: ['rm'] },
  // Found in review: a call runs the body with the call's arguments.
  {
    cmd: 'f(){ rm "$@"; }; f -rf /data',
    exact: ['', 'rm', 'f', 'rm'],
    paths: ['/data'],
    note: /from the function f/,
  },
  { cmd: 'f(){ rm $1 $2; }; f -rf /data', paths: ['/data'], note: /from the function f/ },
  { cmd: 'f(){ "$@"; }; f rm -rf /data', commands: ['rm'], dynamic: true },
  { cmd: 'f(){ shift; rm "$@"; }; f x -rf /data', paths: ['/data'] },
  { cmd: 'function g { cat "$1"; }; g /etc/shadow', paths: ['/etc/shadow'] },
  { cmd: 'alias r=rm; r -rf /data', commands: ['rm'], paths: ['/data'], dynamic: true },
  { cmd: "alias c='cat'; c /etc/shadow", paths: ['/etc/shadow'] },
  { cmd: 'set -- rm -rf /data; "$@"', commands: ['rm'], dynamic: true, paths: ['/data'] },
  { cmd: 'set -- /etc/shadow; cat "$1"', paths: ['/etc/shadow'] },
  { cmd: 'echo "$@" $1 $#', exact: ['echo'], dynamic: false },
  { cmd: 'f(){ f; }; f', dynamic: true },
  // A literal `for` list runs the body once per word.
  { cmd: 'for f in /etc/shadow /etc/passwd; do cat "$f"; done', paths: ['/etc/shadow', '/etc/passwd'] },
  { cmd: 'for c in rm; do $c -rf /data; done', commands: ['rm'], dynamic: true },
  { cmd: 'for f in $(ls); do cat "$f"; done', commands: ['ls', 'cat'] },
]);

shellCases('comments', [
  { cmd: 'echo hi #; rm -rf /', exact: ['echo'], absent: ['rm'] },
  { cmd: '# rm -rf /', exact: [] },
  { cmd: 'echo hi # $(rm x)', exact: ['echo'] },
  { cmd: 'echo a#b; rm x', exact: ['echo', 'rm'], args: { echo: ['a#b'] } },
  { cmd: "echo '#'; rm x", exact: ['echo', 'rm'] },
  { cmd: 'ls # comment\nrm x', exact: ['ls', 'rm'] },
]);
