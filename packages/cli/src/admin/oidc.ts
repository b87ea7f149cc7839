// "Sign in with <issuer>" for the web UI: the browser runs the authorization code flow with PKCE
// (it alone holds the verifier); the gateway reads the issuer's discovery document and does the code
// exchange, because the UI's CSP lets the page talk to its own origin only. The token handed back is
// one the gateway itself accepts, so the UI then works exactly as with a pasted token.
import { type AdminOidcConfig, AuthError, type Gateway } from '@portcullis/core';
import { HttpError } from './query.js';

export interface OidcDescription {
  issuer: string;
  authorization_endpoint: string;
  client_id: string;
  scope: string;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

const CACHE_MS = 5 * 60_000;
const TIMEOUT_MS = 5000;

export class OidcLogin {
  private cached?: { at: number; doc: Discovery };

  constructor(
    private readonly gateway: Gateway,
    private readonly cfg: AdminOidcConfig,
  ) {}

  async describe(): Promise<OidcDescription> {
    const doc = await this.discover();
    return {
      issuer: this.cfg.issuer,
      authorization_endpoint: doc.authorization_endpoint,
      client_id: this.cfg.clientId,
      scope: this.cfg.scope,
    };
  }

  /** Exchanges an authorization code for a token the gateway accepts (the ID token, else the access token). */
  async exchange(code: string, verifier: string, redirectUri: string): Promise<string> {
    const doc = await this.discover();
    let res: Response;
    try {
      res = await fetch(doc.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          client_id: this.cfg.clientId,
          code_verifier: verifier,
        }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (err) {
      throw new HttpError(502, `token endpoint unreachable: ${(err as Error).message}`);
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) {
      throw new AuthError(
        `the issuer refused the code: ${String(body.error_description ?? body.error ?? `HTTP ${res.status}`)}`,
      );
    }
    let lastError: unknown = new AuthError('the issuer returned no token');
    for (const t of [body.id_token, body.access_token]) {
      if (typeof t !== 'string') continue;
      try {
        await this.gateway.authenticateToken(t);
        return t;
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  private async discover(): Promise<Discovery> {
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.doc;
    const url = `${this.cfg.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    let raw: Record<string, unknown>;
    try {
      const res = await fetch(url, {
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: { accept: 'application/json' },
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      raw = (await res.json()) as Record<string, unknown>;
    } catch (err) {
      throw new HttpError(503, `OIDC discovery at ${url} failed: ${(err as Error).message}`);
    }
    const doc = checkDiscovery(raw, this.cfg.issuer);
    this.cached = { at: Date.now(), doc };
    return doc;
  }
}

/** The discovery document must allow a public client's code flow with S256 PKCE. */
export function checkDiscovery(raw: Record<string, unknown>, issuer: string): Discovery {
  const refuse = (why: string) => new HttpError(503, `OIDC login unavailable: ${why}`);
  const sameIssuer = (a: unknown) =>
    typeof a === 'string' && a.replace(/\/+$/, '') === issuer.replace(/\/+$/, '');
  if (!sameIssuer(raw.issuer))
    throw refuse(`discovery names issuer ${JSON.stringify(raw.issuer)}, not ${issuer}`);
  for (const k of ['authorization_endpoint', 'token_endpoint']) {
    const v = raw[k];
    if (typeof v !== 'string' || !/^https?:\/\//.test(v)) throw refuse(`discovery has no ${k}`);
  }
  const list = (k: string) => (Array.isArray(raw[k]) ? (raw[k] as unknown[]) : undefined);
  const responseTypes = list('response_types_supported');
  if (responseTypes && !responseTypes.includes('code'))
    throw refuse('the issuer does not offer the code flow');
  const pkce = list('code_challenge_methods_supported');
  if (pkce && !pkce.includes('S256')) throw refuse('the issuer does not offer PKCE with S256');
  const grants = list('grant_types_supported');
  if (grants && !grants.includes('authorization_code'))
    throw refuse('the issuer does not offer authorization_code');
  return {
    authorization_endpoint: raw.authorization_endpoint as string,
    token_endpoint: raw.token_endpoint as string,
  };
}
