// Builds the backend messages the gateway itself sends to the agent (gateway → agent): its own
// authentication requests, errors and notices, and rewritten DataRow/ErrorResponse messages.

/** Error and notice field codes (protocol "Error and Notice Message Fields"). */
export interface ErrorFields {
  severity: 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  /** Any further fields by their one-letter code (e.g. P position, W where). */
  extra?: Record<string, string>;
}

function frame(type: string, bodyLen: number): Buffer {
  const b = Buffer.allocUnsafe(bodyLen + 5);
  b[0] = type.charCodeAt(0);
  b.writeInt32BE(bodyLen + 4, 1);
  return b;
}

/** ErrorResponse ('E') or NoticeResponse ('N') from a list of [code, value] fields. */
export function fieldsMessage(type: 'E' | 'N', fields: [string, string][]): Buffer {
  const parts = fields.map(([k, v]) => [k, Buffer.from(v.replaceAll('\0', ''), 'utf8')] as const);
  const len = parts.reduce((n, [, v]) => n + v.length + 2, 0) + 1;
  const b = frame(type, len);
  let o = 5;
  for (const [k, v] of parts) {
    b[o++] = k.charCodeAt(0);
    v.copy(b, o);
    o += v.length;
    b[o++] = 0;
  }
  b[o] = 0;
  return b;
}

function toFields(f: ErrorFields): [string, string][] {
  const out: [string, string][] = [
    ['S', f.severity],
    ['V', f.severity],
    ['C', f.code],
    ['M', f.message],
  ];
  if (f.detail !== undefined) out.push(['D', f.detail]);
  if (f.hint !== undefined) out.push(['H', f.hint]);
  for (const [k, v] of Object.entries(f.extra ?? {})) out.push([k, v]);
  return out;
}

export function errorResponse(f: ErrorFields): Buffer {
  return fieldsMessage('E', toFields(f));
}

export function noticeResponse(
  f: Omit<ErrorFields, 'severity'> & { severity?: ErrorFields['severity'] },
): Buffer {
  return fieldsMessage('N', toFields({ ...f, severity: f.severity ?? 'NOTICE' }));
}

/** ReadyForQuery ('Z'): I idle, T in a transaction block, E in a failed transaction block. */
export function readyForQuery(status: 'I' | 'T' | 'E'): Buffer {
  const b = frame('Z', 1);
  b[5] = status.charCodeAt(0);
  return b;
}

/** AuthenticationOk (0) or AuthenticationCleartextPassword (3). */
export function authentication(code: 0 | 3): Buffer {
  const b = frame('R', 4);
  b.writeInt32BE(code, 5);
  return b;
}

export function parameterStatus(name: string, value: string): Buffer {
  const n = Buffer.from(name, 'utf8');
  const v = Buffer.from(value, 'utf8');
  const b = frame('S', n.length + v.length + 2);
  n.copy(b, 5);
  b[5 + n.length] = 0;
  v.copy(b, 6 + n.length);
  b[b.length - 1] = 0;
  return b;
}

export function backendKeyData(pid: number, secret: number): Buffer {
  const b = frame('K', 8);
  b.writeInt32BE(pid, 5);
  b.writeInt32BE(secret, 9);
  return b;
}

/** NegotiateProtocolVersion ('v'): the newest minor version we speak and the options we do not know. */
export function negotiateProtocolVersion(minor: number, unknownOptions: string[]): Buffer {
  const opts = unknownOptions.map((o) => Buffer.from(`${o}\0`, 'utf8'));
  const b = frame('v', 8 + opts.reduce((n, o) => n + o.length, 0));
  b.writeInt32BE(minor, 5);
  b.writeInt32BE(opts.length, 9);
  let o = 13;
  for (const x of opts) {
    x.copy(b, o);
    o += x.length;
  }
  return b;
}

/** DataRow ('D') from field values (null = SQL NULL). */
export function dataRow(values: (Buffer | null)[]): Buffer {
  let len = 2;
  for (const v of values) len += 4 + (v === null ? 0 : v.length);
  const b = frame('D', len);
  b.writeInt16BE(values.length, 5);
  let o = 7;
  for (const v of values) {
    if (v === null) {
      b.writeInt32BE(-1, o);
      o += 4;
    } else {
      b.writeInt32BE(v.length, o);
      o += 4;
      v.copy(b, o);
      o += v.length;
    }
  }
  return b;
}

/** CopyData ('d') carrying bytes. */
export function copyData(data: Buffer): Buffer {
  const b = frame('d', data.length);
  data.copy(b, 5);
  return b;
}

/** NotificationResponse ('A'). */
export function notificationResponse(pid: number, channel: string, payload: string): Buffer {
  const c = Buffer.from(channel, 'utf8');
  const p = Buffer.from(payload, 'utf8');
  const b = frame('A', 4 + c.length + 1 + p.length + 1);
  b.writeInt32BE(pid, 5);
  c.copy(b, 9);
  b[9 + c.length] = 0;
  p.copy(b, 10 + c.length);
  b[b.length - 1] = 0;
  return b;
}

/** The single-byte answer to SSLRequest/GSSENCRequest. */
export const SSL_YES = Buffer.from('S');
export const SSL_NO = Buffer.from('N');
