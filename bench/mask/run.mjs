// Masking benchmark: value() on typical row values (clean and sensitive) and stream() on text.
// Run from the repository root after building core:  npx tsc -b packages/core && node bench/mask/run.mjs
// Options: --seconds N (per measurement, default 2), --json (machine-readable output).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../packages/core/dist/mask/index.js', import.meta.url));
if (!existsSync(dist)) {
  console.error(`bench/mask: ${dist} is missing; build core first: npx tsc -b packages/core`);
  process.exit(1);
}
const { createMasker } = await import(dist);

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 2;
const asJson = args.includes('--json');

const { DETECTORS: ALL } = await import(
  fileURLToPath(new URL('../../packages/core/dist/config/schema.js', import.meta.url))
);
const SPEC_DB = [
  'email',
  'credit_card',
  'us_ssn',
  'phone',
  'iban',
  'aws_access_key',
  'private_key',
  'jwt',
  'api_key',
];
const masker = (detectors) =>
  createMasker({ detectors, columns: [], jsonPaths: [], replacement: '[MASKED:{type}]' });

// Typical values of a Postgres row that holds nothing sensitive.
const CLEAN_VALUES = [
  'Alice Johnson',
  '42',
  '1700000000',
  'true',
  '2024-01-15 10:23:45.123456+00',
  '2024-01-15',
  '-17.25',
  'Berlin',
  'active',
  '550e8400-e29b-41d4-a716-446655440000',
  'The quick brown fox jumps over the lazy dog',
  'Order shipped to warehouse 7',
  '12345',
  'f',
  'product-sku-1042',
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit.',
  '3.14159',
  'pending',
  'en_US',
  '192.168.1.20',
];
const SENSITIVE_VALUES = [
  'john.doe@example.com',
  '4111 1111 1111 1111',
  '123-45-6789',
  '(415) 555-2671',
  'DE89370400440532013000',
  'AKIAIOSFODNN7EXAMPLE',
  'ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d',
  'contact me at jane@example.org or +44 20 7946 0958',
];

// Rates are per second of this process's CPU time (user + system): the machine is shared, and
// wall-clock rates would measure the neighbours. Wall-clock time is printed beside them.
function timeLoop(fn) {
  // warm up, then run batches until the time is up
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const wall0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const limit = BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() - wall0 < limit) n += fn();
  const cpu = process.cpuUsage(cpu0);
  const wall = Number(process.hrtime.bigint() - wall0) / 1e9;
  return { n, s: (cpu.user + cpu.system) / 1e6, wall };
}

function valueRate(m, values) {
  const batch = [];
  for (let i = 0; i < 1000; i++) batch.push(`${values[i % values.length]}`);
  let sink = 0;
  const r = timeLoop(() => {
    for (let i = 0; i < batch.length; i++) sink += m.value(batch[i]).length;
    return batch.length;
  });
  if (sink === 0) throw new Error('unreachable');
  return [r.n / r.s, r.n / r.wall];
}

function valueRateFn(fn) {
  const r = timeLoop(() => (fn() > 0 ? 1 : 0));
  return [r.n / r.s, r.n / r.wall];
}

function streamRate(m, text, chunkSize) {
  const buf = Buffer.from(text);
  const chunks = [];
  for (let i = 0; i < buf.length; i += chunkSize) chunks.push(buf.subarray(i, i + chunkSize));
  const r = timeLoop(() => {
    const s = m.stream();
    let bytes = 0;
    for (const c of chunks) bytes += s.write(c).length;
    bytes += s.flush().length;
    return buf.length + bytes * 0;
  });
  return [r.n / r.s / 1e6, r.n / r.wall / 1e6];
}

const prose =
  'The quick brown fox jumps over the lazy dog while the committee reviews the quarterly report. ';
const logLine = (i) =>
  `2024-01-15T10:23:${String(i % 60).padStart(2, '0')}.123Z INFO [worker-${i % 8}] GET /api/v1/orders/${100000 + i} 200 in ${i % 97}ms\n`;
const cleanText = Array.from({ length: 40000 }, (_, i) => (i % 2 ? prose : logLine(i)))
  .join('')
  .slice(0, 4 << 20);
const mixedText = Array.from({ length: 40000 }, (_, i) =>
  i % 10 === 0
    ? `user john${i}@example.com card 4111 1111 1111 1111 key AKIAIOSFODNN7EXAMPLE\n`
    : i % 2
      ? prose
      : logLine(i),
)
  .join('')
  .slice(0, 4 << 20);

const results = [];
const fmt = (v) => v.toFixed(v > 100 ? 0 : 1);
const add = (name, [cpu, wall], unit) => {
  results.push({
    name,
    perCpuSecond: Math.round(cpu * 100) / 100,
    perWallSecond: Math.round(wall * 100) / 100,
    unit,
  });
  if (!asJson) console.log(`${name.padEnd(62)} ${fmt(cpu).padStart(10)} ${unit} (wall: ${fmt(wall)})`);
};

const all = masker(ALL);
const db = masker(SPEC_DB);
const ssh = masker(['aws_access_key', 'private_key', 'jwt', 'api_key']);
const api = masker(['credit_card', 'email']);
add('value(): clean row values, all 10 detectors', valueRate(all, CLEAN_VALUES), 'values/s');
add('value(): clean row values, example db-guardrails set (9)', valueRate(db, CLEAN_VALUES), 'values/s');
add('value(): sensitive values, all 10 detectors', valueRate(all, SENSITIVE_VALUES), 'values/s');
add('stream(): clean text (logs + prose), 64 KiB chunks, all 10', streamRate(all, cleanText, 65536), 'MB/s');
add('stream(): clean text, 64 KiB chunks, db-guardrails set (9)', streamRate(db, cleanText, 65536), 'MB/s');
add(
  'stream(): clean text, 64 KiB chunks, shell-guardrails set (4)',
  streamRate(ssh, cleanText, 65536),
  'MB/s',
);
add('stream(): clean text, 64 KiB chunks, api-guardrails set (2)', streamRate(api, cleanText, 65536), 'MB/s');
add(
  'stream(): mixed text (1 line in 10 has 3 secrets), 64 KiB, all',
  streamRate(all, mixedText, 65536),
  'MB/s',
);
add('stream(): clean text, 1 KiB chunks, all 10', streamRate(all, cleanText, 1024), 'MB/s');
add(
  'stream(): clean text, 64-byte chunks, shell-guardrails set',
  streamRate(ssh, cleanText.slice(0, 1 << 20), 64),
  'MB/s',
);
// JSON: an API response of 200 records, parsed (json()) and streamed (jsonStream())
const apiCfg = {
  detectors: ['credit_card', 'email'],
  columns: [],
  jsonPaths: ['$..card_number'],
  replacement: '[MASKED:{type}]',
};
const apiJson = createMasker(apiCfg);
const records = Array.from({ length: 200 }, (_, i) => ({
  id: 100000 + i,
  name: `Customer ${i}`,
  created_at: '2024-01-15T10:23:45.123Z',
  amount: (i * 13.37).toFixed(2),
  card_number: '4111 1111 1111 1111',
  note: i % 10 === 0 ? `contact john${i}@example.com` : 'standard delivery, leave at the door',
  tags: ['a', 'b', 'c'],
}));
const body = JSON.stringify({ data: records, page: 1 });
add(
  `json(): parse + mask + stringify a ${Math.round(body.length / 1024)} KB API response`,
  (() => {
    const [cpu, wall] = valueRateFn(() => JSON.stringify(apiJson.json(JSON.parse(body))).length);
    return [(cpu * body.length) / 1e6, (wall * body.length) / 1e6];
  })(),
  'MB/s',
);
add(
  'jsonStream(): the same response, 16 KiB chunks',
  (() => {
    const buf = Buffer.from(body);
    const r = timeLoop(() => {
      const s = apiJson.jsonStream();
      for (let i = 0; i < buf.length; i += 16384) s.write(buf.subarray(i, i + 16384));
      s.flush();
      return buf.length;
    });
    return [r.n / r.s / 1e6, r.n / r.wall / 1e6];
  })(),
  'MB/s',
);

if (asJson) console.log(JSON.stringify({ node: process.version, seconds, results }, null, 2));
