// Interactive pty sessions. Keys that only edit the line pass at once (the shell echoes them and
// the headless terminal shows the result); a key that may make the shell accept the line is held,
// the line is read off the screen and judged, and only an allowed line gets its Enter. A denied
// line is erased upstream and never runs. Keys typed behind a held Enter wait in order.
import { type Decision, denialMessage, type ShellCommand } from '@portcullis/core';
import type { ClientChannel, ServerChannel, ShellOptions } from 'ssh2';
import type { ChannelContext } from './channel-context.js';
import { type Relay, relayChannel } from './channel-relay.js';
import { ptyOptions } from './exec.js';
import { type Key, KeyReader } from './line-keys.js';
import { hasHistoryExpansion, isearchLine, lineToJudge, PromptShape, typedText } from './prompt-shape.js';
import { relayLineShell } from './shell-stdin.js';
import { TerminalView } from './terminal-line.js';

/** Output silence that means the shell has finished echoing/redrawing. */
const ECHO_IDLE_MS = 15;
/** Longest wait for the echo of keys already sent (no echo → the line is typed blind). */
const ECHO_MAX_MS = 1_000;
/** Before the first key: wait for the shell's first prompt (login banners, rc files). */
const FIRST_PROMPT_MAX_MS = 3_000;
/** After an accepted line, keys typed ahead wait for a prompt this long at most. */
// Generous: a busy machine can take a while to print the prompt, and a line judged before it shows
// lands away from the prompt (`interactive_unknown`).
const NEXT_PROMPT_MAX_MS = 2_000;
/** Printable keys sent but not echoed yet: the longest extra wait before judging the typed text. */
const UNECHOED_MAX_MS = 2_000;
/** A lone ESC waits this long for the rest of its sequence. */
const ESC_WAIT_MS = 30;
/** The shells whose prompt a pty exec may learn (`ssh -t host bash`). */
const SHELLS = new Set(['bash', 'sh', 'zsh', 'dash', 'ksh', 'mksh', 'fish', 'ash']);

export async function startShell(ctx: ChannelContext, agent: ServerChannel): Promise<void> {
  agent.pause();
  if (!ctx.pty) {
    // No pty: the shell reads commands from stdin, so each stdin line is judged.
    const up = await openShell(ctx, agent, false);
    if (up) relayLineShell(ctx, agent, up);
    agent.resume();
    return;
  }
  const interactive = await ctx.session.judge({
    kind: 'shell',
    text: '',
    source: 'interactive',
    context: 'start',
  });
  if (interactive.action !== 'allow') {
    agent.write(`${denialMessage(interactive)}\r\n`);
    agent.exit(126);
    agent.end();
    return;
  }
  const up = await openShell(ctx, agent, true);
  if (!up) return;
  startPtyJudge(ctx, agent, up, { atPromptFromStart: true });
  agent.resume();
}

async function openShell(
  ctx: ChannelContext,
  agent: ServerChannel,
  pty: boolean,
): Promise<ClientChannel | undefined> {
  try {
    return await new Promise<ClientChannel>((resolve, reject) => {
      const options: ShellOptions & { agentForward?: boolean } = {
        env: ctx.env,
        agentForward: ctx.agentForward,
      };
      ctx.upstream.shell(pty ? (ptyOptions(ctx) ?? false) : false, options, (err, ch) =>
        err ? reject(err) : resolve(ch),
      );
    });
  } catch (err) {
    ctx.session.record('error', { message: `upstream shell failed: ${(err as Error).message}` });
    if (agent.writable) {
      agent.stderr.write(`portcullis: upstream refused the shell: ${(err as Error).message}\n`);
      agent.exit(255);
      agent.end();
    }
    return undefined;
  }
}

export interface PtyJudgeOptions {
  /** A login shell (shell request): its first prompt is learned as the shell prompt. */
  atPromptFromStart: boolean;
  /** For a pty exec: the command, to learn the prompt only when it starts a shell. */
  command?: string;
}

export function startPtyJudge(
  ctx: ChannelContext,
  agent: ServerChannel,
  up: ClientChannel,
  opts: PtyJudgeOptions,
): void {
  const pty = ctx.pty;
  const cols = pty?.cols ?? 80;
  const rows = pty?.rows ?? 24;
  ctx.session.record('resize', { cols, rows, term: pty?.term });
  const judge = new LineJudge(ctx, new TerminalView(cols, rows), opts);
  const relay = relayChannel(ctx.session, agent, up, {
    input: (chunk) => judge.input(chunk),
    onUpstreamOutput: (chunk) => judge.output(chunk),
    isEcho: (chunk) => judge.isEcho(chunk),
    onAgentEnd: () => judge.agentEnded(),
    onDone: () => judge.dispose(),
  });
  judge.attach(relay);
  ctx.onResize((s) => judge.resize(s.cols, s.rows));
  ctx.onAbort((message) => relay.abort(message));
}

interface ReadLine {
  text: string;
  context: 'prompt' | 'unknown';
  /** The prompt (or what stood in front of the line) as shown. */
  prompt: string;
  screenText: string;
}

class LineJudge {
  private relay!: Relay;
  private readonly keys = new KeyReader();
  private readonly queue: Key[] = [];
  private running = false;
  private escTimer: NodeJS.Timeout | undefined;
  private shape: PromptShape | undefined;
  private learnPrompt: boolean;
  private firstPromptSeen = false;
  private lineStarted = false;
  private linePrompt = '';
  private typed: Buffer[] = [];
  /** Keys sent since the last upstream output: printable ones among them were never echoed. */
  private unechoed: Buffer[] = [];
  private lastOutputAt = 0;
  private lastSentAt = 0;
  private lastKey: Buffer | undefined;
  private outputSinceSend = true;
  private readonly startedAt = Date.now();
  private acceptedAt = 0;
  private pendingAbort: AbortController | undefined;
  private agentEof = false;
  private disposed = false;

  constructor(
    private readonly ctx: ChannelContext,
    private readonly term: TerminalView,
    opts: PtyJudgeOptions,
  ) {
    const first = opts.command?.trim().split(/\s+/);
    this.learnPrompt =
      opts.atPromptFromStart ||
      (first !== undefined && SHELLS.has(first[0]?.split('/').pop() ?? '') && !first.includes('-c'));
    term.onBufferChange((alternate) => {
      // An editor opened straight from the line editor (vi-mode `v`, a key binding) would run its
      // result on exit without any Enter the gateway can hold: end the channel instead.
      if (
        alternate &&
        this.lineStarted &&
        this.acceptedAt < this.lastSentAt &&
        this.shape?.matches(this.linePrompt)
      ) {
        const msg =
          'portcullis: an editor was opened from the command line (edit-and-execute); the session is closed';
        this.ctx.session.record('error', { message: msg });
        this.relay.abort(msg);
      }
    });
  }

  attach(relay: Relay): void {
    this.relay = relay;
  }

  output(chunk: Buffer): void {
    this.term.write(chunk);
    this.lastOutputAt = Date.now();
    this.outputSinceSend = true;
    this.unechoed = [];
  }

  resize(cols: number, rows: number): void {
    this.term.resize(cols, rows);
  }

  /** Is this upstream chunk exactly the echo of the last key sent (typed text at the end of the line, or a backspace)? */
  isEcho(chunk: Buffer): boolean {
    const key = this.lastKey;
    if (!key || Date.now() - this.lastSentAt > 250 || chunk.length > 256) return false;
    if (key.length === 1 && (key[0] === 0x7f || key[0] === 0x08)) {
      const s = chunk.toString('latin1');
      return s === '\b \b' || s === '\b\x1b[K';
    }
    return chunk.equals(key) && key.every((b) => b >= 0x20 && b < 0x7f);
  }

  input(chunk: Buffer): void {
    if (this.escTimer) clearTimeout(this.escTimer);
    this.escTimer = undefined;
    for (const key of this.keys.read(chunk)) this.enqueue(key);
    if (this.keys.holding) {
      this.escTimer = setTimeout(() => {
        this.escTimer = undefined;
        for (const key of this.keys.flushHeld()) this.enqueue(key);
      }, ESC_WAIT_MS);
    }
  }

  agentEnded(): void {
    this.agentEof = true;
    if (!this.running && this.queue.length === 0) this.relay.endUpstream();
  }

  dispose(): void {
    this.disposed = true;
    this.pendingAbort?.abort();
    if (this.escTimer) clearTimeout(this.escTimer);
    this.term.dispose();
  }

  private enqueue(key: Key): void {
    if (key.kind === 'interrupt') {
      // An interrupt jumps the queue and drops typed-ahead keys, like a terminal's flush on ^C.
      this.queue.length = 0;
      this.pendingAbort?.abort();
      this.send(key.bytes);
      this.lineStarted = false;
      this.typed = [];
      return;
    }
    this.queue.push(key);
    if (!this.running) void this.pump();
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.disposed) {
        const key = this.queue[0];
        if (!this.lineStarted) await this.startLine();
        if (this.queue[0] !== key) continue; // an interrupt flushed the queue meanwhile
        this.queue.shift();
        if (key.kind === 'edit') {
          this.typed.push(key.bytes);
          this.send(key.bytes);
        } else {
          await this.atAcceptKey(key);
        }
      }
    } catch (err) {
      this.ctx.log.error('pty judge failed', { session: this.ctx.session.id, error: (err as Error).message });
      this.relay.abort(`portcullis: internal error judging the line: ${(err as Error).message}`);
    } finally {
      this.running = false;
      if (this.agentEof && this.queue.length === 0) this.relay.endUpstream();
    }
  }

  /** The first key of a line: wait until the shell shows its prompt, then remember it. */
  private async startLine(): Promise<void> {
    if (!this.firstPromptSeen) {
      await this.waitQuiet(100, FIRST_PROMPT_MAX_MS, this.startedAt);
      this.firstPromptSeen = true;
    } else if (this.acceptedAt > 0) {
      await this.waitForPrompt();
    }
    await this.term.settled();
    const line = this.term.line();
    this.linePrompt = line.beforeCursor;
    if (this.learnPrompt && !this.shape && PromptShape.usable(this.linePrompt)) {
      this.shape = new PromptShape(this.linePrompt);
    }
    this.lineStarted = true;
    this.typed = [];
  }

  private async atAcceptKey(key: Key): Promise<void> {
    if (key.kind === 'refuse') {
      this.notice(`portcullis: ${key.note ?? 'key'} is not allowed through the gateway`);
      this.ctx.session.record('error', { message: `refused key: ${key.note}` });
      return;
    }
    await this.waitEcho();
    await this.waitUnechoed();
    const line = this.readLine();
    if (line.text.trim() === '' && this.typed.length === 0) {
      this.accept(key); // an empty line runs nothing
      return;
    }
    const command: ShellCommand = {
      kind: 'shell',
      text: line.text,
      source: 'interactive',
      context: line.context,
    };
    this.pendingAbort = new AbortController();
    let decision: Decision;
    try {
      decision = await this.ctx.session.judge(command, {
        signal: this.pendingAbort.signal,
        onPending: (a) =>
          this.notice(
            `portcullis: waiting for approval ${a.id} (approvers: ${a.approvers.join(', ') || 'any'})`,
            false,
          ),
      });
    } finally {
      this.pendingAbort = undefined;
    }
    if (this.disposed) return;
    if (decision.action === 'allow') {
      if (key.kind === 'accept') this.accept(key);
      else this.send(key.bytes); // judged as possibly accepting; the line goes on if it was not
      return;
    }
    await this.erase(line, denialMessage(decision));
  }

  private accept(key: Key): void {
    this.send(key.bytes);
    this.acceptedAt = Date.now();
    this.lineStarted = false;
    this.typed = [];
  }

  /** Reads the line the shell would run, as the terminal shows it. */
  private readLine(): ReadLine {
    const screen = this.term.line();
    const shown = screen.text;
    const afterPrompt = shown.startsWith(this.linePrompt) ? shown.slice(this.linePrompt.length) : undefined;
    let text: string;
    let prompt: string;
    let context: 'prompt' | 'unknown' = 'unknown';
    const searched = isearchLine(shown);
    if (this.term.alternate) {
      text = afterPrompt ?? shown;
      prompt = afterPrompt !== undefined ? this.linePrompt : '';
    } else if (afterPrompt !== undefined && this.shape?.matches(this.linePrompt)) {
      text = afterPrompt;
      prompt = this.linePrompt;
      context = 'prompt';
    } else if (searched !== undefined && this.shape) {
      text = searched;
      prompt = shown.slice(0, shown.length - searched.length);
      context = 'prompt';
    } else {
      const p = this.shape?.prefixOf(shown);
      if (p !== undefined) {
        text = shown.slice(p.length);
        prompt = p;
        context = 'prompt';
      } else {
        text = afterPrompt ?? shown;
        prompt = afterPrompt !== undefined ? this.linePrompt : '';
      }
    }
    // Keys typed that the screen does not show (echo off, output held back, text printed over the
    // line): the typed text is judged instead, away from the prompt.
    ({ text, context } = lineToJudge({ text, context }, this.typed, this.unechoed));
    if (context === 'prompt' && hasHistoryExpansion(text)) context = 'unknown';
    return { text: text.replace(/\s+$/, ''), context, prompt, screenText: shown };
  }

  /** A denied line: tell the agent, clear it upstream, and make sure it is gone. */
  private async erase(line: ReadLine, message: string): Promise<void> {
    const screen = this.term.line();
    const down = screen.endRow - screen.cursorRow;
    // Reprint what stood there so the shell's own redraw (after Ctrl-U) lands where it expects.
    const notice = `${down > 0 ? `\x1b[${down}B` : ''}\r\n${message}\r\n${line.screenText}`;
    this.showAgent(notice);
    this.send(Buffer.from('\x05\x15')); // end of line, kill to its start
    this.lineStarted = true;
    this.typed = [];
    await this.waitEcho();
    const after = this.term.line().text;
    const left = line.prompt && after.startsWith(line.prompt) ? after.slice(line.prompt.length) : after;
    if (line.context === 'prompt' && left.trim() !== '') {
      // The line editor did not clear it (vi command mode, odd bindings): abandon the line.
      this.send(Buffer.from('\x03'));
      this.lineStarted = false;
      this.acceptedAt = Date.now();
    }
  }

  private notice(message: string, newlineAfterPrompt = true): void {
    const screen = this.term.line();
    this.showAgent(`\r\n${message}\r\n${newlineAfterPrompt ? screen.text : ''}`);
  }

  /** Writes to the agent and to the model of its screen, so both stay alike. */
  private showAgent(text: string): void {
    const bytes = Buffer.from(text);
    this.term.write(bytes);
    this.relay.toAgent(bytes);
  }

  private send(bytes: Buffer): void {
    this.lastKey = bytes;
    this.lastSentAt = Date.now();
    this.outputSinceSend = false;
    this.unechoed.push(bytes);
    this.relay.toUpstream(bytes);
  }

  /** Waits for the echo of what was sent (bounded), then for a short silence. */
  private async waitEcho(): Promise<void> {
    const sentAt = this.lastSentAt;
    while (!this.disposed) {
      const now = Date.now();
      if (this.outputSinceSend && now - this.lastOutputAt >= ECHO_IDLE_MS) break;
      if (!this.outputSinceSend && now - sentAt >= ECHO_MAX_MS) break;
      if (now - sentAt >= ECHO_MAX_MS + 500) break; // output that never stops
      await sleep(5);
    }
    await this.term.settled();
  }

  /**
   * Typed text still not echoed (a slow host, or output held back): wait a while longer before the
   * line is judged from the typed keys instead of the screen.
   */
  private async waitUnechoed(): Promise<void> {
    const since = Date.now();
    while (!this.disposed && typedText(this.unechoed).trim() !== '' && Date.now() - since < UNECHOED_MAX_MS)
      await sleep(10);
    await this.term.settled();
  }

  private async waitQuiet(idleMs: number, maxMs: number, since: number): Promise<void> {
    while (!this.disposed) {
      const now = Date.now();
      if (this.lastOutputAt > 0 && now - this.lastOutputAt >= idleMs) return;
      if (now - since >= maxMs) return;
      await sleep(10);
    }
  }

  /** After an accepted line: wait (bounded) until the shell is back at its prompt. */
  private async waitForPrompt(): Promise<void> {
    const since = Date.now();
    while (!this.disposed) {
      const quietFor = Date.now() - Math.max(this.lastOutputAt, this.acceptedAt);
      if (quietFor >= ECHO_IDLE_MS) {
        await this.term.settled();
        const line = this.term.line();
        if (this.shape?.matches(line.beforeCursor) && line.text === line.beforeCursor) return;
        if (quietFor >= NEXT_PROMPT_MAX_MS) return;
      }
      if (Date.now() - since > 60_000 && quietFor >= ECHO_IDLE_MS) return;
      await sleep(5);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
