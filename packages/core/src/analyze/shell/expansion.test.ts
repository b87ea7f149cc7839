// $IFS tricks, variable indirection, tracked variables, ~ and $HOME.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are shell code, where ${…} is meant literally
import { shellCases } from './testing/cases.js';

shellCases('$IFS', [
  { cmd: 'rm${IFS}-rf${IFS}/', exact: ['rm'], args: { rm: ['-rf', '/'] }, note: /IFS/ },
  { cmd: 'rm$IFS-rf$IFS/', exact: ['rm'], args: { rm: ['-rf', '/'] } },
  { cmd: 'cat${IFS}/etc/shadow', exact: ['cat'], paths: ['/etc/shadow'] },
  { cmd: 'echo "a${IFS}b"', exact: ['echo'], args: { echo: ['a \t\nb'] } },
  { cmd: 'IFS=,; cmd=rm,-rf,/; $cmd', commands: ['rm'], dynamic: true, args: { rm: ['-rf', '/'] } },
  { cmd: 'IFS=,;x=rm,y;$x', dynamic: true, commands: ['rm'] },
  { cmd: 'read IFS; x="a b"; $x', dynamic: true, note: /not literal/ },
]);

shellCases('variables', [
  { cmd: 'x=rm; $x -rf /', commands: ['rm'], dynamic: true, note: /comes from a variable/ },
  { cmd: 'x=rm; ${x} -rf /', commands: ['rm'], dynamic: true },
  { cmd: 'x="rm -rf"; $x /', commands: ['rm'], dynamic: true, args: { rm: ['-rf', '/'] } },
  { cmd: '$CMD -rf /', dynamic: true, exact: [''] },
  { cmd: '${CMD} x', dynamic: true },
  { cmd: '${!ref} x', dynamic: true },
  { cmd: 'echo ${!ref}', dynamic: false, note: /indirection/ },
  { cmd: 'echo ${!ref} $(ls)', commands: ['ls', 'echo'], note: /indirection/ },
  { cmd: '$(echo rm) -rf /', dynamic: true, commands: ['echo'] },
  { cmd: '`echo rm` -rf /', dynamic: true, commands: ['echo'] },
  { cmd: '"$@"', dynamic: true },
  { cmd: '$1 x', dynamic: true },
  { cmd: 'x=a; x=$(date); $x', dynamic: true, commands: ['date'] },
  { cmd: '${x:-rm} -rf /', dynamic: true },
  { cmd: 'for c in rm ls; do $c x; done', dynamic: true },
  { cmd: 'd=/etc; cat $d/shadow', exact: ['cat'], paths: ['/etc/shadow'], dynamic: false },
  { cmd: 'rm -rf $DIR/x', exact: ['rm'], dynamic: false, paths: ['$DIR/x'] },
]);

shellCases('~ and $HOME', [
  { cmd: 'cat ~/.ssh/id_rsa', paths: ['/root/.ssh/id_rsa'] },
  { cmd: 'cat ~/.ssh/id_rsa', user: 'deploy', paths: ['/home/deploy/.ssh/id_rsa'] },
  { cmd: 'cat ~/.ssh/id_rsa', home: '/srv/h', paths: ['/srv/h/.ssh/id_rsa'] },
  { cmd: 'cat $HOME/.ssh/id_rsa', home: '/home/a', paths: ['/home/a/.ssh/id_rsa'] },
  { cmd: 'cat ${HOME}/.env', home: '/home/a', paths: ['/home/a/.env'] },
  { cmd: 'cat "$HOME/.aws/credentials"', home: '/home/a', paths: ['/home/a/.aws/credentials'] },
  { cmd: 'cat ~root/.bashrc', paths: ['/root/.bashrc'] },
  { cmd: 'cat ~bob/x', paths: ['/home/bob/x'] },
  { cmd: 'echo "~/x"', args: { echo: ['~/x'] } },
  { cmd: 'HOME=/tmp; cat ~/x', dynamic: true, note: /HOME/ },
]);
