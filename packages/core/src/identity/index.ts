// Identity: who is connecting. OIDC JWTs (jose) and SSH public keys; dev key and token tooling.

export {
  DEV_AUDIENCE,
  DEV_ISSUER,
  type DevKeyFiles,
  type GenerateDevKeysOptions,
  generateDevKeys,
  type MintTokenOptions,
  mintToken,
} from './dev-keys.js';
export { type JwksOptions, JwksSource, JwksUnavailableError } from './jwks.js';
export { generateOpenSshEd25519, type OpenSshKeyPair } from './openssh-key.js';
export { parseSshPublicKey, type SshPublicKey } from './ssh-keys.js';
export {
  AUTH_REASONS,
  type AuthReason,
  DEFAULT_JWT_ALGORITHMS,
  IdentityVerifier,
  type IdentityVerifierOptions,
} from './verifier.js';
