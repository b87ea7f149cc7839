// Joins an agent channel to an upstream channel: output masked and recorded, window
// backpressure both ways, EOF passed on, exit status/signal relayed before the close.
import type { Session } from '@portcullis/core';
import type { ClientChannel, ServerChannel } from 'ssh2';
import { MaskedOutput } from './masked-output.js';

export interface RelayOptions {
  /** Takes the agent's input instead of the plain copy (the pty line judge). */
  input?: (chunk: Buffer) => void;
  /** Sees upstream stdout before masking (the headless terminal). */
  onUpstreamOutput?: (chunk: Buffer) => void;
  /** The agent sent EOF (default: pass it upstream at once). */
  onAgentEnd?: () => void;
  /** True when an upstream chunk is only the echo of the key the agent just typed: sent unheld. */
  isEcho?: (chunk: Buffer) => boolean;
  /** Called once when the channel pair is done. */
  onDone?: () => void;
  /** stdout cannot carry masked values (legacy scp): called instead of sending them (see MaskedOutput). */
  onMasked?: (detectors: string[]) => void;
}

export interface Relay {
  /** Writes to the upstream channel (the pty judge forwards accepted keys here). */
  toUpstream(chunk: Buffer): void;
  /** Writes to the agent's terminal directly (denial notices), recorded as output. */
  toAgent(chunk: Buffer): void;
  /** Sends EOF upstream. */
  endUpstream(): void;
  /** Ends both sides now (e.g. session shutdown). */
  abort(message?: string): void;
}

export function relayChannel(
  session: Session,
  agent: ServerChannel,
  up: ClientChannel,
  opts: RelayOptions = {},
): Relay {
  const stdout = new MaskedOutput(session, (b) => agent.write(b), 'stdout', opts.onMasked);
  const stderr = new MaskedOutput(session, (b) => agent.stderr.write(b));
  let exit: { code: number } | { signal: string; dump: boolean; desc: string } | undefined;
  let pendingEnds = 2; // stdout end, stderr end
  let upClosed = false;
  let finished = false;

  const finish = () => {
    if (finished || pendingEnds > 0 || !upClosed) return;
    finished = true;
    stdout.end();
    stderr.end();
    if (exit && 'code' in exit) {
      session.record('result', { exit_status: exit.code });
      agent.exit(exit.code);
    } else if (exit) {
      session.record('result', { exit_signal: exit.signal, core_dumped: exit.dump });
      try {
        agent.exit(exit.signal.replace(/^SIG/, ''), exit.dump, exit.desc);
      } catch {
        // A signal name ssh2 does not know: report it as a failure status instead.
        agent.exit(255);
      }
    }
    agent.end();
    opts.onDone?.();
  };

  // Upstream → agent, pausing the upstream while the agent's window is full.
  up.on('data', (chunk: Buffer) => {
    opts.onUpstreamOutput?.(chunk);
    const clean = stdout.pending === 0;
    const ok = stdout.write(chunk);
    // Echo of the agent's own keystroke, nothing held before it: no secret can straddle it.
    if (clean && stdout.pending > 0 && opts.isEcho?.(chunk)) stdout.flush();
    if (!ok) {
      up.pause();
      agent.once('drain', () => up.resume());
    }
  });
  up.stderr.on('data', (chunk: Buffer) => {
    if (!stderr.write(chunk)) {
      up.stderr.pause();
      agent.stderr.once('drain', () => up.stderr.resume());
    }
  });
  up.on('end', () => {
    stdout.end();
    pendingEnds--;
    finish();
  });
  up.stderr.on('end', () => {
    stderr.end();
    pendingEnds--;
    finish();
  });
  up.on('exit', (code: number | null, signal?: string, dump?: boolean, desc?: string) => {
    exit =
      code !== null && code !== undefined
        ? { code }
        : { signal: signal ?? 'KILL', dump: !!dump, desc: desc ?? '' };
  });
  up.on('close', () => {
    // ssh2 ends both readable sides on close; their 'end' events come once the data is consumed.
    upClosed = true;
    finish();
  });

  const toUpstream = (chunk: Buffer) => {
    if (!up.writable) return;
    if (!up.write(chunk)) {
      agent.pause();
      up.once('drain', () => agent.resume());
    }
  };

  // Agent → upstream.
  agent.on('data', (chunk: Buffer) => {
    session.record('input', chunk);
    if (opts.input) opts.input(chunk);
    else toUpstream(chunk);
  });
  agent.on('end', () => {
    // The agent sent EOF: pass it on (half-close), the upstream decides when to exit.
    if (opts.onAgentEnd) opts.onAgentEnd();
    else up.end();
  });
  agent.on('close', () => {
    if (!upClosed) up.close();
  });

  return {
    toUpstream,
    endUpstream() {
      up.end();
    },
    toAgent(chunk: Buffer) {
      session.record('output', chunk);
      agent.write(chunk);
    },
    abort(message?: string) {
      if (message && agent.writable) agent.stderr.write(`${message}\n`);
      stdout.end();
      stderr.end();
      if (!finished) {
        finished = true;
        if (agent.writable) agent.exit(255);
        agent.end();
      }
      up.close();
    },
  };
}
