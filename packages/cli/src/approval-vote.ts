// Shared by `approvals approve` and `approvals deny`.
import { parseArgs } from 'node:util';
import type { Approval } from '@portcullis/core';
import { adminRequest, adminTarget } from './admin-client.js';
import { type CliCommand, type CliIO, CliUsageError } from './command.js';
import { adminOptions } from './commands/approvals-list.js';

export function voteCommand(verdict: 'approve' | 'deny'): CliCommand {
  return {
    name: `approvals ${verdict}`,
    summary: `${verdict === 'approve' ? 'Approves' : 'Denies'} a waiting command; you must be in one of its rule's approver groups, and not its requester. --digest binds the vote to the command digest you reviewed (from \`approvals list --json\`).`,
    usage: `portcullis approvals ${verdict} ID [--reason "..."] [--digest SHA256] [--gateway URL] [--token JWT] [--json]`,
    async run(args: string[], io: CliIO): Promise<number> {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          ...adminOptions,
          reason: { type: 'string' },
          digest: { type: 'string' },
          json: { type: 'boolean' },
        },
      });
      if (positionals.length !== 1) throw new CliUsageError('give one approval ID');
      if (values.digest !== undefined && !/^[0-9a-f]{64}$/.test(values.digest))
        throw new CliUsageError('--digest: expected the approval’s sha256 digest (64 hex digits)');
      const target = await adminTarget(values, io);
      const a = await adminRequest<Approval>(
        target,
        'POST',
        `/api/approvals/${encodeURIComponent(positionals[0])}/${verdict}`,
        { reason: values.reason, digest: values.digest },
      );
      if (values.json) {
        io.stdout.write(`${JSON.stringify(a, null, 2)}\n`);
        return 0;
      }
      // With min_approvals above one, an approve can leave it pending: say how many are still needed.
      const approvals = a.votes.filter((v) => v.verdict === 'approve').length;
      const more = a.status === 'pending' ? ` (${approvals} of ${a.minApprovals} approvals)` : '';
      io.stdout.write(`${a.id}: ${a.status}${more}\n    ${a.command.replace(/\n/g, '\n    ')}\n`);
      return 0;
    },
  };
}
