// What cannot be parsed reports parseError (never a silent partial allow), with a clear message.
import { shellCases } from './testing/cases.js';

shellCases('parse errors', [
  { cmd: 'echo "unterminated', parseError: /syntax error/ },
  { cmd: "echo 'unterminated", parseError: /syntax error/ },
  { cmd: 'echo $(rm x', parseError: true },
  { cmd: 'echo `rm x', parseError: true },
  { cmd: 'if true; then rm x', parseError: true },
  { cmd: 'for x in; do', parseError: true },
  { cmd: 'ls |', parseError: true },
  { cmd: 'ls && ', parseError: true },
  { cmd: '(ls', parseError: true },
  { cmd: 'case x in', parseError: true },
  { cmd: 'echo a\0b', parseError: /NUL/ },
  { cmd: 'echo \uE000', parseError: /reserved/ },
  { name: '200,000 characters', cmd: 'x'.repeat(200_000), parseError: /too long/ },
  {
    name: '600 nested subshells',
    cmd: `${'( '.repeat(600)}ls${' )'.repeat(600)}`,
    parseError: /nested too deeply/,
  },
  { cmd: '', exact: [] },
  { cmd: '   \n\t ', exact: [] },
]);
