// The Portcullis web UI: sessions, replay (a terminal player for SSH, a timeline for Postgres and
// HTTP), live view, verification and approvals. Talks only to the admin API with a bearer token kept
// in sessionStorage (no cookies, so no CSRF); every recorded frame it shows is already masked.
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
  groups: string[];
  client: string;
  started_at: number;
  ended_at?: number;
  status: string;
  commands?: number;
  denied?: number;
  reviewed?: number;
  masked?: number | Record<string, number>;
  masked_by?: Record<string, number>;
  truncated?: boolean;
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
interface OidcInfo {
  issuer: string;
  authorization_endpoint: string;
  client_id: string;
  scope: string;
}

const TOKEN_KEY = 'portcullis.token';
const OIDC_KEY = 'portcullis.oidc';
const token = () => sessionStorage.getItem(TOKEN_KEY) ?? '';

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function apiResponse<T>(path: string, init: RequestInit = {}): Promise<{ body: T; headers: Headers }> {
  const res = await fetch(path, {
    ...init,
    headers: {
      ...(token() ? { authorization: `Bearer ${token()}` } : {}),
      'content-type': 'application/json',
      ...(init.headers ?? {}),
    },
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.reason ?? body.error ?? `HTTP ${res.status}`);
  return { body: body as T, headers: res.headers };
}

const api = async <T>(path: string, init: RequestInit = {}): Promise<T> =>
  (await apiResponse<T>(path, init)).body;

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
const app = () => document.getElementById('app') as HTMLElement;
function show(...nodes: Child[]) {
  app().replaceChildren(
    ...nodes
      .filter((n): n is Node | string | number => n !== null && n !== undefined && n !== false)
      .map((n) => (n instanceof Node ? n : String(n))),
  );
}
const time = (ms: number) => new Date(ms).toLocaleString();
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const badge = (cls: string, text: string, attrs: Record<string, unknown> = {}) =>
  h('span', { class: `badge ${cls}`, ...attrs }, text);

// Anything a page started (timers, streams, terminals) is stopped when the page changes.
let pageCleanups: (() => void)[] = [];
function onLeave(fn: () => void) {
  pageCleanups.push(fn);
}
function stopPage() {
  for (const fn of pageCleanups) fn();
  pageCleanups = [];
}

const b64bytes = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

function decodeFrame(f: Frame): unknown {
  if (f.enc === 'b64') return b64bytes(f.data);
  try {
    return JSON.parse(f.data);
  } catch {
    return f.data;
  }
}

/** Output bytes of a frame: raw bytes, or the JSON form of a second stream (`{stream: "stderr", b64}`). */
function frameBytes(f: Frame): Uint8Array | undefined {
  const d = decodeFrame(f);
  if (d instanceof Uint8Array) return d;
  if (d && typeof d === 'object') {
    const o = d as { b64?: string; data?: string; text?: string };
    if (typeof o.b64 === 'string') return b64bytes(o.b64);
    if (typeof o.text === 'string') return new TextEncoder().encode(o.text);
  }
  return undefined;
}

// ── sign in ─────────────────────────────────────────────────────────────────
let me: Me | undefined;

function signIn(message?: string) {
  stopPage();
  const ta = h('textarea', {
    id: 'token',
    placeholder: 'eyJhbGciOi…',
    'aria-label': 'token',
    spellcheck: 'false',
  }) as HTMLTextAreaElement;
  const oidcSlot = h('div', { id: 'oidc' });
  show(
    h(
      'section',
      { class: 'signin' },
      h('h1', {}, 'Sign in'),
      oidcSlot,
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
  // "Sign in with …" only when the gateway has an issuer whose discovery document allows code + PKCE.
  void api<OidcInfo>('/api/oidc')
    .then((o) => {
      const host = new URL(o.issuer).host;
      oidcSlot.replaceChildren(
        h(
          'p',
          {},
          h(
            'button',
            { class: 'primary', id: 'oidc-button', onclick: () => void startOidc(o) },
            `Sign in with ${host}`,
          ),
        ),
        h('p', { class: 'muted' }, 'or'),
      );
    })
    .catch(() => {});
}

async function useToken(t: string) {
  if (!t) return signIn('Paste a token first.');
  sessionStorage.setItem(TOKEN_KEY, t);
  me = undefined;
  try {
    me = await api<Me>('/api/me');
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    return signIn(`Token refused: ${(err as Error).message}`);
  }
  const target = me.auditor ? '#/sessions' : '#/approvals';
  if (location.hash === target) void route();
  else location.hash = target;
}

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const redirectUri = () => `${location.origin}/`;

/** Authorization code + PKCE: the verifier stays in this tab; the gateway exchanges the code. */
async function startOidc(o: OidcInfo) {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem(OIDC_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(o.authorization_endpoint);
  const params = {
    response_type: 'code',
    client_id: o.client_id,
    redirect_uri: redirectUri(),
    scope: o.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  location.assign(url.toString());
}

/** Back from the issuer with ?code&state: exchange it, then continue signed in. Returns true when it handled the page. */
async function finishOidc(): Promise<boolean> {
  const q = new URLSearchParams(location.search);
  if (!q.has('code') && !q.has('error')) return false;
  const saved = JSON.parse(sessionStorage.getItem(OIDC_KEY) ?? '{}') as { verifier?: string; state?: string };
  sessionStorage.removeItem(OIDC_KEY);
  history.replaceState(null, '', '/');
  if (q.has('error')) {
    signIn(`Sign-in refused by the issuer: ${q.get('error_description') ?? q.get('error')}`);
    return true;
  }
  if (!saved.verifier || saved.state !== q.get('state')) {
    signIn('Sign-in did not start here (state mismatch); try again.');
    return true;
  }
  try {
    const { token: t } = await api<{ token: string }>('/api/oidc/token', {
      method: 'POST',
      body: JSON.stringify({
        code: q.get('code'),
        code_verifier: saved.verifier,
        redirect_uri: redirectUri(),
      }),
    });
    await useToken(t);
  } catch (err) {
    signIn(`Sign-in failed: ${(err as Error).message}`);
  }
  return true;
}

function renderWho() {
  const who = document.getElementById('whoami') as HTMLElement;
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
const PAGE = 50;

async function sessionsPage(params: URLSearchParams) {
  const text = (name: string) =>
    h('input', {
      placeholder: name,
      value: params.get(name) ?? '',
      name,
      'aria-label': name,
    }) as HTMLInputElement;
  const select = (name: string, options: [string, string][]) =>
    h(
      'select',
      { name, 'aria-label': name },
      ...options.map(([v, label]) =>
        h('option', { value: v, selected: (params.get(name) ?? '') === v }, label),
      ),
    ) as HTMLSelectElement;
  const inputs: Record<string, HTMLInputElement | HTMLSelectElement> = {
    connection: text('connection'),
    subject: text('subject'),
    protocol: select('protocol', [
      ['', 'any protocol'],
      ['ssh', 'ssh'],
      ['postgres', 'postgres'],
      ['http', 'http'],
    ]),
    status: select('status', [
      ['', 'any status'],
      ['active', 'live'],
      ['closed', 'closed'],
      ['failed', 'failed'],
    ]),
    since: select('since', [
      ['', 'any time'],
      ['1h', 'last hour'],
      ['24h', 'last day'],
      ['7d', 'last week'],
      ['30d', 'last 30 days'],
    ]),
  };
  const offset = Number(params.get('offset') ?? 0) || 0;
  const go = (o: number) => {
    const q = new URLSearchParams();
    for (const [k, el] of Object.entries(inputs)) if (el.value) q.set(k, el.value);
    if (o > 0) q.set('offset', String(o));
    location.hash = `#/sessions?${q}`;
  };
  for (const el of Object.values(inputs))
    if (el instanceof HTMLSelectElement) el.addEventListener('change', () => go(0));
  const body = h('tbody');
  const pager = h('div', { class: 'pager' });
  show(
    h('h1', {}, 'Sessions'),
    h(
      'div',
      { class: 'filters', id: 'filters', onkeydown: (e: KeyboardEvent) => e.key === 'Enter' && go(0) },
      ...Object.values(inputs),
      h('button', { id: 'filter-button', onclick: () => go(0) }, 'Filter'),
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
          ...['Started', 'Connection', 'Protocol', 'Subject', 'Client', 'Status', 'Commands', ''].map((t) =>
            h('th', {}, t),
          ),
        ),
      ),
      body,
    ),
    pager,
  );
  const q = new URLSearchParams();
  for (const k of Object.keys(inputs)) if (params.get(k)) q.set(k, params.get(k) as string);
  q.set('limit', String(PAGE));
  q.set('offset', String(offset));
  const { body: list, headers } = await apiResponse<Meta[]>(`/api/sessions?${q}`);
  if (list.length === 0) body.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No sessions.')));
  for (const s of list) body.append(sessionRow(s));
  const next = headers.get('x-next-offset');
  if (offset > 0)
    pager.append(h('button', { id: 'newer', onclick: () => go(Math.max(0, offset - PAGE)) }, '← newer'));
  pager.append(h('span', { class: 'muted' }, list.length ? `${offset + 1}–${offset + list.length}` : ''));
  if (next) pager.append(h('button', { id: 'older', onclick: () => go(Number(next)) }, 'older →'));
}

function sessionRow(s: Meta) {
  const counts = h('td', { class: 'badges' });
  const masked =
    typeof s.masked === 'number' ? s.masked : Object.values(s.masked ?? {}).reduce((a, b) => a + b, 0);
  const maskedTitle = Object.entries(s.masked_by ?? {})
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  if (s.denied) counts.append(badge('deny', `${s.denied} denied`, { 'data-badge': 'denied' }));
  if (s.reviewed) counts.append(badge('review', `${s.reviewed} reviewed`, { 'data-badge': 'reviewed' }));
  if (masked)
    counts.append(
      badge('masked', `${masked} masked`, { 'data-badge': 'masked', title: maskedTitle || undefined }),
    );
  if (s.truncated) counts.append(badge('deny', 'truncated'));
  return h(
    'tr',
    {
      class: 'clickable',
      'data-session': s.id,
      onclick: () => {
        location.hash = `#/sessions/${encodeURIComponent(s.id)}`;
      },
    },
    h('td', {}, h('a', { href: `#/sessions/${encodeURIComponent(s.id)}` }, time(Number(s.started_at)))),
    h('td', {}, s.connection),
    h('td', {}, s.protocol),
    h('td', {}, s.subject),
    h('td', { class: 'mono' }, s.client),
    h('td', {}, s.status === 'active' ? badge('allow', 'live') : s.status),
    h('td', { class: 'num' }, s.commands ?? ''),
    counts,
  );
}

// ── one session ─────────────────────────────────────────────────────────────
async function sessionPage(id: string) {
  type Verify = { ok: boolean; frames?: number; seq?: number; problem?: string; detail?: string };
  const path = `/api/sessions/${encodeURIComponent(id)}`;
  const [meta, verify] = await Promise.all([
    api<Meta>(path),
    api<Verify>(`${path}/verify`).catch((e: Error): Verify => ({ ok: false, problem: e.message })),
  ]);
  const frames: Frame[] = [];
  for (let from = 1; frames.length < 200_000; ) {
    const page = await api<Frame[]>(`${path}/frames?from=${from}&count=10000`);
    frames.push(...page);
    if (page.length < 10000) break;
    from = page[page.length - 1].seq + 1;
  }
  const live = meta.status === 'active';
  const verifyText = live
    ? h('span', { class: 'muted', id: 'verify' }, 'verify when it ends')
    : verify.ok
      ? h('span', { class: 'verify-ok', id: 'verify' }, `✓ intact (${verify.frames} frames)`)
      : h(
          'span',
          { class: 'verify-bad', id: 'verify' },
          `✗ tampered at frame ${verify.seq ?? '?'}: ${verify.problem ?? ''} ${verify.detail ?? ''}`,
        );
  const status = h('span', { id: 'session-status' }, live ? badge('allow', '● live') : meta.status);
  const header = h(
    'div',
    { class: 'session-head' },
    h('h1', {}, `${meta.protocol} session on ${meta.connection}`),
    h(
      'p',
      {},
      h('strong', {}, meta.subject),
      ` (${meta.groups.join(', ')}) from `,
      h('code', {}, meta.client),
      ` · started ${time(Number(meta.started_at))}`,
      meta.ended_at ? ` · ended ${time(Number(meta.ended_at))}` : '',
      ' · ',
      status,
      ' · ',
      verifyText,
    ),
  );
  const view = meta.protocol === 'ssh' ? terminalView(frames) : timelineView(frames);
  show(h('p', {}, h('a', { href: '#/sessions' }, '← sessions')), header, view.node);
  view.mounted?.();
  if (live) {
    follow(id, frames.length ? frames[frames.length - 1].seq + 1 : 1, view.add, () => {
      status.replaceChildren('closed');
      verifyText.textContent = 'ended: reload to verify';
    });
  }
}

/** Live view: the frames endpoint as server-sent events, read with fetch so the bearer token goes along. */
function follow(id: string, from: number, add: (f: Frame) => void, ended: () => void) {
  const ac = new AbortController();
  onLeave(() => ac.abort());
  void (async () => {
    const res = await fetch(`/api/sessions/${encodeURIComponent(id)}/frames?follow=1&from=${from}`, {
      headers: { authorization: `Bearer ${token()}` },
      signal: ac.signal,
    });
    if (!res.ok || !res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const event = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const name = /^event: (.*)$/m.exec(event)?.[1];
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (name === 'frame' && data) add(JSON.parse(data) as Frame);
        if (name === 'end') ended();
      }
    }
  })().catch(() => {});
}

interface CommandEntry {
  seq: number;
  t: number;
  text: string;
  action?: string;
  rules?: string[];
  reason?: string;
  ms?: number;
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
  const d = (decodeFrame(f) ?? {}) as Record<string, unknown>;
  const ref = typeof d.ref === 'number' ? out.find((e) => e.seq === d.ref) : undefined;
  const last = ref ?? out[out.length - 1];
  switch (f.kind) {
    case 'query':
    case 'command':
    case 'request':
      out.push({ seq: f.seq, t: f.t, text: typeof d.text === 'string' ? d.text : JSON.stringify(d) });
      return true;
    case 'decision':
      // A review's resolution is a second decision frame: it replaces the first.
      if (last) Object.assign(last, { action: d.action, rules: d.rules, reason: d.reason, ms: d.ms });
      return Boolean(last);
    case 'result':
      if (last) Object.assign(last, { result: d, tEnd: f.t });
      return Boolean(last);
    case 'error':
      if (last) Object.assign(last, { error: String(d.message ?? JSON.stringify(d)), tEnd: f.t });
      return Boolean(last);
  }
  return false;
}

function decisionCell(e: CommandEntry) {
  return h(
    'div',
    { class: 'decision' },
    e.action ? badge(e.action, e.action) : badge('muted', '…'),
    e.rules?.length ? h('span', { class: 'rule' }, `rule ${e.rules.join(', ')}`) : null,
    e.reason && e.action !== 'allow' ? h('div', { class: 'muted reason' }, e.reason) : null,
  );
}

/** A result's masked sample rows as a small table (Postgres: {columns, sample}), or its text preview. */
function resultPreview(r: Record<string, unknown>) {
  const sample = r.sample ?? r.preview;
  if (Array.isArray(sample) && sample.length > 0) {
    const columns = Array.isArray(r.columns)
      ? (r.columns as unknown[]).map((c) =>
          typeof c === 'object' && c ? String((c as { name?: string }).name ?? '') : String(c),
        )
      : [];
    const rows = sample.map((row) =>
      Array.isArray(row) ? row : typeof row === 'object' && row ? Object.values(row) : [row],
    );
    return h(
      'details',
      { class: 'preview' },
      h('summary', { class: 'muted' }, `result preview (masked, ${rows.length} rows)`),
      h(
        'table',
        { class: 'sample' },
        columns.length ? h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', {}, c)))) : null,
        h(
          'tbody',
          {},
          ...rows.map((row) =>
            h('tr', {}, ...row.map((v) => h('td', { class: 'mono' }, v === null ? 'NULL' : String(v)))),
          ),
        ),
      ),
    );
  }
  if (typeof sample === 'string' && sample)
    return h(
      'details',
      { class: 'preview' },
      h('summary', { class: 'muted' }, 'result preview (masked)'),
      h('pre', {}, sample),
    );
  return null;
}

function timelineView(frames: Frame[]) {
  const entries = commandEntries(frames);
  const body = h('tbody');
  const row = (e: CommandEntry) => {
    const r = e.result ?? {};
    const masked = (typeof r.masked === 'object' && r.masked ? r.masked : {}) as Record<string, number>;
    const maskedText = Object.entries(masked)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    const outcome = [
      r.tag,
      r.rows !== undefined && !r.tag ? `${r.rows} rows` : undefined,
      r.status !== undefined ? `HTTP ${r.status}` : undefined,
      r.exit_status !== undefined ? `exit ${r.exit_status}` : undefined,
      r.exit_signal !== undefined ? `signal ${r.exit_signal}` : undefined,
    ]
      .filter((x) => x !== undefined && x !== '')
      .join(' · ');
    const resultError =
      r.error && typeof r.error === 'object' ? (r.error as { message?: string; code?: string }) : undefined;
    const errorText =
      e.error ??
      (resultError
        ? `${resultError.code ? `${resultError.code}: ` : ''}${resultError.message ?? ''}`
        : r.error
          ? String(r.error)
          : undefined);
    return h(
      'tr',
      { 'data-action': e.action ?? '', 'data-seq': e.seq },
      h('td', { class: 'mono' }, `+${(e.t / 1000).toFixed(3)}s`),
      h('td', {}, h('pre', { class: 'statement' }, e.text), resultPreview(r)),
      h('td', {}, decisionCell(e)),
      // A listener's own timing (HTTP records `ms`) is finer than the frames' millisecond clock.
      h(
        'td',
        { class: 'mono' },
        typeof r.ms === 'number' ? `${r.ms} ms` : e.tEnd !== undefined ? `${e.tEnd - e.t} ms` : '',
      ),
      h('td', {}, outcome, errorText ? h('div', { class: 'error' }, errorText) : null),
      h('td', {}, maskedText ? badge('masked', maskedText) : ''),
    );
  };
  const render = () =>
    body.replaceChildren(
      ...(entries.length
        ? entries.map(row)
        : [h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No statements or requests recorded.'))]),
    );
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
        ...['At', 'Statement / request', 'Decision', 'Duration', 'Result', 'Masked'].map((t) =>
          h('th', {}, t),
        ),
      ),
    ),
    body,
  );
  return {
    node,
    mounted: undefined as (() => void) | undefined,
    add: (f: Frame) => {
      if (addCommandFrame(entries, f)) render();
    },
  };
}

type Pty = { cols?: number; rows?: number; pty?: { cols?: number; rows?: number } };

function terminalView(frames: Frame[]) {
  const events: { seq: number; t: number; bytes?: Uint8Array; resize?: { cols: number; rows: number } }[] =
    [];
  let size = { cols: 80, rows: 24 };
  const addEvent = (f: Frame) => {
    if (f.kind === 'output') {
      const bytes = frameBytes(f);
      if (bytes) events.push({ seq: f.seq, t: f.t, bytes });
    } else if (f.kind === 'resize' || f.kind === 'open') {
      const d = decodeFrame(f) as Pty | undefined;
      const s = d?.pty ?? d;
      if (!s?.cols || !s?.rows) return;
      const cols = Math.min(500, s.cols);
      const rows = Math.min(200, s.rows);
      // The size before any output is the terminal's starting size; later ones replay as resizes.
      if (!events.some((e) => e.bytes)) size = { cols, rows };
      else events.push({ seq: f.seq, t: f.t, resize: { cols, rows } });
    }
  };
  frames.forEach(addEvent);
  const entries = commandEntries(frames);
  const termEl = h('div', { id: 'terminal' });
  const term = new Terminal({
    cols: size.cols,
    rows: size.rows,
    disableStdin: true,
    convertEol: false,
    scrollback: 5000,
    cursorBlink: false,
  });
  onLeave(() => term.dispose());
  let pos = 0; // ms into the recording
  let next = 0; // index of the next event to write
  let playing = false;
  let speed = 1;
  let liveFollow = false;
  const duration = () =>
    Math.max(
      frames.length ? frames[frames.length - 1].t : 0,
      events.length ? events[events.length - 1].t : 0,
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
    ...[0.5, 1, 2, 4, 8, 16].map((s) => h('option', { value: s, selected: s === 1 }, `${s}×`)),
  ) as HTMLSelectElement;

  // Up to a time, or — seeking to a command — up to the frame before it (its output shares its millisecond).
  const writeUntil = (target: number, beforeSeq = Number.POSITIVE_INFINITY) => {
    while (next < events.length && events[next].t <= target && events[next].seq < beforeSeq) {
      const ev = events[next++];
      if (ev.bytes) term.write(ev.bytes);
      else if (ev.resize) term.resize(ev.resize.cols, ev.resize.rows);
    }
  };
  const list = h('ul', { class: 'commands', id: 'commands' });
  const markCurrent = () => {
    let current: Element | undefined;
    for (const li of list.children) {
      const t = Number((li as HTMLElement).dataset.t);
      li.classList.remove('current');
      if (t <= pos) current = li;
    }
    current?.classList.add('current');
  };
  const goTo = (target: number, beforeSeq?: number) => {
    if (
      target < pos ||
      (target === 0 && next > 0) ||
      (beforeSeq !== undefined && next > 0 && events[next - 1].seq >= beforeSeq)
    ) {
      term.reset();
      term.resize(size.cols, size.rows);
      next = 0;
    }
    pos = target;
    writeUntil(pos, beforeSeq);
    seek.max = String(duration());
    seek.value = String(pos);
    clock.textContent = `${seconds(pos)} / ${seconds(duration())}`;
    markCurrent();
  };
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if (playing) {
      goTo(Math.min(duration(), pos + (now - last) * speed));
      if (pos >= duration() && !liveFollow) setPlaying(false);
    }
    last = now;
  }, 30);
  onLeave(() => clearInterval(timer));
  const setPlaying = (on: boolean) => {
    playing = on;
    playBtn.textContent = on ? '❚❚ pause' : '▶ play';
    playBtn.dataset.state = on ? 'playing' : 'paused';
  };
  playBtn.addEventListener('click', () => {
    if (!playing && pos >= duration()) goTo(0);
    setPlaying(!playing);
  });
  seek.addEventListener('input', () => goTo(Number(seek.value)));
  speedSel.addEventListener('change', () => {
    speed = Number(speedSel.value);
  });

  const renderList = () => {
    list.replaceChildren(
      ...entries.map((e) =>
        h(
          'li',
          {
            class: 'clickable',
            'data-t': e.t,
            'data-seq': e.seq,
            'data-action': e.action ?? '',
            title: 'jump to this moment',
            onclick: () => {
              setPlaying(false);
              goTo(e.t, e.seq);
            },
          },
          h('span', { class: 'mono muted' }, `${seconds(e.t)} `),
          e.action ? badge(e.action, e.action) : badge('muted', '…'),
          h('code', {}, e.text),
          e.rules?.length && e.action !== 'allow'
            ? h('div', { class: 'muted' }, `rule ${e.rules.join(', ')}: ${e.reason ?? ''}`)
            : null,
        ),
      ),
    );
    if (entries.length === 0) list.append(h('li', { class: 'muted' }, 'No commands.'));
    markCurrent();
  };
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
        h('button', { id: 'to-end', onclick: () => goTo(duration()) }, 'end ⇥'),
      ),
      termEl,
    ),
    h('div', { class: 'panel' }, h('h2', {}, 'Commands'), list),
  );
  return {
    node,
    mounted: () => {
      term.open(termEl);
      goTo(0);
    },
    add: (f: Frame) => {
      // Live: the player sits at the end and writes what arrives.
      frames.push(f);
      addEvent(f);
      if (addCommandFrame(entries, f)) renderList();
      liveFollow = true;
      goTo(duration());
    },
  };
}

// ── approvals ───────────────────────────────────────────────────────────────
async function approvalsPage() {
  const list = h('div', { id: 'approvals' });
  show(h('h1', {}, 'Approvals'), list);
  // Reasons being typed survive the periodic refresh.
  const drafts = new Map<string, string>();
  const render = async () => {
    const all = await api<Approval[]>('/api/approvals');
    const pending = all.filter((a) => a.status === 'pending' && a.expiresAt > Date.now());
    const rest = all.filter((a) => !pending.includes(a)).slice(0, 50);
    const focused =
      document.activeElement instanceof HTMLInputElement ? document.activeElement.dataset.for : undefined;
    list.replaceChildren(
      h('h2', {}, `Waiting (${pending.length})`),
      ...(pending.length ? pending.map(card) : [h('p', { class: 'muted' }, 'Nothing is waiting.')]),
      h('h2', {}, 'Recent'),
      ...(rest.length ? rest.map(card) : [h('p', { class: 'muted' }, 'None yet.')]),
    );
    if (focused)
      (list.querySelector(`input[data-for="${CSS.escape(focused)}"]`) as HTMLInputElement | null)?.focus();
  };
  const card = (a: Approval) => {
    const reason = h('input', {
      placeholder: 'reason (recorded with your vote)',
      'aria-label': 'reason',
      'data-for': a.id,
      value: drafts.get(a.id) ?? '',
    }) as HTMLInputElement;
    reason.addEventListener('input', () => drafts.set(a.id, reason.value));
    const msg = h('span', { class: 'error', 'data-error': a.id });
    const vote = (verdict: 'approve' | 'deny') => async () => {
      try {
        await api(`/api/approvals/${encodeURIComponent(a.id)}/${verdict}`, {
          method: 'POST',
          body: JSON.stringify({ reason: reason.value }),
        });
        drafts.delete(a.id);
        await render();
      } catch (err) {
        msg.textContent = (err as Error).message;
      }
    };
    const left = Math.max(0, Math.round((a.expiresAt - Date.now()) / 1000));
    const pending = a.status === 'pending' && left > 0;
    const leftText = left >= 120 ? `${Math.floor(left / 60)}m ${left % 60}s left` : `${left}s left`;
    const mine = me?.subject === a.subject;
    return h(
      'div',
      { class: 'panel approval', 'data-approval': a.id, 'data-status': a.status },
      h(
        'div',
        {},
        h('strong', {}, a.subject),
        ` asks on ${a.connection} · rule `,
        h('code', {}, a.rule),
        ' · ',
        pending ? badge('review', leftText) : badge(a.status === 'approved' ? 'allow' : 'deny', a.status),
        ' · ',
        h('a', { href: `#/sessions/${encodeURIComponent(a.session)}`, class: 'muted' }, 'session'),
      ),
      h('pre', { class: 'command' }, a.command),
      h(
        'div',
        { class: 'muted' },
        a.reason,
        ` · approvers: ${a.approvers.join(', ')} (${a.minApprovals} needed) · asked ${time(a.createdAt)}`,
      ),
      a.votes.length
        ? h(
            'div',
            { class: 'muted votes' },
            a.votes.map((v) => `${v.by}: ${v.verdict}${v.reason ? ` (${v.reason})` : ''}`).join('; '),
          )
        : null,
      pending && !mine
        ? h(
            'div',
            { class: 'actions' },
            reason,
            h('button', { class: 'primary', 'data-vote': 'approve', onclick: vote('approve') }, 'Approve'),
            h('button', { class: 'danger', 'data-vote': 'deny', onclick: vote('deny') }, 'Deny'),
            msg,
          )
        : pending
          ? h('div', { class: 'muted' }, 'Your own request: someone else must decide.')
          : null,
    );
  };
  await render();
  const timer = setInterval(() => void render().catch(() => {}), 2000);
  onLeave(() => clearInterval(timer));
}

// ── routing ─────────────────────────────────────────────────────────────────
async function route() {
  stopPage();
  if (!token()) return signIn();
  try {
    me ??= await api<Me>('/api/me');
    renderWho();
    const [path, query] = location.hash.replace(/^#/, '').split('?');
    const params = new URLSearchParams(query ?? '');
    for (const a of document.querySelectorAll('header nav a'))
      a.classList.toggle('active', location.hash.startsWith(a.getAttribute('href') ?? '-'));
    const m = /^\/sessions\/([^/]+)$/.exec(path);
    if (m) await sessionPage(decodeURIComponent(m[1]));
    else if (path === '/approvals' || (!me.auditor && path !== '/sessions')) await approvalsPage();
    else if (me.auditor) await sessionsPage(params);
    else show(h('p', { class: 'error', id: 'page-error' }, 'Only auditors see sessions.'));
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 429)) {
      sessionStorage.removeItem(TOKEN_KEY);
      me = undefined;
      renderWho();
      return signIn(`Signed out: ${err.message}`);
    }
    show(h('p', { class: 'error', id: 'page-error' }, (err as Error).message));
  }
}

window.addEventListener('hashchange', () => void route());
void (async () => {
  if (!(await finishOidc())) await route();
})();
