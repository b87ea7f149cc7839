import { Parser } from 'pg-protocol/dist/parser.js';
import { describe, expect, it } from 'vitest';
import {
  authentication,
  backendKeyData,
  dataRow,
  errorResponse,
  negotiateProtocolVersion,
  noticeResponse,
  notificationResponse,
  parameterStatus,
  readyForQuery,
} from './backend-writer.js';

// pg-protocol's Parser is the reference reader of backend messages: what we write, it must read.
function parse(b: Buffer): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  new Parser().parse(b, (m) => out.push(m as unknown as Record<string, unknown>));
  return out;
}

describe('backend writers', () => {
  it('write messages the reference parser reads back', () => {
    const msgs = parse(
      Buffer.concat([
        authentication(3),
        authentication(0),
        parameterStatus('server_version', '15.20'),
        backendKeyData(42, -7),
        errorResponse({
          severity: 'ERROR',
          code: '42501',
          message: 'portcullis: denied by rule x: y',
          detail: 'd',
        }),
        noticeResponse({ code: '01000', message: 'waiting' }),
        notificationResponse(9, 'chan', 'payload'),
        dataRow([Buffer.from('héllo'), null, Buffer.alloc(0)]),
        readyForQuery('T'),
      ]),
    );
    expect(msgs.map((m) => m.name)).toEqual([
      'authenticationCleartextPassword',
      'authenticationOk',
      'parameterStatus',
      'backendKeyData',
      'error',
      'notice',
      'notification',
      'dataRow',
      'readyForQuery',
    ]);
    expect(msgs[2]).toMatchObject({ parameterName: 'server_version', parameterValue: '15.20' });
    expect(msgs[3]).toMatchObject({ processID: 42, secretKey: -7 });
    expect(msgs[4]).toMatchObject({
      severity: 'ERROR',
      code: '42501',
      message: 'portcullis: denied by rule x: y',
      detail: 'd',
    });
    expect(msgs[5]).toMatchObject({ severity: 'NOTICE', code: '01000', message: 'waiting' });
    expect(msgs[6]).toMatchObject({ processId: 9, channel: 'chan', payload: 'payload' });
    expect(msgs[7]).toMatchObject({ fields: ['héllo', null, ''] });
    expect(msgs[8]).toMatchObject({ status: 'T' });
  });

  it('writes NegotiateProtocolVersion with the unknown options', () => {
    const b = negotiateProtocolVersion(0, ['_pq_.foo']);
    expect(String.fromCharCode(b[0])).toBe('v');
    expect(b.readInt32BE(1)).toBe(b.length - 1);
    expect(b.readInt32BE(5)).toBe(0);
    expect(b.readInt32BE(9)).toBe(1);
    expect(b.toString('utf8', 13)).toBe('_pq_.foo\0');
  });

  it('strips NUL bytes from error text (they would end the field)', () => {
    const [m] = parse(errorResponse({ severity: 'ERROR', code: 'XX000', message: 'a\0b' }));
    expect(m.message).toBe('ab');
  });
});
