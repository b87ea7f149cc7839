// The CLI's client for a running gateway's admin API (`--gateway URL --token JWT`, or
// $PORTCULLIS_GATEWAY / $PORTCULLIS_TOKEN, or admin.listen from the config).
import { existsSync } from 'node:fs';
import { loadStoreConfig } from '@portcullis/core';
import type { CliIO } from './command.js';
import { CliUsageError } from './command.js';
import { configPath } from './config-file.js';

export interface AdminTarget {
  base: string;
  token: string;
}

export async function adminTarget(
  values: { gateway?: string; token?: string; config?: string },
  io: CliIO,
): Promise<AdminTarget> {
  const token = values.token ?? io.env.PORTCULLIS_TOKEN;
  if (!token) throw new CliUsageError('an approver token is needed: --token JWT or $PORTCULLIS_TOKEN');
  let base = values.gateway ?? io.env.PORTCULLIS_GATEWAY;
  if (!base) {
    const file = configPath(values.config, io);
    if (existsSync(file)) {
      const listen = (await loadStoreConfig(file, io.env)).admin.listen;
      if (listen) base = `http://${listen.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`;
    }
  }
  if (!base) throw new CliUsageError('where is the gateway? --gateway http://HOST:PORT (its admin.listen)');
  return { base: base.replace(/\/+$/, ''), token };
}

export async function adminRequest<T>(
  t: AdminTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${t.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new Error(
      `cannot reach the gateway at ${t.base}: ${(err as Error).cause ?? (err as Error).message}`,
    );
  }
  const text = await res.text();
  let json: { error?: string; reason?: string } & Record<string, unknown>;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path}: HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new Error(`${json.reason ?? json.error ?? `HTTP ${res.status}`} (HTTP ${res.status})`);
  return json as T;
}
