// The rules of an approval's life, in one place for every approval store: how one starts, how a vote counts.
import { randomUUID } from 'node:crypto';
import { ForbiddenError, PortcullisError } from '../errors.js';
import type { Identity } from '../types.js';
import type { Approval, ApprovalVote, NewApproval, VoteOptions } from './types.js';

/** Applies a vote to an approval (mutates and returns it), or throws with the reason it is refused. */
export function applyVote(
  a: Approval,
  approver: Identity,
  verdict: 'approve' | 'deny',
  reason: string | undefined,
  now: number,
  opts: VoteOptions = {},
): Approval {
  if (a.status !== 'pending') throw new PortcullisError('policy', `approval ${a.id} is already ${a.status}`);
  if (now >= a.expiresAt) throw new PortcullisError('policy', `approval ${a.id} has expired`);
  if (approver.subject === a.subject) {
    throw new ForbiddenError(`${approver.subject} cannot approve their own request`, 'approvers');
  }
  if (!approver.groups.some((g) => a.approvers.includes(g))) {
    throw new ForbiddenError(
      `${approver.subject} is not in an approver group of rule ${a.rule} (${a.approvers.join(', ')})`,
      'approvers',
    );
  }
  // A vote names the command it was cast for; one cast for another command cannot count here.
  if (opts.digest !== undefined && opts.digest !== a.digest) {
    throw new PortcullisError(
      'policy',
      `approval ${a.id} is for a different command than the one you reviewed (digest ${a.digest.slice(0, 12)}…)`,
    );
  }
  if (a.votes.some((v) => v.by === approver.subject)) {
    throw new PortcullisError('policy', `${approver.subject} has already voted on approval ${a.id}`);
  }
  const vote: ApprovalVote = { by: approver.subject, verdict, at: now };
  if (reason) vote.reason = reason;
  if (opts.digest) vote.digest = opts.digest;
  a.votes.push(vote);
  if (verdict === 'deny') {
    a.status = 'denied';
    a.resolvedAt = now;
  } else if (a.votes.filter((v) => v.verdict === 'approve').length >= a.minApprovals) {
    a.status = 'approved';
    a.resolvedAt = now;
  }
  return a;
}

/** A new pending approval for a request, expiring after the rule's timeout. */
export function newApproval(req: NewApproval, createdAt: number): Approval {
  return {
    ...req,
    id: randomUUID(),
    createdAt,
    expiresAt: createdAt + req.timeoutMs,
    status: 'pending',
    votes: [],
  };
}
