// Notifies approvals.webhook_url on create and resolve: JSON with a Slack-compatible `text`.
// Fire-and-forget with retries and a timeout; a slow or broken webhook never holds a session.
import type { Logger } from '../telemetry/index.js';
import type { Identity } from '../types.js';
import type { Approval, ApprovalService, ApprovalWaitOptions, NewApproval, VoteOptions } from './types.js';

export interface WebhookOptions {
  url: string;
  log: Logger;
  timeoutMs?: number;
  retries?: number;
  fetch?: typeof fetch;
}

export function approvalText(event: 'created' | 'resolved', a: Approval): string {
  if (event === 'created') {
    return `:hourglass: ${a.subject} on ${a.connection} needs approval (rule ${a.rule}, approvers: ${a.approvers.join(', ')}):\n\`\`\`${a.command.slice(0, 2000)}\`\`\`\nApprove: portcullis approvals approve ${a.id}`;
  }
  const by = a.votes.map((v) => v.by).join(', ');
  return `Approval ${a.id} for ${a.subject} on ${a.connection}: *${a.status}*${by ? ` by ${by}` : ''}`;
}

export class WebhookNotifier {
  constructor(private readonly opts: WebhookOptions) {}

  notify(event: 'created' | 'resolved', approval: Approval): void {
    const body = JSON.stringify({ event, approval, text: approvalText(event, approval) });
    void this.send(body, this.opts.retries ?? 3);
  }

  private async send(body: string, retries: number): Promise<void> {
    const f = this.opts.fetch ?? fetch;
    for (let attempt = 0; attempt <= retries; attempt++) {
      try {
        const res = await f(this.opts.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
        });
        if (res.ok) return;
        this.opts.log.warn('approval webhook answered an error', { status: res.status, attempt });
      } catch (err) {
        this.opts.log.warn('approval webhook failed', { error: (err as Error).message, attempt });
      }
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt).unref());
    }
  }
}

/** Wraps an approval service so every create and resolve also notifies the webhook. */
export function withWebhook(inner: ApprovalService, notifier: WebhookNotifier): ApprovalService {
  return {
    request: async (req: NewApproval, opts: ApprovalWaitOptions = {}) => {
      const final = await inner.request(req, {
        ...opts,
        onPending: (a) => {
          notifier.notify('created', a);
          opts.onPending?.(a);
        },
      });
      if (final.status === 'expired' || final.status === 'cancelled') notifier.notify('resolved', final);
      return final;
    },
    list: (f) => inner.list(f),
    get: (id) => inner.get(id),
    resolve: async (
      id: string,
      who: Identity,
      verdict: 'approve' | 'deny',
      reason?: string,
      opts?: VoteOptions,
    ) => {
      const a = await inner.resolve(id, who, verdict, reason, opts);
      if (a.status !== 'pending') notifier.notify('resolved', a);
      return a;
    },
    close: () => inner.close(),
  };
}
