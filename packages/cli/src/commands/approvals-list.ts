// `portcullis approvals list`: approvals the gateway holds, newest first.
import { parseArgs } from 'node:util';
import type { Approval } from '@portcullis/core';
import { adminRequest, adminTarget } from '../admin-client.js';
import type { CliCommand, CliIO } from '../command.js';

export const adminOptions = {
  config: { type: 'string', short: 'c' },
  gateway: { type: 'string' },
  token: { type: 'string' },
} as const;

const command: CliCommand = {
  name: 'approvals list',
  summary: 'Lists approvals (pending first) from a running gateway’s admin API.',
  usage:
    'portcullis approvals list [--status pending|approved|denied|expired|cancelled] [--gateway URL] [--token JWT] [--json]',
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseArgs({
      args,
      options: { ...adminOptions, status: { type: 'string' }, json: { type: 'boolean' } },
    });
    const target = await adminTarget(values, io);
    const q = values.status ? `?status=${encodeURIComponent(values.status)}` : '';
    const list = await adminRequest<Approval[]>(target, 'GET', `/api/approvals${q}`);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return 0;
    }
    if (list.length === 0) {
      io.stdout.write('no approvals\n');
      return 0;
    }
    const now = Date.now();
    for (const a of list) {
      const left =
        a.status === 'pending' ? ` (${Math.max(0, Math.round((a.expiresAt - now) / 1000))}s left)` : '';
      io.stdout.write(
        `${a.id}  ${a.status}${left}  ${a.subject}@${a.connection}  rule ${a.rule}  approvers ${a.approvers.join(',')}\n    ${a.command.replace(/\n/g, '\n    ')}\n`,
      );
    }
    return 0;
  },
};

export default command;
