// `portcullis check`: validates a config file and reports every problem as FILE:LINE:COL: key: what.
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ConfigError,
  type ConfigProblem,
  formatConfigProblem,
  parseConfig,
  readConfigText,
} from '@portcullis/core';
import { type CliCommand, type CliIO, CliUsageError } from '../command.js';
import { configPath } from '../config-file.js';

function options(args: string[]) {
  try {
    return parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, quiet: { type: 'boolean', short: 'q' } },
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
}

const command: CliCommand = {
  name: 'check',
  summary:
    'Validates the config: exit 0 and "FILE: ok (N connections, M policies)", or exit 1 with every problem on stderr as FILE:LINE:COL: <key path>: <what is wrong>. -c defaults to $PORTCULLIS_CONFIG, then ./portcullis.yaml.',
  usage: 'portcullis check [-c portcullis.yaml] [--quiet]',
  async run(args: string[], io: CliIO): Promise<number> {
    const values = options(args);
    // Problems name the file as the user wrote it; it is read relative to the CLI's cwd.
    const shown = values.config ?? io.env.PORTCULLIS_CONFIG ?? 'portcullis.yaml';
    const file = configPath(values.config, io);
    let text: string;
    try {
      text = await readConfigText(file, shown);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const p of err.problems) io.stderr.write(`${formatConfigProblem(p)}\n`);
      return 1;
    }
    const result = parseConfig(text, { file: shown, env: io.env, baseDir: dirname(file) });
    const printWarning = (w: ConfigProblem) =>
      io.stderr.write(`${shown}:${w.line}:${w.col}: ${w.path}: warning: ${w.message}\n`);
    if (!result.config) {
      for (const p of result.problems) io.stderr.write(`${formatConfigProblem(p)}\n`);
      for (const w of result.warnings) printWarning(w);
      const n = result.problems.length;
      io.stderr.write(`${shown}: ${n} problem${n === 1 ? '' : 's'}\n`);
      return 1;
    }
    if (!values.quiet) for (const w of result.warnings) printWarning(w);
    const c = result.config;
    io.stdout.write(
      `${shown}: ok (${c.connections.length} connections, ${Object.keys(c.policies).length} policies)\n`,
    );
    return 0;
  },
};

export default command;
