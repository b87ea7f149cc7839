// Builders for policy tests: a normalised PolicyConfig and units without running the analyzers.
import type { PolicyConfig, RuleConfig } from '../config/types.js';
import type { HttpUnit, Identity, ShellUnit, SqlUnit } from '../types.js';

export function policy(rules: Partial<RuleConfig>[], over: Partial<PolicyConfig> = {}): PolicyConfig {
  const built: RuleConfig[] = rules.map((r, i) => ({
    name: `rule-${i}`,
    when: {},
    action: 'deny',
    approvers: [],
    minApprovals: 1,
    timeoutMs: 300_000,
    ...r,
  }));
  return {
    name: 'p',
    allowGroups: ['ai-agents'],
    default: 'deny',
    onParseError: 'deny',
    interactive: 'allow',
    interactiveUnknown: 'deny',
    portForwarding: 'deny',
    agentForwarding: 'deny',
    functionCall: 'deny',
    envAllow: ['LANG', 'LC_*'],
    masking: { detectors: [], columns: [], jsonPaths: [], replacement: '[MASKED:{type}]' },
    fallbackReview: {
      name: 'default',
      when: {},
      action: 'review',
      approvers: [...new Set(built.filter((r) => r.action === 'review').flatMap((r) => r.approvers))],
      minApprovals: 1,
      timeoutMs: 300_000,
    },
    ...over,
    rules: built,
  };
}

export const agent: Identity = { subject: 'agent-1', groups: ['ai-agents'], issuer: 'test', method: 'jwt' };

export function sql(u: Partial<SqlUnit>): SqlUnit {
  return {
    kind: 'sql',
    category: 'read',
    statement: 'SelectStmt',
    tables: [],
    functions: [],
    copyProgram: false,
    dynamic: false,
    ...u,
  };
}

export function shell(command: string, args: string[] = [], u: Partial<ShellUnit> = {}): ShellUnit {
  return { kind: 'shell', command, args, paths: [], dynamic: false, ...u };
}

export function http(method: string, path: string, u: Partial<HttpUnit> = {}): HttpUnit {
  return { kind: 'http', methods: [method], path, headers: {}, query: {}, bodyTruncated: false, ...u };
}
