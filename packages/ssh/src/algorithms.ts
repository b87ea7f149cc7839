// Cipher preferences. On the agent side the SSH client's order decides, so OpenSSH picks
// chacha20-poly1305 from this list unless run with `-c aes128-gcm@openssh.com` (see bench/RESULTS.md).
import type { CipherAlgorithm } from 'ssh2';

/** Upstream (the gateway is the client: its order wins). */
export const CIPHERS: CipherAlgorithm[] = [
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'chacha20-poly1305@openssh.com',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
];

/** Agent side (the gateway is the server: the client's order wins among these). */
export const SERVER_CIPHERS: CipherAlgorithm[] = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'];
/** Offered too when a client has no AES-GCM (checked at startup: ssh2 must support them). */
export const SERVER_FALLBACK_CIPHERS: CipherAlgorithm[] = [
  'chacha20-poly1305@openssh.com',
  'aes128-ctr',
  'aes256-ctr',
];
