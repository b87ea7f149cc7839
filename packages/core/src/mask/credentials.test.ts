// Passwords, URL credentials and JSON credential keys (the `api_key` detector): the shapes, the
// look-alikes, and every path agreeing — value(), valueBytes(), the byte pre-check and the gates,
// the stream (any split), COPY rows field by field, and the JSON maskers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Detector } from '../config/types.js';
import { mayMask, mayMaskByPrescan } from './byte-precheck.js';
import { combinedGate, combinedGateByTable, DETECTORS } from './detectors.js';
import { FieldEdits, maskFieldsBytes } from './fields.js';
import { createMasker } from './masker.js';
import { findAll, render, resolve } from './scan.js';
import { ALL_DETECTORS } from './testing/samples.js';

const SSH: Detector[] = ['aws_access_key', 'private_key', 'jwt', 'api_key'];
const masker = (detectors: Detector[] = ALL_DETECTORS) =>
  createMasker({ detectors, columns: [], jsonPaths: [], replacement: '[MASKED:{type}]' });

describe('password assignments', () => {
  const cases: [string, string][] = [
    ['DB_PASSWORD=Pa55w0rd!x', 'DB_PASSWORD=[MASKED:api_key]'],
    ['export PGPASSWORD="s3cr3t pass"', 'export PGPASSWORD="[MASKED:api_key]"'],
    ['MYSQL_ROOT_PASSWORD: rootpw-123', 'MYSQL_ROOT_PASSWORD: [MASKED:api_key]'],
    ['spring.datasource.password = Tr0ub4dor&3', 'spring.datasource.password = [MASKED:api_key]'],
    ['db-password: "x7$Qa!9z"', 'db-password: "[MASKED:api_key]"'],
    ['dbPassword=abc123!?', 'dbPassword=[MASKED:api_key]'],
    ['db_pass=abcdef', 'db_pass=[MASKED:api_key]'],
    ['dbPwd = abcdef', 'dbPwd = [MASKED:api_key]'],
    ['pwd: hunter22', 'pwd: [MASKED:api_key]'],
    ['passwd=hunter22', 'passwd=[MASKED:api_key]'],
    ['passphrase: "correct horse battery staple"', 'passphrase: "[MASKED:api_key]"'],
    ['[db]\npassword = hunter22 ; comment', '[db]\npassword = [MASKED:api_key] ; comment'],
    ["password => 'hunter22',", "password => '[MASKED:api_key]',"],
    ['--db-password s3cr3t!! --user app', '--db-password [MASKED:api_key] --user app'],
    ['--password=s3cr3t!!', '--password=[MASKED:api_key]'],
    ['"password":"a\\"b\\\\cdef"', '"password":"[MASKED:api_key]"'],
    [`password=${'x1'.repeat(64)}`, 'password=[MASKED:api_key]'], // 128 characters: the longest taken
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input.slice(0, 60)), () => {
      const m = masker(SSH);
      expect(m.value(input)).toBe(want);
      expect(m.counts).toEqual({ api_key: want.split('[MASKED:api_key]').length - 1 });
    });
  }
  const left: string[] = [
    `password=${'x1'.repeat(65)}`, // 130 characters: not a password value
    'password=abcde', // under 6
    'password: $1',
    'password = :new_password',
    'password = @pw',
    'password: %(password)s',
    'password: %DB_PASSWORD%',
    'password: {password}',
    'password: $(cat /run/secrets/db)',
    'password: [REDACTED]',
    'db_password: db_password',
    'PGPASSWORD=pgpassword',
    'new.password = old.password',
    'password = NEW.user_password',
    'compass=abcdefgh',
    'trespass: abcdefgh',
    'PGPASS=abcdefgh',
    'password_hash = abcdefgh123',
    'password_min_length: 12345678',
    'password  is  hunter22',
    'password:\thunter\u00e922', // a non-ASCII character ends an unquoted value: "hunter" + é is masked up to it
  ];
  for (const input of left.slice(0, -1)) {
    it(`leaves ${JSON.stringify(input.slice(0, 60))}`, () => {
      expect(masker().value(input)).toBe(input);
    });
  }
  it('a non-ASCII character ends an unquoted value and rejects a quoted one', () => {
    expect(masker().value('password:\thunter\u00e922')).toBe('password:\t[MASKED:api_key]\u00e922');
    expect(masker().value('password: "hunt\u00e9r22"')).toBe('password: "hunt\u00e9r22"');
  });
});

describe('URL credentials', () => {
  const cases: [string, string][] = [
    [
      'postgresql://app:S3cr3t!@db:5432/prod?sslmode=require',
      'postgresql://app:[MASKED:api_key]@db:5432/prod?sslmode=require',
    ],
    ['rediss://default:pw@cache:6380', 'rediss://default:[MASKED:api_key]@cache:6380'],
    ['ldap://cn=admin:pa:ss@ldap:389', 'ldap://cn=admin:[MASKED:api_key]@ldap:389'],
    [
      'smtp://mailer:p%40ss@smtp:587 and ftp://u:x9@files',
      'smtp://mailer:[MASKED:api_key]@smtp:587 and ftp://u:[MASKED:api_key]@files',
    ],
    ['"mysql://root:r00t@db/app"', '"mysql://root:[MASKED:api_key]@db/app"'],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input.slice(0, 60)), () => {
      expect(masker(SSH).value(input)).toBe(want);
    });
  }
  for (const input of [
    'ssh://git@github:22/x',
    'postgres://app:*@db/x',
    'postgres://app:${PASS}@db/x',
    'postgres://app:$PASS@db/x',
    'postgres://app:<password>@db/x',
    'https://host/a:b@c',
    'https://host?u=a:b@c',
    'mailto:a:b@c',
  ]) {
    it(`leaves ${JSON.stringify(input)}`, () => expect(masker(SSH).value(input)).toBe(input));
  }
});

// ── every path agrees ──
const NAMES = [
  'password',
  'DB_PASSWORD',
  'dbPassword',
  'pwd',
  'db_pass',
  'bypass',
  'passphrase',
  '--password',
  'PWD',
  'x',
];
const SEPS = ['=', ': ', ' = ', '="', "='", ' := ', ' => ', ' ', '\t=\t', '::', '=='];
const VALUES = [
  'Pa55w0rd!x',
  'hunter22',
  '${PW}',
  '$1',
  '****',
  'abc',
  'p a s s"',
  '/home/x',
  'x'.repeat(130),
  'Zx8fK2mQ9vL4pR7tW1yB',
];
const ENDS = ['', '"', "'", ' ', '\n', '\t', ',', ';', 'é'];
const assignment = fc
  .tuple(
    fc.constantFrom(...NAMES),
    fc.constantFrom(...SEPS),
    fc.constantFrom(...VALUES),
    fc.constantFrom(...ENDS),
  )
  .map(([n, s, v, e]) => `${n}${s}${v}${e}`);
const url = fc
  .tuple(
    fc.constantFrom('postgres', 'redis', 'mongodb+srv', 'http', 'x', '1a', ''),
    fc.constantFrom('://', ':/', ':'),
    fc.constantFrom('app', '', 'a@b', 'u'),
    fc.constantFrom(':', '', '::'),
    fc.constantFrom('S3cr3t!', 'p@ss', '*', '${P}', '', 'x'.repeat(300)),
    fc.constantFrom('@db:5432/x', '@db', '', '/x@y', '@h.example.com', ' @h'),
  )
  .map((p) => p.join(''));
const credText = fc
  .array(fc.oneof(assignment, url, fc.constantFrom(' ', '\n', 'é', 'x ', '\t', '"', 'token=', 'Bearer ')), {
    maxLength: 5,
  })
  .map((p) => p.join(''));

describe('paths agree on generated credential text', () => {
  const specs = ALL_DETECTORS.map((d) => DETECTORS[d]);
  const ungated = (text: string): string =>
    render(text, 0, text.length, resolve(findAll(text, 0, specs)), (m) => `[MASKED:${m.detector}]`);

  it('value() equals every detector ungated, and the byte pre-check never skips a masked value', () => {
    const m = masker();
    fc.assert(
      fc.property(credText, (text) => {
        const got = m.value(text);
        expect(got).toBe(ungated(text));
        const b = Buffer.from(text, 'utf8');
        expect(mayMask(b, 0, b.length)).toBe(mayMaskByPrescan(b, 0, b.length));
        if (got !== text) expect(mayMask(b, 0, b.length)).toBe(true);
      }),
      { numRuns: 4000 },
    );
  });

  it('valueBytes() equals value(), UTF-8 and latin1, with the shell and the full detector sets', () => {
    fc.assert(
      fc.property(
        credText,
        fc.constantFrom(SSH, ALL_DETECTORS),
        fc.constantFrom('utf8', 'latin1'),
        (text, set, enc) => {
          const viaText = masker(set);
          const viaBytes = masker(set);
          const b = Buffer.from(`ab${text}cd`, enc as BufferEncoding);
          const decoded = b.toString(enc as BufferEncoding, 2, b.length - 2);
          const want = viaText.value(decoded);
          expect(viaBytes.valueBytes(b, 2, b.length - 2, undefined, enc as 'utf8' | 'latin1')).toBe(
            want === decoded ? undefined : want,
          );
          expect(viaBytes.counts).toEqual(viaText.counts);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('the stream equals value() for random chunkings', () => {
    fc.assert(
      fc.property(
        credText,
        fc.array(fc.nat(200), { maxLength: 4 }),
        fc.constantFrom(SSH, ALL_DETECTORS),
        (text, cuts, set) => {
          const m = masker(set);
          const b = Buffer.from(text, 'utf8');
          const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
          const s = m.stream();
          const out: Uint8Array[] = [];
          let prev = 0;
          for (const c of [...at, b.length]) {
            out.push(s.write(b.subarray(prev, c)));
            prev = c;
          }
          out.push(s.flush());
          expect(Buffer.concat(out).toString('utf8')).toBe(masker(set).value(text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a COPY row equals value() of the line when an assignment or a URL sits in or across fields', () => {
    const edits = new FieldEdits();
    fc.assert(
      fc.property(fc.array(credText, { minLength: 1, maxLength: 4 }), (fields) => {
        const line = `${fields.join('\t')}\n`;
        const m = masker();
        const b = Buffer.from(line, 'utf8');
        const want = masker().value(line);
        const changed = maskFieldsBytes(m, b, 0, b.length, 'utf8', edits);
        let got = line;
        if (changed) {
          const parts: Buffer[] = [];
          let pos = 0;
          for (let k = 0; k < edits.count; k++) {
            parts.push(b.subarray(pos, edits.starts[k]), Buffer.from(edits.texts[k]!, 'utf8'));
            pos = edits.ends[k]!;
          }
          parts.push(b.subarray(pos));
          got = Buffer.concat(parts).toString('utf8');
        }
        expect(got).toBe(want);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('stream', () => {
  it('masks a password and a URL password split at every byte', () => {
    const m = masker(SSH);
    for (const text of [
      'cat .env\r\nDB_PASSWORD=Pa55w0rd!x\r\nDATABASE_URL=postgres://app:S3cr3t!@db:5432/prod\r\n$ ',
      `password: "${'p4!'.repeat(42)}"\n`,
    ]) {
      const want = m.value(text);
      expect(want).toContain('[MASKED:api_key]');
      const b = Buffer.from(text);
      for (let i = 0; i <= b.length; i++) {
        const s = m.stream();
        const got = Buffer.concat([s.write(b.subarray(0, i)), s.write(b.subarray(i)), s.flush()]).toString();
        expect(got, `split at ${i}`).toBe(want);
      }
    }
  });
  it('holds no more than a password assignment or an authority can span', () => {
    const s = masker(SSH).stream();
    s.write(Buffer.from(`password=${'a1'.repeat(300)}`));
    expect(s.pending).toBeLessThanOrEqual(DETECTORS.api_key.maxLength);
    const u = masker(SSH).stream();
    u.write(Buffer.from(`postgres://${'a'.repeat(1000)}`));
    expect(u.pending).toBeLessThanOrEqual(DETECTORS.api_key.maxLength);
  });
  it('a prompt after the value is not held', () => {
    const s = masker(SSH).stream();
    expect(Buffer.from(s.write(Buffer.from('password=hunter22\r\nuser@host:~$ '))).toString()).toBe(
      'password=[MASKED:api_key]\r\nuser@host:~$ ',
    );
    expect(s.pending).toBe(0);
  });
});

describe('JSON credential keys', () => {
  const body =
    '{"password": "Pa55w0rd!x", "db_password": "hunter22", "user": "app", "token": "a8f5f167f44f4964e6c998dee827110c",' +
    ' "client_secret": "hunter2-prod", "secret": "", "api_key": "short", "password_hash": "$2b$12$abcdefgh",' +
    ' "passwords": ["Pa55w0rd!x"], "nested": {"pwd": "${PW}", "PGPASSWORD": "abc\\u0021def"}}';
  const want = {
    password: '[MASKED:api_key]',
    db_password: '[MASKED:api_key]',
    user: 'app',
    token: '[MASKED:api_key]',
    client_secret: '[MASKED:api_key]',
    secret: '',
    api_key: 'short',
    password_hash: '$2b$12$abcdefgh',
    passwords: ['Pa55w0rd!x'],
    nested: { pwd: '${PW}', PGPASSWORD: '[MASKED:api_key]' },
  };
  it('json() and maskJsonBytes() mask a string under a credential key whole', () => {
    const a = masker(SSH);
    expect(a.json(JSON.parse(body))).toEqual(want);
    const b = masker(SSH);
    const out = b.maskJsonBytes(Buffer.from(body))!;
    expect(JSON.parse(out.toString())).toEqual(want);
    expect(b.counts).toEqual({ api_key: 5 });
    expect(a.counts).toEqual(b.counts);
  });
  it('without api_key the keys mean nothing', () => {
    expect(masker(['email']).json(JSON.parse(body))).toEqual(JSON.parse(body));
  });
  it('a json_path still wins over a credential key', () => {
    const m = createMasker({ detectors: SSH, columns: [], jsonPaths: ['$.password'] });
    expect(m.maskJsonBytes(Buffer.from('{"password":"Pa55w0rd!x"}'))!.toString()).toBe(
      '{"password":"[MASKED:json_path]"}',
    );
  });
  it('jsonStream() masks the pairs in the text, split at every byte', () => {
    const m = masker(SSH);
    const text = '{"user":"app","password":"Pa55w0rd!x","dsn":"redis://:hunter2@cache:6379"}';
    const b = Buffer.from(text);
    for (let i = 0; i <= b.length; i++) {
      const j = m.jsonStream();
      const got = Buffer.concat([j.write(b.subarray(0, i)), j.write(b.subarray(i)), j.flush()]).toString();
      expect(JSON.parse(got)).toEqual({
        user: 'app',
        password: '[MASKED:api_key]',
        dsn: 'redis://:[MASKED:api_key]@cache:6379',
      });
    }
  });
  it('property: maskJsonBytes() equals json() on documents with credential keys', () => {
    const key = fc.constantFrom(
      'password',
      'db_password',
      'dbPassword',
      'token',
      'client_secret',
      'secret',
      'api_key',
      'bypass',
      'user',
      'pass\u00e9',
    );
    const val = fc.oneof(
      fc.constantFrom(
        'Pa55w0rd!x',
        'hunter22',
        '${PW}',
        '****',
        'a8f5f167f44f4964e6c998dee827110c',
        'x\ny12345',
        'caf\u00e9123',
        '',
      ),
      fc.string(),
      fc.integer(),
    );
    const doc = fc.dictionary(
      key,
      fc.oneof(val, fc.array(val, { maxLength: 2 }), fc.dictionary(key, val, { maxKeys: 3 })),
      {
        maxKeys: 5,
      },
    );
    fc.assert(
      fc.property(doc, fc.boolean(), (d, escapeKey) => {
        let text = JSON.stringify(d);
        if (escapeKey) text = text.replace(/"password"/g, '"pass\\u0077ord"');
        const a = masker(SSH);
        const b = masker(SSH);
        expect(JSON.parse(a.maskJsonBytes(Buffer.from(text))!.toString())).toEqual(b.json(JSON.parse(text)));
        expect(a.counts).toEqual(b.counts);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the compiled combined gate', () => {
  it('answers as the table of minimums does, for every detector subset', () => {
    const pre = fc.record({
      length: fc.nat(60),
      digits: fc.nat(20),
      upper: fc.nat(8),
      at: fc.boolean(),
      digitRun: fc.nat(20),
      tokenRun: fc.nat(45),
      dashRun: fc.nat(6),
      assign: fc.nat(2),
    });
    fc.assert(
      fc.property(fc.subarray(ALL_DETECTORS), pre, (set, p) => {
        const specs = set.map((d) => DETECTORS[d]);
        expect(combinedGate(specs)(p)).toBe(combinedGateByTable(specs)(p));
      }),
      { numRuns: 5000 },
    );
  });
});
