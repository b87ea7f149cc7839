// An approval: one exact command waiting for people in the rule's approver groups.
import type { ApprovalStatus, Identity } from '../types.js';

export interface NewApproval {
  session: string;
  connection: string;
  subject: string;
  groups: string[];
  /** The exact command as the approver will see it (SQL with parameters, shell line, request line). */
  command: string;
  /** sha256 of the command's canonical form: approving binds to it. */
  digest: string;
  rule: string;
  reason: string;
  approvers: string[];
  minApprovals: number;
  timeoutMs: number;
}

export interface ApprovalVote {
  by: string;
  verdict: 'approve' | 'deny';
  reason?: string;
  at: number;
  /** The command digest the approver saw, when they sent one (it must match the approval's). */
  digest?: string;
}

export interface Approval extends NewApproval {
  id: string;
  createdAt: number;
  expiresAt: number;
  status: ApprovalStatus;
  votes: ApprovalVote[];
  resolvedAt?: number;
}

export interface ApprovalWaitOptions {
  signal?: AbortSignal;
  onPending?: (a: Approval) => void;
  /** A vote that leaves the approval pending (min_approvals above one), as this waiter learns of it. */
  onVote?: (a: Approval, vote: ApprovalVote) => void;
}

export interface VoteOptions {
  /** The digest of the command the approver looked at: the vote binds to it. */
  digest?: string;
}

export interface ApprovalService {
  /** Creates the approval and resolves once it is approved, denied, expired or cancelled. */
  request(req: NewApproval, opts?: ApprovalWaitOptions): Promise<Approval>;
  list(filter?: { status?: ApprovalStatus }): Promise<Approval[]>;
  get(id: string): Promise<Approval | undefined>;
  /**
   * An approver votes. Throws ForbiddenError for self-approval or an approver outside the rule's groups,
   * and PortcullisError when `opts.digest` (what the approver saw) is not the approval's command digest.
   */
  resolve(
    id: string,
    approver: Identity,
    verdict: 'approve' | 'deny',
    reason?: string,
    opts?: VoteOptions,
  ): Promise<Approval>;
  close(): Promise<void>;
}
