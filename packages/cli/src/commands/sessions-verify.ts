// `portcullis sessions verify ID`: walks the hash chain; "ok (N frames)" or exit 1 naming the first bad frame.
import { parseArgs } from 'node:util';
import type { CliCommand, CliIO } from '../command.js';
import { CliUsageError } from '../command.js';
import { openSessionStore, parseOptions, storeOptions, withStore } from '../session-store.js';

const command: CliCommand = {
  name: 'sessions verify',
  summary:
    'Checks a session’s hash chain: prints "ok (N frames)", or exits 1 naming the first bad frame and why.',
  usage: 'portcullis sessions verify ID [--store URL [--prefix P] | -c CONFIG] [--json]',
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseOptions(() =>
      parseArgs({ args, allowPositionals: true, options: { ...storeOptions, json: { type: 'boolean' } } }),
    );
    if (positionals.length !== 1) throw new CliUsageError('expected one session ID');
    const result = await withStore(await openSessionStore(values, io), (s) => s.verify(positionals[0]));
    if (values.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.ok) io.stdout.write(`ok (${result.frames} frames)\n`);
    else io.stdout.write(`frame ${result.seq}: ${result.problem}: ${result.detail}\n`);
    return result.ok ? 0 : 1;
  },
};

export default command;
