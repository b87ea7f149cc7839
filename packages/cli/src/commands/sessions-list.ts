// `portcullis sessions list`: recorded sessions, newest first, as a table or JSON.
import { parseArgs } from 'node:util';
import type { SessionMeta } from '@portcullis/core';
import type { CliCommand, CliIO } from '../command.js';
import { CliUsageError } from '../command.js';
import { openSessionStore, parseOptions, parseSince, storeOptions, withStore } from '../session-store.js';

const command: CliCommand = {
  name: 'sessions list',
  summary: 'Lists recorded sessions, newest first.',
  usage:
    'portcullis sessions list [--store URL [--prefix P] | -c CONFIG] [--connection N] [--subject S] [--protocol P] [--status active|closed|failed] [--since 1h] [--limit N] [--json]',
  async run(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseOptions(() =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          ...storeOptions,
          connection: { type: 'string' },
          subject: { type: 'string' },
          protocol: { type: 'string' },
          status: { type: 'string' },
          since: { type: 'string' },
          limit: { type: 'string' },
          json: { type: 'boolean' },
        },
      }),
    );
    if (positionals.length > 0) throw new CliUsageError(`unexpected argument ${positionals[0]}`);
    if (values.status && !['active', 'closed', 'failed'].includes(values.status)) {
      throw new CliUsageError(`--status ${values.status}: expected active, closed or failed`);
    }
    if (values.protocol && !['postgres', 'ssh', 'http'].includes(values.protocol)) {
      throw new CliUsageError(`--protocol ${values.protocol}: expected postgres, ssh or http`);
    }
    const limit = values.limit === undefined ? 100 : Number(values.limit);
    if (!Number.isInteger(limit) || limit <= 0)
      throw new CliUsageError(`--limit ${values.limit}: expected a positive integer`);
    const since = values.since === undefined ? undefined : parseSince(values.since);
    const list = await withStore(await openSessionStore(values, io), (s) =>
      s.listSessions({
        connection: values.connection,
        subject: values.subject,
        protocol: values.protocol,
        status: values.status,
        since,
        limit,
      }),
    );
    if (values.json) {
      io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return 0;
    }
    if (list.length === 0) {
      io.stdout.write('no sessions\n');
      return 0;
    }
    io.stdout.write(table(list));
    return 0;
  },
};

export function when(ms: number | undefined): string {
  if (!ms) return '-';
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

export function duration(meta: SessionMeta, now = Date.now()): string {
  const ms = (meta.ended_at ?? now) - meta.started_at;
  if (ms < 0) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Counts the gateway stores in the meta when a session ends (absent while it runs). */
const count = (v: unknown): string => (typeof v === 'number' ? String(v) : '-');

function table(list: SessionMeta[]): string {
  const rows = [
    [
      'ID',
      'STARTED (UTC)',
      'DURATION',
      'STATUS',
      'PROTOCOL',
      'CONNECTION',
      'SUBJECT',
      'CLIENT',
      'FRAMES',
      'CMDS',
      'DENIED',
    ],
    ...list.map((m) => [
      m.id,
      when(m.started_at),
      duration(m),
      m.status + (m.truncated ? '*' : ''),
      m.protocol,
      m.connection,
      m.subject,
      m.client,
      m.frames === undefined ? '-' : String(m.frames),
      count(m.commands),
      count(m.denied),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map(
      (r) =>
        `${r
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

export default command;
