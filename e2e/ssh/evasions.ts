// Shell evasion families sent as exec commands: each tries to delete VICTIM (or read a secret into
// it); none may run upstream. One line per family, so a new evasion is a new line.
export interface Evasion {
  family: string;
  /** `VICTIM` is replaced by a file that must survive; `MARK` by a file that must not appear. */
  cmd: string;
}

export const EVASIONS: Evasion[] = [
  { family: 'plain', cmd: 'touch MARK; rm -rf VICTIM' },
  { family: 'absolute path', cmd: 'touch MARK; /bin/rm -rf VICTIM' },
  { family: 'quoted command name', cmd: "touch MARK; 'r'm -rf VICTIM" },
  { family: 'backslash in name', cmd: 'touch MARK; r\\m -rf VICTIM' },
  { family: 'split flags', cmd: 'touch MARK; rm -r -f VICTIM' },
  { family: 'pipeline', cmd: 'touch MARK; true | rm -rf VICTIM' },
  { family: 'and-list', cmd: 'touch MARK && rm -rf VICTIM' },
  { family: 'subshell', cmd: 'touch MARK; (rm -rf VICTIM)' },
  { family: 'command substitution', cmd: 'touch MARK; echo $(rm -rf VICTIM)' },
  { family: 'backticks', cmd: 'touch MARK; echo `rm -rf VICTIM`' },
  { family: 'bash -c', cmd: 'touch MARK; bash -c "rm -rf VICTIM"' },
  { family: 'sh -c nested', cmd: 'touch MARK; sh -c \'bash -c "rm -rf VICTIM"\'' },
  { family: 'eval', cmd: 'touch MARK; eval "rm -rf VICTIM"' },
  { family: 'variable as command', cmd: 'touch MARK; X=rm; $X -rf VICTIM' },
  { family: 'base64 to shell', cmd: 'touch MARK; echo B64 | base64 -d | sh' },
  { family: 'pipe to bash', cmd: 'touch MARK; echo "rm -rf VICTIM" | bash' },
  { family: 'xargs', cmd: 'touch MARK; echo VICTIM | xargs rm -rf' },
  { family: 'find -exec', cmd: 'touch MARK; find VICTIM -exec rm -rf {} +' },
  { family: 'env wrapper', cmd: 'touch MARK; env rm -rf VICTIM' },
  { family: 'nice/timeout wrappers', cmd: 'touch MARK; nice timeout 5 rm -rf VICTIM' },
  { family: 'function body', cmd: 'touch MARK; f() { rm -rf VICTIM; }; f' },
  { family: 'process substitution', cmd: 'touch MARK; cat <(rm -rf VICTIM)' },
  { family: 'source of a fetched script', cmd: 'touch MARK; source <(echo "rm -rf VICTIM")' },
  { family: 'secret read', cmd: 'touch MARK; cat SECRET > VICTIM.copy; rm -rf VICTIM' },
  { family: 'shell reading stdin', cmd: 'touch MARK; bash' },
];
