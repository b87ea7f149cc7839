// The gateway's own SSH login to the upstream host: its key, the upstream host key pinned.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SshUpstream } from '@portcullis/core';
import type { Algorithms, BaseAgent, Client as SshClient } from 'ssh2';
import { CIPHERS } from './algorithms.js';
import { Client } from './ssh2-runtime.js';

export class UpstreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export interface PinnedHostKey {
  type: string;
  blob: Buffer;
}

/** Parses "ssh-ed25519 AAAA… [comment]" into its type and wire blob. */
export function parsePinnedHostKey(text: string): PinnedHostKey {
  const [type, b64] = text.trim().split(/\s+/);
  if (!type || !b64) throw new UpstreamError(`upstream.host_key must be "<type> <base64>", got "${text}"`);
  const blob = Buffer.from(b64, 'base64');
  // The blob starts with its own type name: a pin whose halves disagree is a config mistake.
  const nameLen = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  const inner = nameLen > 0 && nameLen + 4 <= blob.length ? blob.subarray(4, 4 + nameLen).toString() : '';
  if (inner !== type) throw new UpstreamError(`upstream.host_key: key data is not a ${type} key`);
  return { type, blob };
}

export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Host key algorithms that can present a key of the pinned type. */
function hostKeyAlgorithms(type: string): Algorithms['serverHostKey'] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return [type as 'ssh-ed25519'];
}

export interface UpstreamOptions {
  timeoutMs?: number;
  /** Answers the upstream's agent channel opens (agent forwarding); never used to log in. */
  agent?: BaseAgent;
}

/** Connects and authenticates to the upstream; rejects with a clear UpstreamError. */
export function connectUpstream(upstream: SshUpstream, opts: UpstreamOptions = {}): Promise<SshClient> {
  return new Promise((resolve, reject) => {
    let privateKey: Buffer | string;
    try {
      privateKey = upstream.privateKey ?? readFileSync(requireKeyFile(upstream));
    } catch (err) {
      reject(new UpstreamError(`cannot read upstream.private_key_file: ${(err as Error).message}`));
      return;
    }
    let pinned: PinnedHostKey | undefined;
    try {
      if (upstream.hostKey) pinned = parsePinnedHostKey(upstream.hostKey);
      else if (!upstream.insecureSkipHostKey) {
        throw new UpstreamError('upstream.host_key is required (the upstream host key is pinned)');
      }
    } catch (err) {
      reject(err);
      return;
    }
    const client = new Client();
    let mismatch: string | undefined;
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(err);
    };
    client
      .once('ready', () => {
        settled = true;
        client.removeListener('error', fail);
        // Later errors (socket reset) are reported through 'close'; keep one listener so none is thrown.
        client.on('error', () => {});
        resolve(client);
      })
      .once('error', (err: Error) => {
        fail(
          new UpstreamError(
            mismatch ??
              `cannot reach upstream ${upstream.host}:${upstream.port} as ${upstream.user}: ${err.message}`,
          ),
        );
      })
      .once('close', () =>
        fail(
          new UpstreamError(mismatch ?? `upstream ${upstream.host}:${upstream.port} closed the connection`),
        ),
      );
    try {
      client.connect({
        host: upstream.host,
        port: upstream.port,
        username: upstream.user,
        privateKey,
        agent: opts.agent,
        readyTimeout: opts.timeoutMs ?? 10_000,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 4,
        algorithms: pinned
          ? { serverHostKey: hostKeyAlgorithms(pinned.type), cipher: CIPHERS }
          : { cipher: CIPHERS },
        hostVerifier: (key: Buffer) => {
          // insecure_skip_host_key (tests only): any key is accepted.
          if (!pinned) return true;
          if (key.equals(pinned.blob)) return true;
          mismatch =
            `upstream host key mismatch for ${upstream.host}:${upstream.port}: ` +
            `expected ${pinned.type} ${fingerprint(pinned.blob)}, got ${fingerprint(key)} (upstream.host_key)`;
          return false;
        },
      });
    } catch (err) {
      fail(new UpstreamError(`cannot connect to upstream: ${(err as Error).message}`));
    }
  });
}

function requireKeyFile(upstream: SshUpstream): string {
  if (!upstream.privateKeyFile) throw new Error('no upstream.private_key_file or private_key configured');
  return upstream.privateKeyFile;
}
