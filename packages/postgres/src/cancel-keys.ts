// The agent gets its own backend key; a CancelRequest with it is mapped to the upstream's key,
// which never leaves the gateway. One registry per listener (in-process: a cancel must reach the
// same gateway process that holds the session).
import { randomInt } from 'node:crypto';

export interface UpstreamKey {
  pid: number;
  secret: number;
}

export class CancelKeys {
  private readonly byPid = new Map<number, { secret: number; upstream: UpstreamKey }>();

  /** Issues a fresh agent-side key for an upstream key. */
  register(upstream: UpstreamKey): UpstreamKey {
    let pid: number;
    do pid = randomInt(1, 0x7fffffff);
    while (this.byPid.has(pid));
    const secret = randomInt(-0x80000000, 0x7fffffff);
    this.byPid.set(pid, { secret, upstream });
    return { pid, secret };
  }

  /** The upstream key for an agent key, or undefined when the pid/secret pair is not ours. */
  lookup(pid: number, secret: number): UpstreamKey | undefined {
    const e = this.byPid.get(pid);
    return e && e.secret === secret ? e.upstream : undefined;
  }

  release(pid: number): void {
    this.byPid.delete(pid);
  }

  get size(): number {
    return this.byPid.size;
  }
}
