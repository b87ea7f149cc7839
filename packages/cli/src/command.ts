// The shape of one CLI verb. Each verb lives in commands/<verb>.ts and is listed in main.ts.
import type { Writable } from 'node:stream';

export interface CliIO {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CliCommand {
  /** e.g. "check", "policy test", "sessions list" */
  name: string;
  summary: string;
  usage: string;
  /** Returns the exit code. Throw CliUsageError for bad arguments. */
  run(args: string[], io: CliIO): Promise<number>;
}

export class CliUsageError extends Error {}
