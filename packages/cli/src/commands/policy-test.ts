// `portcullis policy test`: runs a YAML list of cases against the config's policies.
// Each case: { connection, groups?, sql | command | http, expect: allow|deny|review, rule?, name? }.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '@portcullis/core';
import { parse as parseYaml } from 'yaml';
import { type CliCommand, type CliIO, CliUsageError } from '../command.js';
import { configPath } from '../config-file.js';
import { PolicyEvaluator, type PolicyQuestion } from '../policy-eval.js';

interface Case extends PolicyQuestion {
  name?: string;
  expect: 'allow' | 'deny' | 'review';
  rule?: string;
}

const command: CliCommand = {
  name: 'policy test',
  summary:
    'Runs policy cases ({connection, groups, sql|command|http, expect, rule?}) and prints one line per failure and "N passed, N failed" last; exit 1 when any fails.',
  usage: 'portcullis policy test [-c portcullis.yaml] CASES.yaml [--verbose]',
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, verbose: { type: 'boolean', short: 'v' } },
    });
    if (positionals.length !== 1) throw new CliUsageError('give one CASES.yaml file');
    const config = await loadConfig(configPath(values.config, io), io.env);
    const file = path.resolve(io.cwd, positionals[0]);
    const doc = parseYaml(await readFile(file, 'utf8'));
    const cases: Case[] = Array.isArray(doc) ? doc : doc?.cases;
    if (!Array.isArray(cases)) throw new Error(`${file}: expected a list of cases (or {cases: [...]})`);
    const evaluator = await PolicyEvaluator.create(config, {
      sql: cases.some((c) => c.sql !== undefined),
      shell: cases.some((c) => c.command !== undefined),
    });
    let passed = 0;
    let failed = 0;
    cases.forEach((c, i) => {
      const label =
        c.name ??
        c.sql ??
        c.command ??
        (typeof c.http === 'string' ? c.http : `${c.http?.method} ${c.http?.path}`);
      const where = `case ${i + 1} (${label})`;
      if (!['allow', 'deny', 'review'].includes(c.expect)) {
        failed++;
        io.stdout.write(`FAIL ${where}: expect must be allow, deny or review\n`);
        return;
      }
      try {
        const { decision } = evaluator.evaluate(c);
        const ruleOk = c.rule === undefined || decision.rules.includes(c.rule);
        if (decision.action === c.expect && ruleOk) {
          passed++;
          if (values.verbose)
            io.stdout.write(`ok   ${where}: ${decision.action} (${decision.rules.join(', ')})\n`);
        } else {
          failed++;
          const want = c.rule ? `${c.expect} by rule ${c.rule}` : c.expect;
          io.stdout.write(
            `FAIL ${where}: expected ${want}, got ${decision.action} by rule ${decision.rules.join(', ') || '(none)'}: ${decision.reason}\n`,
          );
        }
      } catch (err) {
        failed++;
        io.stdout.write(`FAIL ${where}: ${(err as Error).message}\n`);
      }
    });
    io.stdout.write(`${passed} passed, ${failed} failed\n`);
    return failed === 0 ? 0 : 1;
  },
};

export default command;
