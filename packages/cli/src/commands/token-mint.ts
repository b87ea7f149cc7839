// `portcullis token mint`: a JWT signed with a development key, printed to stdout.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEV_AUDIENCE, DEV_ISSUER, mintToken } from '@portcullis/core';
import { parse as parseYaml } from 'yaml';
import { type CliCommand, type CliIO, CliUsageError } from '../command.js';
import { configPath } from '../config-file.js';

const command: CliCommand = {
  name: 'token mint',
  summary: `Prints a JWT signed with the private JWK from "portcullis keys generate". Defaults: --ttl 1h; issuer, audience and groups claim from the issuer of the config (-c, $PORTCULLIS_CONFIG, ./portcullis.yaml) whose jwks_file holds this key, else --iss ${DEV_ISSUER}, --aud ${DEV_AUDIENCE}, "groups". For development and tests.`,
  usage:
    'portcullis token mint --key DIR/signing.jwk --sub SUBJECT [--groups a,b] [--ttl 1h] [--aud portcullis] [--iss URL] [-c CONFIG]',
  async run(args: string[], io: CliIO): Promise<number> {
    let values: {
      key?: string;
      sub?: string;
      groups?: string;
      ttl?: string;
      aud?: string;
      iss?: string;
      config?: string;
    };
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
          config: { type: 'string', short: 'c' },
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
    const keyFile = path.resolve(io.cwd, values.key);
    const issuer = values.iss === undefined ? await issuerOfKey(keyFile, values.config, io) : undefined;
    const token = await mintToken({
      keyFile,
      sub: values.sub,
      groups,
      ttl: values.ttl ?? '1h',
      aud: values.aud ?? issuer?.aud ?? DEV_AUDIENCE,
      iss: values.iss ?? issuer?.iss ?? DEV_ISSUER,
      ...(issuer?.groupsClaim ? { groupsClaim: issuer.groupsClaim } : {}),
    });
    io.stdout.write(`${token}\n`);
    return 0;
  },
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The config's issuer whose `jwks_file` publishes this key (same kid, or same public key), so a token
 * minted for a config with its own issuer name is accepted by it. Any trouble reading: none.
 */
async function issuerOfKey(
  keyFile: string,
  flag: string | undefined,
  io: CliIO,
): Promise<{ iss: string; aud?: string; groupsClaim?: string } | undefined> {
  const file = configPath(flag, io);
  if (!existsSync(file)) return undefined;
  try {
    const key = JSON.parse(await readFile(keyFile, 'utf8')) as Obj;
    const doc = parseYaml(await readFile(file, 'utf8')) as unknown;
    const issuers = isObj(doc) && isObj(doc.identity) ? doc.identity.issuers : undefined;
    if (!Array.isArray(issuers)) return undefined;
    const expand = (s: string) =>
      s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, n, d) => io.env[n] ?? d ?? '');
    for (const i of issuers) {
      if (!isObj(i) || typeof i.issuer !== 'string' || typeof i.jwks_file !== 'string') continue;
      const jwksPath = path.resolve(path.dirname(file), expand(i.jwks_file));
      const jwks = JSON.parse(await readFile(jwksPath, 'utf8').catch(() => '{}')) as Obj;
      const keys = Array.isArray(jwks.keys) ? jwks.keys.filter(isObj) : [];
      const same = (k: Obj) =>
        (key.kid !== undefined && k.kid === key.kid) ||
        (k.kty === key.kty && ((k.x !== undefined && k.x === key.x) || (k.n !== undefined && k.n === key.n)));
      if (!keys.some(same)) continue;
      const aud = Array.isArray(i.audience) ? i.audience[0] : i.audience;
      return {
        iss: expand(i.issuer),
        ...(typeof aud === 'string' ? { aud: expand(aud) } : {}),
        ...(typeof i.groups_claim === 'string' ? { groupsClaim: i.groups_claim } : {}),
      };
    }
  } catch {
    // An unreadable config or key: the plain defaults (mintToken reports a bad key itself).
  }
  return undefined;
}

export default command;
