// The Portcullis web UI: sessions, replay (a terminal player for SSH, a timeline for Postgres and
// HTTP), live view, verification and approvals. Talks only to the admin API with a bearer token kept
// in sessionStorage; every recorded frame it shows is already masked by the gateway.
import { Terminal } from '@xterm/xterm';

// ── API ─────────────────────────────────────────────────────────────────────
interface Frame {
  seq: number;
  t: number;
  kind: string;
  data: string;
  enc?: 'json' | 'b64';
  hash: string;
}
interface Meta {
  id: string;
  connection: string;
  protocol: string;
  subject: string;
  groups: string[] | string;
  client: string;
  started_at: number;
  ended_at?: number;
  status: string;
  [k: string]: unknown;
}
interface Approval {
  id: string;
  session: string;
  connection: string;
  subject: string;
  command: string;
  rule: string;
  reason: string;
  approvers: string[];
  minApprovals: number;
  createdAt: number;
  expiresAt: number;
  status: string;
  votes: { by: string; verdict: string; reason?: string }[];
}
interface Me {
  subject: string;
  groups: string[];
  auditor: boolean;
  approver: boolean;
}

const TOKEN_KEY = 'portcullis.token';
const token = () => sessionStorage.getItem(TOKEN_KEY) ?? '';

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, {
    ...init,
    headers: {
      authorization: `Bearer ${token()}`,
      'content-type': 'application/json',
      ...(init.headers ?? {}),
    },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.reason ?? body.error ?? `HTTP ${res.status}`);
  return body as T;
}

// ── DOM ─────────────────────────────────────────────────────────────────────
type Child = Node | string | number | null | undefined | false;
function h(tag: string, attrs: Record<string, unknown> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false || v === null) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'class') el.className = String(v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const app = () => document.getElementById('app')!;
function show(...nodes: Child[]) {
  stopPage();
  app().replaceChildren(
    ...nodes
      .filter((n): n is Node | string => n !== null && n !== undefined && n !== false)
      .map((n) => (n instanceof Node ? n : String(n))),
  );
}
const time = (ms: number) => new Date(ms).toLocaleString();
const badge = (cls: string, text: string) => h('span', { class: `badge ${cls}` }, text);

// Anything a page started (timers, streams) is stopped when the page changes.
let pageCleanups: (() => void)[] = [];
function onLeave(fn: () => void) {
  pageCleanups.push(fn);
}
function stopPage() {
  for (const fn of pageCleanups) fn();
  pageCleanups = [];
}

function decodeFrame(f: Frame): unknown {
  if (f.enc === 'b64') return Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
  try {
    return JSON.parse(f.data);
  } catch {
    return f.data;
  }
}

/** Output bytes of a frame, whether recorded as raw bytes or as {data|b64} JSON. */
function frameBytes(f: Frame): Uint8Array | undefined {
  const d = decodeFrame(f);
  if (d instanceof Uint8Array) return d;
  if (d && typeof d === 'object') {
    const o = d as { b64?: string; data?: string; text?: string };
    if (typeof o.b64 === 'string') return Uint8Array.from(atob(o.b64), (c) => c.charCodeAt(0));
    if (typeof o.data === 'string') return new TextEncoder().encode(o.data);
    if (typeof o.text === 'string') return new TextEncoder().encode(o.text);
  }
  return undefined;
}

// ── sign in ─────────────────────────────────────────────────────────────────
let me: Me | undefined;

function signIn(message?: string) {
  const ta = h('textarea', {
    id: 'token',
    placeholder: 'eyJhbGciOi…',
    'aria-label': 'token',
  }) as HTMLTextAreaElement;
  show(
    h(
      'section',
      { class: 'signin' },
      h('h1', {}, 'Sign in'),
      h(
        'p',
        { class: 'muted' },
        'Paste a token from your identity provider (auditors see sessions; approvers resolve approvals).',
      ),
      message ? h('p', { class: 'error', id: 'signin-error' }, message) : null,
      ta,
      h(
        'p',
        {},
        h(
          'button',
          { class: 'primary', id: 'signin-button', onclick: () => void useToken(ta.value.trim()) },
          'Sign in',
        ),
      ),
    ),
  );
}

async function useToken(t: string) {
  sessionStorage.setItem(TOKEN_KEY, t);
  try {
    me = await api<Me>('/api/me');
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    return signIn(`Token refused: ${(err as Error).message}`);
  }
  location.hash = me.auditor ? '#/sessions' : '#/approvals';
  route();
}

function renderWho() {
  const who = document.getElementById('whoami')!;
  who.replaceChildren();
  if (!me) return;
  who.append(
    `${me.subject} (${me.groups.join(', ')}) `,
    h(
      'a',
      {
        href: '#',
        id: 'signout',
        onclick: (e: Event) => {
          e.preventDefault();
          sessionStorage.removeItem(TOKEN_KEY);
          me = undefined;
          renderWho();
          signIn();
        },
      },
      'sign out',
    ),
  );
}

// ── sessions list ───────────────────────────────────────────────────────────
async function sessionsPage(params: URLSearchParams) {
  const fields = ['connection', 'subject', 'protocol', 'status'] as const;
  const inputs = Object.fromEntries(
    fields.map((f) => [
      f,
      h('input', { placeholder: f, value: params.get(f) ?? '', name: f }) as HTMLInputElement,
    ]),
  );
  const apply = () => {
    const q = new URLSearchParams();
    for (const f of fields) if (inputs[f].value) q.set(f, inputs[f].value);
    location.hash = `#/sessions?${q}`;
  };
  const body = h('tbody');
  show(
    h('h1', {}, 'Sessions'),
    h(
      'div',
      { class: 'filters', onkeydown: (e: KeyboardEvent) => e.key === 'Enter' && apply() },
      ...fields.map((f) => inputs[f]),
      h('button', { onclick: apply }, 'Filter'),
    ),
    h(
      'table',
      { id: 'sessions' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Started', 'Connection', 'Protocol', 'Subject', 'Client', 'Status', ''].map((t) =>
            h('th', {}, t),
          ),
        ),
      ),
      body,
    ),
  );
  const q = new URLSearchParams();
  for (const f of fields) if (params.get(f)) q.set(f, params.get(f)!);
  q.set('limit', '200');
  const list = await api<Meta[]>(`/api/sessions?${q}`);
  if (list.length === 0) body.append(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No sessions.')));
  for (const s of list) {
    const counts = h('td');
    for (const [k, cls] of [
      ['denied', 'deny'],
      ['reviewed', 'review'],
      ['masked', 'masked'],
    ] as const) {
      const n = Number(s[k] ?? 0);
      if (n > 0) counts.append(badge(cls, `${n} ${k}`));
    }
    body.append(
      h(
        'tr',
        {
          class: 'clickable',
          'data-session': s.id,
          onclick: () => {
            location.hash = `#/sessions/${s.id}`;
          },
        },
        h('td', {}, time(Number(s.started_at))),
        h('td', {}, s.connection),
        h('td', {}, s.protocol),
        h('td', {}, s.subject),
        h('td', { class: 'mono' }, s.client),
        h('td', {}, s.status === 'active' ? badge('allow', 'live') : s.status),
        counts,
      ),
    );
  }
}

// ── one session ─────────────────────────────────────────────────────────────
async function sessionPage(id: string) {
  type Verify = { ok: boolean; frames?: number; seq?: number; problem?: string; detail?: string };
  const [meta, verify] = await Promise.all([
    api<Meta>(`/api/sessions/${encodeURIComponent(id)}`),
    api<Verify>(`/api/sessions/${encodeURIComponent(id)}/verify`).catch(
      (e: Error): Verify => ({ ok: false, problem: e.message }),
    ),
  ]);
  const frames: Frame[] = [];
  for (let from = 1; frames.length < 100_000; ) {
    const page = await api<Frame[]>(`/api/sessions/${encodeURIComponent(id)}/frames?from=${from}&count=5000`);
    frames.push(...page);
    if (page.length < 5000) break;
    from = page[page.length - 1].seq + 1;
  }
  const verifyText = verify.ok
    ? h('span', { class: 'verify-ok', id: 'verify' }, `✓ intact (${verify.frames} frames)`)
    : h(
        'span',
        { class: 'verify-bad', id: 'verify' },
        `✗ tampered at frame ${verify.seq ?? '?'}: ${verify.problem ?? ''} ${verify.detail ?? ''}`,
      );
  const header = h(
    'div',
    {},
    h('h1', {}, `${meta.protocol} session on ${meta.connection}`),
    h(
      'p',
      {},
      `${meta.subject} from `,
      h('code', {}, meta.client),
      ` · started ${time(Number(meta.started_at))}`,
      meta.ended_at ? ` · ended ${time(Number(meta.ended_at))}` : '',
      ' · ',
      meta.status === 'active' ? badge('allow', 'live') : meta.status,
      ' · ',
      verifyText,
    ),
  );
  const view = meta.protocol === 'ssh' ? terminalView(frames) : timelineView(frames);
  show(header, view.node);
  if (meta.status === 'active') follow(id, frames.length ? frames[frames.length - 1].seq + 1 : 1, view.add);
}

/** Live view: the frames endpoint as server-sent events, read with fetch so the bearer token goes along. */
function follow(id: string, from: number, add: (f: Frame) => void) {
  const ac = new AbortController();
  onLeave(() => ac.abort());
  void (async () => {
    const res = await fetch(`/api/sessions/${encodeURIComponent(id)}/frames?follow=1&from=${from}`, {
      headers: { authorization: `Bearer ${token()}` },
      signal: ac.signal,
    });
    if (!res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const event = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = event.split('\n').find((l) => l.startsWith('data: '));
        if (event.includes('event: frame') && data) add(JSON.parse(data.slice(6)) as Frame);
      }
    }
  })().catch(() => {});
}

interface CommandEntry {
  t: number;
  text: string;
  action?: string;
  rules?: string[];
  reason?: string;
  result?: Record<string, unknown>;
  error?: string;
  tEnd?: number;
}

/** Pairs each command/query/request frame with its decisions, result and errors. */
function commandEntries(frames: Frame[]): CommandEntry[] {
  const out: CommandEntry[] = [];
  for (const f of frames) addCommandFrame(out, f);
  return out;
}

function addCommandFrame(out: CommandEntry[], f: Frame): boolean {
  const d = decodeFrame(f) as Record<string, unknown>;
  const last = out[out.length - 1];
  switch (f.kind) {
    case 'query':
    case 'command':
    case 'request':
      out.push({ t: f.t, text: String(d?.text ?? d?.sql ?? d?.command ?? JSON.stringify(d)) });
      return true;
    case 'decision':
      if (last) Object.assign(last, { action: d.action, rules: d.rules, reason: d.reason });
      return true;
    case 'result':
      if (last) Object.assign(last, { result: d, tEnd: f.t });
      return true;
    case 'error':
      if (last) Object.assign(last, { error: String(d?.message ?? JSON.stringify(d)), tEnd: f.t });
      return true;
  }
  return false;
}

function decisionBadge(e: CommandEntry) {
  return e.action ? badge(e.action, e.action) : badge('muted', '…');
}

function timelineView(frames: Frame[]) {
  const entries = commandEntries(frames);
  const body = h('tbody');
  const row = (e: CommandEntry) => {
    const r = e.result ?? {};
    const masked = (r.masked ?? {}) as Record<string, number>;
    const maskedText = Object.entries(masked)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    const preview = r.preview ?? r.rows_preview ?? r.body;
    return h(
      'tr',
      { 'data-action': e.action ?? '' },
      h('td', { class: 'mono' }, `+${(e.t / 1000).toFixed(3)}s`),
      h(
        'td',
        {},
        h('pre', {}, e.text),
        preview
          ? h(
              'details',
              {},
              h('summary', { class: 'muted' }, 'result preview (masked)'),
              h('pre', {}, typeof preview === 'string' ? preview : JSON.stringify(preview, null, 1)),
            )
          : null,
      ),
      h(
        'td',
        {},
        decisionBadge(e),
        e.rules?.length ? h('div', { class: 'muted' }, `rule ${e.rules.join(', ')}`) : null,
        e.reason ? h('div', { class: 'muted' }, e.reason) : null,
      ),
      h('td', {}, e.tEnd !== undefined ? `${e.tEnd - e.t} ms` : ''),
      h(
        'td',
        {},
        String(r.rowCount ?? r.rows ?? r.status ?? ''),
        e.error ? h('div', { class: 'error' }, e.error) : null,
      ),
      h('td', {}, maskedText ? badge('masked', maskedText) : ''),
    );
  };
  const render = () => body.replaceChildren(...entries.map(row));
  render();
  const node = h(
    'table',
    { id: 'timeline' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['At', 'Statement / request', 'Decision', 'Duration', 'Rows / status', 'Masked'].map((t) =>
          h('th', {}, t),
        ),
      ),
    ),
    body,
  );
  return {
    node,
    add: (f: Frame) => {
      if (addCommandFrame(entries, f)) render();
    },
  };
}

function terminalView(frames: Frame[]) {
  const output: { t: number; bytes?: Uint8Array; resize?: { cols: number; rows: number } }[] = [];
  let size = { cols: 80, rows: 24 };
  const addOutput = (f: Frame) => {
    if (f.kind === 'output') {
      const bytes = frameBytes(f);
      if (bytes) output.push({ t: f.t, bytes });
    } else if (f.kind === 'resize' || (f.kind === 'open' && output.length === 0)) {
      const d = decodeFrame(f) as { cols?: number; rows?: number; pty?: { cols?: number; rows?: number } };
      const s = d?.pty ?? d;
      if (s?.cols && s?.rows) {
        if (output.length === 0) size = { cols: s.cols, rows: s.rows };
        else output.push({ t: f.t, resize: { cols: s.cols, rows: s.rows } });
      }
    }
  };
  frames.forEach(addOutput);
  const entries = commandEntries(frames);
  const termEl = h('div', { id: 'terminal' });
  const term = new Terminal({
    cols: size.cols,
    rows: size.rows,
    disableStdin: true,
    convertEol: false,
    scrollback: 5000,
  });
  onLeave(() => term.dispose());
  let pos = 0; // ms into the recording
  let next = 0; // index of the next output event to write
  let playing = false;
  let speed = 1;
  const duration = () =>
    Math.max(
      frames.length ? frames[frames.length - 1].t : 0,
      output.length ? output[output.length - 1].t : 0,
    );
  const seek = h('input', {
    type: 'range',
    min: 0,
    max: duration(),
    value: 0,
    id: 'seek',
    'aria-label': 'seek',
  }) as HTMLInputElement;
  const clock = h('span', { class: 'mono', id: 'clock' }, '0.0s');
  const playBtn = h('button', { id: 'play' }, '▶ play');
  const speedSel = h(
    'select',
    { id: 'speed', 'aria-label': 'speed' },
    ...[0.5, 1, 2, 4, 8].map((s) => h('option', { value: s, selected: s === 1 }, `${s}×`)),
  ) as HTMLSelectElement;

  const writeUntil = (target: number) => {
    while (next < output.length && output[next].t <= target) {
      const ev = output[next++];
      if (ev.bytes) term.write(ev.bytes);
      else if (ev.resize) term.resize(ev.resize.cols, ev.resize.rows);
    }
  };
  const goTo = (target: number) => {
    if (target < pos) {
      term.reset();
      term.resize(size.cols, size.rows);
      next = 0;
    }
    pos = target;
    writeUntil(pos);
    seek.max = String(duration());
    seek.value = String(pos);
    clock.textContent = `${(pos / 1000).toFixed(1)}s / ${(duration() / 1000).toFixed(1)}s`;
  };
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if (playing) {
      goTo(Math.min(duration(), pos + (now - last) * speed));
      if (pos >= duration()) {
        playing = false;
        playBtn.textContent = '▶ play';
      }
    }
    last = now;
  }, 30);
  onLeave(() => clearInterval(timer));
  playBtn.addEventListener('click', () => {
    if (!playing && pos >= duration()) goTo(0);
    playing = !playing;
    playBtn.textContent = playing ? '❚❚ pause' : '▶ play';
  });
  seek.addEventListener('input', () => goTo(Number(seek.value)));
  speedSel.addEventListener('change', () => {
    speed = Number(speedSel.value);
  });

  const list = h('ul', { class: 'commands', id: 'commands' });
  const renderList = () =>
    list.replaceChildren(
      ...entries.map((e) =>
        h(
          'li',
          { class: 'clickable', 'data-t': e.t, onclick: () => goTo(e.t) },
          h('span', { class: 'mono muted' }, `${(e.t / 1000).toFixed(1)}s `),
          decisionBadge(e),
          h('code', {}, e.text),
          e.action === 'deny' && e.reason ? h('div', { class: 'muted' }, e.reason) : null,
        ),
      ),
    );
  renderList();
  const node = h(
    'div',
    { class: 'split' },
    h(
      'div',
      { class: 'panel' },
      h(
        'div',
        { class: 'player-controls' },
        playBtn,
        seek,
        clock,
        speedSel,
        h('button', { id: 'to-end', onclick: () => goTo(duration()) }, 'end'),
      ),
      termEl,
    ),
    h('div', { class: 'panel' }, h('h2', {}, 'Commands'), list),
  );
  queueMicrotask(() => {
    term.open(termEl);
    goTo(0);
  });
  return {
    node,
    add: (f: Frame) => {
      frames.push(f);
      addOutput(f);
      if (addCommandFrame(entries, f)) renderList();
      goTo(duration()); // live: follow the end
    },
  };
}

// ── approvals ───────────────────────────────────────────────────────────────
async function approvalsPage() {
  const list = h('div', { id: 'approvals' });
  show(h('h1', {}, 'Approvals'), list);
  const render = async () => {
    const all = await api<Approval[]>('/api/approvals');
    const pending = all.filter((a) => a.status === 'pending' && a.expiresAt > Date.now());
    const rest = all.filter((a) => !pending.includes(a)).slice(0, 50);
    list.replaceChildren(
      h('h2', {}, `Waiting (${pending.length})`),
      ...(pending.length ? pending.map(card) : [h('p', { class: 'muted' }, 'Nothing is waiting.')]),
      h('h2', {}, 'Recent'),
      ...rest.map(card),
    );
  };
  const card = (a: Approval) => {
    const reason = h('input', { placeholder: 'reason', 'aria-label': 'reason' }) as HTMLInputElement;
    const msg = h('span', { class: 'error' });
    const vote = (verdict: 'approve' | 'deny') => async () => {
      try {
        await api(`/api/approvals/${a.id}/${verdict}`, {
          method: 'POST',
          body: JSON.stringify({ reason: reason.value }),
        });
        await render();
      } catch (err) {
        msg.textContent = (err as Error).message;
      }
    };
    const left = Math.max(0, Math.round((a.expiresAt - Date.now()) / 1000));
    const pending = a.status === 'pending' && left > 0;
    return h(
      'div',
      { class: 'panel approval', 'data-approval': a.id, 'data-status': a.status },
      h(
        'div',
        {},
        h('strong', {}, a.subject),
        ` on ${a.connection} · rule `,
        h('code', {}, a.rule),
        ' · ',
        pending
          ? badge('review', `${left}s left`)
          : badge(a.status === 'approved' ? 'allow' : 'deny', a.status),
      ),
      h('pre', {}, a.command),
      h(
        'div',
        { class: 'muted' },
        a.reason,
        ` · approvers: ${a.approvers.join(', ')} (${a.minApprovals} needed)`,
      ),
      a.votes.length
        ? h(
            'div',
            { class: 'muted' },
            a.votes.map((v) => `${v.by}: ${v.verdict}${v.reason ? ` (${v.reason})` : ''}`).join('; '),
          )
        : null,
      pending
        ? h(
            'div',
            { class: 'actions' },
            reason,
            h('button', { class: 'primary', 'data-vote': 'approve', onclick: vote('approve') }, 'Approve'),
            h('button', { class: 'danger', 'data-vote': 'deny', onclick: vote('deny') }, 'Deny'),
            msg,
          )
        : null,
    );
  };
  await render();
  const timer = setInterval(() => void render().catch(() => {}), 3000);
  onLeave(() => clearInterval(timer));
}

// ── routing ─────────────────────────────────────────────────────────────────
async function route() {
  if (!token()) return signIn();
  try {
    me ??= await api<Me>('/api/me');
    renderWho();
    const [path, query] = location.hash.replace(/^#/, '').split('?');
    const params = new URLSearchParams(query ?? '');
    for (const a of document.querySelectorAll('header nav a'))
      a.classList.toggle('active', location.hash.startsWith(a.getAttribute('href')!));
    const m = /^\/sessions\/([\w.:-]+)$/.exec(path);
    if (m) await sessionPage(m[1]);
    else if (path === '/approvals') await approvalsPage();
    else await sessionsPage(params);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      me = undefined;
      return signIn(`Signed out: ${err.message}`);
    }
    show(h('p', { class: 'error', id: 'page-error' }, (err as Error).message));
  }
}

window.addEventListener('hashchange', () => void route());
void route();
