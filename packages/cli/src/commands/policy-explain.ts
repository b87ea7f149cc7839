// `portcullis policy explain`: what the gateway would decide for one command, and why.
import { parseArgs } from 'node:util';
import { denialMessage, loadConfig } from '@portcullis/core';
import { type CliCommand, type CliIO, CliUsageError } from '../command.js';
import { configPath } from '../config-file.js';
import { PolicyEvaluator } from '../policy-eval.js';

const command: CliCommand = {
  name: 'policy explain',
  summary:
    'Shows the decision for one SQL statement, shell command or HTTP request on a connection: the action, the rules that produced it, the reason, and what the analyzer saw.',
  usage:
    'portcullis policy explain [-c portcullis.yaml] --connection NAME [--groups a,b] (--sql "..." | --command "..." | --http "METHOD /path" [--header K:V] [--body TEXT]) [--json]',
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseArgs({
      args,
      options: {
        config: { type: 'string', short: 'c' },
        connection: { type: 'string' },
        groups: { type: 'string' },
        subject: { type: 'string' },
        sql: { type: 'string' },
        command: { type: 'string' },
        http: { type: 'string' },
        header: { type: 'string', multiple: true },
        body: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    if (!values.connection) throw new CliUsageError('--connection is required');
    const config = await loadConfig(configPath(values.config, io), io.env);
    let http:
      | string
      | { method: string; path: string; headers: Record<string, string>; body?: string }
      | undefined = values.http;
    if (values.http && (values.header || values.body !== undefined)) {
      const [method, path] = values.http.trim().split(/\s+/);
      const headers: Record<string, string> = {};
      for (const h of values.header ?? []) {
        const i = h.indexOf(':');
        if (i < 1) throw new CliUsageError(`--header must be "Name: value", got "${h}"`);
        headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
      }
      http = { method, path: path ?? '/', headers, body: values.body };
    }
    const evaluator = await PolicyEvaluator.create(config, {
      sql: values.sql !== undefined,
      shell: values.command !== undefined,
    });
    let r: ReturnType<PolicyEvaluator['evaluate']>;
    try {
      r = evaluator.evaluate({
        connection: values.connection,
        groups: values.groups
          ?.split(',')
          .map((g) => g.trim())
          .filter(Boolean),
        subject: values.subject,
        sql: values.sql,
        command: values.command,
        http,
      });
    } catch (err) {
      throw new CliUsageError((err as Error).message);
    }
    const { decision, analysis, reviewRules } = r;
    // What a denied agent is shown (Postgres ErrorResponse, SSH stderr, HTTP 403 `message`).
    const message = decision.action === 'deny' ? denialMessage(decision) : undefined;
    const review = reviewRules[0];
    if (values.json) {
      const out = {
        // The decision's fields at the top for scripts, and whole under `decision`.
        action: decision.action,
        rules: decision.rules,
        reason: decision.reason,
        ...(message ? { message } : {}),
        decision,
        analysis: analysis && { units: analysis.units, parseError: analysis.parseError },
        approvers: reviewRules.flatMap((x) => x.approvers),
        ...(review
          ? {
              approval: {
                approvers: review.approvers,
                min_approvals: review.minApprovals,
                timeout_ms: review.timeoutMs,
              },
            }
          : {}),
      };
      io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    }
    const out = [
      `decision: ${decision.action}`,
      `rules:    ${decision.rules.join(', ') || '(none)'}`,
      `reason:   ${decision.reason}`,
    ];
    if (review) {
      out.push(
        `approval: ${review.minApprovals} of [${review.approvers.join(', ')}] within ${Math.round(review.timeoutMs / 1000)}s`,
      );
    }
    if (message) out.push(`agent sees: ${message}`);
    if (analysis?.parseError) out.push(`parse error: ${analysis.parseError}`);
    for (const u of analysis?.units ?? []) out.push(`  - ${JSON.stringify(u)}`);
    io.stdout.write(`${out.join('\n')}\n`);
    return 0;
  },
};

export default command;
