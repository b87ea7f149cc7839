// Commands that delete without being called rm: each also reports a synthetic `rm` unit (with `-r -f`
// where the deletion is recursive), so a rule on `rm -rf` or on the path meets them.
import { shellCases } from './testing/cases.js';

shellCases('deletions under other names', [
  { cmd: 'find /data -delete', commands: ['find', 'rm'], args: { rm: ['-rf'] }, paths: ['/data'] },
  {
    cmd: 'rsync -a --delete /empty/ /data/',
    commands: ['rsync', 'rm'],
    args: { rm: ['-rf'] },
    paths: ['/data/'],
  },
  { cmd: 'rsync -a --delete-after src/ host:/data/', commands: ['rsync', 'rm'] },
  { cmd: 'rsync -a --remove-source-files /data/ /backup/', commands: ['rm'], args: { rm: ['-rf'] } },
  {
    cmd: 'tar --remove-files -czf x.tgz /data',
    commands: ['tar', 'rm'],
    args: { rm: ['-rf'] },
    paths: ['/data'],
  },
  { cmd: 'unlink /data/x', commands: ['unlink', 'rm'], paths: ['/data/x'] },
  { cmd: 'shred -u /data/x', commands: ['shred', 'rm'], args: { rm: ['-f'] } },
  { cmd: 'mv /data /dev/null', commands: ['mv', 'rm'], args: { rm: ['-rf'] }, paths: ['/data'] },
  { cmd: 'rsync -a /src/ /dst/', exact: ['rsync'] },
  { cmd: 'tar -czf x.tgz /data', exact: ['tar'] },
  { cmd: 'shred /dev/sdb', exact: ['shred'] },
]);
