// A JWKS source (a URL or a file): cached, refreshed when a token names an unknown `kid`, with a
// cooldown so a flood of made-up kids cannot turn the gateway into a fetch amplifier.
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, type JSONWebKeySet, type JWSHeaderParameters, errors as joseErrors } from 'jose';

export interface JwksOptions {
  /** Minimum time between two fetches (unknown-kid refetches and retries after a failure). Default 30s. */
  cooldownMs?: number;
  /** Keys older than this are refreshed before use (stale keys are kept if the refresh fails). Default 10m. */
  maxAgeMs?: number;
  /** Fetch timeout, body included. Default 5s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The key source could not produce keys (fetch failed, timed out, or returned no JWKS). */
export class JwksUnavailableError extends Error {
  constructor(detail: string) {
    super(`JWKS unavailable: ${detail}`);
    this.name = 'JwksUnavailableError';
  }
}

const MAX_JWKS_BYTES = 1024 * 1024;

type KeyGetter = ReturnType<typeof createLocalJWKSet>;
type ResolvedKey = Awaited<ReturnType<KeyGetter>>;

export class JwksSource {
  private keys?: KeyGetter;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private inflight?: Promise<void>;
  /** How many times the keys were loaded (for tests and metrics). */
  fetches = 0;
  private readonly cooldownMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly load: () => Promise<JSONWebKeySet>,
    opts: JwksOptions = {},
  ) {
    this.cooldownMs = opts.cooldownMs ?? 30_000;
    this.maxAgeMs = opts.maxAgeMs ?? 600_000;
    this.now = opts.now ?? Date.now;
  }

  static fromUri(uri: string, opts: JwksOptions = {}): JwksSource {
    const fetchImpl = opts.fetch ?? fetch;
    const timeoutMs = opts.timeoutMs ?? 5_000;
    return new JwksSource(() => fetchJwks(fetchImpl, uri, timeoutMs), opts);
  }

  static fromFile(file: string, opts: JwksOptions = {}): JwksSource {
    return new JwksSource(async () => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw new JwksUnavailableError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      }
      return asJwks(text, file);
    }, opts);
  }

  /** The getKey function jose's jwtVerify takes. */
  readonly getKey = async (
    header: JWSHeaderParameters,
    token: Parameters<KeyGetter>[1],
  ): Promise<ResolvedKey> => {
    const t = this.now();
    if (!this.keys) await this.refresh(true);
    else if (t - this.fetchedAt > this.maxAgeMs && t - this.lastAttempt >= this.cooldownMs) {
      await this.refresh(false).catch(() => undefined); // stale keys beat no keys
    }
    const keys = this.keys as KeyGetter;
    try {
      return await keys(header, token);
    } catch (err) {
      // The issuer may have rotated: one refetch, at most once per cooldown.
      if (err instanceof joseErrors.JWKSNoMatchingKey && this.now() - this.lastAttempt >= this.cooldownMs) {
        await this.refresh(false);
        return (this.keys as KeyGetter)(header, token);
      }
      throw err;
    }
  };

  private async refresh(initial: boolean): Promise<void> {
    if (this.inflight) return this.inflight;
    if (initial && this.now() - this.lastAttempt < this.cooldownMs) {
      throw new JwksUnavailableError('the last fetch failed; retrying after the cooldown');
    }
    this.lastAttempt = this.now();
    this.inflight = (async () => {
      try {
        const jwks = await this.load();
        this.fetches++;
        this.keys = createLocalJWKSet(jwks);
        this.fetchedAt = this.now();
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}

async function fetchJwks(fetchImpl: typeof fetch, uri: string, timeoutMs: number): Promise<JSONWebKeySet> {
  let text: string;
  try {
    const res = await fetchImpl(uri, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json, application/jwk-set+json' },
    });
    if (!res.ok) throw new JwksUnavailableError(`${uri} answered HTTP ${res.status}`);
    const length = Number(res.headers.get('content-length') ?? 0);
    if (length > MAX_JWKS_BYTES)
      throw new JwksUnavailableError(`${uri} sent ${length} bytes (limit ${MAX_JWKS_BYTES})`);
    text = await res.text();
  } catch (err) {
    if (err instanceof JwksUnavailableError) throw err;
    const e = err as Error;
    const why =
      e.name === 'TimeoutError' || e.name === 'AbortError' ? `timed out after ${timeoutMs}ms` : e.message;
    throw new JwksUnavailableError(`${uri}: ${why}`);
  }
  if (text.length > MAX_JWKS_BYTES)
    throw new JwksUnavailableError(`${uri} sent more than ${MAX_JWKS_BYTES} bytes`);
  return asJwks(text, uri);
}

function asJwks(text: string, where: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new JwksUnavailableError(`${where} is not JSON`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new JwksUnavailableError(`${where} has no "keys" list`);
  // Only public asymmetric keys: a symmetric ("oct") key here would let HMAC tokens verify.
  const usable = keys.filter(
    (k): k is JSONWebKeySet['keys'][number] =>
      typeof k === 'object' && k !== null && ['RSA', 'EC', 'OKP'].includes((k as { kty?: string }).kty ?? ''),
  );
  return { keys: usable.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub }) => pub) };
}
