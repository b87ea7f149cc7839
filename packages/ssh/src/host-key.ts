// The gateway's own host key: persistent, so agents can pin it. Generated on first start.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { utils } from './ssh2-runtime.js';

export interface HostKey {
  privateKey: string;
  /** "ssh-ed25519 AAAA…" for known_hosts. */
  publicKey: string;
}

export function loadOrCreateHostKey(file: string): HostKey {
  if (!existsSync(file)) {
    const pair = utils.generateKeyPairSync('ed25519', { comment: 'portcullis-gateway' });
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, pair.private, { mode: 0o600, flag: 'wx' });
      writeFileSync(`${file}.pub`, `${pair.public}\n`, { mode: 0o644 });
    } catch (err) {
      throw new Error(`host_key_file ${file} is missing and cannot be created: ${(err as Error).message}`);
    }
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read host_key_file ${file}: ${(err as Error).message}`);
  }
  const parsed = utils.parseKey(text);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error || !key || !key.isPrivateKey()) {
    throw new Error(
      `host_key_file ${file} is not a private SSH key${key instanceof Error ? `: ${key.message}` : ''}`,
    );
  }
  return { privateKey: text, publicKey: `${key.type} ${key.getPublicSSH().toString('base64')}` };
}
