// Command → analysis → decision, without any session around it: the one path shared by a live
// session's judge(), `policy explain` and `policy test`, so all three always agree.
import { analyzeHttp } from '../analyze/http/index.js';
import { ShellAnalyzer } from '../analyze/shell/index.js';
import { SqlAnalyzer, type SqlSessionState } from '../analyze/sql/index.js';
import type { RuleConfig } from '../config/types.js';
import type { Analysis, Command, Decision, Identity } from '../types.js';
import type { CompiledPolicy } from './compiled-policy.js';

export interface Judgement {
  decision: Decision;
  analysis?: Analysis;
  /** Rules that asked for review (approvers, min_approvals, timeout), when the decision is review. */
  reviewRules: RuleConfig[];
}

export interface JudgeContext {
  policy: CompiledPolicy;
  identity: Identity;
  sqlState?: SqlSessionState;
  home?: string;
  /** Shell: the directory relative paths resolve against (default home; null = unknown). */
  cwd?: string | null;
  /** Shell: files earlier commands of the session wrote or uploaded. */
  written?: ReadonlySet<string>;
}

export class CommandJudge {
  private constructor(
    private readonly sql: SqlAnalyzer | undefined,
    private readonly shell: ShellAnalyzer | undefined,
  ) {}

  /** Loads only the parsers the given protocols need (the SQL and shell parsers are WASM). */
  static async create(
    kinds: { sql?: boolean; shell?: boolean } = { sql: true, shell: true },
  ): Promise<CommandJudge> {
    const [sql, shell] = await Promise.all([
      kinds.sql ? SqlAnalyzer.create() : undefined,
      kinds.shell ? ShellAnalyzer.create() : undefined,
    ]);
    return new CommandJudge(sql, shell);
  }

  judge(command: Command, ctx: JudgeContext): Judgement {
    const { policy } = ctx;
    switch (command.kind) {
      case 'pg_function_call':
        return {
          decision: policy.builtin('function_call', `FunctionCall (oid ${command.oid})`),
          reviewRules: [],
        };
      case 'forward': {
        const key = command.type === 'agent' ? 'agent_forwarding' : 'port_forwarding';
        const what = command.host ? `${command.type} to ${command.host}:${command.port ?? ''}` : command.type;
        return { decision: policy.builtin(key, what), reviewRules: [] };
      }
      case 'sql':
        return this.copyOutGuard(
          this.evaluate(this.need(this.sql, 'SQL').analyze(command.text, ctx.sqlState), ctx),
          ctx,
        );
      case 'http':
        return this.evaluate(analyzeHttp(command), ctx);
      case 'file':
        return this.evaluate(this.need(this.shell, 'shell').analyzeFile(command, { home: ctx.home }), ctx);
      case 'shell': {
        if (command.source === 'interactive' && command.context === 'start') {
          return { decision: policy.builtin('interactive', 'an interactive (pty) shell'), reviewRules: [] };
        }
        const analysis = this.need(this.shell, 'shell').analyze(command.text, {
          home: ctx.home,
          cwd: ctx.cwd,
          written: ctx.written,
        });
        if (command.source === 'interactive' && command.context === 'unknown') {
          return this.judgeOffPrompt(analysis, ctx);
        }
        return this.evaluate(analysis, ctx);
      }
    }
    return {
      decision: { action: 'deny', rules: ['default'], reason: 'unknown command kind' },
      reviewRules: [],
    };
  }

  // A line typed where no shell prompt is showing (REPL, editor, heredoc): interactive_unknown decides,
  // but even under allow a line that a rule denies as a shell command stays denied.
  private judgeOffPrompt(analysis: Analysis, ctx: JudgeContext): Judgement {
    const setting = ctx.policy.config.interactiveUnknown;
    if (setting === 'deny') {
      return {
        decision: ctx.policy.builtin('interactive_unknown', 'a line typed away from the shell prompt'),
        analysis,
        reviewRules: [],
      };
    }
    const j = this.evaluate({ units: analysis.units }, ctx);
    const byRule = j.decision.rules.some((r) => r !== 'default' && r !== 'on_parse_error');
    if (j.decision.action === 'deny' && byRule) return j;
    return {
      decision: {
        action: 'allow',
        rules: ['interactive_unknown'],
        reason: 'line away from the shell prompt',
      },
      analysis,
      reviewRules: [],
    };
  }

  // COPY … TO STDOUT sends rows without column names, so the listener cannot apply column masking
  // rules to them (detectors still run): a COPY out of a table a column rule names (or any COPY out,
  // when a rule names a bare column) fails closed.
  private copyOutGuard(j: Judgement, ctx: JudgeContext): Judgement {
    const rules = ctx.policy.config.masking.columns;
    if (j.decision.action === 'deny' || rules.length === 0) return j;
    // Most statements are not COPY: look no further (this runs on every statement).
    if (!j.analysis?.units.some((u) => u.kind === 'sql' && u.statement === 'CopyStmt')) return j;
    const guarded = new Set<string>();
    let anyTable = false;
    for (const r of rules) {
      const dot = r.match.lastIndexOf('.');
      if (dot < 0) anyTable = true;
      else guarded.add(r.match.slice(0, dot).toLowerCase().split('.').pop()!);
    }
    const hit = j.analysis?.units.find(
      (u) =>
        u.kind === 'sql' &&
        u.statement === 'CopyStmt' &&
        u.category === 'read' &&
        (anyTable || u.tables.some((t) => guarded.has(t.toLowerCase().split('.').pop()!))),
    );
    if (!hit) return j;
    return {
      ...j,
      decision: {
        action: 'deny',
        rules: ['masking.columns'],
        reason: 'COPY … TO STDOUT cannot apply this policy’s column masking rules to that table; use SELECT',
      },
      reviewRules: [],
    };
  }

  private evaluate(analysis: Analysis, ctx: JudgeContext): Judgement {
    const { decision, reviewRules } = ctx.policy.evaluate(analysis, ctx.identity);
    return { decision, analysis, reviewRules };
  }

  private need<T>(analyzer: T | undefined, what: string): T {
    if (!analyzer) throw new Error(`the ${what} analyzer is not loaded`);
    return analyzer;
  }
}
