export { LocalApprovals } from './local-approvals.js';
export { RedisApprovals, type RedisApprovalsOptions } from './redis-approvals.js';
export type {
  Approval,
  ApprovalService,
  ApprovalVote,
  ApprovalWaitOptions,
  NewApproval,
  VoteOptions,
} from './types.js';
export { applyVote } from './vote.js';
export { approvalText, WebhookNotifier, withWebhook } from './webhook.js';
