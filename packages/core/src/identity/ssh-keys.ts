// OpenSSH public key lines (`ssh-ed25519 AAAA… comment`), parsed without trusting the text:
// the blob must carry its own type name, and it must agree with the one in front.
import { timingSafeEqual } from 'node:crypto';

export const SSH_KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;

export interface SshPublicKey {
  type: string;
  blob: Buffer;
  comment: string;
}

export type SshKeyParse = { ok: true; key: SshPublicKey } | { ok: false; error: string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Reads the type name at the start of a key blob (a uint32 length, then ASCII). */
export function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  const name = blob.subarray(4, 4 + len).toString('latin1');
  return /^[a-z0-9@.-]+$/.test(name) ? name : undefined;
}

export function parseSshPublicKey(line: string): SshKeyParse {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2 || parts[0] === '')
    return { ok: false, error: 'expected "<type> <base64 key> [comment]"' };
  const [type, data, ...comment] = parts;
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    return { ok: false, error: `unknown key type "${type}" (expected one of: ${SSH_KEY_TYPES.join(', ')})` };
  }
  if (!BASE64.test(data) || data.length % 4 !== 0) return { ok: false, error: 'key data is not base64' };
  const blob = Buffer.from(data, 'base64');
  const inner = blobType(blob);
  if (inner !== type) {
    return { ok: false, error: `key data is not a ${type} key${inner ? ` (it says ${inner})` : ''}` };
  }
  return { ok: true, key: { type, blob, comment: comment.join(' ') } };
}

/** The key type an SSH client's algorithm name implies (`rsa-sha2-256` signs with an `ssh-rsa` key). */
export function keyTypeOfAlgorithm(algo: string): string {
  return algo === 'rsa-sha2-256' || algo === 'rsa-sha2-512' ? 'ssh-rsa' : algo;
}

/** Constant-time for equal lengths; lengths of public keys are not secret. */
export function sameBlob(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
