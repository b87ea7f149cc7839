// Agent authentication: password = JWT, keyboard-interactive answered with the JWT, or a
// public key listed in identity.ssh_keys (signature verified). Returns an Identity or a reason.
import { AuthError, type Gateway, type Identity } from '@portcullis/core';
import type { AuthContext } from 'ssh2';
import { utils } from './ssh2-runtime.js';

export type AuthOutcome = { identity: Identity } | { rejected: string } | { pending: true };

export const AUTH_METHODS: ('password' | 'keyboard-interactive' | 'publickey')[] = [
  'publickey',
  'keyboard-interactive',
  'password',
];

/**
 * Works out who the agent is. `pending` means a publickey probe without a signature was
 * answered with PK_OK and the client will come back with a signed request.
 */
export async function identifyAgent(gateway: Gateway, ctx: AuthContext): Promise<AuthOutcome> {
  switch (ctx.method) {
    case 'password':
      return viaToken(gateway, ctx.password);
    case 'keyboard-interactive': {
      const answer = await new Promise<string | undefined>((resolve) => {
        // "Password" in the prompt lets password helpers (sshpass, expect scripts) answer it with the token.
        ctx.prompt(
          [{ prompt: 'Password (Portcullis token): ', echo: false }],
          'Portcullis',
          '',
          (answers) => {
            resolve(Array.isArray(answers) ? answers[0] : undefined);
          },
        );
      });
      if (answer === undefined) return { rejected: 'keyboard-interactive aborted' };
      return viaToken(gateway, answer);
    }
    case 'publickey': {
      const identity = gateway.authenticateSshKey(ctx.key.algo, ctx.key.data);
      if (!identity) return { rejected: 'public key not listed in identity.ssh_keys' };
      if (!ctx.signature || !ctx.blob) return { pending: true };
      const key = utils.parseKey(ctx.key.data);
      const parsed = Array.isArray(key) ? key[0] : key;
      if (parsed instanceof Error || !parsed) return { rejected: 'unreadable public key' };
      if (parsed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
        return { rejected: 'public key signature does not verify' };
      }
      return { identity };
    }
    default:
      return { rejected: `method ${ctx.method} not offered` };
  }
}

async function viaToken(gateway: Gateway, token: string): Promise<AuthOutcome> {
  try {
    return { identity: await gateway.authenticateToken(token.trim()) };
  } catch (err) {
    if (err instanceof AuthError) return { rejected: err.reason };
    return { rejected: `token check failed: ${(err as Error).message}` };
  }
}
