// In-process cost of each core step the HTTP listener calls per request, in µs of this process's CPU
// (user + system) per call, with the bench gateway's policy and a file store. Usage: node costs.mjs (built
// by costs-run.mjs). Env: STORE (file:<tmp> default, or a redis:// URL).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  analyzeHttp,
  Gateway,
  generateDevKeys,
  type HttpCommand,
  parseConfig,
  silentLogger,
} from '../../packages/core/src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-http-costs-'));
const keys = await generateDevKeys(join(dir, 'keys'), { force: true });
const prefix = `bench-http-costs-${process.pid}`;
const store = process.env.STORE ?? `file:${join(dir, 'sessions')}`;
const yaml = `
version: 1
identity:
  issuers: [{ issuer: https://portcullis.dev.local/, audience: portcullis, jwks_file: ${keys.jwks} }]
store: { url: "${store}", key_prefix: "${prefix}" }
connections:
  - name: api
    protocol: http
    listen: 127.0.0.1:0
    upstream: { url: "http://127.0.0.1:1" }
    policy: api
policies:
  api:
    allow_groups: [ai-agents]
    default: allow
    rules:
      - name: no-payment-writes
        when: { http: { methods: [POST, PUT, PATCH, DELETE], paths: ["/v1/payments/**"] } }
        action: deny
      - name: no-admin
        when: { http: { paths: ["/admin/**"] } }
        action: deny
      - name: no-drop
        when: { http: { body: "(?i)drop\\\\s+table" } }
        action: deny
    masking:
      detectors: [email, credit_card, us_ssn, phone, iban, aws_access_key, private_key, jwt, api_key]
      json_paths: ["$..card_number"]
`;
const parsed = parseConfig(yaml, { file: join(dir, 'portcullis.yaml'), env: {} });
if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
const gateway = await Gateway.create(parsed.config, { log: silentLogger });
const session = await gateway.open({
  connection: 'api',
  identity: {
    subject: 'bench-agent',
    groups: ['ai-agents'],
    issuer: 'https://portcullis.dev.local/',
    method: 'jwt',
  },
  client: { address: '127.0.0.1' },
});

function jsonOf(size: number): Buffer {
  const parts: string[] = [];
  let length = '{"items":[]}'.length;
  for (let i = 0; ; i++) {
    const item = JSON.stringify({
      id: i,
      name: `item-${i}`,
      status: 'active',
      owner: i === 0 ? 'alice@example.com' : `user-${i}`,
      qty: i * 3,
    });
    if (length + item.length + 1 > size) break;
    parts.push(item);
    length += item.length + (parts.length > 1 ? 1 : 0);
  }
  return Buffer.from(`{"items":[${parts.join(',')}]}`.padEnd(size, ' '));
}
const body1k = jsonOf(1024);
const body1m = jsonOf(1024 * 1024);
const headers = {
  host: ['127.0.0.1:8080'],
  authorization: ['Bearer [REDACTED]'],
  'user-agent': ['wrk'],
  accept: ['*/*'],
};
const get: HttpCommand = { kind: 'http', method: 'GET', target: '/1k', headers, bodyTruncated: false };

async function measure(name: string, n: number, fn: () => unknown): Promise<void> {
  for (let i = 0; i < Math.min(n, 200); i++) await fn(); // warm-up
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  // let the store take the frames: its writes are part of the cost
  await new Promise((r) => setTimeout(r, 300));
  const t = process.cpuUsage(t0);
  const wall = performance.now() - w0 - 300;
  console.log(
    `${name.padEnd(48)} ${((t.user + t.system) / n).toFixed(1).padStart(8)} µs cpu/call  (wall ${((wall * 1000) / n).toFixed(1)} µs)`,
  );
}

const masker = session.masker();
const N = Number(process.env.N ?? 5000);
await measure('analyzeHttp(GET /1k)', N * 4, () => analyzeHttp(get));
await measure('session.judge(GET /1k) (+request/decision frames)', N, () => session.judge(get));
await measure('session.record(result, 1 KiB preview)', N, () =>
  session.record('result', {
    status: 200,
    headers: { 'content-type': 'application/json', 'content-length': '1024' },
    mode: 'json',
    bytes: 1024,
    masked: { email: 1 },
    preview: body1k.toString('utf8'),
    request: { headers },
    ms: 0.5,
  }),
);
await measure('session.record(result, no preview)', N, () =>
  session.record('result', {
    status: 200,
    headers: { 'content-type': 'application/json', 'content-length': '1024' },
    mode: 'json',
    bytes: 1024,
    masked: { email: 1 },
    request: { headers },
    ms: 0.5,
  }),
);
await measure('session.record(result, 64 KiB preview)', N / 10, () =>
  session.record('result', {
    status: 200,
    headers: { 'content-type': 'application/json' },
    mode: 'json',
    bytes: body1m.length,
    masked: { email: 1 },
    preview: body1m.subarray(0, 64 * 1024).toString('utf8'),
    request: { headers },
    ms: 5,
  }),
);
await measure('masker.maskJsonBytes(1 KiB JSON)', N * 2, () => masker.maskJsonBytes?.(body1k));
await measure('masker.json(JSON.parse(1 KiB)) + stringify', N * 2, () =>
  JSON.stringify(masker.json(JSON.parse(body1k.toString('utf8')))),
);
await measure('masker.maskJsonBytes(1 MiB JSON)', 40, () => masker.maskJsonBytes?.(body1m));
await measure('masker.stream() over 1 MiB in 64 KiB chunks', 40, () => {
  const sm = masker.stream();
  for (let i = 0; i < body1m.length; i += 65536) sm.write(body1m.subarray(i, i + 65536));
  sm.flush();
});
await session.close('done');
await gateway.close();
rmSync(dir, { recursive: true, force: true });
if (store.startsWith('redis')) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(store);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}
