// Where the CLI finds its config: -c FILE, then $PORTCULLIS_CONFIG, then ./portcullis.yaml.
import path from 'node:path';
import type { CliIO } from './command.js';

export function configPath(flag: string | undefined, io: CliIO): string {
  return path.resolve(io.cwd, flag ?? io.env.PORTCULLIS_CONFIG ?? 'portcullis.yaml');
}
