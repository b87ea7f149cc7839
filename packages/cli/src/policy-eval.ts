// Judges one command for `policy explain` and `policy test` through the same CommandJudge a live
// session uses, so what they print is what the gateway would do.
import {
  type Command,
  CommandJudge,
  CompiledPolicy,
  type Config,
  connectionHome,
  type Decision,
  type Identity,
  type Judgement,
  SqlSessionState,
} from '@portcullis/core';

export interface PolicyQuestion {
  connection: string;
  groups?: string[];
  subject?: string;
  sql?: string;
  command?: string;
  http?: string | { method: string; path: string; headers?: Record<string, string>; body?: string };
}

export class PolicyEvaluator {
  private readonly policies = new Map<string, CompiledPolicy>();
  private constructor(
    private readonly config: Config,
    private readonly judge: CommandJudge,
  ) {}

  static async create(config: Config, needs: { sql: boolean; shell: boolean }): Promise<PolicyEvaluator> {
    return new PolicyEvaluator(config, await CommandJudge.create(needs));
  }

  evaluate(q: PolicyQuestion): Judgement & { command: Command; identity: Identity } {
    const conn = this.config.connections.find((c) => c.name === q.connection);
    if (!conn) {
      throw new Error(
        `unknown connection "${q.connection}" (known: ${this.config.connections.map((c) => c.name).join(', ')})`,
      );
    }
    let policy = this.policies.get(conn.name);
    if (!policy) {
      policy = new CompiledPolicy(this.config.policies[conn.policy], { home: connectionHome(conn) });
      this.policies.set(conn.name, policy);
    }
    const identity: Identity = {
      subject: q.subject ?? 'policy-test',
      groups: q.groups ?? policy.config.allowGroups.slice(0, 1),
      issuer: 'policy-test',
      method: 'jwt',
    };
    const command = toCommand(q);
    if (!policy.admits(identity)) {
      const decision: Decision = {
        action: 'deny',
        rules: ['allow_groups'],
        reason: `groups ${identity.groups.join(', ') || '(none)'} may not use ${conn.name}`,
      };
      return { decision, reviewRules: [], command, identity };
    }
    const j = this.judge.judge(command, {
      policy,
      identity,
      sqlState: new SqlSessionState(),
      home: policy.home,
    });
    return { ...j, command, identity };
  }
}

export function toCommand(q: PolicyQuestion): Command {
  const given = [q.sql, q.command, q.http].filter((x) => x !== undefined).length;
  if (given !== 1) throw new Error('give exactly one of sql, command or http');
  if (q.sql !== undefined) return { kind: 'sql', text: q.sql, protocol: 'simple' };
  if (q.command !== undefined) return { kind: 'shell', text: q.command, source: 'exec' };
  const h = q.http!;
  if (typeof h === 'string') {
    const m = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(h);
    if (!m) throw new Error(`http must look like "METHOD /path", got "${h}"`);
    return { kind: 'http', method: m[1].toUpperCase(), target: m[2], headers: {} };
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(h.headers ?? {})) headers[k.toLowerCase()] = v;
  return {
    kind: 'http',
    method: h.method.toUpperCase(),
    target: h.path,
    headers,
    body: h.body !== undefined ? Buffer.from(h.body) : undefined,
  };
}
