// `portcullis sessions verify ID`: walks the hash chain; "ok" or exit 1 naming the first bad frame.
import { parseArgs } from 'node:util';
import type { CliCommand, CliIO } from '../command.js';
import { CliUsageError } from '../command.js';
import { openSessionStore, parseOptions, storeOptions, withStore } from '../session-store.js';

const command: CliCommand = {
  name: 'sessions verify',
  summary:
    'Checks a session’s hash chain: prints "ok", or exits 1 naming the first bad frame and why (on stdout, and as one error line on stderr). --json gives {"ok":true,"frames":N} or {"ok":false,"seq","problem","detail"}.',
  usage: 'portcullis sessions verify ID [--store URL [--prefix P] | -c CONFIG] [--json]',
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseOptions(() =>
      parseArgs({ args, allowPositionals: true, options: { ...storeOptions, json: { type: 'boolean' } } }),
    );
    if (positionals.length !== 1) throw new CliUsageError('expected one session ID');
    const id = positionals[0];
    // An unknown id throws "session ID not found" (exit 1).
    const result = await withStore(await openSessionStore(values, io), (s) => s.verify(id));
    if (values.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.ok) io.stdout.write('ok\n');
    else io.stdout.write(`frame ${result.seq}: ${result.problem}: ${result.detail}\n`);
    if (!result.ok) {
      io.stderr.write(
        `portcullis sessions verify: session ${id}: hash chain broken at frame ${result.seq} (${result.problem})\n`,
      );
    }
    return result.ok ? 0 : 1;
  },
};

export default command;
