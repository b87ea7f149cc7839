// `portcullis demo` (what `make demo` runs).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliCommand, CliIO } from '../command.js';
import { runDemo } from '../demo/demo.js';

const command: CliCommand = {
  name: 'demo',
  summary:
    'Runs a complete gateway on embedded defaults (dev keys, a seeded database, a sample API, a local sshd when OpenSSH is installed) and prints commands to try. Set REDIS_URL to record into Redis.',
  usage: 'portcullis demo',
  async run(_args: string[], io: CliIO): Promise<number> {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
    const demo = await runDemo({ root, env: io.env, progress: (l) => io.stderr.write(`demo: ${l}\n`) });
    io.stdout.write(`${demo.instructions}\n`);
    io.stderr.write('demo: ready\n');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    io.stderr.write('demo: stopping …\n');
    await demo.stop();
    return 0;
  },
};

export default command;
