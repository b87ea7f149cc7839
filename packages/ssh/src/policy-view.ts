// The two policy settings the SSH wire itself needs before anything is judged (which env names
// may pass, whether a pty shell may start). Read here and nowhere else in this package.
import type { Decision, Gateway } from '@portcullis/core';

/** Never forwarded, whatever the policy says: they change what a judged command runs. */
const NEVER_ENV = [
  /^LD_/,
  /^BASH_ENV$/,
  /^ENV$/,
  /^PATH$/,
  /^BASH_FUNC_/,
  /^SHELLOPTS$/,
  /^BASHOPTS$/,
  /^PS4$/,
  /^IFS$/,
  /^PROMPT_COMMAND$/,
  /^DYLD_/,
  /^PYTHON/,
  /^PERL5/,
  /^NODE_OPTIONS$/,
  /^RUBYOPT$/,
  /^GIT_/,
];
const DEFAULT_ENV_ALLOW = ['LANG', 'LC_*'];

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export class PolicyView {
  private readonly envAllow: RegExp[];
  constructor(
    private readonly gateway: Gateway,
    private readonly connection: string,
  ) {
    const policy = gateway.config.policies[gateway.connection(connection).policy];
    this.envAllow = (policy?.envAllow ?? DEFAULT_ENV_ALLOW).map(globToRegExp);
  }

  allowEnv(name: string): boolean {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return false;
    if (NEVER_ENV.some((re) => re.test(name))) return false;
    return this.envAllow.some((re) => re.test(name));
  }

  /** The policy's `interactive` setting as a decision (rule name `interactive`). */
  interactive(): Decision {
    return this.gateway.policyFor(this.connection).builtin('interactive', 'an interactive (pty) shell');
  }
}
