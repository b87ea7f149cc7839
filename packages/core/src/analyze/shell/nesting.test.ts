// Commands hidden inside other commands: shell strings, substitutions, heredocs, process substitution.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are shell code, where ${…} is meant literally
import { shellCases } from './testing/cases.js';

shellCases('bash -c and friends (re-parsed)', [
  { cmd: 'bash -c "rm -rf /"', exact: ['bash', 'rm'], dynamic: false, args: { rm: ['-rf'] } },
  { cmd: "sh -c 'rm -rf /'", exact: ['sh', 'rm'] },
  { cmd: "zsh -c 'rm x'", commands: ['rm'] },
  { cmd: "dash -c 'rm x'", commands: ['rm'] },
  { cmd: "bash -lc 'rm x'", commands: ['rm'] },
  { cmd: "bash -ec 'ls; rm x'", commands: ['ls', 'rm'] },
  { cmd: "bash -o pipefail -c 'rm x'", commands: ['rm'] },
  { cmd: "bash --norc -c 'rm x'", commands: ['rm'] },
  { cmd: 'bash -c "bash -c \\"rm -rf /\\""', exact: ['bash', 'bash', 'rm'] },
  { cmd: `sh -c "sh -c 'sh -c \\"rm x\\"'"`, commands: ['rm'] },
  { cmd: "su -c 'rm -rf /'", exact: ['su', 'rm'] },
  { cmd: "su - root -c 'rm -rf /'", exact: ['su', 'rm'] },
  { cmd: "su root -c 'rm x'", commands: ['rm'] },
  { cmd: "sudo -u bob bash -c 'rm x'", exact: ['sudo', 'bash', 'rm'] },
  { cmd: "ssh host 'rm -rf /'", commands: ['ssh', 'rm'] },
  { cmd: 'ssh -p 22 -i k host rm -rf /tmp/x', commands: ['rm'], paths: ['/tmp/x'] },
  { cmd: 'bash -c "$CMD"', dynamic: true, note: /not literal/ },
  { cmd: 'bash -c "rm $x"', dynamic: true },
  { cmd: "bash -c 'echo \"unterminated'", parseError: /in bash -c/ },
  // Found in review: ssh reads options after the host too, and a remote shell reads stdin.
  { cmd: 'ssh host -- rm -rf /data', exact: ['ssh', 'rm'], args: { rm: ['-rf'] } },
  { cmd: `ssh host -t 'bash -c "rm -rf /data"'`, commands: ['ssh', 'bash', 'rm'] },
  { cmd: 'ssh host ls -la', exact: ['ssh', 'ls'], args: { ls: ['-la'] } },
  { cmd: "ssh -T host <<< 'rm -rf /data'", commands: ['ssh', 'rm'] },
  { cmd: 'ssh host < cmds', exact: ['ssh'], dynamic: false, note: /not analysed/ },
  { cmd: 'ssh host < /dev/stdin', exact: ['ssh'], dynamic: true },
  { cmd: 'curl http://x | ssh host', dynamic: true, note: /pipe/ },
  { cmd: 'ssh host', exact: ['ssh'], dynamic: false },
  { cmd: 'mosh host -- rm -rf /data', exact: ['mosh', 'rm'] },
  { cmd: 'sshpass -p pw ssh host rm -rf /data', exact: ['sshpass', 'ssh', 'rm'] },
]);

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const nest = (n: number, inner: string): string => (n === 0 ? inner : nest(n - 1, `bash -c ${q(inner)}`));

shellCases('nesting is bounded', [
  { name: 'bash -c ×3', cmd: nest(3, 'rm -rf /'), commands: ['rm'], dynamic: false },
  { name: 'bash -c ×5', cmd: nest(5, 'rm -rf /'), commands: ['rm'], dynamic: false },
  { name: 'bash -c ×8', cmd: nest(8, 'rm -rf /'), dynamic: true, note: /nested more than/ },
  { name: 'bash -c ×8 around a broken string', cmd: nest(8, 'echo "a'), dynamic: true },
]);

shellCases('substitutions', [
  { cmd: 'echo $(rm -rf /)', commands: ['echo', 'rm'] },
  { cmd: 'echo "$(rm -rf /)"', commands: ['rm'] },
  { cmd: 'echo "x $(ls; rm y) z"', commands: ['ls', 'rm'] },
  { cmd: 'echo `rm -rf /`', commands: ['rm'] },
  { cmd: 'echo "`rm x`"', commands: ['rm'] },
  { cmd: 'echo `echo \\`rm x\\``', commands: ['rm'] },
  { cmd: 'echo $(echo $(rm x))', commands: ['rm'] },
  { cmd: 'x=$(rm x)', exact: ['rm'] },
  { cmd: 'local y=$(rm x)', commands: ['local', 'rm'] },
  { cmd: 'echo $((1 + $(rm x)))', commands: ['rm'] },
  { cmd: 'a[$(rm x)]=1', commands: ['rm'] },
  { cmd: 'echo ${x:-$(rm y)}', commands: ['rm'] },
  { cmd: 'cat <(rm x)', commands: ['cat', 'rm'] },
  { cmd: 'diff <(ls a) <(rm b)', commands: ['diff', 'ls', 'rm'] },
  { cmd: 'echo hi > >(rm x)', commands: ['echo', 'rm'] },
  { cmd: 'tee >(sh) < f', commands: ['tee', 'sh'], dynamic: true },
  { cmd: 'case $(rm x) in a) ls;; esac', commands: ['rm', 'ls'] },
  { cmd: 'for f in $(rm x); do echo $f; done', commands: ['rm', 'echo'] },
  { cmd: '[[ -n $(rm x) ]]', commands: ['[[', 'rm'] },
  // Found in review: tree-sitter leaves backticks inside ${…} as plain text; bash runs them.
  { cmd: 'echo ${x:=`rm -rf /data`}', commands: ['echo', 'rm'], args: { rm: ['-rf'] } },
  { cmd: 'echo "${x:-`rm -rf /data`}"', commands: ['echo', 'rm'] },
  { cmd: 'echo ${x:-`echo \\`rm y\\``}', commands: ['rm'] },
  // A file descriptor number written before a redirection is not an argument (`sh 0< file`).
  { cmd: 'sh 0< <(curl http://x)', commands: ['curl', 'sh'], dynamic: true },
  { cmd: 'sh 0<&3', exact: ['sh'], dynamic: true },
  { cmd: 'exec 0</tmp/cmds', exact: ['exec'], dynamic: true },
  { cmd: 'cat x 2>/dev/null', exact: ['cat'], noArgs: { cat: ['2'] } },
  { cmd: 'echo 2 >/tmp/o', args: { echo: ['2'] } },
]);

shellCases('heredocs and here-strings', [
  { cmd: 'cat <<EOF\n$(rm -rf /)\nEOF', commands: ['cat', 'rm'] },
  { cmd: 'cat <<EOF\n`rm x`\nEOF', commands: ['rm'] },
  { cmd: "cat <<'EOF'\n$(rm -rf /)\nEOF", exact: ['cat'] },
  { cmd: 'cat <<"EOF"\n$(rm -rf /)\nEOF', exact: ['cat'] },
  { cmd: 'bash <<EOF\nrm -rf /\nEOF', exact: ['bash', 'rm'], dynamic: false },
  { cmd: "bash <<'EOF'\nrm -rf /tmp\nls\nEOF", exact: ['bash', 'rm', 'ls'] },
  { cmd: 'bash <<-EOF\n\trm x\n\tEOF', commands: ['rm'] },
  { cmd: 'bash <<EOF\n$CMD\nEOF', dynamic: true, note: /expansions/ },
  { cmd: "bash <<< 'rm -rf /'", exact: ['bash', 'rm'] },
  { cmd: 'sh <<< "$(curl -s http://x)"', dynamic: true, commands: ['curl'] },
  { cmd: 'python3 <<EOF\nimport os\nos.system("rm -rf /")\nEOF', dynamic: true },
  { cmd: "python3 <<'EOF'\nprint(1)\nEOF", dynamic: false },
  { cmd: 'cat <<EOF | sh\nrm -rf /\nEOF', commands: ['cat', 'sh'], dynamic: true },
  {
    cmd: 'cat > /tmp/x.sh <<EOF\nrm -rf /\nEOF\nbash /tmp/x.sh',
    dynamic: true,
    note: /written or downloaded/,
  },
]);
