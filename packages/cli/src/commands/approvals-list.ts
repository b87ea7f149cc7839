// `portcullis approvals list`: approvals, newest first. With a token (--token / $PORTCULLIS_TOKEN) it asks a
// running gateway's admin API (which shows an approver only what their groups may resolve); without one it
// reads them from the Redis store of the config (or --store), where every replica keeps them.
import { parseArgs } from 'node:util';
import {
  type Approval,
  type ApprovalStatus,
  describeRedisUrl,
  isRedisUrl,
  RedisApprovals,
} from '@portcullis/core';
import { adminRequest, adminTarget } from '../admin-client.js';
import type { CliCommand, CliIO } from '../command.js';
import { CliUsageError } from '../command.js';
import { parseOptions, sessionStoreConfig } from '../session-store.js';

export const adminOptions = {
  config: { type: 'string', short: 'c' },
  gateway: { type: 'string' },
  token: { type: 'string' },
} as const;

const STATUSES = ['pending', 'approved', 'denied', 'expired', 'cancelled'] as const;

const command: CliCommand = {
  name: 'approvals list',
  summary:
    'Lists approvals (newest first): from a running gateway’s admin API when a token is given (--token or $PORTCULLIS_TOKEN), else straight from the Redis store of the config (or --store URL [--prefix P]).',
  usage:
    'portcullis approvals list [--status pending|approved|denied|expired|cancelled] [--gateway URL --token JWT | --store URL [--prefix P] | -c CONFIG] [--json]',
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseOptions(() =>
      parseArgs({
        args,
        options: {
          ...adminOptions,
          store: { type: 'string' },
          prefix: { type: 'string' },
          status: { type: 'string' },
          json: { type: 'boolean' },
        },
      }),
    );
    const status = values.status as ApprovalStatus | undefined;
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status))
      throw new CliUsageError(`--status ${status}: expected ${STATUSES.join(', ')}`);
    const viaApi = (values.token ?? io.env.PORTCULLIS_TOKEN) !== undefined || values.gateway !== undefined;
    let list: Approval[];
    if (viaApi) {
      const target = await adminTarget(values, io);
      const q = status ? `?status=${encodeURIComponent(status)}` : '';
      list = await adminRequest<Approval[]>(target, 'GET', `/api/approvals${q}`);
    } else {
      const store = await sessionStoreConfig(values, io);
      if (!isRedisUrl(store.url)) {
        throw new CliUsageError(
          'with a file store, approvals live in the gateway process: pass --gateway URL --token JWT (an approver or auditor token)',
        );
      }
      const approvals = new RedisApprovals({ url: store.url, prefix: store.keyPrefix });
      try {
        list = await approvals.list(status ? { status } : {});
      } catch (err) {
        throw new Error(
          `cannot read approvals from ${describeRedisUrl(store.url)}: ${(err as Error).message}`,
        );
      } finally {
        await approvals.close();
      }
    }
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
