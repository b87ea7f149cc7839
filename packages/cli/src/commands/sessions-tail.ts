// `portcullis sessions tail ID | --all`: follows live sessions from their first frame (any replica's).
import { parseArgs } from 'node:util';
import { describeFrame, type Frame, frameValue, parseDuration, type RecordStore } from '@portcullis/core';
import type { CliCommand, CliIO } from '../command.js';
import { CliUsageError } from '../command.js';
import { openSessionStore, parseOptions, storeOptions } from '../session-store.js';

const command: CliCommand = {
  name: 'sessions tail',
  summary:
    'Follows a session live from its first frame until it closes; --all follows every active and new session (Ctrl-C stops).',
  usage:
    'portcullis sessions tail (ID | --all) [--store URL [--prefix P] | -c CONFIG] [--json | --raw] [--timeout 30s]',
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseOptions(() =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          ...storeOptions,
          all: { type: 'boolean' },
          json: { type: 'boolean' },
          raw: { type: 'boolean' },
          timeout: { type: 'string' },
        },
      }),
    );
    if (values.all ? positionals.length !== 0 : positionals.length !== 1) {
      throw new CliUsageError('expected one session ID, or --all');
    }
    if (values.json && values.raw) throw new CliUsageError('--json and --raw exclude each other');
    const timeoutMs = values.timeout === undefined ? undefined : parseDuration(values.timeout);
    if (values.timeout !== undefined && !timeoutMs)
      throw new CliUsageError(`--timeout ${values.timeout}: expected a duration`);

    const ctl = new AbortController();
    const stop = () => ctl.abort();
    process.once('SIGINT', stop);
    const timer = timeoutMs ? setTimeout(stop, timeoutMs) : undefined;
    const store = await openSessionStore(values, io);
    try {
      const print = (id: string | undefined, f: Frame) => write(io, f, values, id);
      if (!values.all) {
        const id = positionals[0];
        if (!(await store.getSession(id))) {
          io.stderr.write(`portcullis sessions tail: session ${id} not found\n`);
          return 1;
        }
        for await (const f of store.follow(id, { signal: ctl.signal })) print(undefined, f);
        return 0;
      }
      await tailAll(store, ctl.signal, print);
      return 0;
    } finally {
      clearTimeout(timer);
      process.removeListener('SIGINT', stop);
      await store.close();
    }
  },
};

function write(io: CliIO, f: Frame, opts: { json?: boolean; raw?: boolean }, id?: string): void {
  if (opts.json) {
    io.stdout.write(`${JSON.stringify(id ? { session: id, ...f } : f)}\n`);
  } else if (opts.raw) {
    if (f.kind !== 'output') return;
    const v = frameValue(f);
    if ('bytes' in v) (v.stream === 'stderr' ? io.stderr : io.stdout).write(v.bytes);
  } else {
    io.stdout.write(`${id ? `${id} ` : ''}${describeFrame(f)}\n`);
  }
}

async function tailAll(
  store: RecordStore,
  signal: AbortSignal,
  print: (id: string, f: Frame) => void,
): Promise<void> {
  const following = new Map<string, Promise<void>>();
  const startedAt = Date.now();
  while (!signal.aborted) {
    const active = await store.listSessions({ status: 'active', limit: 10_000 });
    // Sessions that started (and perhaps already ended) since the last look are shown too.
    const recent = await store.listSessions({ since: startedAt - 1000, limit: 10_000 });
    for (const m of [...active, ...recent]) {
      if (following.has(m.id)) continue;
      following.set(
        m.id,
        (async () => {
          for await (const f of store.follow(m.id, { signal })) print(m.id, f);
        })().catch(() => undefined),
      );
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  await Promise.all(following.values());
}

export default command;
