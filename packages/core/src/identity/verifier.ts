// Verifies agent credentials: OIDC JWTs from the configured issuers, and SSH public keys from
// identity.ssh_keys. Every refusal is an AuthError with a distinct reason; tokens are never logged.
import { decodeJwt, decodeProtectedHeader, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { ALLOWED_JWT_ALGORITHMS } from '../config/schema.js';
import type { IdentityConfig, IssuerConfig } from '../config/types.js';
import { AuthError } from '../errors.js';
import type { Identity } from '../types.js';
import { type JwksOptions, JwksSource, JwksUnavailableError } from './jwks.js';
import { blobType, keyTypeOfAlgorithm, parseSshPublicKey, type SshPublicKey, sameBlob } from './ssh-keys.js';

/** Asymmetric signature algorithms only: never `none`, never HMAC (a public key must not become a secret). */
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = ALLOWED_JWT_ALGORITHMS;

/** The `reason` of every AuthError this module throws, one per cause. */
export const AUTH_REASONS = {
  malformed: 'malformed token',
  algNone: 'alg none',
  disallowedAlg: 'disallowed alg',
  wrongIssuer: 'wrong issuer',
  wrongAudience: 'wrong audience',
  expired: 'expired',
  notYetValid: 'not yet valid',
  unknownKid: 'unknown kid',
  ambiguousKey: 'ambiguous key',
  badSignature: 'bad signature',
  missingSub: 'missing sub',
  missingExp: 'missing exp',
  badGroups: 'bad groups claim',
  badClaims: 'invalid claims',
  jwksUnavailable: 'jwks unavailable',
} as const;

export type AuthReason = (typeof AUTH_REASONS)[keyof typeof AUTH_REASONS];

const MAX_TOKEN_CHARS = 16 * 1024;

export interface IdentityVerifierOptions extends JwksOptions {}

interface IssuerState {
  config: IssuerConfig;
  algorithms: string[];
  keys: JwksSource;
}

interface SshKeyEntry {
  key: SshPublicKey;
  subject: string;
  groups: string[];
}

export class IdentityVerifier {
  private readonly issuers = new Map<string, IssuerState>();
  private readonly sshKeys: SshKeyEntry[] = [];
  private readonly now: () => number;

  constructor(cfg: IdentityConfig, opts: IdentityVerifierOptions = {}) {
    this.now = opts.now ?? Date.now;
    for (const issuer of cfg.issuers) {
      const allowed = new Set<string>(DEFAULT_JWT_ALGORITHMS);
      const keys = issuer.jwksUri
        ? JwksSource.fromUri(issuer.jwksUri, opts)
        : issuer.jwksFile
          ? JwksSource.fromFile(issuer.jwksFile, opts)
          : undefined;
      if (!keys) throw new Error(`issuer ${issuer.issuer} has neither jwks_uri nor jwks_file`);
      this.issuers.set(issuer.issuer, {
        config: issuer,
        algorithms: (issuer.algorithms ?? [...DEFAULT_JWT_ALGORITHMS]).filter((a) => allowed.has(a)),
        keys,
      });
    }
    for (const k of cfg.sshKeys) {
      const parsed = parseSshPublicKey(k.publicKey);
      // A key that does not parse can never match (config check warns about it).
      if (parsed.ok) this.sshKeys.push({ key: parsed.key, subject: k.subject, groups: [...k.groups] });
    }
  }

  /** The JWKS source of an issuer (tests, metrics). */
  jwks(issuer: string): JwksSource | undefined {
    return this.issuers.get(issuer)?.keys;
  }

  async verifyToken(token: string): Promise<Identity> {
    if (typeof token !== 'string') throw new AuthError(AUTH_REASONS.malformed);
    token = token.trim();
    if (token.length === 0 || token.length > MAX_TOKEN_CHARS || token.split('.').length !== 3) {
      throw new AuthError(AUTH_REASONS.malformed);
    }
    let alg: unknown;
    let unverified: JWTPayload;
    try {
      alg = decodeProtectedHeader(token).alg;
      unverified = decodeJwt(token);
    } catch {
      throw new AuthError(AUTH_REASONS.malformed);
    }
    if (typeof alg !== 'string') throw new AuthError(AUTH_REASONS.malformed);
    if (alg.toLowerCase() === 'none') throw new AuthError(AUTH_REASONS.algNone);
    // The issuer is only a hint for which keys to try; jwtVerify checks it again after the signature.
    const issuer = typeof unverified.iss === 'string' ? this.issuers.get(unverified.iss) : undefined;
    if (!issuer) throw new AuthError(AUTH_REASONS.wrongIssuer);
    if (!issuer.algorithms.includes(alg)) throw new AuthError(AUTH_REASONS.disallowedAlg);

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, issuer.keys.getKey, {
        issuer: issuer.config.issuer,
        audience: issuer.config.audience,
        algorithms: issuer.algorithms,
        clockTolerance: Math.round(issuer.config.clockToleranceMs / 1000),
        currentDate: new Date(this.now()),
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      throw new AuthError(reasonOf(err));
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new AuthError(AUTH_REASONS.missingSub);
    const groups = readGroups(payload, issuer.config.groupsClaim);
    if (!groups) throw new AuthError(AUTH_REASONS.badGroups);
    return {
      subject: payload.sub,
      groups,
      issuer: issuer.config.issuer,
      method: 'jwt',
      ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp * 1000 } : {}),
    };
  }

  /** The identity whose `identity.ssh_keys` entry is this public key, if any. */
  identifySshKey(algo: string, keyData: Buffer): Identity | undefined {
    const type = blobType(keyData);
    if (!type || keyTypeOfAlgorithm(algo) !== type) return undefined;
    let found: SshKeyEntry | undefined;
    // Compare against every entry, so the time taken does not say which entry matched.
    for (const entry of this.sshKeys) {
      if (entry.key.type === type && sameBlob(entry.key.blob, keyData) && !found) found = entry;
    }
    if (!found) return undefined;
    return { subject: found.subject, groups: [...found.groups], issuer: 'ssh-key', method: 'ssh_key' };
  }
}

function reasonOf(err: unknown): AuthReason {
  if (err instanceof AuthError) return err.reason as AuthReason;
  if (err instanceof JwksUnavailableError) return AUTH_REASONS.jwksUnavailable;
  if (err instanceof joseErrors.JWTExpired) return AUTH_REASONS.expired;
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'nbf':
        return AUTH_REASONS.notYetValid;
      case 'aud':
        return AUTH_REASONS.wrongAudience;
      case 'iss':
        return AUTH_REASONS.wrongIssuer;
      case 'sub':
        return AUTH_REASONS.missingSub;
      case 'exp':
        return AUTH_REASONS.missingExp;
      default:
        return AUTH_REASONS.badClaims;
    }
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return AUTH_REASONS.badSignature;
  if (err instanceof joseErrors.JWKSNoMatchingKey) return AUTH_REASONS.unknownKid;
  if (err instanceof joseErrors.JWKSMultipleMatchingKeys) return AUTH_REASONS.ambiguousKey;
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) {
    return AUTH_REASONS.disallowedAlg;
  }
  return AUTH_REASONS.malformed;
}

/** Groups from a claim that is a list or a space-separated string; `a.b` reaches into nested claims. */
function readGroups(payload: JWTPayload, claim: string): string[] | undefined {
  let value: unknown = Object.hasOwn(payload, claim) ? payload[claim] : undefined;
  if (value === undefined && claim.includes('.')) {
    value = payload;
    for (const part of claim.split('.')) {
      value =
        value && typeof value === 'object' && Object.hasOwn(value, part)
          ? (value as Record<string, unknown>)[part]
          : undefined;
    }
  }
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(/\s+/).filter((g) => g !== '');
  if (Array.isArray(value) && value.every((g) => typeof g === 'string')) return value.filter((g) => g !== '');
  return undefined;
}
