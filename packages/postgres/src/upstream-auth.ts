// The gateway's own login to the upstream Postgres (gateway → upstream): TLS negotiation per the
// configured mode, then trust, cleartext, md5 or SCRAM-SHA-256 with the gateway's credential.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { PostgresUpstream } from '@portcullis/core';
import { serialize } from 'pg-protocol';
import { BackendFramer } from './backend-framer.js';
import {
  decodeAuthentication,
  decodeBackendKey,
  decodeFields,
  decodeParameterStatus,
  decodeReadyStatus,
  decodeSaslMechanisms,
  fieldValue,
} from './backend-reader.js';
import { startupMessage } from './frontend-writer.js';
import { md5Password, ScramClient } from './scram-client.js';

/** The upstream refused or failed the login; `code` is its SQLSTATE when it sent one. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly code = '08006',
    /** The upstream's own ErrorResponse fields, when the error came from it. */
    readonly fields?: [string, string][],
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export interface UpstreamConnection {
  socket: net.Socket;
  /** The framer holding any bytes that arrived after ReadyForQuery; keep reading with it. */
  framer: BackendFramer;
  /** The raw ParameterStatus messages, to relay to the agent as they are. */
  parameterStatus: Buffer[];
  parameters: Map<string, string>;
  backendKey: { pid: number; secret: number };
  txStatus: 'I' | 'T' | 'E';
  tls: boolean;
}

export interface UpstreamLoginOptions {
  /** Startup parameters besides user and database (application_name, client_encoding …). */
  params?: Record<string, string>;
  database?: string;
  timeoutMs: number;
  maxMessageBytes: number;
}

/** Opens a TCP connection and negotiates TLS as the upstream's `tls` mode says. */
export async function openUpstreamSocket(
  up: PostgresUpstream,
  timeoutMs: number,
): Promise<{ socket: net.Socket; tls: boolean }> {
  const plain = await withTimeout(
    new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: up.host, port: up.port, noDelay: true });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    }),
    timeoutMs,
    `connecting to ${up.host}:${up.port}`,
  ).catch((e: Error) => {
    throw new UpstreamError(`cannot connect to upstream ${up.host}:${up.port}: ${e.message}`);
  });
  if (up.tls === 'disable') return { socket: plain, tls: false };
  try {
    plain.write(serialize.requestSsl());
    const answer = await withTimeout(
      new Promise<Buffer>((resolve, reject) => {
        const onData = (d: Buffer) => {
          plain.off('error', reject);
          plain.off('close', onClose);
          plain.pause();
          resolve(d);
        };
        const onClose = () => reject(new Error('connection closed during TLS negotiation'));
        plain.once('data', onData);
        plain.once('error', reject);
        plain.once('close', onClose);
      }),
      timeoutMs,
      'TLS negotiation',
    );
    // Bytes after the 'S' would have been injected before encryption (CVE-2021-23222).
    if (answer.length !== 1) throw new Error('unexpected data after the SSL answer');
    if (answer[0] === 0x4e /* N */) {
      if (up.tls === 'prefer') return { socket: plain, tls: false };
      throw new Error(`the upstream does not support TLS (tls: ${up.tls})`);
    }
    if (answer[0] !== 0x53 /* S */) throw new Error('the upstream sent an invalid answer to SSLRequest');
    const isIp = net.isIP(up.host) !== 0;
    const secure = tls.connect({
      socket: plain,
      host: up.host,
      servername: isIp ? undefined : up.host,
      rejectUnauthorized: up.tls === 'verify-full',
      ca: up.caFile ? readFileSync(up.caFile) : undefined,
    });
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        secure.once('secureConnect', () => {
          secure.off('error', reject);
          resolve();
        });
        secure.once('error', reject);
      }),
      timeoutMs,
      'TLS handshake',
    );
    secure.setNoDelay(true);
    return { socket: secure, tls: true };
  } catch (e) {
    plain.destroy();
    throw e instanceof UpstreamError
      ? e
      : new UpstreamError(`upstream TLS (${up.tls}): ${(e as Error).message}`);
  }
}

/** Logs in with the gateway's credential and waits for the first ReadyForQuery. */
export async function loginUpstream(
  up: PostgresUpstream,
  opts: UpstreamLoginOptions,
): Promise<UpstreamConnection> {
  const { socket, tls: secure } = await openUpstreamSocket(up, opts.timeoutMs);
  const framer = new BackendFramer(opts.maxMessageBytes);
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const onData = (d: Buffer) => {
    framer.push(d);
    wake?.();
  };
  const onEnd = () => {
    failure ??= new UpstreamError('the upstream closed the connection during login');
    wake?.();
  };
  const onError = (e: Error) => {
    failure ??= new UpstreamError(`upstream connection error during login: ${e.message}`);
    wake?.();
  };
  socket.on('data', onData);
  socket.on('close', onEnd);
  socket.on('error', onError);
  socket.resume();
  const deadline = Date.now() + opts.timeoutMs;
  const nextMessage = async (): Promise<void> => {
    for (;;) {
      if (framer.next()) return;
      if (failure) throw failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new UpstreamError(`upstream login timed out after ${opts.timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(t);
          wake = undefined;
          resolve();
        };
      });
    }
  };

  try {
    const params: Record<string, string> = { ...(opts.params ?? {}), user: up.user };
    const database = up.database ?? opts.database;
    if (database) params.database = database;
    socket.write(startupMessage(params));
    const parameterStatus: Buffer[] = [];
    const parameters = new Map<string, string>();
    let backendKey = { pid: 0, secret: 0 };
    let scram: ScramClient | undefined;
    const needPassword = (): string => {
      if (up.password === undefined || up.password === '')
        throw new UpstreamError(
          'the upstream asks for a password and none is configured (upstream.password)',
          '28P01',
        );
      return up.password;
    };
    for (;;) {
      await nextMessage();
      const { buf, start, end } = framer;
      switch (framer.type) {
        case 0x52 /* R */:
          {
            const { code, data } = decodeAuthentication(buf, start, end);
            if (code === 0) break;
            if (code === 3) socket.write(serialize.password(needPassword()));
            else if (code === 5)
              socket.write(serialize.password(md5Password(up.user, needPassword(), data.subarray(0, 4))));
            else if (code === 10) {
              const mechanisms = decodeSaslMechanisms(data);
              if (!mechanisms.includes('SCRAM-SHA-256'))
                throw new UpstreamError(`the upstream offers only SASL ${mechanisms.join(', ')}`, '28000');
              scram = new ScramClient(needPassword());
              socket.write(serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', scram.clientFirst()));
            } else if (code === 11) {
              if (!scram) throw new UpstreamError('SASLContinue before SASL started');
              socket.write(
                serialize.sendSCRAMClientFinalMessage(await scram.clientFinal(data.toString('utf8'))),
              );
            } else if (code === 12) {
              if (!scram) throw new UpstreamError('SASLFinal before SASL started');
              scram.verifyServerFinal(data.toString('utf8'));
            } else
              throw new UpstreamError(
                `the upstream asks for an unsupported authentication method (${code})`,
                '28000',
              );
            break;
          }
        case 0x53 /* S */:
          {
            const p = decodeParameterStatus(buf, start, end);
            parameters.set(p.name, p.value);
            parameterStatus.push(Buffer.from(buf.subarray(start, end)));
            break;
          }
        case 0x4b /* K */:
          backendKey = decodeBackendKey(buf, start, end);
          break;
        case 0x45 /* E */:
          {
            const fields = decodeFields(buf, start, end);
            throw new UpstreamError(
              fieldValue(fields, 'M') ?? 'upstream error',
              fieldValue(fields, 'C') ?? '08006',
              fields,
            );
          }
        case 0x4e /* N */:
        case 0x76 /* v: NegotiateProtocolVersion — we ask for 3.0, nothing to do */:
          break;
        case 0x5a /* Z */:
          {
            const txStatus = decodeReadyStatus(buf, start, end);
            socket.off('data', onData);
            socket.off('close', onEnd);
            socket.off('error', onError);
            socket.pause();
            return { socket, framer, parameterStatus, parameters, backendKey, txStatus, tls: secure };
          }
        default:
          throw new UpstreamError(
            `unexpected upstream message ${String.fromCharCode(framer.type)} during login`,
          );
      }
    }
  } catch (e) {
    socket.destroy();
    if (e instanceof UpstreamError) throw e;
    throw new UpstreamError(`upstream login failed: ${(e as Error).message}`);
  }
}

/** Sends a CancelRequest for an upstream backend key (over TLS when the mode requires it). */
export async function sendUpstreamCancel(
  up: PostgresUpstream,
  key: { pid: number; secret: number },
  timeoutMs: number,
): Promise<void> {
  const mode = up.tls === 'prefer' ? 'disable' : up.tls;
  const { socket } = await openUpstreamSocket({ ...up, tls: mode }, timeoutMs);
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
    socket.end(serialize.cancel(key.pid, key.secret));
    setTimeout(() => {
      socket.destroy();
      resolve();
    }, timeoutMs).unref();
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
