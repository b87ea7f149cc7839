// OTLP export through a real Gateway to a real OTLP/HTTP receiver (node:http on a free port): spans and
// metrics arrive as protobuf with the service name, never with command text; a collector that is down
// costs one warning and nothing else; without an endpoint nothing is loaded.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalApprovals } from '../approvals/index.js';
import { parseConfig } from '../config/index.js';
import { Gateway } from '../gateway/index.js';
import { DEV_AUDIENCE, DEV_ISSUER, generateDevKeys } from '../identity/index.js';
import type { Command, Identity } from '../types.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { noopTelemetry, startTelemetry } from './telemetry.js';

interface Received {
  path: string;
  contentType: string;
  body: Buffer;
}

let dir: string;
let jwks: string;
const servers: Server[] = [];
const agent: Identity = { subject: 'agent-otel-7', groups: ['ai-agents'], issuer: DEV_ISSUER, method: 'jwt' };
const owner: Identity = { subject: 'olga', groups: ['payments-owners'], issuer: DEV_ISSUER, method: 'jwt' };
// The path carries a secret: it must never reach the collector.
const secretGet: Command = {
  kind: 'http',
  method: 'GET',
  target: '/v1/items?token=SECRET-TOKEN-4711',
  headers: {},
};
const del: Command = { kind: 'http', method: 'DELETE', target: '/v1/items/1', headers: {} };
const post: Command = { kind: 'http', method: 'POST', target: '/v1/payments/9', headers: {} };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-otlp-'));
  jwks = (await generateDevKeys(join(dir, 'keys'))).jwks;
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

/** A minimal OTLP/HTTP collector: accepts POST /v1/traces and /v1/metrics and keeps what arrived. */
async function receiver(): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || (req.url !== '/v1/traces' && req.url !== '/v1/metrics')) {
        res.writeHead(404).end();
        return;
      }
      got.push({
        path: req.url,
        contentType: req.headers['content-type'] ?? '',
        body: Buffer.concat(chunks),
      });
      // An empty ExportServiceResponse is a zero-length protobuf message.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

function config(endpoint: string | undefined, service: string) {
  const yaml = `version: 1
identity:
  issuers: [{ issuer: ${DEV_ISSUER}, audience: ${DEV_AUDIENCE}, jwks_file: ${jwks} }]
store: { url: "file:${join(dir, `sessions-${service}`)}" }
${endpoint ? `telemetry: { otlp_endpoint: "${endpoint}", service_name: ${service} }` : ''}
connections:
  - { name: api-otel, protocol: http, listen: "127.0.0.1:0", upstream: { url: "http://127.0.0.1:9" }, policy: api }
policies:
  api:
    allow_groups: [ai-agents]
    default: allow
    rules:
      - { name: no-deletes, when: { http: { methods: [DELETE] } }, action: deny }
      - { name: payments-reviewed, when: { http: { methods: [POST] } }, action: review, approvers: [payments-owners] }
`;
  const parsed = parseConfig(yaml, { file: join(dir, 'p.yaml'), env: {} });
  if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

function logLines() {
  const lines: { level: string; msg: string; [k: string]: unknown }[] = [];
  const log = createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) });
  return { log, lines };
}

const open = (g: Gateway) =>
  g.open({ connection: 'api-otel', identity: agent, client: { address: '127.0.0.1', port: 1 } });

const has = (body: Buffer, s: string) => body.includes(Buffer.from(s));

describe('OTLP export', () => {
  it('sends session, judge and approval spans and the /metrics counters as OTLP/HTTP protobuf', async () => {
    const { url, got } = await receiver();
    const service = `portcullis-otel-${process.pid}`;
    const approvals = new LocalApprovals();
    const g = await Gateway.create(config(`${url}/`, service), {
      approvals,
      analyzers: { sql: false, shell: false },
      log: logLines().log,
    });
    expect(g.telemetry.enabled).toBe(true);
    const s = await open(g);
    expect((await s.judge(secretGet)).action).toBe('allow');
    expect((await s.judge(del)).action).toBe('deny');
    const approved = await s.judge(post, {
      onPending: (a) => void approvals.resolve(a.id, owner, 'approve', 'ok'),
    });
    expect(approved.action).toBe('allow');
    await s.close();
    await g.close(); // flushes spans and a last metrics collection

    const traces = got.filter((r) => r.path === '/v1/traces');
    const metrics = got.filter((r) => r.path === '/v1/metrics');
    expect(traces.length).toBeGreaterThan(0);
    expect(metrics.length).toBeGreaterThan(0);
    for (const r of got) {
      expect(r.contentType).toBe('application/x-protobuf');
      expect(r.body.length).toBeGreaterThan(0);
      expect(has(r.body, service)).toBe(true);
    }
    const spans = Buffer.concat(traces.map((r) => r.body));
    for (const s of [
      'portcullis.session',
      'portcullis.judge',
      'portcullis.approval',
      'agent-otel-7',
      'api-otel',
    ]) {
      expect(has(spans, s), s).toBe(true);
    }
    expect(has(spans, 'no-deletes')).toBe(true); // the rule that denied
    expect(has(spans, 'payments-reviewed')).toBe(true);
    // Commands appear only as kind, length and digest.
    expect(has(spans, 'SECRET-TOKEN-4711')).toBe(false);
    expect(has(spans, '/v1/items')).toBe(false);
    const m = Buffer.concat(metrics.map((r) => r.body));
    for (const name of [
      'portcullis_commands_total',
      'portcullis_sessions_total',
      'portcullis_judge_seconds_sum',
    ]) {
      expect(has(m, name), name).toBe(true);
    }
    expect(g.metrics.get('portcullis_commands_total', { protocol: 'http', decision: 'deny' })).toBe(1);
  });

  it('picks up metrics defined after start (e.g. by the admin server)', async () => {
    const { url, got } = await receiver();
    const g = await Gateway.create(config(url, 'portcullis-late-metric'), {
      analyzers: { sql: false, shell: false },
      log: logLines().log,
    });
    g.metrics.define('portcullis_late_defined_total', 'counter', 'Defined after the gateway started');
    g.metrics.inc('portcullis_late_defined_total');
    const s = await open(g);
    await s.close();
    await g.close();
    const m = Buffer.concat(got.filter((r) => r.path === '/v1/metrics').map((r) => r.body));
    expect(has(m, 'portcullis_sessions_total')).toBe(true);
    expect(has(m, 'portcullis_late_defined_total')).toBe(true);
  });

  it('with the collector down, sessions work, one warning is logged, and close stays bounded', async () => {
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((r) => gone.close(r));
    const { log, lines } = logLines();
    const endpoint = `http://127.0.0.1:${port}`;
    const cfg = config(endpoint, 'portcullis-down');
    // Short intervals so exports fail (and retry) while the sessions run.
    const metrics = new Metrics();
    const telemetry = await startTelemetry(cfg.telemetry, {
      log,
      metrics,
      metricIntervalMs: 100,
      exportTimeoutMs: 300,
      shutdownTimeoutMs: 1000,
    });
    const g = await Gateway.create(cfg, { analyzers: { sql: false, shell: false }, log, metrics, telemetry });
    const started = Date.now();
    // At least five sessions and 1.2 s (several failing export rounds), however slow the machine is.
    for (let i = 0; i < 5 || Date.now() - started < 1200; i++) {
      const s = await open(g);
      expect((await s.judge(secretGet)).action).toBe('allow');
      expect((await s.judge(del)).action).toBe('deny');
      await s.close();
      await new Promise((r) => setTimeout(r, 100));
    }
    const t0 = Date.now();
    await g.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings.map((w) => w.msg)).toEqual([
      'telemetry export failed; dropping telemetry until the collector answers',
    ]);
    expect(warnings[0]?.endpoint).toBe(endpoint);
    expect(
      metrics.get('portcullis_commands_total', { protocol: 'http', decision: 'deny' }),
    ).toBeGreaterThanOrEqual(5);
  });

  it('without otlp_endpoint loads nothing and uses the no-op', async () => {
    const { log } = logLines();
    expect(await startTelemetry({ serviceName: 'x' }, { log, metrics: undefined as never })).toBe(
      noopTelemetry,
    );
    const g = await Gateway.create(config(undefined, 'portcullis-off'), {
      analyzers: { sql: false, shell: false },
    });
    expect(g.telemetry).toBe(noopTelemetry);
    await g.close();
  });
});
