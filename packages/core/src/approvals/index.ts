export type { Approval, ApprovalService, ApprovalVote, ApprovalWaitOptions, NewApproval } from './types.js';
export { applyVote } from './vote.js';
export { LocalApprovals } from './local-approvals.js';
