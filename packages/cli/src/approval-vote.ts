// Shared by `approvals approve` and `approvals deny`.
import { parseArgs } from 'node:util';
import type { Approval } from '@portcullis/core';
import { adminRequest, adminTarget } from './admin-client.js';
import { type CliCommand, type CliIO, CliUsageError } from './command.js';
import { adminOptions } from './commands/approvals-list.js';

export function voteCommand(verdict: 'approve' | 'deny'): CliCommand {
  return {
    name: `approvals ${verdict}`,
    summary: `${verdict === 'approve' ? 'Approves' : 'Denies'} a waiting command; you must be in one of its rule's approver groups, and not its requester.`,
    usage: `portcullis approvals ${verdict} ID [--reason "..."] [--gateway URL] [--token JWT]`,
    async run(args: string[], io: CliIO): Promise<number> {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { ...adminOptions, reason: { type: 'string' }, json: { type: 'boolean' } },
      });
      if (positionals.length !== 1) throw new CliUsageError('give one approval ID');
      const target = await adminTarget(values, io);
      const a = await adminRequest<Approval>(
        target,
        'POST',
        `/api/approvals/${encodeURIComponent(positionals[0])}/${verdict}`,
        { reason: values.reason },
      );
      io.stdout.write(values.json ? `${JSON.stringify(a, null, 2)}\n` : `${a.id}: ${a.status}\n`);
      return 0;
    },
  };
}
