// A shell without a pty reads its commands from stdin (`ssh -T host`, `ssh host < script`):
// every stdin line is judged before the shell sees it; a denied line is dropped with a notice.
import { denialMessage } from '@portcullis/core';
import type { ClientChannel, ServerChannel } from 'ssh2';
import type { ChannelContext } from './channel-context.js';
import { relayChannel } from './channel-relay.js';

/** A line longer than this is judged as it stands (no shell line is this long in practice). */
const MAX_LINE = 1 << 20;

export function relayLineShell(ctx: ChannelContext, agent: ServerChannel, up: ClientChannel): void {
  let partial = Buffer.alloc(0);
  const lines: Buffer[] = [];
  let eof = false;
  let running = false;
  const relay = relayChannel(ctx.session, agent, up, {
    input: (chunk) => {
      partial = Buffer.concat([partial, chunk]);
      let nl = partial.indexOf(0x0a);
      while (nl >= 0) {
        lines.push(partial.subarray(0, nl + 1));
        partial = partial.subarray(nl + 1);
        nl = partial.indexOf(0x0a);
      }
      if (partial.length > MAX_LINE) {
        lines.push(partial);
        partial = Buffer.alloc(0);
      }
      void pump();
    },
    onAgentEnd: () => {
      eof = true;
      if (partial.length > 0) lines.push(partial);
      partial = Buffer.alloc(0);
      void pump();
    },
  });
  ctx.onAbort((message) => relay.abort(message));

  async function pump(): Promise<void> {
    if (running) return;
    running = true;
    try {
      while (lines.length > 0) {
        const line = lines.shift() as Buffer;
        const text = line.toString('utf8').replace(/\r?\n$/, '');
        if (text.trim() === '') {
          relay.toUpstream(line);
          continue;
        }
        const decision = await ctx.session.judge(
          { kind: 'shell', text, source: 'interactive', context: 'prompt' },
          { signal: ctx.signal },
        );
        if (decision.action === 'allow') relay.toUpstream(line);
        else if (agent.writable) agent.stderr.write(`${denialMessage(decision)}\n`);
      }
      if (eof) relay.endUpstream();
    } finally {
      running = false;
    }
  }
}
