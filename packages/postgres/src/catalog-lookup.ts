// Resolves RowDescription's table OID + attribute number to `table.column` names, for column
// masking rules, on one side connection to the upstream per database, cached.
import type net from 'node:net';
import type { PostgresUpstream } from '@portcullis/core';
import { serialize } from 'pg-protocol';
import type { BackendFramer } from './backend-framer.js';
import { decodeFields, fieldValue } from './backend-reader.js';
import { loginUpstream, UpstreamError } from './upstream-auth.js';

export interface TableNames {
  table: string;
  schema: string;
  columns: Map<number, string>;
}

/** Renames are rare; a short TTL keeps a renamed table's rules right without a query per result. */
const TTL_MS = 60_000;

export class CatalogLookup {
  private readonly cache = new Map<number, { at: number; names: TableNames | null }>();
  private conn?: Promise<{ socket: net.Socket; framer: BackendFramer }>;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly upstream: PostgresUpstream,
    private readonly database: string | undefined,
    private readonly opts: { timeoutMs: number; maxMessageBytes: number },
  ) {}

  /** Cached names, or undefined when the OID needs a lookup. null = no such table (e.g. not committed yet). */
  cached(oid: number): TableNames | null | undefined {
    const hit = this.cache.get(oid);
    if (!hit || Date.now() - hit.at > TTL_MS) return undefined;
    return hit.names;
  }

  /** Looks the OIDs up (one query for all of them) and caches the answer. */
  resolve(oids: number[]): Promise<void> {
    const run = this.queue.then(() => this.query(oids.filter((o) => this.cached(o) === undefined)));
    this.queue = run.catch(() => {});
    return run;
  }

  private async query(oids: number[]): Promise<void> {
    if (oids.length === 0) return;
    if (this.closed) throw new UpstreamError('catalog lookup closed');
    const c = await this.connection();
    const sql =
      'SELECT c.oid, n.nspname, c.relname, a.attnum, a.attname FROM pg_catalog.pg_class c ' +
      'JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
      'JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ' +
      `WHERE c.oid IN (${oids.map((o) => String(o >>> 0)).join(',')})`;
    const rows = await simpleQuery(c.socket, c.framer, sql, this.opts.timeoutMs).catch((e: Error) => {
      // A broken side connection is reopened on the next lookup.
      this.conn = undefined;
      c.socket.destroy();
      throw e;
    });
    const now = Date.now();
    const found = new Map<number, TableNames>();
    for (const [oid, schema, table, attnum, attname] of rows) {
      const o = Number(oid);
      let t = found.get(o);
      if (!t) found.set(o, (t = { table: table ?? '', schema: schema ?? '', columns: new Map() }));
      t.columns.set(Number(attnum), attname ?? '');
    }
    for (const o of oids) this.cache.set(o, { at: now, names: found.get(o) ?? null });
    if (this.cache.size > 10_000) this.cache.clear();
  }

  private connection() {
    if (!this.conn) {
      const p = loginUpstream(this.upstream, {
        database: this.database,
        params: { application_name: 'portcullis-catalog' },
        timeoutMs: this.opts.timeoutMs,
        maxMessageBytes: this.opts.maxMessageBytes,
      }).then((u) => {
        u.socket.on('error', () => {});
        u.socket.on('close', () => {
          if (this.conn === p) this.conn = undefined;
        });
        return { socket: u.socket, framer: u.framer };
      });
      p.catch(() => {
        if (this.conn === p) this.conn = undefined;
      });
      this.conn = p;
    }
    return this.conn;
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = await this.conn?.catch(() => undefined);
    c?.socket.end(serialize.end());
    c?.socket.destroy();
  }
}

/** Runs one simple query on a logged-in socket; returns text rows. */
function simpleQuery(
  socket: net.Socket,
  framer: BackendFramer,
  sql: string,
  timeoutMs: number,
): Promise<(string | null)[][]> {
  return new Promise((resolve, reject) => {
    const rows: (string | null)[][] = [];
    let error: UpstreamError | undefined;
    const done = (e?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (e) reject(e);
      else resolve(rows);
    };
    const onClose = () => done(new UpstreamError('catalog connection closed'));
    const timer = setTimeout(
      () => done(new UpstreamError(`catalog lookup timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      framer.push(d);
      try {
        while (framer.next()) {
          const { buf, start, end } = framer;
          if (framer.type === 0x44 /* D */) {
            const n = buf.readInt16BE(start + 5);
            const row: (string | null)[] = [];
            let p = start + 7;
            for (let i = 0; i < n; i++) {
              const len = buf.readInt32BE(p);
              p += 4;
              if (len < 0) row.push(null);
              else {
                row.push(buf.toString('utf8', p, p + len));
                p += len;
              }
            }
            rows.push(row);
          } else if (framer.type === 0x45 /* E */) {
            const f = decodeFields(buf, start, end);
            error = new UpstreamError(`catalog lookup: ${fieldValue(f, 'M')}`, fieldValue(f, 'C'));
          } else if (framer.type === 0x5a /* Z */) {
            return done(error);
          }
        }
      } catch (e) {
        done(e as Error);
      }
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.resume();
    socket.write(serialize.query(sql));
  });
}
