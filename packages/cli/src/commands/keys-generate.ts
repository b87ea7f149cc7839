// `portcullis keys generate`: development keys: a JWT signing key, its JWKS and an SSH host key.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEV_AUDIENCE, DEV_ISSUER, generateDevKeys } from '@portcullis/core';
import { type CliCommand, type CliIO, CliUsageError } from '../command.js';

const command: CliCommand = {
  name: 'keys generate',
  summary: `Writes DIR/signing.jwk (private JWT signing key, EdDSA), DIR/jwks.json (its public JWKS, for jwks_file) and DIR/ssh_host_ed25519(.pub) (an SSH host key, for host_key_file). For development and tests. Refuses to overwrite existing keys unless --force. Tokens from "portcullis token mint" use issuer ${DEV_ISSUER} and audience ${DEV_AUDIENCE} by default.`,
  usage: 'portcullis keys generate --out DIR [--force]',
  async run(args: string[], io: CliIO): Promise<number> {
    let values: { out?: string; force?: boolean };
    try {
      ({ values } = parseArgs({
        args,
        options: { out: { type: 'string', short: 'o' }, force: { type: 'boolean' } },
      }));
    } catch (err) {
      throw new CliUsageError((err as Error).message);
    }
    if (!values.out) throw new CliUsageError('--out DIR is required');
    const dir = path.resolve(io.cwd, values.out);
    const files = await generateDevKeys(dir, { force: values.force });
    const rel = (f: string) => path.relative(io.cwd, f) || f;
    io.stdout.write(
      [
        `wrote ${rel(files.signingJwk)} (private signing key, kid ${files.kid}; keep it secret)`,
        `wrote ${rel(files.jwks)} (public JWKS)`,
        `wrote ${rel(files.sshHostKey)} (SSH host key) and ${rel(files.sshHostKeyPub)}`,
        '',
        'config:',
        '  identity:',
        '    issuers:',
        `      - issuer: ${DEV_ISSUER}`,
        `        audience: ${DEV_AUDIENCE}`,
        `        jwks_file: ${rel(files.jwks)}`,
        '',
        `token: portcullis token mint --key ${rel(files.signingJwk)} --sub agent-1 --groups ai-agents`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};

export default command;
