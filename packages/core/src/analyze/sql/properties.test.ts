// Properties: the analyzer never throws, and the shape cache never changes what the analysis says.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Analysis } from '../../types.js';
import { SqlSessionState } from './session-state.js';
import { SqlAnalyzer } from './sql-analyzer.js';
import { facts } from './testing/sql-cases.js';

// ── literals, tricky ones included ─────────────────────────────────────────
const trickyChar = fc.constantFrom(
  "'",
  '\\',
  '$',
  '$$',
  '--',
  '/*',
  '*/',
  ';',
  '\n',
  '\r',
  '\t',
  'ü',
  '"',
  'E',
  '&',
);
const stringContent = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 4 }),
      trickyChar,
      fc.constantFrom('role', 'ROLE', 'application_name', ' role'),
    ),
    {
      maxLength: 6,
    },
  )
  .map((parts) => parts.join(''));
const plainString = stringContent.map((s) => `'${s.replace(/'/g, "''")}'`);
const doBody = fc
  .constantFrom(
    'BEGIN PERFORM 1; END',
    'BEGIN DELETE FROM users; END',
    "BEGIN EXECUTE 'DROP TABLE t'; END",
    'BEGIN EXECUTE x; END',
    'BEGIN DROP TABLE users; END',
    'not plpgsql at all',
    "BEGIN PERFORM set_config('role', 'x', false); END",
  )
  .map((s) => `'${s.replace(/'/g, "''")}'`);
const otherString = fc.oneof(
  stringContent.map((s) => `E'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`),
  stringContent.map((s) => `$$${s.replace(/\$/g, '')}$$`),
  fc.constantFrom("U&'\\0041'", "B'101'", "X'1F'", "N'x'", "date'2020-01-01'", "'unterminated", "E'\\''"),
);
const str = fc.oneof(
  { weight: 4, arbitrary: plainString },
  { weight: 1, arbitrary: doBody },
  { weight: 1, arbitrary: otherString },
);

const digits = fc.stringMatching(/^[0-9]{1,12}$/);
const num = fc.oneof(
  fc.integer({ min: 0, max: 100_000 }).map(String),
  fc.constantFrom('2147483647', '2147483648', '0002147483647', '99999999999999999999', '0', '00'),
  fc.tuple(digits, digits).map(([a, b]) => `${a}.${b}`),
  digits.map((d) => `.${d}`),
  fc
    .tuple(digits, fc.constantFrom('e', 'E', 'e+', 'e-'), fc.integer({ min: 0, max: 99 }))
    .map(([a, e, x]) => `${a}${e}${x}`),
  fc.constantFrom('1.', '0x1F', '1_000', '1e', '1..2'),
);
const lit = fc.oneof(num, str, fc.constantFrom('true', 'false', 'NULL'));

// ── statements built from templates: the same shape with different literals ──
type Template = (l: string[]) => string;
const templates: [number, Template][] = [
  [2, (l) => `SELECT * FROM accounts WHERE id = ${l[0]} AND name = ${l[1]}`],
  [2, (l) => `DELETE FROM users WHERE ${l[0]} = ${l[1]}`],
  [2, (l) => `UPDATE users SET a = ${l[0]} WHERE ${l[1]}`],
  [1, (l) => `UPDATE users SET a = ${l[0]} WHERE id = ${l[1]} OR ${l[2]}`],
  [2, (l) => `SELECT set_config(${l[0]}, ${l[1]}, false)`],
  [2, (l) => `DO ${l[0]}`],
  [1, (l) => `DO LANGUAGE ${l[1]} ${l[0]}`],
  [2, (l) => `CREATE FUNCTION f() RETURNS void LANGUAGE 'sql' AS ${l[0]}`],
  [1, (l) => `CREATE FUNCTION f() RETURNS int LANGUAGE ${l[1]} AS ${l[0]}`],
  [1, (l) => `EXPLAIN (ANALYZE ${l[0]}) DELETE FROM users`],
  [1, (l) => `SELECT ${l[0]}::float(${l[1]})`],
  [1, (l) => `SELECT ${l[0]} ${l[1]}`],
  [1, (l) => `SELECT ${l[0]}\n${l[1]}`],
  [1, (l) => `SELECT ${l[0]}${l[1]}`],
  [1, (l) => `COPY users FROM ${l[0]}`],
  [1, (l) => `SELECT pg_read_file(${l[0]}) FROM t LIMIT ${l[1]} OFFSET ${l[2]}`],
  [1, (l) => `PREPARE p AS SELECT ${l[0]}; EXECUTE p`],
  [1, (l) => `SELECT * FROM t WHERE a IN (${l[0]}, ${l[1]}) -- ${l[2]}`],
  [1, (l) => `SELECT interval ${l[0]}, ${l[1]}::text /* ${l[2]} */`],
  [1, (l) => `INSERT INTO t VALUES (${l[0]}, ${l[1]}); SELECT ${l[2]}`],
  [1, (l) => `SELECT ${l[0]}-${l[1]}+-${l[2]}`],
  [1, (l) => `SELECT * FROM dblink(${l[0]}, ${l[1]}) AS t(x int)`],
  [1, (l) => `SET search_path = ${l[0]}; SET ROLE ${l[1]}`],
  [1, (l) => `SELECT ${l[0]}.${l[1]}`],
  // grammar contexts where a constant's class or value might matter to the parser
  [1, (l) => `SELECT ${l[0]}::varchar(${l[1]}), ${l[2]}::numeric(${l[1]}, ${l[2]})`],
  [1, (l) => `SELECT ${l[0]}::timestamp(${l[1]}) with time zone, ${l[2]}::interval(${l[1]})`],
  [1, (l) => `SELECT interval ${l[0]} second(${l[1]}), ${l[2]}::bit(${l[1]})`],
  [1, (l) => `SELECT ${l[0]}::double precision, ${l[1]}::float4, ${l[2]}::FLOAT /* c */ (${l[1]})`],
  [1, (l) => `FETCH ${l[0]} FROM c; MOVE ${l[1]} IN c`],
  [1, (l) => `CREATE SEQUENCE s INCREMENT ${l[0]} START ${l[1]} CACHE ${l[2]}`],
  [1, (l) => `ALTER ROLE r CONNECTION LIMIT ${l[0]} VALID UNTIL ${l[1]}`],
  [1, (l) => `CREATE TABLE p PARTITION OF t FOR VALUES WITH (MODULUS ${l[0]}, REMAINDER ${l[1]})`],
  [1, (l) => `CREATE TABLE p PARTITION OF t FOR VALUES FROM (${l[0]}) TO (${l[1]})`],
  [
    1,
    (l) => `SELECT * FROM t TABLESAMPLE SYSTEM (${l[0]}) REPEATABLE (${l[1]}) FETCH FIRST ${l[2]} ROWS ONLY`,
  ],
  [1, (l) => `SELECT EXTRACT(${l[0]} FROM now()), OVERLAY(${l[1]} PLACING 'x' FROM ${l[2]} FOR ${l[0]})`],
  [1, (l) => `SELECT ${l[0]} AT TIME ZONE ${l[1]}, ${l[2]} COLLATE "C"`],
  [1, (l) => `SET TIME ZONE ${l[0]}; SET TIME ZONE INTERVAL ${l[1]} HOUR TO MINUTE`],
  [1, (l) => `PREPARE TRANSACTION ${l[0]}; COMMIT PREPARED ${l[1]}`],
  [1, (l) => `SELECT JSON_OBJECT(${l[0]} : ${l[1]}), ${l[2]} IS JSON, XMLPARSE(DOCUMENT ${l[0]})`],
  [1, (l) => `SELECT ARRAY[${l[0]}][${l[1]}:${l[2]}] ORDER BY ${l[0]} LIMIT ${l[1]}`],
  [1, (l) => `CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f(${l[0]}, ${l[1]})`],
  [1, (l) => `COPY t TO ${l[0]} WITH (FORMAT ${l[1]}, DELIMITER ${l[2]})`],
  [1, (l) => `EXPLAIN (ANALYZE ${l[0]}, FORMAT ${l[1]}) SELECT ${l[2]}`],
  [1, (l) => `CREATE DATABASE d CONNECTION LIMIT ${l[0]} ENCODING ${l[1]}`],
  [1, (l) => `SELECT ${l[0]} ISNULL, ${l[1]} NOTNULL, ${l[2]} IS DISTINCT FROM 1`],
  [1, (l) => `SELECT U&${l[0]} UESCAPE ${l[1]}`],
  [1, (l) => `SELECT ${l[0]}::int[${l[1]}]`],
  [1, (l) => `LOCK t IN ACCESS SHARE MODE; SELECT pg_sleep(${l[0]}); NOTIFY ch, ${l[1]}`],
];
const template = fc.oneof(...templates.map(([weight, t]) => ({ weight, arbitrary: fc.constant(t) })));
const literals = fc.array(lit, { minLength: 3, maxLength: 3 });

// random token soup: keywords, identifiers, literals, punctuation
const token = fc.oneof(
  fc.constantFrom(
    'SELECT',
    'DELETE',
    'FROM',
    'WHERE',
    'DO',
    'WITH',
    'AS',
    'EXECUTE',
    'PREPARE',
    'UPDATE',
    'SET',
    'users',
  ),
  fc.constantFrom(
    '(',
    ')',
    ',',
    ';',
    '=',
    '*',
    '.',
    '::',
    '$1',
    '--',
    '/*',
    '*/',
    '\n',
    ' ',
    'E',
    'U&',
    '"x"',
  ),
  lit,
);
const soup = fc.array(token, { maxLength: 12 }).map((ts) => ts.join(' '));

describe('SQL analyzer properties', () => {
  let cached: SqlAnalyzer;
  let uncached: SqlAnalyzer;
  beforeAll(async () => {
    cached = await SqlAnalyzer.create({ cacheSize: 2000 });
    uncached = await SqlAnalyzer.create({ cacheSize: 0 });
  });

  const wellFormed = (a: Analysis) => {
    if (a.parseError !== undefined) {
      expect(typeof a.parseError).toBe('string');
      expect(a.units).toEqual([]);
    } else {
      expect(Array.isArray(a.units)).toBe(true);
      for (const u of a.units) expect(u.kind).toBe('sql');
    }
  };

  it('never throws on arbitrary text: units or a parse error', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 }), soup),
        (text) => {
          wellFormed(cached.analyze(text, new SqlSessionState()));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('shape-cached and uncached analyses agree on statements that share shapes', () => {
    fc.assert(
      fc.property(template, literals, literals, (t, a, b) => {
        // the first text, seen twice, puts its shape in the cache; the second is the one compared
        cached.analyze(t(a), new SqlSessionState());
        cached.analyze(t(a), new SqlSessionState());
        const text = t(b);
        const viaCache = cached.analyze(text, new SqlSessionState());
        wellFormed(viaCache);
        expect(facts(viaCache), text).toEqual(facts(uncached.analyze(text, new SqlSessionState())));
      }),
      { numRuns: Number(process.env.SQL_PROPERTY_RUNS ?? 2500) },
    );
  });

  it('shape-cached and uncached analyses agree on random token soup', () => {
    fc.assert(
      fc.property(soup, soup, (warm, text) => {
        cached.analyze(warm);
        cached.analyze(warm);
        expect(facts(cached.analyze(text)), text).toEqual(facts(uncached.analyze(text)));
      }),
      { numRuns: Number(process.env.SQL_PROPERTY_RUNS ?? 1500) },
    );
  });
});
