// The store the session verbs read: --store URL [--prefix P], else the config's `store:` (-c FILE,
// $PORTCULLIS_CONFIG, ./portcullis.yaml — used only when it exists).
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  isRedisUrl,
  loadStoreConfig,
  openStore,
  parseDuration,
  type RecordStore,
  type StoreConfig,
  storeConfigFromUrl,
} from '@portcullis/core';
import type { CliIO } from './command.js';
import { CliUsageError } from './command.js';
import { configPath } from './config-file.js';

export const storeOptions = {
  config: { type: 'string', short: 'c' },
  store: { type: 'string' },
  prefix: { type: 'string' },
} as const;

export async function sessionStoreConfig(
  values: { config?: string; store?: string; prefix?: string },
  io: CliIO,
): Promise<StoreConfig> {
  const prefix = values.prefix !== undefined ? { keyPrefix: values.prefix } : {};
  if (values.store) {
    let url = values.store;
    if (url.startsWith('file:') && !url.startsWith('file://'))
      url = `file:${path.resolve(io.cwd, url.slice(5))}`;
    else if (!isRedisUrl(url) && !url.startsWith('file://')) {
      throw new CliUsageError(
        `--store ${url}: expected redis://HOST:PORT/DB, rediss://…, redis-cluster://HOST:PORT,HOST:PORT or file:DIR`,
      );
    }
    return storeConfigFromUrl(url, prefix);
  }
  const file = configPath(values.config, io);
  const explicit = values.config !== undefined || io.env.PORTCULLIS_CONFIG !== undefined;
  if (!existsSync(file)) {
    if (explicit) throw new CliUsageError(`config ${file} not found`);
    throw new CliUsageError(
      'no store: pass --store redis://HOST:PORT/DB (or file:DIR), or -c portcullis.yaml',
    );
  }
  // Only `store:` matters here: an unset upstream secret elsewhere in the file does not stop a reader.
  const config = await loadStoreConfig(file, io.env);
  return { ...config.store, ...prefix };
}

export async function openSessionStore(
  values: { config?: string; store?: string; prefix?: string },
  io: CliIO,
): Promise<RecordStore> {
  // Readers log nothing of their own: a failed read throws one clear error.
  return openStore(await sessionStoreConfig(values, io), { readOnly: true, log: () => undefined });
}

/** `--since 1h` (a duration back from now) or an ISO date. */
export function parseSince(value: string, now = Date.now()): number {
  const d = parseDuration(value);
  if (d !== undefined && !/^\d+$/.test(value)) return now - d;
  const t = Date.parse(value);
  if (!Number.isNaN(t)) return t;
  throw new CliUsageError(
    `--since ${value}: expected a duration such as 30m, 1h, 7d, or a date such as 2025-01-31`,
  );
}

export function parseOptions<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
}

export async function withStore<T>(store: RecordStore, fn: (s: RecordStore) => Promise<T>): Promise<T> {
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
