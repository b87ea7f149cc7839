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
}

export interface ApprovalService {
  /** Creates the approval and resolves once it is approved, denied, expired or cancelled. */
  request(req: NewApproval, opts?: ApprovalWaitOptions): Promise<Approval>;
  list(filter?: { status?: ApprovalStatus }): Promise<Approval[]>;
  get(id: string): Promise<Approval | undefined>;
  /** An approver votes. Throws ForbiddenError for self-approval or an approver outside the rule's groups. */
  resolve(id: string, approver: Identity, verdict: 'approve' | 'deny', reason?: string): Promise<Approval>;
  close(): Promise<void>;
}
