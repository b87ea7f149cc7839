// Masks what the upstream returns (backend → agent), one message at a time: DataRow values,
// COPY TO STDOUT rows, error/notice fields and NOTIFY payloads. A message with nothing to mask is
// reported unchanged (undefined) so the caller forwards the original bytes without a copy.
import {
  decodeBytes,
  FieldEdits,
  type MaskColumn,
  type Masker,
  maskFieldsBytes,
  mayMask,
} from '@portcullis/core';
import { copyBytes, RelayOutput, textLength, writeText } from './backend-framer.js';
import type { ColumnDescription } from './backend-reader.js';
import { fieldsMessage } from './backend-writer.js';
import type { TableNames } from './catalog-lookup.js';

/** How one result column is treated: Skip — not inspected (fixed-form or binary non-text type);
 * Text — text bytes in the client encoding; BinaryJsonb — a version byte, then JSON text;
 * Null — a column rule says the agent gets SQL NULL (or one applies to a binary value a masked
 * text cannot be written into); BinaryNumber — binary int4/int8/numeric, read as its decimal text
 * (a card number kept as bigint) and sent as NULL when that text would be masked;
 * BinaryContainer — a binary array or record: the values inside are masked one by one. */
export const ColumnMode = {
  Skip: 0,
  Text: 1,
  BinaryJsonb: 2,
  Null: 3,
  BinaryNumber: 4,
  BinaryContainer: 5,
} as const;
export type ColumnMode = (typeof ColumnMode)[keyof typeof ColumnMode];

export interface ColumnPlan {
  name: string;
  context: MaskColumn;
  mode: ColumnMode;
  binary: boolean;
  typeOid: number;
  /** No column rule covers it: a value the byte pre-check clears is forwarded without value(). */
  precheck: boolean;
  /** The last masked text of this column and its bytes (a column masks to the same replacement again and again). */
  memo?: EncodedMemo;
}

/** A masked text and its encoded bytes, kept once the same text comes back. */
export interface EncodedMemo {
  text: string | undefined;
  enc?: TextEncoding;
  bytes: Buffer | undefined;
}

/** The bytes of `text` when it equals the memo's last text (encoded once), else undefined (and remembered). */
function memoBytes(memo: EncodedMemo, text: string, enc: TextEncoding): Buffer | undefined {
  if (text === memo.text && enc === memo.enc) return (memo.bytes ??= Buffer.from(text, enc));
  if (text.length <= 256) {
    memo.text = text;
    memo.enc = enc;
    memo.bytes = undefined;
  }
  return undefined;
}

// Types whose text form cannot carry free text (numbers too short to be a card/phone, booleans,
// dates and times, uuids, byte strings shown as hex): not inspected, for speed.
const FIXED_FORM_TYPES = new Set([
  16, 17, 21, 26, 28, 29, 700, 701, 1082, 1083, 1114, 1184, 1186, 1266, 2950, 3220,
]);
// Types whose binary form is their text: text, varchar, bpchar, name, json, xml, unknown, char.
const BINARY_TEXT_TYPES = new Set([25, 1043, 1042, 19, 114, 142, 705, 18]);
const JSONB = 3802;
/** User-defined types (citext, enums, domains' own OIDs) start here; their binary form is often text. */
const FIRST_USER_OID = 16384;
const INT4 = 23;
const INT8 = 20;
const NUMERIC = 1700;
const RECORD = 2249;
// Built-in array types (their binary form: dimensions, element type, then each element's bytes).
const ARRAY_TYPES = new Set([
  199, 143, 651, 1000, 1001, 1002, 1003, 1005, 1007, 1009, 1014, 1015, 1016, 1021, 1022, 1028, 1040, 1041,
  1115, 1182, 1183, 1185, 1187, 1231, 1270, 2287, 2951, 3643, 3807,
]);
/** Records nest in records; deeper than this a value is not read, it is sent as NULL. */
const MAX_NESTING = 16;

/** Builds the per-column plan from a RowDescription and the catalog names of its tables. */
export function planColumns(
  cols: ColumnDescription[],
  names: (oid: number) => TableNames | null | undefined,
  masker?: Masker,
  contexts?: Map<string, MaskColumn>,
): ColumnPlan[] {
  return cols.map((c) => {
    const t = c.tableOid !== 0 ? names(c.tableOid) : undefined;
    // The catalog's attribute name, not the alias, so `SELECT secret AS x` still meets `t.secret` rules.
    const column = t ? (t.columns.get(c.attnum) ?? c.name) : c.name;
    return planColumn(c, contextOf(t?.table, column, contexts), masker);
  });
}

/** The same context object for the same column keeps the masker's per-column caches warm. */
function contextOf(
  table: string | undefined,
  column: string,
  contexts?: Map<string, MaskColumn>,
): MaskColumn {
  const key = `${table ?? ''}\0${column}`;
  let context = contexts?.get(key);
  if (!context) {
    context = table !== undefined ? { table, column } : { column };
    contexts?.set(key, context);
  }
  return context;
}

function planColumn(c: ColumnDescription, context: MaskColumn, masker?: Masker): ColumnPlan {
  // Without columnRule() the masker cannot say which columns are ruled: every value goes to value().
  const rule = masker?.columnRule ? masker.columnRule(context) : 'unknown';
  const binary = c.format !== 0;
  if (rule === 'null')
    return { name: c.name, context, mode: ColumnMode.Null, binary, typeOid: c.typeOid, precheck: false };
  // A column rule covers this column: its values are rewritten whatever their type.
  const ruled = rule !== undefined && rule !== 'unknown';
  let mode: ColumnMode;
  if (!binary) mode = !ruled && FIXED_FORM_TYPES.has(c.typeOid) ? ColumnMode.Skip : ColumnMode.Text;
  else if (BINARY_TEXT_TYPES.has(c.typeOid) || c.typeOid >= FIRST_USER_OID) mode = ColumnMode.Text;
  else if (c.typeOid === JSONB) mode = ColumnMode.BinaryJsonb;
  // The replacement text cannot be written in a binary date, number …: the agent gets NULL.
  else if (ruled) mode = ColumnMode.Null;
  else if (c.typeOid === INT4 || c.typeOid === INT8 || c.typeOid === NUMERIC) mode = ColumnMode.BinaryNumber;
  else if (c.typeOid === RECORD || ARRAY_TYPES.has(c.typeOid)) mode = ColumnMode.BinaryContainer;
  else mode = ColumnMode.Skip;
  if (mode === ColumnMode.Null)
    return { name: c.name, context, mode, binary, typeOid: c.typeOid, precheck: false };
  return {
    name: c.name,
    context,
    mode,
    binary,
    typeOid: c.typeOid,
    precheck: rule === undefined,
    memo: { text: undefined, bytes: undefined },
  };
}

/** Types whose value can carry a ruled column's text: text-like, json, bytea, records, arrays, user types. */
function carriesText(typeOid: number): boolean {
  return (
    BINARY_TEXT_TYPES.has(typeOid) ||
    typeOid === JSONB ||
    typeOid === 17 || // bytea (`convert_to(secret, 'UTF8')`)
    typeOid === RECORD ||
    ARRAY_TYPES.has(typeOid) ||
    typeOid >= FIRST_USER_OID // a table's row type (`SELECT p FROM people p`), domains, enums
  );
}

/**
 * A statement that reads a table some column rule covers (`ruled`, from masker.ruledColumnOf): its
 * computed columns that can carry text (no table column behind them: `secret || ''`, `ARRAY[secret]`,
 * `row_to_json(p)`, a whole row) are planned as that ruled column, so its rule applies to them. Numbers,
 * dates and booleans computed from it are not covered (the README says so).
 */
export function ruleComputedColumns(
  plan: ColumnPlan[],
  cols: ColumnDescription[],
  ruled: MaskColumn,
  masker: Masker,
  contexts?: Map<string, MaskColumn>,
): void {
  const context = contextOf(ruled.table, ruled.column, contexts);
  for (let i = 0; i < cols.length; i++) {
    const c = cols[i]!;
    // attnum 0: a whole-row reference (`SELECT p FROM people p` names the table, but no column of it)
    if ((c.tableOid === 0 || c.attnum === 0) && carriesText(c.typeOid))
      plan[i] = planColumn(c, context, masker);
  }
}

export type TextEncoding = 'utf8' | 'latin1';

// The fields one row changed, reused from row to row (no array per row): field index and its new
// text (null: SQL NULL).
let changedField = new Int32Array(16);
const changedText: (string | null)[] = new Array(16);
const changedBytes: (Buffer | undefined)[] = new Array(16);

/**
 * Masks one DataRow into `out`: when a value changed, the rewritten message is appended to `out`
 * (unchanged runs copied, masked text written in place) and its offset in `out.buf` is returned;
 * else -1 and nothing is written (the caller passes the original bytes on).
 * Throws RangeError on a malformed row (the caller ends the session).
 */
export function maskDataRowInto(
  buf: Buffer,
  start: number,
  end: number,
  plan: ColumnPlan[],
  masker: Masker,
  enc: TextEncoding,
  out: RelayOutput,
): number {
  if (start + 7 > end) throw new RangeError('DataRow truncated');
  const valueBytes = masker.valueBytes;
  const n = (((buf[start + 5]! << 8) | buf[start + 6]!) << 16) >> 16;
  let p = start + 7;
  let k = 0; // fields changed so far
  let delta = 0; // the new row's size minus the old one's
  for (let i = 0; i < n; i++) {
    if (p + 4 > end) throw new RangeError('DataRow truncated');
    const len = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
    p += 4;
    if (len < 0) continue;
    if (p + len > end) throw new RangeError('DataRow truncated');
    const col = plan[i];
    if (col === undefined || col.mode === ColumnMode.Skip || (len === 0 && col.mode !== ColumnMode.Null)) {
      p += len;
      continue;
    }
    let text: string | null;
    if (col.mode === ColumnMode.Null) {
      masker.value(
        col.binary ? binaryValueText(col.typeOid, buf, p, p + len, enc) : buf.toString(enc, p, p + len),
        col.context,
      ); // counts it
      text = null;
      delta -= len;
    } else if (col.mode === ColumnMode.BinaryNumber) {
      const value = numberText(col.typeOid, buf, p, p + len);
      if (masker.value(value, col.context) === value) {
        p += len;
        continue;
      }
      text = null;
      delta -= len;
    } else if (col.mode === ColumnMode.BinaryContainer) {
      const masked = maskBinaryValue(col.typeOid, buf.subarray(p, p + len), masker, enc, col.context, 0);
      if (masked === undefined) {
        p += len;
        continue;
      }
      if (masked === null) {
        text = null;
        delta -= len;
      } else {
        text = '';
        changedBytes[k] = masked;
        delta += masked.length - len;
      }
    } else {
      const off = col.mode === ColumnMode.BinaryJsonb ? 1 : 0;
      let masked: string | undefined;
      const c0 = buf[p + off]!;
      if (col.precheck && valueBytes !== undefined) {
        // starts with a digit (a number, a card), or some detector may match: the masker checks the
        // bytes, and decodes only what its gates let through (an all-digit value or a whole address never)
        if ((c0 >= 48 && c0 <= 57) || mayMask(buf, p + off, p + len)) {
          masked = valueBytes.call(masker, buf, p + off, p + len, col.context, enc);
        }
      } else if (!col.precheck || mayMask(buf, p + off, p + len)) {
        const value = decodeBytes(buf, p + off, p + len, enc);
        masked = masker.value(value, col.context);
        if (masked === value) masked = undefined;
      } // else: nothing any detector could match (and no column rule): forwarded undecoded
      if (masked === undefined) {
        p += len;
        continue;
      }
      text = masked;
      const bytes = col.memo ? memoBytes(col.memo, masked, enc) : undefined;
      changedBytes[k] = bytes;
      delta += (bytes ? bytes.length : textLength(masked, enc)) - (len - off);
    }
    if (k === changedField.length) {
      const f = new Int32Array(k * 2);
      f.set(changedField);
      changedField = f;
      changedText.length = k * 2;
      changedBytes.length = k * 2;
    }
    if (text === null) changedBytes[k] = undefined;
    changedField[k] = i;
    changedText[k++] = text;
    p += len;
  }
  if (k === 0) return -1;
  // One new message in `out`: runs of unchanged fields copied as they are, changed ones written in place.
  const size = end - start + delta;
  const at = out.reserve(size);
  const o = out.buf;
  o[at] = buf[start]!;
  o.writeInt32BE(size - 1, at + 1);
  o[at + 5] = buf[start + 5]!;
  o[at + 6] = buf[start + 6]!;
  let q = at + 7;
  let run = start + 7; // start of the unchanged bytes not yet copied
  p = start + 7;
  let next = 0; // the next changed field
  for (let i = 0; i < n && next < k; i++) {
    const len = (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
    const after = p + 4 + Math.max(len, 0);
    if (changedField[next] === i) {
      const c = changedText[next]!;
      const bytes = changedBytes[next];
      changedText[next] = null;
      changedBytes[next++] = undefined;
      q = copyBytes(buf, run, p, o, q);
      if (c === null) {
        q = o.writeInt32BE(-1, q);
      } else {
        const lenAt = q;
        q += 4;
        if (plan[i]!.mode === ColumnMode.BinaryJsonb) o[q++] = buf[p + 4]!;
        q = bytes ? copyBytes(bytes, 0, bytes.length, o, q) : writeText(o, q, c, enc);
        o.writeInt32BE(q - lenAt - 4, lenAt);
      }
      run = after;
    }
    p = after;
  }
  q = copyBytes(buf, run, end, o, q);
  if (q !== at + size) throw new RangeError('DataRow rewrite size mismatch');
  out.len = q;
  return at;
}

/**
 * Masks one DataRow. Returns a new message when a value changed, else undefined.
 * Throws RangeError on a malformed row (the caller ends the session).
 */
export function maskDataRow(
  buf: Buffer,
  start: number,
  end: number,
  plan: ColumnPlan[],
  masker: Masker,
  enc: TextEncoding,
): Buffer | undefined {
  const out = new RelayOutput();
  const at = maskDataRowInto(buf, start, end, plan, masker, enc, out);
  return at < 0 ? undefined : Buffer.from(out.buf.subarray(at, out.len));
}

const copyEdits = new FieldEdits();
/** Per changed field (by its order in the row): the last masked text and its bytes. */
const copyMemos: EncodedMemo[] = [];
const copyEditBytes: (Buffer | undefined)[] = [];

/**
 * Masks one CopyData message of a text-format COPY TO STDOUT (one row: fields separated by tabs)
 * into `out`, as masker.value() of the whole row would (see core's maskFieldsBytes): returns the
 * offset of the rewritten message in `out.buf`, or -1 when nothing changed (nothing written).
 */
export function maskCopyTextInto(
  buf: Buffer,
  start: number,
  end: number,
  masker: Masker,
  enc: TextEncoding,
  out: RelayOutput,
): number {
  const e = copyEdits;
  if (!maskFieldsBytes(masker, buf, start + 5, end, enc, e)) return -1;
  let size = end - start;
  for (let k = 0; k < e.count; k++) {
    const memo = (copyMemos[k] ??= { text: undefined, bytes: undefined });
    const bytes = memoBytes(memo, e.texts[k]!, enc);
    copyEditBytes[k] = bytes;
    size += (bytes ? bytes.length : textLength(e.texts[k]!, enc)) - (e.ends[k]! - e.starts[k]!);
  }
  const at = out.reserve(size);
  const o = out.buf;
  o[at] = 0x64; // d
  o.writeInt32BE(size - 1, at + 1);
  let q = at + 5;
  let run = start + 5;
  for (let k = 0; k < e.count; k++) {
    q = copyBytes(buf, run, e.starts[k]!, o, q);
    const bytes = copyEditBytes[k];
    q = bytes ? copyBytes(bytes, 0, bytes.length, o, q) : writeText(o, q, e.texts[k]!, enc);
    copyEditBytes[k] = undefined;
    e.texts[k] = '';
    run = e.ends[k]!;
  }
  q = copyBytes(buf, run, end, o, q);
  if (q !== at + size) throw new RangeError('CopyData rewrite size mismatch');
  out.len = q;
  return at;
}

/** A row as the agent sees it, for the recorded preview: text values, binary ones as \x hex. */
export function previewRow(
  buf: Buffer,
  start: number,
  plan: ColumnPlan[],
  enc: TextEncoding,
): (string | null)[] {
  const n = buf.readInt16BE(start + 5);
  let p = start + 7;
  const row: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    const len = buf.readInt32BE(p);
    p += 4;
    if (len < 0) {
      row.push(null);
      continue;
    }
    const col = plan[i];
    if (col?.binary && col.mode !== ColumnMode.Text && col.mode !== ColumnMode.BinaryJsonb)
      row.push(`\\x${buf.toString('hex', p, p + len)}`);
    else row.push(buf.toString(enc, p + (col?.mode === ColumnMode.BinaryJsonb ? 1 : 0), p + len));
    p += len;
  }
  return row;
}

/** Masks the text fields of an ErrorResponse/NoticeResponse (message, detail, hint, where, context). */
export function maskFields(
  type: 'E' | 'N',
  fields: [string, string][],
  masker: Masker,
): { message: Buffer | undefined; fields: [string, string][] } {
  let changed = false;
  const out = fields.map(([k, v]): [string, string] => {
    if (!MASKED_FIELDS.has(k)) return [k, v];
    const m = masker.value(v);
    if (m !== v) changed = true;
    return [k, m];
  });
  return { message: changed ? fieldsMessage(type, out) : undefined, fields: out };
}

/** M message, D detail, H hint, W where (context), q internal query, s/t/c schema/table/column names stay. */
const MASKED_FIELDS = new Set(['M', 'D', 'H', 'W', 'q', 'p']);

/**
 * Binary COPY rows: each CopyData carries whole tuples (Postgres sends one tuple per message),
 * possibly preceded by the file header. Every field is treated as possibly text; a field is
 * rewritten only when the masker changed it. Returns undefined when nothing changed.
 */
export class BinaryCopyMasker {
  private headerSeen = false;

  constructor(
    private readonly masker: Masker,
    private readonly enc: TextEncoding,
  ) {}

  /** `data` is a CopyData payload. Throws RangeError when it does not hold whole tuples. */
  mask(data: Buffer): Buffer | undefined {
    let p = 0;
    const parts: Buffer[] = [];
    let changed = false;
    let last = 0;
    if (!this.headerSeen) {
      if (data.length < 19 || data.toString('latin1', 0, 11) !== 'PGCOPY\n\xff\r\n\0')
        throw new RangeError('binary COPY header missing');
      const ext = data.readInt32BE(15);
      p = 19 + ext;
      if (ext < 0 || p > data.length) throw new RangeError('binary COPY header truncated');
      this.headerSeen = true;
    }
    while (p < data.length) {
      if (p + 2 > data.length) throw new RangeError('binary COPY tuple truncated');
      const nf = data.readInt16BE(p);
      p += 2;
      if (nf === -1) continue; // trailer
      for (let i = 0; i < nf; i++) {
        if (p + 4 > data.length) throw new RangeError('binary COPY tuple truncated');
        const len = data.readInt32BE(p);
        p += 4;
        if (len < 0) continue;
        if (p + len > data.length) throw new RangeError('binary COPY tuple truncated');
        if (len > 0 && mayMask(data, p, p + len)) {
          const text = data.toString(this.enc, p, p + len);
          const masked = this.masker.value(text);
          if (masked !== text) {
            const body = Buffer.from(masked, this.enc);
            const lenBuf = Buffer.allocUnsafe(4);
            lenBuf.writeInt32BE(body.length, 0);
            parts.push(data.subarray(last, p - 4), lenBuf, body);
            last = p + len;
            changed = true;
          }
        }
        p += len;
      }
    }
    if (!changed) return undefined;
    parts.push(data.subarray(last));
    return Buffer.concat(parts);
  }
}

// ── binary values that carry text or numbers inside ─────────────────────────

/** The decimal text of a binary int4, int8 or numeric (what the text format would show). */
export function numberText(typeOid: number, b: Buffer, start: number, end: number): string {
  const len = end - start;
  if (typeOid === INT4) {
    if (len !== 4) throw new RangeError('binary int4 of the wrong size');
    return String(b.readInt32BE(start));
  }
  if (typeOid === INT8) {
    if (len !== 8) throw new RangeError('binary int8 of the wrong size');
    return String(b.readBigInt64BE(start));
  }
  if (len < 8) throw new RangeError('binary numeric truncated');
  const nd = b.readInt16BE(start);
  const weight = b.readInt16BE(start + 2);
  const sign = b.readUInt16BE(start + 4);
  const dscale = b.readInt16BE(start + 6);
  if (sign === 0xc000) return 'NaN';
  if (sign === 0xd000) return 'Infinity';
  if (sign === 0xf000) return '-Infinity';
  if (nd < 0 || dscale < 0 || len !== 8 + nd * 2) throw new RangeError('malformed binary numeric');
  // Base-10000 digits; digit i has weight `weight - i`.
  const digit = (i: number) => (i >= 0 && i < nd ? b.readInt16BE(start + 8 + 2 * i) : 0);
  let int = '';
  if (weight < 0) int = '0';
  else
    for (let i = 0; i <= weight; i++) int += i === 0 ? String(digit(i)) : String(digit(i)).padStart(4, '0');
  let frac = '';
  for (let i = weight + 1; frac.length < dscale; i++) frac += String(digit(i)).padStart(4, '0');
  return (sign === 0x4000 ? '-' : '') + int + (dscale > 0 ? `.${frac.slice(0, dscale)}` : '');
}

/** A binary value as text for a column rule to count (numbers as decimals, others as their bytes). */
function binaryValueText(typeOid: number, b: Buffer, start: number, end: number, enc: TextEncoding): string {
  if (typeOid === INT4 || typeOid === INT8 || typeOid === NUMERIC) {
    try {
      return numberText(typeOid, b, start, end);
    } catch {
      return '';
    }
  }
  return b.toString(enc, start, end);
}

/**
 * Masks one binary value of type `typeOid`: text types through value(), int4/int8/numeric as their
 * decimal text (NULL when masked: a replacement is not a number), arrays and records element by
 * element (their binary form says each element's type). Returns the new bytes, null for SQL NULL, or
 * undefined when nothing changed. Throws RangeError on a malformed value.
 */
export function maskBinaryValue(
  typeOid: number,
  b: Buffer,
  masker: Masker,
  enc: TextEncoding,
  context: MaskColumn | undefined,
  depth: number,
): Buffer | null | undefined {
  if (BINARY_TEXT_TYPES.has(typeOid) || typeOid >= FIRST_USER_OID) {
    if (b.length === 0) return undefined;
    const text = b.toString(enc);
    const masked = masker.value(text, context);
    return masked === text ? undefined : Buffer.from(masked, enc);
  }
  if (typeOid === JSONB) {
    if (b.length < 2) return undefined;
    const text = b.toString(enc, 1);
    const masked = masker.value(text, context);
    return masked === text ? undefined : Buffer.concat([b.subarray(0, 1), Buffer.from(masked, enc)]);
  }
  if (typeOid === INT4 || typeOid === INT8 || typeOid === NUMERIC) {
    const text = numberText(typeOid, b, 0, b.length);
    return masker.value(text, context) === text ? undefined : null;
  }
  const isArray = ARRAY_TYPES.has(typeOid);
  if (!isArray && typeOid !== RECORD) return undefined;
  if (depth >= MAX_NESTING) return null;
  const parts: Buffer[] = [];
  let last = 0;
  let changed = false;
  let nulled = false;
  // Masks the element whose length word is at `p`; returns the offset after it.
  const element = (p: number, elemOid: number): number => {
    if (p + 4 > b.length) throw new RangeError('binary array or record truncated');
    const len = b.readInt32BE(p);
    if (len < 0) return p + 4;
    if (p + 4 + len > b.length) throw new RangeError('binary array or record truncated');
    const m = maskBinaryValue(elemOid, b.subarray(p + 4, p + 4 + len), masker, enc, context, depth + 1);
    if (m !== undefined) {
      const head = Buffer.allocUnsafe(4);
      head.writeInt32BE(m === null ? -1 : m.length, 0);
      parts.push(b.subarray(last, p), head);
      if (m !== null) parts.push(m);
      else nulled = true;
      last = p + 4 + len;
      changed = true;
    }
    return p + 4 + len;
  };
  let p: number;
  if (isArray) {
    if (b.length < 12) throw new RangeError('binary array truncated');
    const ndim = b.readInt32BE(0);
    const elemOid = b.readUInt32BE(8);
    if (ndim < 0 || ndim > 6 || b.length < 12 + ndim * 8) throw new RangeError('malformed binary array');
    let count = ndim === 0 ? 0 : 1;
    for (let d = 0; d < ndim; d++) count *= Math.max(0, b.readInt32BE(12 + d * 8));
    p = 12 + ndim * 8;
    for (let i = 0; i < count; i++) p = element(p, elemOid);
  } else {
    if (b.length < 4) throw new RangeError('binary record truncated');
    const n = b.readInt32BE(0);
    if (n < 0) throw new RangeError('malformed binary record');
    p = 4;
    for (let i = 0; i < n; i++) {
      if (p + 4 > b.length) throw new RangeError('binary record truncated');
      const oid = b.readUInt32BE(p);
      p = element(p + 4, oid);
    }
  }
  if (p !== b.length) throw new RangeError('binary array or record has trailing bytes');
  if (!changed) return undefined;
  parts.push(b.subarray(last));
  const out = Buffer.concat(parts);
  if (isArray && nulled) out.writeInt32BE(1, 4); // the has-nulls flag
  return out;
}
