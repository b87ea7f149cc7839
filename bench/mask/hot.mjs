// Hot-path masking microbenchmarks, the cases the Postgres and HTTP listeners pay per row/response:
//   - a Postgres row (id, name, email, card, free text) through value(text, column)
//   - a 1 KiB and a 1 MiB JSON response (bench/http/upstream.mjs's shape): parse + json() + stringify,
//     and maskJsonBytes() when core has it
//   - 1 MiB of text through stream() in 64 KiB chunks
// Config: the HTTP bench gateway's masking (nine detectors + json_paths ["$..card_number"]).
// Run from the repository root:  npx tsc -b packages/core && node bench/mask/hot.mjs [--seconds N] [--json] [--dist DIR]
// Rates are per second of this process's CPU time (user + system); wall-clock in brackets.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// --dist DIR: another build of core's dist/mask (e.g. an older commit's) to compare against
const distArg = process.argv.indexOf('--dist');
const dist =
  distArg > 0
    ? `${process.argv[distArg + 1]}/index.js`
    : fileURLToPath(new URL('../../packages/core/dist/mask/index.js', import.meta.url));
if (!existsSync(dist)) {
  console.error(`bench/mask: ${dist} is missing; build core first: npx tsc -b packages/core`);
  process.exit(1);
}
const { createMasker } = await import(dist);
const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 2;
const asJson = args.includes('--json');

const NINE = [
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
const m = createMasker({
  detectors: NINE,
  columns: [{ match: 'users.password_hash', with: 'redact' }],
  jsonPaths: ['$..card_number'],
  replacement: '[MASKED:{type}]',
});

function timeLoop(fn) {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const wall0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const limit = BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() - wall0 < limit) n += fn();
  const cpu = process.cpuUsage(cpu0);
  return { n, cpu: (cpu.user + cpu.system) / 1e6, wall: Number(process.hrtime.bigint() - wall0) / 1e9 };
}

const results = [];
function report(name, r, unit, scale) {
  const cpu = (r.n / r.cpu) * scale;
  const wall = (r.n / r.wall) * scale;
  results.push({ name, perCpuSecond: +cpu.toFixed(3), perWallSecond: +wall.toFixed(3), unit });
  if (!asJson)
    console.log(
      `${name.padEnd(58)} ${cpu.toFixed(cpu > 100 ? 0 : 2).padStart(10)} ${unit} (wall ${wall.toFixed(cpu > 100 ? 0 : 2)})`,
    );
}

// ── Postgres rows ──
const cols = ['id', 'name', 'email', 'card', 'note'].map((column) => ({ table: 'bench_rows', column }));
const TEXT =
  'Customer asked to reschedule the delivery to next Tuesday; left a note at the front desk of 12 Elm.';
const rows = [];
for (let i = 0; i < 1000; i++) {
  rows.push([
    String(100000 + i),
    i % 2 ? 'Alice Smith' : 'Bob Jones',
    `alice.${100000 + i}@example.com`,
    i % 2 ? '4111111111111111' : '4111111111111112',
    TEXT,
  ]);
}
let sink = 0;
const perValue = (label, text, col) => {
  const r = timeLoop(() => {
    for (let i = 0; i < 1000; i++) sink += m.value(text, col).length;
    return 1000;
  });
  report(`value() ${label}`, { ...r, n: r.n }, 'µs/value', 0);
  const last = results.at(-1);
  last.perCpuSecond = +((r.cpu / r.n) * 1e6).toFixed(3);
  last.perWallSecond = +((r.wall / r.n) * 1e6).toFixed(3);
  last.unit = 'µs CPU per value';
  if (!asJson)
    process.stdout.write(
      `\r${`value() ${label}`.padEnd(58)} ${last.perCpuSecond.toFixed(3).padStart(10)} µs CPU/value\n`,
    );
};
if (!asJson) process.stdout.write('');
const quiet = asJson;
const origLog = console.log;
if (!quiet) console.log = () => {};
perValue("'alice.123456@example.com' (email)", 'alice.123456@example.com', cols[2]);
perValue("'4111111111111111' (card)", '4111111111111111', cols[3]);
perValue("'4111111111111112' (not a card)", '4111111111111112', cols[3]);
perValue('100-char free text', TEXT, cols[4]);
perValue("'Alice Smith'", 'Alice Smith', cols[1]);
perValue("'123456'", '123456', cols[0]);
console.log = origLog;
{
  const r = timeLoop(() => {
    for (const row of rows) for (let c = 0; c < 5; c++) sink += m.value(row[c], cols[c]).length;
    return rows.length;
  });
  const us = (r.cpu / r.n) * 1e6;
  results.push({
    name: 'Postgres row (id, name, email, card, text)',
    perCpuSecond: +us.toFixed(3),
    perWallSecond: +((r.wall / r.n) * 1e6).toFixed(3),
    unit: 'µs CPU per row',
  });
  if (!asJson)
    console.log(
      `${'Postgres row (id, name, email, card, text)'.padEnd(58)} ${us.toFixed(3).padStart(10)} µs CPU/row`,
    );
}

if (m.valueBytes) {
  // the listener's view: each DataRow value as bytes; nothing is decoded unless it may hold a match
  const bufRows = rows.map((r) => r.map((v) => Buffer.from(v)));
  const r = timeLoop(() => {
    for (const row of bufRows) {
      for (let c = 0; c < 5; c++) {
        const b = row[c];
        const out = m.valueBytes(b, 0, b.length, cols[c]);
        sink += out === undefined ? 1 : out.length;
      }
    }
    return bufRows.length;
  });
  const us = (r.cpu / r.n) * 1e6;
  const name = 'Postgres row as bytes: valueBytes() per value';
  results.push({
    name,
    perCpuSecond: +us.toFixed(3),
    perWallSecond: +((r.wall / r.n) * 1e6).toFixed(3),
    unit: 'µs CPU per row',
  });
  if (!asJson) console.log(`${name.padEnd(58)} ${us.toFixed(3).padStart(10)} µs CPU/row`);
  const r2 = timeLoop(() => {
    for (const row of bufRows) {
      for (let c = 0; c < 5; c++) {
        const b = row[c];
        sink += m.value(b.toString('utf8', 0, b.length), cols[c]).length;
      }
    }
    return bufRows.length;
  });
  const us2 = (r2.cpu / r2.n) * 1e6;
  const name2 = 'Postgres row as bytes: toString + value() per value';
  results.push({
    name: name2,
    perCpuSecond: +us2.toFixed(3),
    perWallSecond: +((r2.wall / r2.n) * 1e6).toFixed(3),
    unit: 'µs CPU per row',
  });
  if (!asJson) console.log(`${name2.padEnd(58)} ${us2.toFixed(3).padStart(10)} µs CPU/row`);
}

// ── JSON responses ──
function jsonOf(size) {
  const parts = [];
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
for (const [label, buf] of [
  ['1 KiB', jsonOf(1024)],
  ['1 MiB', jsonOf(1024 * 1024)],
]) {
  const r = timeLoop(() => {
    sink += Buffer.from(JSON.stringify(m.json(JSON.parse(buf.toString('utf8'))))).length;
    return 1;
  });
  const us = (r.cpu / r.n) * 1e6;
  results.push({
    name: `JSON ${label}: parse + json() + stringify`,
    perCpuSecond: +((buf.length * r.n) / r.cpu / 1e6).toFixed(1),
    perWallSecond: +((buf.length * r.n) / r.wall / 1e6).toFixed(1),
    unit: 'MB/s',
    usPerDoc: +us.toFixed(1),
  });
  if (!asJson)
    console.log(
      `${`JSON ${label}: parse + json() + stringify`.padEnd(58)} ${((buf.length * r.n) / r.cpu / 1e6).toFixed(1).padStart(10)} MB/s  (${us.toFixed(1)} µs CPU/doc)`,
    );
  {
    const r3 = timeLoop(() => {
      const s = m.jsonStream();
      for (let i = 0; i < buf.length; i += 65536) sink += s.write(buf.subarray(i, i + 65536)).length;
      sink += s.flush().length;
      return 1;
    });
    const rate = (buf.length * r3.n) / r3.cpu / 1e6;
    const us3 = (r3.cpu / r3.n) * 1e6;
    results.push({
      name: `JSON ${label}: jsonStream(), 64 KiB chunks`,
      perCpuSecond: +rate.toFixed(1),
      perWallSecond: +((buf.length * r3.n) / r3.wall / 1e6).toFixed(1),
      unit: 'MB/s',
      usPerDoc: +us3.toFixed(1),
    });
    if (!asJson)
      console.log(
        `${`JSON ${label}: jsonStream(), 64 KiB chunks`.padEnd(58)} ${rate.toFixed(1).padStart(10)} MB/s  (${us3.toFixed(1)} µs CPU/doc)`,
      );
  }
  if (m.maskJsonBytes) {
    const r2 = timeLoop(() => {
      sink += m.maskJsonBytes(buf).length;
      return 1;
    });
    const us2 = (r2.cpu / r2.n) * 1e6;
    results.push({
      name: `JSON ${label}: maskJsonBytes()`,
      perCpuSecond: +((buf.length * r2.n) / r2.cpu / 1e6).toFixed(1),
      perWallSecond: +((buf.length * r2.n) / r2.wall / 1e6).toFixed(1),
      unit: 'MB/s',
      usPerDoc: +us2.toFixed(1),
    });
    if (!asJson)
      console.log(
        `${`JSON ${label}: maskJsonBytes()`.padEnd(58)} ${((buf.length * r2.n) / r2.cpu / 1e6).toFixed(1).padStart(10)} MB/s  (${us2.toFixed(1)} µs CPU/doc)`,
      );
  }
}

// ── 1 MiB text through stream() ──
{
  const prose =
    'The quick brown fox jumps over the lazy dog while the committee reviews the quarterly report. ';
  const logLine = (i) =>
    `2024-01-15T10:23:${String(i % 60).padStart(2, '0')}.123Z INFO [worker-${i % 8}] GET /api/v1/orders/${100000 + i} 200 in ${i % 97}ms\n`;
  const text = Buffer.from(
    Array.from({ length: 12000 }, (_, i) => (i % 2 ? prose : logLine(i)))
      .join('')
      .slice(0, 1 << 20),
  );
  const json1m = jsonOf(1024 * 1024)
    .toString()
    .replace(/[{}"]/g, ' ');
  for (const [label, buf] of [
    ['1 MiB text (logs + prose)', text],
    ['1 MiB text (the JSON bench body, quotes blanked)', Buffer.from(json1m)],
  ]) {
    const r = timeLoop(() => {
      const s = m.stream();
      for (let i = 0; i < buf.length; i += 65536) sink += s.write(buf.subarray(i, i + 65536)).length;
      sink += s.flush().length;
      return 1;
    });
    const rate = (buf.length * r.n) / r.cpu / 1e6;
    results.push({
      name: `stream() ${label}, 64 KiB chunks`,
      perCpuSecond: +rate.toFixed(1),
      perWallSecond: +((buf.length * r.n) / r.wall / 1e6).toFixed(1),
      unit: 'MB/s',
    });
    if (!asJson) console.log(`${`stream() ${label}`.padEnd(58)} ${rate.toFixed(1).padStart(10)} MB/s`);
  }
}
if (sink === 0) throw new Error('unreachable');
if (asJson) console.log(JSON.stringify({ node: process.version, seconds, results }, null, 2));
