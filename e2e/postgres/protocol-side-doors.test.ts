// Side doors below the SQL grammar: startup parameters, client encodings and frontend messages a
// raw wire client can send. Each test drives the real gateway over a socket and checks on the
// upstream (the machine's PostgreSQL) that nothing the policy denies ran.
import net from 'node:net';
import { serialize } from 'pg-protocol';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { createTestDatabase, mainQuery } from '../support/postgres.js';

let gw: TestGateway;
let db: { name: string; drop(): Promise<void> };
let token: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await mainQuery(
    `CREATE TABLE victim (v int); CREATE TABLE notes (n text);
     CREATE TABLE people (id int, email text, secret text, born date, card_no bigint, card_num numeric);
     INSERT INTO people VALUES (1, 'alice@example.com', 'hunter2-not-a-pattern', '1990-01-02', 4111111111111111, 4111111111111111);
     -- A function the DBA wrote: calling it is a read, and it changes the session's encoding.
     CREATE FUNCTION zap() RETURNS int LANGUAGE sql AS $$ DELETE FROM victim RETURNING 1 $$;
     CREATE FUNCTION use_encoding(e text) RETURNS text LANGUAGE sql AS $$ SELECT set_config('client_encoding', e, false) $$;`,
    db.name,
  );
  gw = await startGateway(
    (c) => `${c.preamble}
connections:
  - name: sd
    protocol: postgres
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: 5432, database: ${db.name}, user: postgres, tls: disable }
    policy: db
policies:
  db:
    allow_groups: [ai-agents]
    default: deny
    rules:
      - { name: reads, when: { sql: { category: [read, session, transaction] } }, action: allow }
      - { name: notes, when: { sql: { category: [write], tables: [notes] } }, action: allow }
      - { name: no-zap, when: { sql: { functions: [zap] } }, action: deny }
    masking:
      detectors: [email, credit_card]
      columns: [ { match: "people.secret", with: redact }, { match: "people.born", with: redact } ]
`,
  );
  token = await gw.token();
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await db?.drop();
});

beforeEach(async () => {
  await mainQuery('TRUNCATE victim, notes; INSERT INTO victim VALUES (1), (2)', db.name);
});

const victimRows = async () =>
  Number((await mainQuery('SELECT count(*) AS n FROM victim', db.name)).rows[0].n);

interface Msg {
  type: string;
  body: Buffer;
}

/** A raw wire client: every backend message kept in order. */
class Wire {
  readonly msgs: Msg[] = [];
  closed = false;
  /** How many one-byte answers to expect first, and those received. */
  singleBytes = 0;
  singles = '';
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  constructor(readonly s: net.Socket) {
    s.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      // One-byte answers to SSLRequest/GSSENCRequest come before any framed message.
      while (this.singleBytes > 0 && this.buf.length > 0) {
        this.singles += String.fromCharCode(this.buf[0]!);
        this.buf = this.buf.subarray(1);
        this.singleBytes--;
      }
      while (this.buf.length >= 5) {
        const len = this.buf.readInt32BE(1);
        if (this.buf.length < len + 1) break;
        this.msgs.push({ type: String.fromCharCode(this.buf[0]!), body: this.buf.subarray(5, len + 1) });
        this.buf = this.buf.subarray(len + 1);
      }
      this.wake();
    });
    s.on('error', () => {});
    s.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }
  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }
  /** Waits until `n` ReadyForQuery have arrived in total, or the socket closed. */
  async until(pred: () => boolean, ms = 8000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred() && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${this.msgs.map((m) => m.type).join('')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
  count(type: string) {
    return this.msgs.filter((m) => m.type === type).length;
  }
  async ready(n: number) {
    await this.until(() => this.count('Z') >= n);
  }
  errors(): { code: string; message: string; severity: string }[] {
    return this.msgs
      .filter((m) => m.type === 'E')
      .map((m) => {
        const f: Record<string, string> = {};
        let p = 0;
        while (p < m.body.length && m.body[p] !== 0) {
          const end = m.body.indexOf(0, p + 1);
          f[String.fromCharCode(m.body[p]!)] = m.body.toString('utf8', p + 1, end);
          p = end + 1;
        }
        return { code: f.C ?? '', message: f.M ?? '', severity: f.V ?? f.S ?? '' };
      });
  }
  rows(): string[][] {
    return this.msgs
      .filter((m) => m.type === 'D')
      .map((m) => {
        const out: string[] = [];
        let p = 2;
        for (let i = 0; i < m.body.readInt16BE(0); i++) {
          const len = m.body.readInt32BE(p);
          p += 4;
          out.push(len < 0 ? 'NULL' : m.body.toString('utf8', p, p + len));
          if (len > 0) p += len;
        }
        return out;
      });
  }
  params(): Map<string, string> {
    const out = new Map<string, string>();
    for (const m of this.msgs.filter((x) => x.type === 'S')) {
      const [k, v] = m.body.toString('utf8').split('\0');
      out.set(k!, v!);
    }
    return out;
  }
  send(...b: Buffer[]) {
    this.s.write(Buffer.concat(b));
  }
}

function startup(params: Record<string, string>, version = 196608): Buffer {
  const body = Buffer.concat([
    ...Object.entries(params).map(([k, v]) => Buffer.from(`${k}\0${v}\0`, 'utf8')),
    Buffer.from([0]),
  ]);
  const b = Buffer.alloc(body.length + 8);
  b.writeInt32BE(body.length + 8, 0);
  b.writeInt32BE(version, 4);
  body.copy(b, 8);
  return b;
}

/** Connects with these startup parameters and logs in; resolves after the first ReadyForQuery (or a close). */
async function connect(params: Record<string, string> = {}, version?: number): Promise<Wire> {
  const s = net.connect(gw.port('sd'), '127.0.0.1');
  await new Promise<void>((r) => s.once('connect', () => r()));
  const w = new Wire(s);
  w.send(startup({ user: 'agent', database: db.name, ...params }, version));
  await w.until(() => w.msgs.some((m) => m.type === 'R' && m.body.readInt32BE(0) === 3));
  if (!w.closed) w.send(serialize.password(token));
  await w.ready(1);
  return w;
}

const query = (sql: string | Buffer) => {
  const text = typeof sql === 'string' ? Buffer.from(sql, 'utf8') : sql;
  const b = Buffer.alloc(text.length + 6);
  b.write('Q', 0, 'latin1');
  b.writeInt32BE(text.length + 5, 1);
  text.copy(b, 5);
  return b;
};

/** SQL that reads as one string literal in UTF-8 (`\'` escapes the quote), but in SJIS/GBK 0x95 0x5C is
 * one character, the quote closes the literal and zap() (denied, it deletes) is called. */
const SMUGGLE = Buffer.concat([
  Buffer.from("SELECT E'", 'latin1'),
  Buffer.from([0x95]),
  Buffer.from("\\', zap() --'", 'latin1'),
]);

describe('client encodings', () => {
  it.each([
    ['CLIENT_ENCODING', 'SJIS'],
    ['client_encoding', 'S.JIS'],
    ['client_encoding', 'windows932'],
    ['Client_Encoding', 'big5'],
  ])('startup %s=%s is refused before any SQL', async (k, v) => {
    const w = await connect({ [k]: v });
    expect(w.closed).toBe(true);
    expect(w.errors()[0]).toMatchObject({ code: '0A000' });
    expect(w.errors()[0]!.message).toMatch(/client_encoding/);
  });

  it('SET client_encoding is admin for the analyzer', async () => {
    const w = await connect();
    w.send(query("SET client_encoding TO 'SJIS'"));
    await w.ready(2);
    expect(w.errors()[0]).toMatchObject({ code: '42501' });
    w.s.destroy();
  });

  it('a function that switches to SJIS mid-session ends the session before the next statement runs', async () => {
    const w = await connect();
    w.send(query("SELECT use_encoding('SJIS')"));
    await w.ready(2);
    if (!w.closed) {
      w.send(query(SMUGGLE));
      await w.ready(3).catch(() => {});
    }
    expect(w.closed).toBe(true);
    expect(w.errors().at(-1)).toMatchObject({ code: '0A000' });
    expect(await victimRows()).toBe(2);
  });

  it('a statement pipelined behind the switch to SJIS is not read in the new encoding', async () => {
    const w = await connect();
    w.send(query("SELECT use_encoding('SJIS')"), query(SMUGGLE));
    await w.ready(3).catch(() => {});
    expect(await victimRows()).toBe(2);
    w.s.destroy();
  });

  it('the same switch in an extended-protocol pipeline without Sync', async () => {
    const w = await connect();
    w.send(
      serialize.parse({ text: "SELECT use_encoding('GBK')" }),
      serialize.bind({}),
      serialize.execute({}),
    );
    // pg-protocol writes the text as UTF-8: put the raw bytes in instead.
    const parse = Buffer.concat([Buffer.from('s\0'), SMUGGLE, Buffer.from([0, 0, 0])]);
    const frame = Buffer.alloc(parse.length + 5);
    frame.write('P', 0, 'latin1');
    frame.writeInt32BE(parse.length + 4, 1);
    parse.copy(frame, 5);
    w.send(frame, serialize.bind({ statement: 's' }), serialize.execute({}), serialize.sync());
    await w.ready(2).catch(() => {});
    await new Promise((r) => setTimeout(r, 300));
    expect(await victimRows()).toBe(2);
    expect(w.errors()[0]!.message).toMatch(/denied by rule client_encoding: .*no Sync/);
    w.s.destroy();
  });

  it('in a LATIN1 session, non-ASCII SQL is refused (the connection stays) and ASCII SQL runs', async () => {
    const w = await connect({ client_encoding: 'LATIN1' });
    w.send(query(Buffer.from("SELECT 'caf\xe9'", 'latin1')), query('SELECT 41 + 1'));
    await w.ready(3);
    expect(w.errors()[0]!.message).toMatch(/denied by rule client_encoding: .*LATIN1/);
    expect(w.rows()).toEqual([['42']]);
    w.s.destroy();
  });

  it('a statement name that is not valid UTF-8 ends the session', async () => {
    const w = await connect({ client_encoding: 'LATIN1' });
    const body = Buffer.concat([Buffer.from([0x80, 0]), Buffer.from('SELECT 1\0'), Buffer.from([0, 0])]);
    const frame = Buffer.alloc(body.length + 5);
    frame.write('P', 0, 'latin1');
    frame.writeInt32BE(body.length + 4, 1);
    body.copy(frame, 5);
    w.send(frame, serialize.sync());
    await w.until(() => w.closed);
    expect(w.errors()[0]!.message).toMatch(/not valid UTF-8/);
  });

  it('non-ASCII SQL keeps working in UTF-8 sessions, pipelined too', async () => {
    const w = await connect();
    w.send(query("INSERT INTO notes VALUES ('café')"), query("SELECT n || '✓' FROM notes"));
    await w.ready(3);
    expect(w.errors()).toEqual([]);
    expect(w.rows()).toEqual([['café✓']]);
    w.s.destroy();
  });

  it('SQL that is not valid UTF-8 is refused with the connection kept', async () => {
    const w = await connect();
    w.send(query(Buffer.concat([Buffer.from("SELECT '"), Buffer.from([0xff, 0xfe]), Buffer.from("'")])));
    await w.ready(2);
    expect(w.closed).toBe(false);
    expect(w.errors()[0]!.code).toMatch(/42501|22021/);
    w.send(query('SELECT 1'));
    await w.ready(3);
    expect(w.rows()).toEqual([['1']]);
    w.s.destroy();
  });
});

describe('startup parameters', () => {
  it('database, user and options from the agent never reach the upstream', async () => {
    const w = await connect({
      database: 'postgres',
      user: 'pg_monitor',
      options: '-c default_transaction_read_only=off -c search_path=evil -c role=pg_read_server_files',
      application_name: 'x',
    });
    w.send(query("SELECT current_database(), current_user, current_setting('search_path')"));
    await w.ready(2);
    expect(w.rows()).toEqual([[db.name, 'postgres', '"$user", public']]);
    w.s.destroy();
  });

  it.each(['database', 'true', 'on', '1', 'yes'])('replication=%s is refused', async (v) => {
    const w = await connect({ replication: v });
    expect(w.closed).toBe(true);
    expect(w.errors()[0]!.message).toMatch(/replication/);
  });

  it('protocol 3.2 and _pq_ options are negotiated down to 3.0', async () => {
    const w = await connect({ '_pq_.x': '1' }, (3 << 16) | 2);
    expect(w.msgs.some((m) => m.type === 'v')).toBe(true);
    w.send(query('SELECT 1'));
    await w.ready(2);
    expect(w.rows()).toEqual([['1']]);
    w.s.destroy();
  });
});

describe('before login', () => {
  const raw = async (chunks: Buffer[], byteByByte = false, singleBytes = 0) => {
    const s = net.connect(gw.port('sd'), '127.0.0.1');
    await new Promise<void>((r) => s.once('connect', () => r()));
    const w = new Wire(s);
    w.singleBytes = singleBytes;
    for (const c of chunks)
      if (byteByByte)
        for (const b of c) {
          s.write(Buffer.from([b]));
          await new Promise((r) => setImmediate(r));
        }
      else s.write(c);
    return w;
  };
  const request = (code: number) => {
    const b = Buffer.alloc(8);
    b.writeInt32BE(8, 0);
    b.writeInt32BE(code, 4);
    return b;
  };

  it('GSSENCRequest and SSLRequest twice are declined, then a startup split byte by byte logs in', async () => {
    const w = await raw(
      [
        request(80877104),
        request(80877103),
        request(80877103),
        startup({ user: 'agent', database: db.name }),
      ],
      true,
      3,
    );
    await w.until(() => w.msgs.some((m) => m.type === 'R'));
    expect(w.singles).toBe('NNN');
    w.send(serialize.password(token), query('SELECT 1'));
    await w.ready(2);
    expect(w.rows()).toEqual([['1']]);
    w.s.destroy();
  });

  it('an oversized startup packet (many long parameters) is refused before anything is allocated for it', async () => {
    const params: Record<string, string> = { user: 'agent' };
    for (let i = 0; i < 200; i++) params[`application_name${i}`] = 'x'.repeat(100);
    const w = await raw([startup(params)]);
    await w.until(() => w.closed);
    expect(w.errors()[0]!.message).toMatch(/startup packet of \d+ bytes is longer than 10000/);
  });
});

describe('frontend messages outside the judged set', () => {
  it('CopyData/CopyDone/CopyFail outside COPY run nothing and the session stays usable', async () => {
    const w = await connect();
    w.send(
      serialize.copyData(Buffer.from('DELETE FROM victim;\n')),
      serialize.copyDone(),
      serialize.copyFail('x'),
      query('SELECT 1'),
    );
    await w.ready(2);
    expect(w.rows()).toEqual([['1']]);
    expect(await victimRows()).toBe(2);
    w.s.destroy();
  });

  it('a Query sent during COPY FROM STDIN does not run', async () => {
    const w = await connect();
    w.send(query('COPY notes FROM STDIN'));
    await w.until(() => w.msgs.some((m) => m.type === 'G'));
    w.send(query('DELETE FROM victim'));
    w.send(serialize.copyDone());
    await w.ready(2).catch(() => {});
    await new Promise((r) => setTimeout(r, 300));
    expect(await victimRows()).toBe(2);
    w.send(query('SELECT 1'));
    await w.until(() => w.rows().length > 0).catch(() => {});
    w.s.destroy();
  });

  it('FunctionCall (fastpath) is refused by the function_call builtin, the session stays usable', async () => {
    const oid = Number((await mainQuery("SELECT 'lo_unlink'::regproc::oid AS o")).rows[0].o);
    const body = Buffer.alloc(4 + 2 + 2 + 4 + 4 + 2);
    body.writeUInt32BE(oid, 0);
    body.writeInt16BE(0, 4);
    body.writeInt16BE(1, 6);
    body.writeInt32BE(4, 8);
    body.writeInt32BE(1, 12);
    body.writeInt16BE(0, 16);
    const f = Buffer.alloc(body.length + 5);
    f.write('F', 0, 'latin1');
    f.writeInt32BE(body.length + 4, 1);
    body.copy(f, 5);
    const w = await connect();
    w.send(f, query('SELECT 1'));
    await w.ready(3);
    expect(w.errors()[0]).toMatchObject({ code: '42501' });
    expect(w.rows()).toEqual([['1']]);
    w.s.destroy();
  });

  it('Describe/Close of a denied statement name and a second Execute of a suspended portal', async () => {
    const w = await connect();
    w.send(
      serialize.parse({ name: 'd', text: 'DELETE FROM victim' }),
      serialize.describe({ type: 'S', name: 'd' }),
      serialize.bind({ statement: 'd', portal: 'p' }),
      serialize.execute({ portal: 'p' }),
      serialize.close({ type: 'S', name: 'd' }),
      serialize.sync(),
      serialize.parse({ name: 'd', text: 'SELECT generate_series(1,3)' }),
      serialize.bind({ statement: 'd', portal: 'q' }),
      serialize.execute({ portal: 'q', rows: 1 }),
      serialize.execute({ portal: 'q', rows: 5 }),
      serialize.sync(),
    );
    await w.ready(3);
    expect(w.errors()[0]).toMatchObject({ code: '42501' });
    expect(w.rows()).toEqual([['1'], ['2'], ['3']]);
    expect(await victimRows()).toBe(2);
    w.s.destroy();
  });

  it('a CancelRequest with a wrong key cancels nothing', async () => {
    const a = await connect();
    a.send(query('SELECT pg_sleep(1), 1'));
    const key = a.msgs.find((m) => m.type === 'K')!.body;
    const c = net.connect(gw.port('sd'), '127.0.0.1');
    const cancel = Buffer.alloc(16);
    cancel.writeInt32BE(16, 0);
    cancel.writeInt32BE(80877102, 4);
    cancel.writeInt32BE(key.readInt32BE(0), 8);
    cancel.writeInt32BE(key.readInt32BE(4) ^ 1, 12);
    c.on('error', () => {});
    c.end(cancel);
    await a.ready(2);
    expect(a.errors()).toEqual([]);
    expect(a.rows()).toEqual([['', '1']]);
    a.s.destroy();
  });
});

/** Parse/Bind/Execute/Sync with every result column in binary format. */
function binaryQuery(text: string): Buffer {
  const bind = Buffer.concat([Buffer.from('\0\0'), Buffer.from([0, 0, 0, 0, 0, 1, 0, 1])]);
  const b = Buffer.alloc(bind.length + 5);
  b.write('B', 0, 'latin1');
  b.writeInt32BE(bind.length + 4, 1);
  bind.copy(b, 5);
  return Buffer.concat([serialize.parse({ text }), b, serialize.execute({}), serialize.sync()]);
}

const rawRows = (w: Wire) => w.msgs.filter((m) => m.type === 'D').map((m) => m.body.toString('latin1'));

describe('result masking side doors', () => {
  it.each([
    ['text[]', 'SELECT ARRAY[email] FROM people'],
    ['record', 'SELECT row(email, 1) FROM people'],
    ['varchar[]', 'SELECT ARRAY[email::varchar] FROM people'],
    ['text[][] ', 'SELECT ARRAY[ARRAY[email]] FROM people'],
    ['record[]', 'SELECT ARRAY[row(email)] FROM people'],
  ])('binary %s results do not carry an unmasked value', async (_t, sql) => {
    const w = await connect();
    w.send(binaryQuery(sql));
    await w.ready(2);
    const rows = rawRows(w).join('');
    expect(rows).not.toContain('alice@example.com');
    expect(w.closed).toBe(false);
    w.s.destroy();
  });

  it('binary int4[] and text[] without secrets still arrive intact', async () => {
    const w = await connect();
    w.send(binaryQuery("SELECT ARRAY[1,2,3], ARRAY['plain', NULL, 'text']"));
    await w.ready(2);
    expect(w.errors()).toEqual([]);
    const row = w.msgs.find((m) => m.type === 'D')!.body;
    expect(row.toString('latin1')).toContain('plain');
    expect(row.toString('latin1')).toContain('text');
    w.s.destroy();
  });

  it('a card number kept as bigint or numeric is masked in text and arrives as NULL in binary', async () => {
    const w = await connect();
    w.send(
      query('SELECT card_no, card_num FROM people'),
      binaryQuery('SELECT card_no, card_num FROM people'),
    );
    await w.ready(3);
    expect(w.rows()).toEqual([
      ['[MASKED:credit_card]', '[MASKED:credit_card]'],
      ['NULL', 'NULL'],
    ]);
    w.s.destroy();
  });

  it('a column rule on a date column applies in text and in binary', async () => {
    const w = await connect();
    w.send(query('SELECT born FROM people'), binaryQuery('SELECT born FROM people'));
    await w.ready(3);
    expect(w.rows()).toEqual([['[MASKED:column]'], ['NULL']]);
    w.s.destroy();
  });

  it.each([
    ['an expression', "SELECT secret || '' FROM people"],
    ['a function of it', 'SELECT upper(secret), id FROM public.people'],
    ['an array', 'SELECT ARRAY[secret] FROM people'],
    ['a whole row', 'SELECT p FROM people p'],
    ['a row as JSON', 'SELECT row_to_json(p) FROM people p'],
    ['a scalar subquery', 'SELECT (SELECT secret FROM people LIMIT 1) AS x'],
    ['a CTE', 'WITH s AS (SELECT secret AS v FROM people) SELECT v || v FROM s'],
  ])('a ruled column read through %s gets its rule (simple and binary extended)', async (_t, sql) => {
    const w = await connect();
    w.send(query(sql), binaryQuery(sql));
    await w.ready(3);
    expect(w.errors()).toEqual([]);
    expect(rawRows(w)).toHaveLength(2);
    expect(rawRows(w).join('')).not.toContain('hunter2');
    expect(w.rows()[0]!.join(' ')).toContain('[MASKED:column]');
    w.s.destroy();
  });

  it('a named statement reading a ruled table keeps the rule for every portal bound to it', async () => {
    const w = await connect();
    w.send(
      serialize.parse({ name: 'ruled', text: "SELECT secret || '!' AS s, id FROM people" }),
      serialize.bind({ statement: 'ruled', portal: 'p1' }),
      serialize.execute({ portal: 'p1' }),
      serialize.bind({ statement: 'ruled', portal: 'p2' }),
      serialize.execute({ portal: 'p2' }),
      serialize.sync(),
    );
    await w.ready(2);
    expect(w.errors()).toEqual([]);
    expect(w.rows()).toEqual([
      ['[MASKED:column]', '1'],
      ['[MASKED:column]', '1'],
    ]);
    w.s.destroy();
  });

  it('computed columns of statements that read no ruled table, and numbers, are left alone', async () => {
    const w = await connect();
    w.send(
      query("SELECT upper('abc') || v FROM victim ORDER BY v"),
      query('SELECT count(*), max(id) FROM people'),
      query("SELECT 'plain' || 'text'"),
    );
    await w.ready(4);
    expect(w.errors()).toEqual([]);
    expect(w.rows()).toEqual([['ABC1'], ['ABC2'], ['1', '1'], ['plaintext']]);
    w.s.destroy();
  });

  it.each([
    ['COPY (SELECT) of a ruled column', 'COPY (SELECT secret FROM people) TO STDOUT'],
    ['binary COPY of a ruled table', 'COPY people TO STDOUT (FORMAT binary)'],
  ])('%s is refused', async (_t, sql) => {
    const w = await connect();
    w.send(query(sql));
    await w.ready(2);
    expect(w.errors()[0]).toMatchObject({ code: '42501' });
    expect(
      w.msgs
        .filter((m) => m.type === 'd')
        .map((m) => m.body.toString('latin1'))
        .join(''),
    ).not.toContain('hunter2');
    w.s.destroy();
  });

  it('notices, errors and NOTIFY payloads are masked', async () => {
    const w = await connect();
    w.send(
      query('SELECT email::int FROM people'),
      query('LISTEN c'),
      query("SELECT pg_notify('c', email) FROM people"),
      query("DO $$ BEGIN RAISE NOTICE '%', (SELECT email FROM people); END $$"),
    );
    await w.ready(5);
    const all = w.msgs
      .filter((m) => 'ENA'.includes(m.type))
      .map((m) => m.body.toString('latin1'))
      .join('');
    expect(all).toContain('[MASKED:email]');
    expect(all).not.toContain('alice@example.com');
    w.s.destroy();
  });
});
