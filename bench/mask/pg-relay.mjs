// The Postgres relay's per-row work in one process, no sockets: DataRows and COPY text rows of the
// bench table's shape (id, name, email, card, note) through maskDataRowInto / maskCopyTextInto into a
// RelayOutput, one take() per 64 KiB of input (what one upstream read gives). Rates per CPU-second.
//   npx tsc -b packages/core packages/postgres && node bench/mask/pg-relay.mjs [--seconds N]
import { createMasker, mayMask } from '../../packages/core/dist/index.js';
import { RelayOutput } from '../../packages/postgres/dist/backend-framer.js';
import {
  maskCopyTextInto,
  maskDataRowInto,
  planColumns,
} from '../../packages/postgres/dist/result-masking.js';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 2;
const masker = createMasker({
  detectors: [
    'email',
    'credit_card',
    'us_ssn',
    'phone',
    'iban',
    'aws_access_key',
    'private_key',
    'jwt',
    'api_key',
  ],
  columns: [{ match: 'users.password_hash', with: 'redact' }],
});
const NAMES = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin', 'Frank', 'Grace', 'Heidi'];
const LAST = ['Smith', 'Jones', 'Brown', 'Taylor', 'Wilson', 'Davies', 'Evans'];
const CARDS = [
  '4111111111111111',
  '5500000000000004',
  '4012888888881881',
  '4111111111111112',
  '6011000990139424',
  '1234567812345678',
];
const values = (g) => [
  String(g),
  `${NAMES[g % 8]} ${LAST[g % 7]}`,
  `${NAMES[g % 8].toLowerCase()}.${g}@example.com`,
  CARDS[g % 6],
  `Order ${g} shipped to warehouse ${g % 97}; customer notes: leave at the front desk, call before delivery`,
];
function dataRow(vals) {
  const parts = vals.map((v) => {
    const b = Buffer.from(v);
    const l = Buffer.alloc(4);
    l.writeInt32BE(b.length);
    return Buffer.concat([l, b]);
  });
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(7);
  h[0] = 0x44;
  h.writeInt32BE(body.length + 6, 1);
  h.writeInt16BE(vals.length, 5);
  return Buffer.concat([h, body]);
}
function copyRow(vals) {
  const b = Buffer.from(`${vals.join('\t')}\n`);
  const h = Buffer.alloc(5);
  h[0] = 0x64;
  h.writeInt32BE(b.length + 4, 1);
  return Buffer.concat([h, b]);
}
// 64 KiB "reads" of consecutive rows
function chunks(make) {
  const all = [];
  for (let g = 1; g <= 6000; g++) all.push(make(values(100000 + g)));
  const out = [];
  let cur = [];
  let size = 0;
  for (const r of all) {
    if (size + r.length > 65536) {
      out.push({ buf: Buffer.concat(cur), rows: cur.length });
      cur = [];
      size = 0;
    }
    cur.push(r);
    size += r.length;
  }
  return out;
}
const rowChunks = chunks(dataRow);
const copyChunks = chunks(copyRow);
const cols = ['id', 'name', 'email', 'card', 'note'].map((name, i) => ({
  name,
  tableOid: 0,
  attnum: i + 1,
  typeOid: i === 0 ? 23 : 25,
  typeMod: -1,
  format: 0,
}));
const plan = planColumns(cols, () => undefined, masker, new Map());
const out = new RelayOutput();

function walk(c, fn) {
  const b = c.buf;
  let p = 0;
  while (p < b.length) {
    const end = p + 1 + b.readInt32BE(p + 1);
    if (fn(b, p, end) < 0) out.pass(b, p, end);
    p = end;
  }
  out.sizeHint = b.length + (b.length >> 2) + 1024;
  out.take();
  out.recycle();
  return c.rows;
}
const cases = {
  'DataRow: maskDataRowInto + RelayOutput': (c) =>
    walk(c, (b, s, e) => maskDataRowInto(b, s, e, plan, masker, 'utf8', out)),
  'DataRow: mayMask of each value only': (c) => {
    const b = c.buf;
    let p = 0;
    while (p < b.length) {
      const end = p + 1 + b.readInt32BE(p + 1);
      let q = p + 7;
      for (let i = 0; i < 5; i++) {
        const len = b.readInt32BE(q);
        q += 4;
        if (i > 0) mayMask(b, q, q + len);
        q += len;
      }
      p = end;
    }
    return c.rows;
  },
  'COPY row: maskCopyTextInto + RelayOutput': (c) =>
    walk(c, (b, s, e) => maskCopyTextInto(b, s, e, masker, 'utf8', out)),
};
const which = { 'COPY row: maskCopyTextInto + RelayOutput': copyChunks };
for (const [name, fn] of Object.entries(cases)) {
  const data = which[name] ?? rowChunks;
  for (const c of data) fn(c);
  let rows = 0;
  let k = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - t0) / 1e9 < seconds) rows += fn(data[k++ % data.length]);
  const cpu = process.cpuUsage(cpu0);
  const s = (cpu.user + cpu.system) / 1e6;
  console.log(`${name.padEnd(44)} ${((s / rows) * 1e9).toFixed(0).padStart(6)} ns/row (CPU)`);
}
