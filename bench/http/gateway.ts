// Portcullis with one HTTP listener in front of the bench upstream, inspection and masking on.
// Usage: node gateway.mjs UPSTREAM_PORT WORKDIR — prints {"port", "token"} on stdout.
import { join } from 'node:path';
import {
  Gateway,
  generateDevKeys,
  type HttpConnection,
  mintToken,
  nullStore,
  parseConfig,
  silentLogger,
} from '../../packages/core/src/index.js';
import { startHttpListener } from '../../packages/http/src/index.js';

const [upstreamPort, dir] = process.argv.slice(2);
const keys = await generateDevKeys(join(dir!, 'keys'), { force: true });
const store = process.env.PORTCULLIS_BENCH_STORE ?? `file:${join(dir!, 'sessions')}`;
// A Redis store gets a prefix of its own, removed again at exit.
const prefix = `bench-http-${process.pid}`;
const yaml = `
version: 1
identity:
  issuers: [{ issuer: https://portcullis.dev.local/, audience: portcullis, jwks_file: ${keys.jwks} }]
store: { url: "${store}", key_prefix: "${prefix}" }
connections:
  - name: api
    protocol: http
    listen: 127.0.0.1:0
    upstream: { url: "http://127.0.0.1:${upstreamPort}", headers: { Authorization: "Bearer upstream-token" } }
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
const parsed = parseConfig(yaml, { file: join(dir!, 'portcullis.yaml'), env: {} });
if (!parsed.config) throw new Error(JSON.stringify(parsed.problems));
// PORTCULLIS_BENCH_RECORD=off: frames are discarded (measures what recording costs; never for the figures).
const gateway = await Gateway.create(parsed.config, {
  log: silentLogger,
  store: process.env.PORTCULLIS_BENCH_RECORD === 'off' ? nullStore() : undefined,
});
const listener = await startHttpListener(gateway, parsed.config.connections[0] as HttpConnection);
const token = await mintToken({
  keyFile: keys.signingJwk,
  sub: 'bench-agent',
  groups: ['ai-agents'],
  ttl: '2h',
});
console.log(JSON.stringify({ port: listener.address.port, token }));
// PORTCULLIS_BENCH_LOOP=1: event-loop delay histogram, printed to stderr (and reset) on SIGUSR2.
if (process.env.PORTCULLIS_BENCH_LOOP === '1') {
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  // Stalls over 50 ms, with the time since start (compare with --trace-gc's timestamps).
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (now - last > 60)
      console.error(`loop stall ${(now - last - 10).toFixed(0)} ms at ${now.toFixed(0)} ms`);
    last = now;
  }, 10).unref();
  // GC pauses since the last report: scavenges (minor) and mark-compacts (major), count / mean / max ms.
  const { PerformanceObserver, constants } = await import('node:perf_hooks');
  const gc = { minor: [0, 0, 0], major: [0, 0, 0] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e.detail as { kind?: number } | undefined)?.kind;
      const g = kind === constants.NODE_PERFORMANCE_GC_MINOR ? gc.minor : gc.major;
      g[0]! += 1;
      g[1]! += e.duration;
      g[2] = Math.max(g[2]!, e.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('SIGUSR2', () => {
    const ms = (n: number) => (n / 1e6).toFixed(2);
    const pauses = (g: number[]) =>
      `${g[0]} (mean ${(g[0]! ? g[1]! / g[0]! : 0).toFixed(2)} max ${g[2]!.toFixed(2)} ms)`;
    console.error(
      `loop delay ms: p50 ${ms(h.percentile(50))} p99 ${ms(h.percentile(99))} p99.9 ${ms(h.percentile(99.9))} max ${ms(h.max)}; GC minor ${pauses(gc.minor)}, major ${pauses(gc.major)}`,
    );
    h.reset();
    gc.minor = [0, 0, 0];
    gc.major = [0, 0, 0];
  });
}
// PORTCULLIS_BENCH_ALLOC=FILE: a sampling heap profile of every allocation (collected ones included),
// started now and written to FILE on SIGTERM: where the bytes allocated per request come from.
let allocProfile: (() => Promise<void>) | undefined;
if (process.env.PORTCULLIS_BENCH_ALLOC) {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const inspector = new Session();
  inspector.connect();
  await inspector.post('HeapProfiler.enable');
  await inspector.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as never);
  allocProfile = async () => {
    const { profile } = (await inspector.post('HeapProfiler.stopSampling')) as { profile: unknown };
    writeFileSync(process.env.PORTCULLIS_BENCH_ALLOC!, JSON.stringify(profile));
  };
}
process.on('SIGTERM', async () => {
  await allocProfile?.();
  setTimeout(() => {
    console.error('gateway: close took over 5 s; exiting anyway');
    process.exit(1);
  }, 5000).unref();
  await listener.close();
  await gateway.close();
  if (store.startsWith('redis')) await dropKeys(store, prefix);
  process.exit(0);
});

async function dropKeys(url: string, keyPrefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}
