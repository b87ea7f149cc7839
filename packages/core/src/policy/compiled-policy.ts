// A policy compiled once from config: rules → matchers, and the evaluation the spec defines.
// Every rule is evaluated against every unit; the most restrictive matching action wins
// (deny > review > allow); a unit no rule matches gets the policy's default; the message as a
// whole takes the most restrictive action of its units; what cannot be parsed gets on_parse_error.
import type { Action, PolicyConfig, RuleConfig } from '../config/types.js';
import type { Analysis, Decision, Identity, Unit } from '../types.js';
import { globToRegExp } from './glob.js';
import { type CompiledHttpMatch, compileHttpMatch, matchHttp } from './match-http.js';
import {
  type CompiledShellMatch,
  compileShellMatch,
  matchShell,
  type ShellMatchContext,
} from './match-shell.js';
import { type CompiledSqlMatch, compileSqlMatch, matchSql } from './match-sql.js';

const SEVERITY: Record<Action, number> = { allow: 0, review: 1, deny: 2 };

/** Environment names never passed to an upstream, whatever env_allow says: they change what a judged command runs. */
const NEVER_ENV = [
  /^LD_/,
  /^DYLD_/,
  /^BASH_ENV$/,
  /^ENV$/,
  /^PATH$/,
  /^BASH_FUNC_/,
  /^SHELLOPTS$/,
  /^BASHOPTS$/,
  /^PS4$/,
  /^IFS$/,
  /^PROMPT_COMMAND$/,
  /^PYTHON/,
  /^PERL5/,
  /^NODE_OPTIONS$/,
  /^RUBYOPT$/,
  /^GIT_/,
  /^HISTFILE$/,
  /^CDPATH$/,
  /^GLOBIGNORE$/,
];

export function moreRestrictive(a: Action, b: Action): Action {
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

interface CompiledRule {
  config: RuleConfig;
  groups?: Set<string>;
  sql?: CompiledSqlMatch;
  shell?: CompiledShellMatch;
  http?: CompiledHttpMatch;
}

/** The rule that produced a review, for the approval workflow. */
export interface ReviewInfo {
  rule: RuleConfig;
}

export interface Evaluation {
  decision: Decision;
  /** The rules (config) behind a review decision, strictest first. */
  reviewRules: RuleConfig[];
}

export type BuiltinKey =
  | 'function_call'
  | 'port_forwarding'
  | 'agent_forwarding'
  | 'interactive'
  | 'interactive_unknown';

export class CompiledPolicy {
  private readonly rules: CompiledRule[];
  private readonly allowGroups: Set<string>;
  private readonly ctx: ShellMatchContext;
  private readonly envAllow: RegExp[];

  constructor(
    readonly config: PolicyConfig,
    opts: { home?: string } = {},
  ) {
    this.ctx = { home: opts.home ?? '/root' };
    this.allowGroups = new Set(config.allowGroups);
    this.envAllow = config.envAllow.map((g) => globToRegExp(g, 'word'));
    this.rules = config.rules.map((r) => ({
      config: r,
      groups: r.when.groups ? new Set(r.when.groups) : undefined,
      sql: r.when.sql && compileSqlMatch(r.when.sql),
      shell: r.when.shell && compileShellMatch(r.when.shell, this.ctx),
      http: r.when.http && compileHttpMatch(r.when.http),
    }));
  }

  get name(): string {
    return this.config.name;
  }

  /** The home directory `~` and relative paths resolve against (SSH connections). */
  get home(): string {
    return this.ctx.home;
  }

  /** allow_groups: may this identity use a connection with this policy at all? */
  admits(identity: Identity): boolean {
    return identity.groups.some((g) => this.allowGroups.has(g));
  }

  /** May an SSH `env` request with this name reach the upstream? (env_allow, minus names that are never safe) */
  allowsEnv(name: string): boolean {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return false;
    if (NEVER_ENV.some((re) => re.test(name))) return false;
    return this.envAllow.some((re) => re.test(name));
  }

  evaluate(analysis: Analysis, identity: Identity): Evaluation {
    let action = 'allow' as Action;
    let rules: string[] = [];
    let reason = '';
    let reviewRules: RuleConfig[] = [];
    const take = (a: Action, names: string[], why: string, review: RuleConfig[]) => {
      if (SEVERITY[a] > SEVERITY[action] || rules.length === 0) {
        action = a;
        rules = [...names];
        reason = why;
        reviewRules = [...review];
      } else if (a === action) {
        for (const n of names) if (!rules.includes(n)) rules.push(n);
        for (const r of review) if (!reviewRules.includes(r)) reviewRules.push(r);
      }
    };

    if (analysis.parseError !== undefined) {
      take(
        this.config.onParseError,
        ['on_parse_error'],
        `cannot be parsed: ${analysis.parseError}`,
        this.fallbackReview('on_parse_error'),
      );
    }
    for (const unit of analysis.units) {
      for (const u of methodVariants(unit)) {
        const r = this.evaluateUnit(u, identity);
        take(r.action, r.rules, r.reason, r.reviewRules);
      }
    }
    if (rules.length === 0)
      return { decision: { action: 'allow', rules: [], reason: 'nothing to run' }, reviewRules };
    if (action === 'review' && !reason.startsWith('needs approval')) reason = `needs approval: ${reason}`;
    return { decision: { action, rules, reason }, reviewRules: action === 'review' ? reviewRules : [] };
  }

  /** The approvers and timeout of a review that no rule produced (default or on_parse_error). */
  private fallbackReview(name: 'default' | 'on_parse_error'): RuleConfig[] {
    return [{ ...this.config.fallbackReview, name }];
  }

  /** A decision taken by a policy-level key rather than a rule (forwarding, FunctionCall …). */
  builtin(key: BuiltinKey, what: string): Decision {
    const setting: Record<BuiltinKey, 'allow' | 'deny'> = {
      function_call: this.config.functionCall,
      port_forwarding: this.config.portForwarding,
      agent_forwarding: this.config.agentForwarding,
      interactive: this.config.interactive,
      interactive_unknown: this.config.interactiveUnknown,
    };
    const action = setting[key];
    return {
      action,
      rules: [key],
      reason: action === 'deny' ? `${what} is not allowed by this policy` : `${what} allowed by ${key}`,
    };
  }

  private evaluateUnit(unit: Unit, identity: Identity) {
    let action: Action | undefined;
    let names: string[] = [];
    let reason = '';
    let reviewRules: RuleConfig[] = [];
    for (const rule of this.rules) {
      if (rule.groups && !identity.groups.some((g) => rule.groups!.has(g))) continue;
      const why = this.matchUnit(rule, unit);
      if (!why) continue;
      const a = rule.config.action;
      if (action === undefined || SEVERITY[a] > SEVERITY[action]) {
        action = a;
        names = [rule.config.name];
        reason = rule.config.reason ?? (why.length > 0 ? why.join(', ') : `matched rule ${rule.config.name}`);
        reviewRules = a === 'review' ? [rule.config] : [];
      } else if (a === action) {
        names.push(rule.config.name);
        if (a === 'review') reviewRules.push(rule.config);
      }
    }
    if (action === undefined) {
      return {
        action: this.config.default,
        rules: ['default'],
        reason: `no rule matched ${describeUnit(unit)} (policy default: ${this.config.default})`,
        reviewRules: this.fallbackReview('default'),
      };
    }
    return { action, rules: names, reason, reviewRules };
  }

  private matchUnit(rule: CompiledRule, unit: Unit): string[] | null {
    switch (unit.kind) {
      case 'sql':
        return rule.sql ? matchSql(rule.sql, unit) : null;
      case 'shell':
        return rule.shell ? matchShell(rule.shell, unit) : null;
      case 'http':
        // Allow rules need every reading of the request to match; deny and review rules any one.
        return rule.http ? matchHttp(rule.http, unit, rule.config.action === 'allow' ? 'all' : 'any') : null;
    }
  }
}

/**
 * An HTTP request that may mean several methods (an override header, `_method`) is judged as each of
 * them, and the strictest decision wins: `POST` + `X-HTTP-Method-Override: GET` is allowed when both a
 * POST and a GET would be; `GET` + `_method=DELETE` is not allowed by a rule for GET alone.
 */
function methodVariants(unit: Unit): Unit[] {
  if (unit.kind !== 'http' || unit.methods.length < 2) return [unit];
  return unit.methods.map((m) => ({ ...unit, methods: [m] }));
}

function describeUnit(unit: Unit): string {
  switch (unit.kind) {
    case 'sql':
      return unit.statement;
    case 'shell':
      return unit.command ? `command ${unit.command}` : 'a command';
    case 'http':
      return `${unit.methods[0] ?? ''} ${unit.path}`.trim();
  }
}
