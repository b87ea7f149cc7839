// What a session channel's handlers (exec, shell, sftp) share: the core session, the upstream
// connection, the pty and env the agent asked for, and hooks for resize, signals and abort.
import type { Logger, Session } from '@portcullis/core';
import type { Client, PseudoTtyInfo, WindowChangeInfo } from 'ssh2';

export interface ChannelContext {
  readonly session: Session;
  readonly upstream: Client;
  readonly log: Logger;
  /** Set by a pty-req before the shell/exec. */
  pty?: PseudoTtyInfo;
  /** The agent asked for agent forwarding and the policy allowed it: request it upstream too. */
  agentForward?: boolean;
  /** env requests the policy let through. */
  readonly env: Record<string, string>;
  /** Aborted when the agent's channel or connection goes away. */
  readonly signal: AbortSignal;
  onResize(handler: (size: WindowChangeInfo) => void): void;
  onSignal(handler: (name: string) => void): void;
  /** Called when the session must end now (shutdown), with a message for the agent. */
  onAbort(handler: (message: string) => void): void;
}
