// Decodes the few upstream messages (backend → gateway) the gateway must look inside. Each decoder
// takes the message as a view (buf, start = type byte, end) and bounds-checks every read.

export class BackendDecodeError extends Error {
  constructor(what: string) {
    super(`malformed upstream ${what} message`);
    this.name = 'BackendDecodeError';
  }
}

function cstringEnd(buf: Buffer, pos: number, end: number, what: string): number {
  const z = buf.indexOf(0, pos);
  if (z < 0 || z >= end) throw new BackendDecodeError(what);
  return z;
}

export interface ColumnDescription {
  name: string;
  tableOid: number;
  attnum: number;
  typeOid: number;
  typeLen: number;
  typeMod: number;
  format: number;
}

/** RowDescription ('T'). */
export function decodeRowDescription(buf: Buffer, start: number, end: number): ColumnDescription[] {
  let p = start + 5;
  if (p + 2 > end) throw new BackendDecodeError('RowDescription');
  const n = buf.readInt16BE(p);
  p += 2;
  const cols: ColumnDescription[] = [];
  for (let i = 0; i < n; i++) {
    const z = cstringEnd(buf, p, end, 'RowDescription');
    const name = buf.toString('utf8', p, z);
    p = z + 1;
    if (p + 18 > end) throw new BackendDecodeError('RowDescription');
    cols.push({
      name,
      tableOid: buf.readUInt32BE(p),
      attnum: buf.readInt16BE(p + 4),
      typeOid: buf.readUInt32BE(p + 6),
      typeLen: buf.readInt16BE(p + 10),
      typeMod: buf.readInt32BE(p + 12),
      format: buf.readInt16BE(p + 16),
    });
    p += 18;
  }
  return cols;
}

/** ErrorResponse/NoticeResponse fields as [code, value] in their order. */
export function decodeFields(buf: Buffer, start: number, end: number): [string, string][] {
  const out: [string, string][] = [];
  let p = start + 5;
  while (p < end) {
    const code = buf[p++];
    if (code === 0) return out;
    const z = cstringEnd(buf, p, end, 'ErrorResponse');
    out.push([String.fromCharCode(code), buf.toString('utf8', p, z)]);
    p = z + 1;
  }
  throw new BackendDecodeError('ErrorResponse');
}

export function fieldValue(fields: [string, string][], code: string): string | undefined {
  for (const [k, v] of fields) if (k === code) return v;
  return undefined;
}

/** NotificationResponse ('A'). */
export function decodeNotification(buf: Buffer, start: number, end: number) {
  const p = start + 5;
  if (p + 4 > end) throw new BackendDecodeError('NotificationResponse');
  const pid = buf.readInt32BE(p);
  const z1 = cstringEnd(buf, p + 4, end, 'NotificationResponse');
  const z2 = cstringEnd(buf, z1 + 1, end, 'NotificationResponse');
  return { pid, channel: buf.toString('utf8', p + 4, z1), payload: buf.toString('utf8', z1 + 1, z2) };
}

/** ParameterStatus ('S'). */
export function decodeParameterStatus(
  buf: Buffer,
  start: number,
  end: number,
): { name: string; value: string } {
  const p = start + 5;
  const z1 = cstringEnd(buf, p, end, 'ParameterStatus');
  const z2 = cstringEnd(buf, z1 + 1, end, 'ParameterStatus');
  return { name: buf.toString('utf8', p, z1), value: buf.toString('utf8', z1 + 1, z2) };
}

/** BackendKeyData ('K'). */
export function decodeBackendKey(buf: Buffer, start: number, end: number): { pid: number; secret: number } {
  if (start + 13 > end) throw new BackendDecodeError('BackendKeyData');
  return { pid: buf.readInt32BE(start + 5), secret: buf.readInt32BE(start + 9) };
}

/** CopyOutResponse/CopyInResponse ('H'/'G'): the overall format (0 text, 1 binary). */
export function decodeCopyFormat(buf: Buffer, start: number, end: number): number {
  if (start + 6 > end) throw new BackendDecodeError('CopyResponse');
  return buf[start + 5];
}

/** ReadyForQuery ('Z'): the transaction status byte. */
export function decodeReadyStatus(buf: Buffer, start: number, end: number): 'I' | 'T' | 'E' {
  if (start + 6 > end) throw new BackendDecodeError('ReadyForQuery');
  const s = String.fromCharCode(buf[start + 5]);
  if (s !== 'I' && s !== 'T' && s !== 'E') throw new BackendDecodeError('ReadyForQuery');
  return s;
}

/** CommandComplete ('C'): the tag, e.g. "SELECT 5". */
export function decodeCommandTag(buf: Buffer, start: number, end: number): string {
  const z = cstringEnd(buf, start + 5, end, 'CommandComplete');
  return buf.toString('utf8', start + 5, z);
}

/** Authentication ('R'): the request code and the bytes after it (md5 salt, SASL data). */
export function decodeAuthentication(
  buf: Buffer,
  start: number,
  end: number,
): { code: number; data: Buffer } {
  if (start + 9 > end) throw new BackendDecodeError('Authentication');
  return { code: buf.readInt32BE(start + 5), data: buf.subarray(start + 9, end) };
}

/** SASL mechanisms listed by AuthenticationSASL. */
export function decodeSaslMechanisms(data: Buffer): string[] {
  const out: string[] = [];
  let p = 0;
  while (p < data.length) {
    const z = data.indexOf(0, p);
    if (z < 0) throw new BackendDecodeError('AuthenticationSASL');
    if (z === p) break;
    out.push(data.toString('utf8', p, z));
    p = z + 1;
  }
  return out;
}
