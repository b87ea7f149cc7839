// `portcullis sessions show ID`: the session's metadata, then each command with its decision and result.
import { parseArgs } from 'node:util';
import { summarizeCommands } from '@portcullis/core';
import type { CliCommand, CliIO } from '../command.js';
import { CliUsageError } from '../command.js';
import { openSessionStore, parseOptions, storeOptions, withStore } from '../session-store.js';
import { duration, when } from './sessions-list.js';

const command: CliCommand = {
  name: 'sessions show',
  summary: 'Shows a session: metadata, then every command with its decision, rule and result.',
  usage: 'portcullis sessions show ID [--store URL [--prefix P] | -c CONFIG] [--json]',
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseOptions(() =>
      parseArgs({ args, allowPositionals: true, options: { ...storeOptions, json: { type: 'boolean' } } }),
    );
    if (positionals.length !== 1) throw new CliUsageError('expected one session ID');
    const id = positionals[0];
    const found = await withStore(await openSessionStore(values, io), async (s) => {
      const meta = await s.getSession(id);
      return meta ? { meta, frames: await s.readFrames(id) } : undefined;
    });
    if (!found) {
      io.stderr.write(`portcullis sessions show: session ${id} not found\n`);
      return 1;
    }
    const { meta, frames } = found;
    const commands = summarizeCommands(frames);
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ session: meta, commands }, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `session     ${meta.id}`,
      `connection  ${meta.connection} (${meta.protocol})`,
      `subject     ${meta.subject}${meta.groups.length ? ` [${meta.groups.join(', ')}]` : ''}`,
      `client      ${meta.client}`,
      `started     ${when(meta.started_at)} UTC`,
      `ended       ${meta.ended_at ? `${when(meta.ended_at)} UTC` : '-'} (${duration(meta)})`,
      `status      ${meta.status}${typeof meta.reason === 'string' ? `: ${meta.reason}` : ''}`,
      `frames      ${frames.length}${meta.truncated ? ' (truncated by the per-session cap)' : ''}`,
      ...tally(meta),
      '',
      commands.length === 0
        ? 'no commands'
        : `${commands.length} command${commands.length === 1 ? '' : 's'}:`,
    ];
    for (const c of commands) {
      lines.push(`  #${c.seq} +${(c.t / 1000).toFixed(3)}s ${c.kind}: ${c.text.replace(/\n/g, '\n      ')}`);
      if (c.decision) {
        const rules = c.decision.rules.length ? ` by rule ${c.decision.rules.join(', ')}` : '';
        lines.push(`      ${c.decision.action}${rules}: ${c.decision.reason}`);
      } else lines.push('      (no decision recorded)');
      if (c.result) lines.push(`      → ${c.result}`);
    }
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

/** The counts the gateway stores at the end of a session, when present. */
function tally(meta: Record<string, unknown>): string[] {
  const n = (k: string) => (typeof meta[k] === 'number' ? (meta[k] as number) : undefined);
  if (n('commands') === undefined && n('masked') === undefined) return [];
  const parts = [
    `${n('commands') ?? 0} commands`,
    `${n('denied') ?? 0} denied`,
    `${n('reviewed') ?? 0} reviewed`,
  ];
  if (n('masked') !== undefined) parts.push(`${n('masked')} values masked`);
  return [`counts      ${parts.join(', ')}`];
}

export default command;
