// `portcullis replay ID`: terminal sessions replay their output with the original timing; Postgres and HTTP
// sessions replay as a timeline; asciicast v2 and JSON for other tools.
import { parseArgs } from 'node:util';
import {
  describeFrame,
  type Frame,
  frameValue,
  isTerminalSession,
  type SessionMeta,
  toAsciicast,
} from '@portcullis/core';
import type { CliCommand, CliIO } from '../command.js';
import { CliUsageError } from '../command.js';
import { openSessionStore, parseOptions, storeOptions, withStore } from '../session-store.js';

const FORMATS = ['text', 'asciicast', 'json'] as const;

const command: CliCommand = {
  name: 'replay',
  summary:
    'Replays a session: text (terminal output with its timing, or a timeline of commands), asciicast v2, or JSON frames.',
  usage:
    'portcullis replay ID [--store URL [--prefix P] | -c CONFIG] [--format text|asciicast|json] [--speed X] [--no-wait] [--max-wait SECONDS] [--input]',
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseOptions(() =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          ...storeOptions,
          format: { type: 'string', default: 'text' },
          speed: { type: 'string' },
          'no-wait': { type: 'boolean' },
          'max-wait': { type: 'string' },
          input: { type: 'boolean' },
        },
      }),
    );
    if (positionals.length !== 1) throw new CliUsageError('expected one session ID');
    const format = values.format as (typeof FORMATS)[number];
    if (!FORMATS.includes(format))
      throw new CliUsageError(`--format ${values.format}: expected text, asciicast or json`);
    const speed = values.speed === undefined ? 1 : Number(values.speed);
    if (!(speed > 0) || !Number.isFinite(speed))
      throw new CliUsageError(`--speed ${values.speed}: expected a number > 0`);
    const maxWait = values['max-wait'] === undefined ? Number.POSITIVE_INFINITY : Number(values['max-wait']);
    if (!(maxWait >= 0)) throw new CliUsageError(`--max-wait ${values['max-wait']}: expected seconds >= 0`);
    const id = positionals[0];
    const found = await withStore(await openSessionStore(values, io), async (s) => {
      const meta = await s.getSession(id);
      return meta ? { meta, frames: await s.readFrames(id) } : undefined;
    });
    if (!found) {
      io.stderr.write(`portcullis replay: session ${id} not found\n`);
      return 1;
    }
    const { meta, frames } = found;
    if (format === 'json') {
      for (const f of frames) io.stdout.write(`${JSON.stringify(f)}\n`);
      return 0;
    }
    const terminal = isTerminalSession(meta, frames);
    if (format === 'asciicast') {
      if (!terminal) {
        io.stderr.write(
          `portcullis replay: session ${id} is a ${meta.protocol} session without a terminal; use --format text or json\n`,
        );
        return 1;
      }
      io.stdout.write(toAsciicast(meta, frames, { input: values.input }));
      return 0;
    }
    const wait = values['no-wait'] ? undefined : { speed, maxWaitMs: maxWait * 1000 };
    await replayText(io, meta, frames, terminal, wait);
    return 0;
  },
};

async function replayText(
  io: CliIO,
  meta: SessionMeta,
  frames: Frame[],
  terminal: boolean,
  wait: { speed: number; maxWaitMs: number } | undefined,
): Promise<void> {
  let lastT = 0;
  for (const f of frames) {
    const v = terminal ? frameValue(f) : undefined;
    if (terminal && !(f.kind === 'output' && v && 'bytes' in v)) continue;
    if (wait && f.t > lastT) {
      await new Promise((r) => setTimeout(r, Math.min(wait.maxWaitMs, (f.t - lastT) / wait.speed)));
    }
    lastT = Math.max(lastT, f.t);
    if (v && 'bytes' in v) {
      await writeOut(v.stream === 'stderr' ? io.stderr : io.stdout, v.bytes);
    } else {
      io.stdout.write(`${describeFrame(f)}\n`);
    }
  }
  if (!terminal) io.stdout.write(`-- end of ${meta.protocol} session ${meta.id} (${frames.length} frames)\n`);
}

function writeOut(stream: NodeJS.WritableStream, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(bytes)) resolve();
    else stream.once('drain', () => resolve());
  });
}

export default command;
