// Reading a recording back for people: a command/decision/result summary, terminal output, asciicast v2,
// and one-line timeline entries. Shared by the CLI and the admin API.
import type { Frame, SessionMeta } from '../types.js';

export type FrameValue = { bytes: Buffer; stream: 'stdout' | 'stderr' } | { json: unknown };

/** A frame's data as bytes (with their stream) or a parsed JSON value. */
export function frameValue(f: Frame): FrameValue {
  if (f.enc === 'b64') return { bytes: Buffer.from(f.data, 'base64'), stream: 'stdout' };
  let json: unknown;
  try {
    json = JSON.parse(f.data);
  } catch {
    return { json: f.data };
  }
  if (isObj(json) && json.stream === 'stderr' && typeof json.b64 === 'string') {
    return { bytes: Buffer.from(json.b64, 'base64'), stream: 'stderr' };
  }
  return { json };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const COMMAND_KINDS = new Set(['query', 'command', 'request']);

export interface CommandSummary {
  seq: number;
  t: number;
  kind: 'query' | 'command' | 'request';
  text: string;
  /** The final decision (a review's resolution replaces its first "review"). */
  decision?: { action: string; rules: string[]; reason: string };
  result?: string;
}

/** Each command with its decision, rule and result summary, in order. */
export function summarizeCommands(frames: Frame[]): CommandSummary[] {
  const out: CommandSummary[] = [];
  const bySeq = new Map<number, CommandSummary>();
  let current: CommandSummary | undefined;
  for (const f of frames) {
    if (COMMAND_KINDS.has(f.kind)) {
      const v = frameValue(f);
      current = {
        seq: f.seq,
        t: f.t,
        kind: f.kind as CommandSummary['kind'],
        text: 'json' in v ? commandText(v.json) : v.bytes.toString('utf8'),
      };
      out.push(current);
      bySeq.set(f.seq, current);
      continue;
    }
    if (f.kind !== 'decision' && f.kind !== 'result') continue;
    const v = frameValue(f);
    const data = 'json' in v ? v.json : undefined;
    const ref = isObj(data) && typeof data.ref === 'number' ? bySeq.get(data.ref) : current;
    if (!ref) continue;
    if (f.kind === 'decision' && isObj(data)) {
      ref.decision = {
        action: String(data.action ?? '?'),
        rules: Array.isArray(data.rules) ? data.rules.map(String) : [],
        reason: String(data.reason ?? ''),
      };
    } else if (f.kind === 'result') {
      ref.result = resultSummary(data);
    }
  }
  return out;
}

function commandText(data: unknown): string {
  if (isObj(data)) {
    if (typeof data.text === 'string') return data.text;
    if (typeof data.method === 'string') return `${data.method} ${String(data.target ?? '')}`;
  }
  return typeof data === 'string' ? data : JSON.stringify(data);
}

export function resultSummary(data: unknown): string {
  if (!isObj(data)) return clip(JSON.stringify(data) ?? '');
  const parts: string[] = [];
  if (typeof data.error === 'string') parts.push(`error: ${data.error}`);
  else if (isObj(data.error) && typeof data.error.message === 'string')
    parts.push(`error: ${data.error.message}`);
  if (typeof data.tag === 'string') parts.push(data.tag);
  if (typeof data.status === 'number') parts.push(`HTTP ${data.status}`);
  if (typeof data.exit_code === 'number') parts.push(`exit ${data.exit_code}`);
  if (typeof data.signal === 'string') parts.push(`signal ${data.signal}`);
  if (typeof data.rows === 'number' && typeof data.tag !== 'string') parts.push(`${data.rows} rows`);
  if (typeof data.bytes === 'number') parts.push(`${data.bytes} bytes`);
  return parts.length > 0 ? parts.join(', ') : clip(JSON.stringify(data));
}

function clip(s: string, n = 120): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** Terminal sessions: SSH, or any session that recorded output bytes and a resize. */
export function isTerminalSession(meta: SessionMeta | undefined, frames: Frame[]): boolean {
  if (meta?.protocol === 'ssh') return true;
  return frames.some((f) => f.kind === 'resize');
}

/** Concatenated output bytes of one stream: what the agent's terminal received. */
export function terminalOutput(frames: Frame[], stream: 'stdout' | 'stderr' = 'stdout'): Buffer {
  const parts: Buffer[] = [];
  for (const f of frames) {
    if (f.kind !== 'output') continue;
    const v = frameValue(f);
    if ('bytes' in v && v.stream === stream) parts.push(v.bytes);
  }
  return Buffer.concat(parts);
}

/** asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): header line, then `[time, code, text]` lines. */
export function toAsciicast(
  meta: SessionMeta | undefined,
  frames: Frame[],
  opts: { input?: boolean } = {},
): string {
  let width = 80;
  let height = 24;
  let term: string | undefined;
  const first = frames.find((f) => f.kind === 'resize' || (f.kind === 'open' && hasSize(f)));
  if (first) {
    const v = frameValue(first);
    const d = 'json' in v && isObj(v.json) ? (isObj(v.json.pty) ? v.json.pty : v.json) : {};
    if (typeof d.cols === 'number' && d.cols > 0) width = Math.floor(d.cols);
    if (typeof d.rows === 'number' && d.rows > 0) height = Math.floor(d.rows);
    if (typeof d.term === 'string') term = d.term;
  }
  const header: Record<string, unknown> = { version: 2, width, height };
  if (meta?.started_at) header.timestamp = Math.floor(meta.started_at / 1000);
  if (term) header.env = { TERM: term };
  if (meta) header.title = `${meta.subject}@${meta.connection} (${meta.id})`;
  const lines = [JSON.stringify(header)];
  // One decoder per direction, so a UTF-8 sequence split across frames is not mangled.
  const out = new TextDecoder('utf-8');
  const inp = new TextDecoder('utf-8');
  let lastT = 0;
  for (const f of frames) {
    const time = Math.max(lastT, f.t) / 1000;
    lastT = Math.max(lastT, f.t);
    if (f.kind === 'output') {
      const v = frameValue(f);
      if (!('bytes' in v)) continue;
      const text = out.decode(v.bytes, { stream: true });
      if (text) lines.push(JSON.stringify([time, 'o', text]));
    } else if (f.kind === 'input' && opts.input) {
      const v = frameValue(f);
      if (!('bytes' in v)) continue;
      const text = inp.decode(v.bytes, { stream: true });
      if (text) lines.push(JSON.stringify([time, 'i', text]));
    } else if (f.kind === 'resize' && f !== first) {
      const v = frameValue(f);
      if (
        'json' in v &&
        isObj(v.json) &&
        typeof v.json.cols === 'number' &&
        typeof v.json.rows === 'number'
      ) {
        lines.push(JSON.stringify([time, 'r', `${v.json.cols}x${v.json.rows}`]));
      }
    }
  }
  const tail = out.decode();
  if (tail) lines.push(JSON.stringify([lastT / 1000, 'o', tail]));
  return `${lines.join('\n')}\n`;
}

function hasSize(f: Frame): boolean {
  const v = frameValue(f);
  return 'json' in v && isObj(v.json) && isObj(v.json.pty);
}

/** One readable line for a frame in a text timeline (Postgres/HTTP replays, `sessions tail`). */
export function describeFrame(f: Frame): string {
  const v = frameValue(f);
  const head = `[${(f.t / 1000).toFixed(3).padStart(9)}s] #${f.seq} ${f.kind}`;
  if ('bytes' in v) {
    const text = v.bytes.toString('utf8');
    return `${head}${v.stream === 'stderr' ? ' (stderr)' : ''}: ${JSON.stringify(clip(text, 200))} (${v.bytes.length} bytes)`;
  }
  const d = v.json;
  switch (f.kind) {
    case 'query':
    case 'command':
    case 'request':
      return `${head}: ${commandText(d)}`;
    case 'decision':
      if (isObj(d)) {
        const rules = Array.isArray(d.rules) && d.rules.length ? ` (rule ${d.rules.join(', ')})` : '';
        return `${head}: ${String(d.action)}${rules}: ${String(d.reason ?? '')}`;
      }
      break;
    case 'result':
      return `${head}: ${resultSummary(d)}`;
  }
  return `${head}: ${clip(JSON.stringify(d), 200)}`;
}
