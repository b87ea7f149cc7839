// Agent forwarding (`ssh -A`) relayed when the policy's agent_forwarding allows it: the upstream's
// `auth-agent@openssh.com` channel opens are answered by opening one back to the agent's client,
// whose ssh-agent answers. The gateway itself never signs with, or lists, the agent's keys.
import type { Channel, Connection } from 'ssh2';
import { openAgentChannel } from './ssh2-internals.js';
import { BaseAgent } from './ssh2-runtime.js';

export class ForwardingAgent extends BaseAgent {
  /** Set once a session channel's auth-agent-req was allowed by policy. */
  allowed = false;

  constructor(private readonly agentConnection: () => Connection | undefined) {
    super();
  }

  // The upstream login uses the gateway's own key, never the agent's: no identities here.
  getIdentities(cb: (err: Error | null, keys?: Buffer[]) => void): void {
    cb(null, []);
  }

  sign(_key: unknown, _data: Buffer, optsOrCb: unknown, cb?: (err: Error | null) => void): void {
    const done = typeof optsOrCb === 'function' ? (optsOrCb as (err: Error | null) => void) : cb;
    done?.(new Error('the gateway does not sign with the agent'));
  }

  override getStream(cb: (err: Error | undefined, stream?: Channel) => void): void {
    const conn = this.agentConnection();
    if (!this.allowed || !conn) {
      cb(new Error('agent forwarding was not requested and allowed'));
      return;
    }
    openAgentChannel(conn, (err, channel) => (err ? cb(err) : cb(undefined, channel)));
  }
}
