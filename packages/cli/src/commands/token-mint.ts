// `portcullis token mint`: a JWT signed with a development key, printed to stdout.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEV_AUDIENCE, DEV_ISSUER, mintToken } from '@portcullis/core';
import { type CliCommand, type CliIO, CliUsageError } from '../command.js';

const command: CliCommand = {
  name: 'token mint',
  summary: `Prints a JWT signed with the private JWK from "portcullis keys generate". Defaults: --ttl 1h, --aud ${DEV_AUDIENCE}, --iss ${DEV_ISSUER} (a dev config's issuer must match). For development and tests.`,
  usage:
    'portcullis token mint --key DIR/signing.jwk --sub SUBJECT [--groups a,b] [--ttl 1h] [--aud portcullis] [--iss URL]',
  async run(args: string[], io: CliIO): Promise<number> {
    let values: { key?: string; sub?: string; groups?: string; ttl?: string; aud?: string; iss?: string };
    try {
      ({ values } = parseArgs({
        args,
        options: {
          key: { type: 'string', short: 'k' },
          sub: { type: 'string' },
          groups: { type: 'string', short: 'g' },
          ttl: { type: 'string' },
          aud: { type: 'string' },
          iss: { type: 'string' },
        },
      }));
    } catch (err) {
      throw new CliUsageError((err as Error).message);
    }
    if (!values.key)
      throw new CliUsageError('--key FILE is required (the signing.jwk from "portcullis keys generate")');
    if (!values.sub) throw new CliUsageError('--sub SUBJECT is required');
    const groups = (values.groups ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter((g) => g !== '');
    const token = await mintToken({
      keyFile: path.resolve(io.cwd, values.key),
      sub: values.sub,
      groups,
      ttl: values.ttl ?? '1h',
      aud: values.aud ?? DEV_AUDIENCE,
      iss: values.iss ?? DEV_ISSUER,
    });
    io.stdout.write(`${token}\n`);
    return 0;
  },
};

export default command;
