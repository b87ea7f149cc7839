// Development tooling: a signing key, its JWKS and an SSH host key (`portcullis keys generate`),
// and tokens signed with that key (`portcullis token mint`). Not for production identity.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { parseDuration } from '../config/units.js';
import { generateOpenSshEd25519 } from './openssh-key.js';

/** The issuer `token mint` puts in tokens unless told otherwise; a dev config's issuer must match it. */
export const DEV_ISSUER = 'https://portcullis.dev.local/';
/** The audience `token mint` puts in tokens unless told otherwise. */
export const DEV_AUDIENCE = 'portcullis';

export interface DevKeyFiles {
  /** Private signing key (JWK, EdDSA/Ed25519, with kid), mode 0600. */
  signingJwk: string;
  /** The public JWKS to name in `jwks_file`. */
  jwks: string;
  /** SSH host key (OpenSSH format), mode 0600. */
  sshHostKey: string;
  /** Its public half, one line. */
  sshHostKeyPub: string;
  kid: string;
}

export interface GenerateDevKeysOptions {
  /** Replace existing files (default: refuse, so a key in use is never clobbered). */
  force?: boolean;
}

export async function generateDevKeys(dir: string, opts: GenerateDevKeysOptions = {}): Promise<DevKeyFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  const meta = { kid, alg: 'EdDSA', use: 'sig' };
  const priv: JWK = { ...(await exportJWK(privateKey)), ...meta };
  const ssh = generateOpenSshEd25519('portcullis-dev-host');
  const files: DevKeyFiles = {
    signingJwk: join(dir, 'signing.jwk'),
    jwks: join(dir, 'jwks.json'),
    sshHostKey: join(dir, 'ssh_host_ed25519'),
    sshHostKeyPub: join(dir, 'ssh_host_ed25519.pub'),
    kid,
  };
  const flag = opts.force ? 'w' : 'wx';
  const write = async (file: string, text: string, mode: number) => {
    try {
      await writeFile(file, text, { mode, flag });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new Error(`${file} already exists (refusing to overwrite a key; use --force)`);
      }
      throw err;
    }
  };
  await write(files.signingJwk, `${JSON.stringify(priv, null, 2)}\n`, 0o600);
  await write(files.jwks, `${JSON.stringify({ keys: [{ ...pub, ...meta }] }, null, 2)}\n`, 0o644);
  await write(files.sshHostKey, ssh.privateKey, 0o600);
  await write(files.sshHostKeyPub, `${ssh.publicKey}\n`, 0o644);
  return files;
}

export interface MintTokenOptions {
  /** A private JWK file (as written by generateDevKeys) … */
  keyFile?: string;
  /** … or the JWK itself. */
  jwk?: JWK;
  sub: string;
  groups?: string[];
  /** `1h` (default), `15m`, … or milliseconds. */
  ttl?: string | number;
  /** Default DEV_AUDIENCE ("portcullis"). */
  aud?: string | string[];
  /** Default DEV_ISSUER ("https://portcullis.dev.local/"). */
  iss?: string;
  /** Claim that carries the groups. Default "groups". */
  groupsClaim?: string;
  /** Issue time, ms since epoch (tests make expired tokens with it). Default now. */
  now?: number;
  /** Not valid before this many ms after `now` (tests). */
  notBeforeMs?: number;
  /** Extra claims. */
  claims?: Record<string, unknown>;
}

function algOf(jwk: JWK): string {
  if (jwk.alg) return jwk.alg;
  if (jwk.kty === 'OKP') return 'EdDSA';
  if (jwk.kty === 'EC') return jwk.crv === 'P-384' ? 'ES384' : jwk.crv === 'P-521' ? 'ES512' : 'ES256';
  if (jwk.kty === 'RSA') return 'RS256';
  throw new Error(`unsupported key type ${jwk.kty ?? '(none)'}: use an OKP, EC or RSA private JWK`);
}

export async function mintToken(opts: MintTokenOptions): Promise<string> {
  let jwk = opts.jwk;
  if (!jwk) {
    if (!opts.keyFile) throw new Error('mintToken needs keyFile or jwk');
    let text: string;
    try {
      text = await readFile(opts.keyFile, 'utf8');
    } catch (err) {
      throw new Error(`cannot read key ${opts.keyFile}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    try {
      jwk = JSON.parse(text) as JWK;
    } catch {
      throw new Error(`${opts.keyFile} is not a JWK (JSON)`);
    }
  }
  if (!jwk || typeof jwk !== 'object' || !jwk.d) throw new Error('the key is not a private JWK (no "d")');
  if (!opts.sub) throw new Error('a subject (sub) is required');
  const ttlMs = parseDuration(opts.ttl ?? '1h');
  if (ttlMs === undefined) throw new Error(`invalid ttl "${opts.ttl}" (e.g. 15m, 1h, 1d)`);
  const alg = algOf(jwk);
  const key = await importJWK(jwk, alg);
  const now = Math.floor((opts.now ?? Date.now()) / 1000);
  const jwt = new SignJWT({ ...opts.claims, [opts.groupsClaim ?? 'groups']: opts.groups ?? [] })
    .setProtectedHeader({ alg, typ: 'JWT', ...(jwk.kid ? { kid: jwk.kid } : {}) })
    .setSubject(opts.sub)
    .setIssuer(opts.iss ?? DEV_ISSUER)
    .setAudience(opts.aud ?? DEV_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + Math.round(ttlMs / 1000))
    .setJti(randomUUID());
  if (opts.notBeforeMs !== undefined) jwt.setNotBefore(now + Math.round(opts.notBeforeMs / 1000));
  return jwt.sign(key);
}
