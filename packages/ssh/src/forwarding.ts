// Side doors: local (-L, direct-tcpip), remote (-R, tcpip-forward), unix-socket forwarding.
// Each is judged (port_forwarding) and recorded; refused unless the policy allows it.
import { denialMessage, type Session } from '@portcullis/core';
import type {
  AcceptConnection,
  Channel,
  Client,
  ClientChannel,
  Connection,
  RejectConnection,
  ServerChannel,
  TcpipBindInfo,
  TcpipRequestInfo,
} from 'ssh2';

export interface ForwardOwner {
  readonly session: Session;
  readonly upstream: Client;
  readonly agent: Connection;
}

function pipeBoth(a: Channel, b: Channel): void {
  a.pipe(b).on('error', () => b.destroy());
  b.pipe(a).on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
}

/** `ssh -L`: the agent asks the gateway to connect somewhere from the upstream host. */
export async function directTcpip(
  owner: ForwardOwner,
  accept: AcceptConnection<ServerChannel>,
  reject: RejectConnection,
  info: TcpipRequestInfo,
): Promise<void> {
  const decision = await owner.session.judge({
    kind: 'forward',
    type: 'direct-tcpip',
    host: info.destIP,
    port: info.destPort,
  });
  if (decision.action !== 'allow') {
    owner.session.record('error', { message: denialMessage(decision) });
    return reject();
  }
  owner.upstream.forwardOut(
    info.srcIP,
    info.srcPort,
    info.destIP,
    info.destPort,
    (err, up: ClientChannel) => {
      if (err) {
        owner.session.record('error', {
          message: `direct-tcpip to ${info.destIP}:${info.destPort} failed upstream: ${err.message}`,
        });
        return reject();
      }
      pipeBoth(accept(), up);
    },
  );
}

/** `ssh -W`/-L to a unix socket. */
export async function directStreamlocal(
  owner: ForwardOwner,
  _accept: AcceptConnection<ServerChannel>,
  reject: RejectConnection,
  info: { socketPath: string },
): Promise<void> {
  const decision = await owner.session.judge({ kind: 'forward', type: 'streamlocal', host: info.socketPath });
  owner.session.record('error', {
    message:
      decision.action === 'allow'
        ? 'unix-socket forwarding is allowed by policy but not relayed by the gateway'
        : denialMessage(decision),
  });
  reject();
}

/** Global requests: `ssh -R` (tcpip-forward) and friends. */
export async function globalRequest(
  owner: ForwardOwner,
  accept: ((port?: number) => void) | undefined,
  reject: (() => void) | undefined,
  name: string,
  info: TcpipBindInfo | { socketPath: string },
): Promise<void> {
  if (name === 'cancel-tcpip-forward' && 'bindAddr' in info) {
    owner.upstream.unforwardIn(info.bindAddr, info.bindPort, (err) => (err ? reject?.() : accept?.()));
    return;
  }
  if (name !== 'tcpip-forward' || !('bindAddr' in info)) {
    const decision = await owner.session.judge({
      kind: 'forward',
      type: 'streamlocal',
      host: 'socketPath' in info ? info.socketPath : name,
    });
    owner.session.record('error', {
      message: `${name} refused${decision.action === 'allow' ? ' (not relayed by the gateway)' : `: ${denialMessage(decision)}`}`,
    });
    reject?.();
    return;
  }
  const decision = await owner.session.judge({
    kind: 'forward',
    type: 'tcpip-forward',
    host: info.bindAddr,
    port: info.bindPort,
  });
  if (decision.action !== 'allow') {
    owner.session.record('error', { message: denialMessage(decision) });
    reject?.();
    return;
  }
  owner.upstream.forwardIn(info.bindAddr, info.bindPort, (err, port) => {
    if (err) {
      owner.session.record('error', {
        message: `tcpip-forward ${info.bindAddr}:${info.bindPort} failed upstream: ${err.message}`,
      });
      return reject?.();
    }
    accept?.(port);
  });
}

/** Connections arriving on an upstream `-R` listener go back to the agent. */
export function relayForwardedConnections(owner: ForwardOwner): void {
  owner.upstream.on('tcp connection', (info, accept, reject) => {
    owner.agent.forwardOut(info.destIP, info.destPort, info.srcIP, info.srcPort, (err, agentCh) => {
      if (err) return reject();
      pipeBoth(accept(), agentCh);
    });
  });
}
