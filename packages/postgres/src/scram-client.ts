// SCRAM-SHA-256 client side (RFC 5802/7677) with node:crypto, for the gateway's upstream login.
// No channel binding: the gs2 header is "n,," (Postgres accepts it over TLS too).
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

export class ScramError extends Error {
  constructor(message: string) {
    super(`SCRAM-SHA-256: ${message}`);
    this.name = 'ScramError';
  }
}

const hmac = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

/** PBKDF2 is the expensive step (thousands of rounds): keep the derived keys per salt, never the password. */
const derived = new Map<string, { clientKey: Buffer; serverKey: Buffer }>();

async function keysFor(password: string, salt: Buffer, iterations: number) {
  const id = createHash('sha256')
    .update(password)
    .update('\0')
    .update(salt)
    .update(String(iterations))
    .digest('base64');
  const hit = derived.get(id);
  if (hit) return hit;
  // SASLprep is approximated by NFKC normalisation (identical for ASCII passwords).
  const salted = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(password.normalize('NFKC'), salt, iterations, 32, 'sha256', (e, k) =>
      e ? reject(e) : resolve(k),
    ),
  );
  const keys = { clientKey: hmac(salted, 'Client Key'), serverKey: hmac(salted, 'Server Key') };
  if (derived.size > 64) derived.clear();
  derived.set(id, keys);
  return keys;
}

export class ScramClient {
  private readonly nonce: string;
  private readonly clientFirstBare: string;
  private expectedServerSignature?: Buffer;

  /** `user` is empty for Postgres (it uses the startup user); `nonce` is for test vectors only. */
  constructor(
    private readonly password: string,
    opts: { user?: string; nonce?: string } = {},
  ) {
    this.nonce = opts.nonce ?? randomBytes(18).toString('base64');
    this.clientFirstBare = `n=${opts.user ?? ''},r=${this.nonce}`;
  }

  /** The SASLInitialResponse payload. */
  clientFirst(): string {
    return `n,,${this.clientFirstBare}`;
  }

  /** Takes the server-first message, returns the client-final message. */
  async clientFinal(serverFirst: string): Promise<string> {
    const attrs = parseAttributes(serverFirst);
    const r = attrs.get('r');
    const s = attrs.get('s');
    const i = Number(attrs.get('i'));
    if (!r || !s || !Number.isInteger(i) || i < 1) throw new ScramError('malformed server-first message');
    if (!r.startsWith(this.nonce) || r.length === this.nonce.length)
      throw new ScramError('server nonce does not extend ours');
    const { clientKey, serverKey } = await keysFor(this.password, Buffer.from(s, 'base64'), i);
    const withoutProof = `c=biws,r=${r}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(sha256(clientKey), authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let k = 0; k < proof.length; k++) proof[k] = clientKey[k] ^ signature[k];
    this.expectedServerSignature = hmac(serverKey, authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Checks the server-final message: the server must prove it knows the password too. */
  verifyServerFinal(serverFinal: string): void {
    const attrs = parseAttributes(serverFinal);
    const e = attrs.get('e');
    if (e) throw new ScramError(`server error: ${e}`);
    const v = attrs.get('v');
    if (!v || !this.expectedServerSignature) throw new ScramError('malformed server-final message');
    const got = Buffer.from(v, 'base64');
    if (
      got.length !== this.expectedServerSignature.length ||
      !timingSafeEqual(got, this.expectedServerSignature)
    )
      throw new ScramError('server signature does not match');
  }
}

function parseAttributes(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0], part.slice(2));
  }
  return out;
}

/** The md5 password response: "md5" + md5(md5(password + user) + salt). */
export function md5Password(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5').update(password).update(user).digest('hex');
  return `md5${createHash('md5').update(inner).update(salt).digest('hex')}`;
}
