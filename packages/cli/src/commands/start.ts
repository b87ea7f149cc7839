// `portcullis start`: every listener of the config plus the admin API, in one process, until SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { type Config, type ConnectionConfig, Gateway, type Listener, loadConfig } from '@portcullis/core';
import { startAdminServer } from '../admin/server.js';
import type { CliCommand, CliIO } from '../command.js';
import { configPath } from '../config-file.js';

async function startListener(gateway: Gateway, c: ConnectionConfig): Promise<Listener> {
  switch (c.protocol) {
    case 'postgres':
      return (await import('@portcullis/postgres')).startPostgresListener(gateway, c);
    case 'ssh':
      return (await import('@portcullis/ssh')).startSshListener(gateway, c);
    case 'http':
      return (await import('@portcullis/http')).startHttpListener(gateway, c);
  }
}

export interface RunningGateway {
  gateway: Gateway;
  listeners: Listener[];
  admin?: { address: { host: string; port: number }; close(): Promise<void> };
  stop(): Promise<void>;
}

/** Starts everything a config describes; used by `start`, the demo and the e2e tests. */
export async function startGateway(config: Config, log?: (line: string) => void): Promise<RunningGateway> {
  const gateway = await Gateway.create(config);
  const listeners: Listener[] = [];
  let admin: RunningGateway['admin'];
  try {
    for (const c of config.connections) {
      const l = await startListener(gateway, c);
      listeners.push(l);
      log?.(`${c.protocol} listener ${c.name} on ${l.address.host}:${l.address.port} → policy ${c.policy}`);
    }
    admin = config.admin.listen ? await startAdminServer(gateway, config.admin.listen) : undefined;
  } catch (err) {
    // A port already taken (a listener's or admin.listen) stops everything started so far: the
    // process exits with the error instead of running half a gateway.
    await Promise.allSettled(listeners.map((l) => l.close()));
    await gateway.close();
    throw err;
  }
  if (admin) log?.(`admin API on http://${admin.address.host}:${admin.address.port}`);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await Promise.allSettled(listeners.map((l) => l.close()));
      await admin?.close();
      await gateway.close();
    })();
    return stopping;
  };
  return { gateway, listeners, admin, stop };
}

const command: CliCommand = {
  name: 'start',
  summary: 'Runs the gateway: every listener in the config plus the admin API, until SIGINT or SIGTERM.',
  usage: 'portcullis start [-c portcullis.yaml]',
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
    const config = await loadConfig(configPath(values.config, io), io.env);
    const running = await startGateway(config, (line) => io.stderr.write(`portcullis: ${line}\n`));
    io.stderr.write('portcullis: ready\n');
    await new Promise<void>((resolve) => {
      const onSignal = () => resolve();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
    io.stderr.write('portcullis: shutting down\n');
    const timer = setTimeout(() => process.exit(1), config.limits.drainTimeoutMs).unref();
    await running.stop();
    clearTimeout(timer);
    return 0;
  },
};

export default command;
