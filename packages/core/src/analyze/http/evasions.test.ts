// Requests an agent shapes to reach `DELETE /v1/payments/7`, `POST /admin/…` or a body the policy denies
// while looking like something else, judged end to end (analyzeHttp → CompiledPolicy). One line per
// evasion: the decision it must get. Families: path, method, header, query, body; and allow rules that a
// request must not borrow (default deny).
import { deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CompiledPolicy } from '../../policy/compiled-policy.js';
import { agent, policy } from '../../policy/testing.js';
import type { Action, HttpCommand } from '../../types.js';
import { analyzeHttp } from './analyze.js';

const denyPolicy = new CompiledPolicy(
  policy(
    [
      {
        name: 'no-payment-writes',
        when: {
          http: { methods: ['POST', 'PUT', 'PATCH', 'DELETE'], paths: ['/v1/payments', '/v1/payments/**'] },
        },
      },
      { name: 'no-refund-deletes', when: { http: { methods: ['DELETE'], paths: ['/v1/refunds/**'] } } },
      { name: 'no-admin', when: { http: { paths: ['/admin', '/admin/**'] } } },
      { name: 'no-export', when: { http: { methods: ['GET'], paths: ['/v1/export'] } } },
      { name: 'no-drop', when: { http: { paths: ['/v1/sql'], body: '(?i)drop\\s+table' } } },
      {
        name: 'no-big-transfer',
        when: { http: { paths: ['/v1/transfers'], json: { '$.amount': 1000000 } } },
      },
      { name: 'no-force', when: { http: { query: { force: 'true' } } } },
      { name: 'no-debug', when: { http: { headers: { 'x-debug': 'on' } } } },
      { name: 'no-admin-role', when: { http: { json: { '$.user.role': 'admin' } } } },
    ],
    { default: 'allow' },
  ),
);

const enc = (s: string) => new TextEncoder().encode(s);
type Req = Partial<HttpCommand> & { body?: Uint8Array };
const judge = (p: CompiledPolicy, r: Req): Action =>
  p.evaluate(analyzeHttp({ kind: 'http', method: 'GET', target: '/', headers: {}, ...r }), agent).decision
    .action;

const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const multipart = (fields: [string, string, string?][]) => {
  const parts = fields.map(
    ([name, value, extra]) =>
      `--XyZ\r\nContent-Disposition: form-data; name="${name}"\r\n${extra ?? ''}\r\n${value}\r\n`,
  );
  return {
    body: enc(`${parts.join('')}--XyZ--\r\n`),
    headers: { 'content-type': 'multipart/form-data; boundary=XyZ' },
  };
};

// [what, request]: every one of these must be denied (or refused: on_parse_error is deny).
const denied: [string, Req][] = [
  // path
  ['asterisk-form with DELETE', { method: 'DELETE', target: '*' }],
  ['Rails format suffix', { method: 'POST', target: '/v1/payments.json' }],
  ['Rails format suffix on admin', { target: '/admin.json' }],
  ['trailing dot (Windows/IIS)', { method: 'DELETE', target: '/v1/payments./7' }],
  ['trailing dot at the end', { target: '/admin.' }],
  ['trailing encoded space', { target: '/admin%20' }],
  ['encoded ? ends the path for a decode-then-split server', { target: '/admin%3F.css' }],
  ['encoded # likewise', { method: 'DELETE', target: '/v1/payments%23/7' }],
  ['dotless i (ASP.NET OrdinalIgnoreCase)', { target: '/adm%C4%B1n' }],
  ['dotted capital I', { target: '/%C4%B0ADMIN' }],
  ['long s', { method: 'DELETE', target: '/v1/payment%C5%BF/7' }],
  ['overlong UTF-8 slash', { target: '/v1%c0%afadmin' }],
  ['%2F', { target: '/admin%2Fusers' }],
  ['%252F double encoding', { target: '/v1/x/..%252Fadmin' }],
  ['%5C', { target: '/v1%5C..%5Cadmin' }],
  ['%00', { target: '/admin%00.css' }],
  ['matrix param', { method: 'DELETE', target: '/v1/payments;x=1/7' }],
  ['case', { method: 'DELETE', target: '/V1/PayMents/7' }],
  ['absolute-form', { method: 'DELETE', target: 'HTTP://h/v1/payments/7' }],
  ['missing leading slash', { method: 'DELETE', target: 'v1/payments/7' }],
  ['full-width solidus', { target: '/v1%EF%BC%8F..%EF%BC%8Fadmin' }],
  // method
  ['HEAD runs the GET handler', { method: 'HEAD', target: '/v1/export' }],
  [
    'override header with underscores (CGI/PHP read it as the dashed one)',
    { method: 'POST', target: '/v1/refunds/7', headers: { x_http_method_override: 'DELETE' } },
  ],
  ['_method with an upper-case name', { target: '/v1/payments/7?_METHOD=DELETE' }],
  ['_method after a ; separator', { target: '/v1/payments/7?a=1;_method=DELETE' }],
  ['_method as PHP reads " method"', { target: '/v1/payments/7?.method=DELETE' }],
  [
    '_method in a multipart form',
    { method: 'POST', target: '/v1/refunds/7', ...multipart([['_method', 'delete']]) },
  ],
  [
    '_method in a quoted-printable multipart field',
    {
      method: 'POST',
      target: '/v1/refunds/7',
      ...multipart([['_method', 'DE=4CETE', 'Content-Transfer-Encoding: quoted-printable\r\n']]),
    },
  ],
  [
    '_method in an unlabelled form body',
    { method: 'POST', target: '/v1/refunds/7', body: enc('_method=DELETE') },
  ],
  [
    '_method in the unread part of a form body over the cap',
    { method: 'POST', target: '/v1/refunds/7', headers: form, body: enc('a=1'), bodyTruncated: true },
  ],
  [
    '_method as an escaped JSON key',
    { method: 'POST', target: '/v1/refunds/7', headers: json, body: enc('{"\\u005fmethod":"DELETE"}') },
  ],
  // headers
  ['header name with underscores', { headers: { x_debug: 'on' } }],
  ['header repeated', { headers: { 'x-debug': ['off', 'on'] } }],
  // query
  ['query key case', { target: '/x?FORCE=true' }],
  ['query key encoded', { target: '/x?%66orce=true' }],
  ['query key as a list (force[])', { target: '/x?force[]=true' }],
  ['query value case', { target: '/x?force=TRUE' }],
  ['query repeated key', { target: '/x?force=false&force=true' }],
  ['query ; separator', { target: '/x?a=1;force=true' }],
  // body regex
  [
    'body in a JSON string with an escaped space',
    { method: 'POST', target: '/v1/sql', headers: json, body: enc('{"q":"drop\\u0020table users"}') },
  ],
  [
    'body with an escaped tab',
    { method: 'POST', target: '/v1/sql', headers: json, body: enc('{"q":"drop\\ttable users"}') },
  ],
  [
    'body form-encoded',
    { method: 'POST', target: '/v1/sql', headers: form, body: enc('q=drop%20table+users') },
  ],
  [
    'body form-encoded with +',
    { method: 'POST', target: '/v1/sql', headers: form, body: enc('q=drop+table+users') },
  ],
  [
    'body UTF-16 without a charset',
    { method: 'POST', target: '/v1/sql', body: Buffer.from('\ufeffdrop table users', 'utf16le') },
  ],
  [
    'body UTF-16 without a BOM',
    {
      method: 'POST',
      target: '/v1/sql',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from('drop table users', 'utf16le'),
    },
  ],
  [
    'body UTF-8 under a declared utf-16',
    {
      method: 'POST',
      target: '/v1/sql',
      headers: { 'content-type': 'text/plain; charset=utf-16le' },
      body: enc('drop table users!'),
    },
  ],
  ['body UTF-32', { method: 'POST', target: '/v1/sql', body: utf32('drop table users') }],
  [
    'body base64 in a multipart part',
    {
      method: 'POST',
      target: '/v1/sql',
      ...multipart([
        ['q', Buffer.from('drop table x').toString('base64'), 'Content-Transfer-Encoding: base64\r\n'],
      ]),
    },
  ],
  [
    'body gzip',
    {
      method: 'POST',
      target: '/v1/sql',
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync('drop table x'),
    },
  ],
  [
    'body raw deflate',
    {
      method: 'POST',
      target: '/v1/sql',
      headers: { 'content-encoding': 'deflate' },
      body: deflateRawSync('drop table x'),
    },
  ],
  [
    'body gzip then identity, stacked',
    {
      method: 'POST',
      target: '/v1/sql',
      headers: { 'content-encoding': ['gzip', 'identity'] },
      body: gzipSync('drop table x'),
    },
  ],
  [
    'body with an unknown coding',
    { method: 'POST', target: '/v1/sql', headers: { 'content-encoding': 'zstd' }, body: enc('drop table x') },
  ],
  [
    'body over the inspection cap',
    { method: 'POST', target: '/v1/sql', body: enc('select 1'), bodyTruncated: true },
  ],
  // json
  [
    'json amount as a string',
    { method: 'POST', target: '/v1/transfers', headers: json, body: enc('{"amount":"1000000"}') },
  ],
  [
    'json amount as 1e6',
    { method: 'POST', target: '/v1/transfers', headers: json, body: enc('{"amount":1e6}') },
  ],
  [
    'json amount form-encoded',
    { method: 'POST', target: '/v1/transfers', headers: form, body: enc('amount=1000000') },
  ],
  [
    'json amount in multipart',
    { method: 'POST', target: '/v1/transfers', ...multipart([['amount', '1000000']]) },
  ],
  [
    'json nested in a form (Rails/PHP brackets)',
    { method: 'POST', target: '/x', headers: form, body: enc('user[role]=admin') },
  ],
  [
    'json nested in a form (Spring dots)',
    { method: 'POST', target: '/x', headers: form, body: enc('user.role=admin') },
  ],
  [
    'json in a form, repeated key (last wins upstream)',
    { method: 'POST', target: '/v1/transfers', headers: form, body: enc('amount=1&amount=1000000') },
  ],
  [
    'json duplicate keys',
    { method: 'POST', target: '/v1/transfers', headers: json, body: enc('{"amount":1,"amount":1000000}') },
  ],
  [
    'json escaped duplicate key',
    {
      method: 'POST',
      target: '/v1/transfers',
      headers: json,
      body: enc('{"amount":1,"\\u0061mount":1000000}'),
    },
  ],
  [
    'json with comments as text/plain',
    {
      method: 'POST',
      target: '/v1/transfers',
      headers: { 'content-type': 'text/plain' },
      body: enc('{"amount": /* hi */ 1000000}'),
    },
  ],
  [
    'json with a trailing comma, unlabelled',
    { method: 'POST', target: '/v1/transfers', body: enc('{"amount":1000000,}') },
  ],
  [
    'json declared, with comments',
    { method: 'POST', target: '/v1/transfers', headers: json, body: enc('{"amount":1000000 // x\n}') },
  ],
  [
    'json with single quotes and bare keys',
    {
      method: 'POST',
      target: '/v1/transfers',
      headers: { 'content-type': 'text/plain' },
      body: enc("{amount: 1000000, 'note': 'x'}"),
    },
  ],
  [
    'json with a BOM',
    {
      method: 'POST',
      target: '/v1/transfers',
      headers: { 'content-type': 'text/plain' },
      body: enc('\ufeff{"amount":1000000}'),
    },
  ],
  [
    'json in UTF-16 (Jackson detects it)',
    {
      method: 'POST',
      target: '/v1/transfers',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from('{"amount":1000000}', 'utf16le'),
    },
  ],
  [
    'two Content-Types',
    {
      method: 'POST',
      target: '/v1/transfers',
      headers: { 'content-type': ['text/plain', 'application/json'] },
      body: enc('{"amount":1000000}'),
    },
  ],
];

function utf32(s: string): Buffer {
  const b = Buffer.alloc(s.length * 4);
  for (let i = 0; i < s.length; i++) b.writeUInt32LE(s.charCodeAt(i), i * 4);
  return b;
}

// Everyday requests that must stay allowed (false positives matter too).
const allowed: [string, Req][] = [
  ['a read', { target: '/v1/payments/7' }],
  ['a refund POST', { method: 'POST', target: '/v1/refunds/7', ...multipart([['note', 'x']]) }],
  ['OPTIONS *', { method: 'OPTIONS', target: '*' }],
  ['a file with an extension elsewhere', { target: '/v1/files/report.csv' }],
  ['an email in a path', { target: '/v1/users/alice%40example.com' }],
  ['unicode that is stable', { target: '/v1/caf%C3%A9' }],
  [
    'a JSON body without escapes',
    { method: 'POST', target: '/v1/sql', headers: json, body: enc('{"q":"select 1"}') },
  ],
  ['a form body', { method: 'POST', target: '/v1/sql', headers: form, body: enc('q=select+1') }],
  [
    'a small transfer',
    { method: 'POST', target: '/v1/transfers', headers: json, body: enc('{"amount":10}') },
  ],
  [
    'a small transfer as a form',
    { method: 'POST', target: '/v1/transfers', headers: form, body: enc('amount=10') },
  ],
  [
    'a multipart upload',
    {
      method: 'POST',
      target: '/v1/files',
      ...multipart([
        ['title', 'x'],
        ['note', 'hello'],
      ]),
    },
  ],
  [
    'text starting with a brace',
    {
      method: 'POST',
      target: '/v1/notes',
      headers: { 'content-type': 'text/plain' },
      body: enc('{{greeting}} there'),
    },
  ],
  [
    'binary upload',
    {
      method: 'POST',
      target: '/v1/files',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]),
    },
  ],
  ['GET export of another path', { target: '/v1/export/7' }],
];

describe('deny rules see every reading of the request', () => {
  it.each(denied)('%s', (_what, r) => {
    expect(judge(denyPolicy, r)).toBe('deny');
  });
  it.each(allowed)('still allows %s', (_what, r) => {
    expect(judge(denyPolicy, r)).toBe('allow');
  });
});

// Default deny: allow rules must not match a request that only partly fits them.
const allowPolicy = new CompiledPolicy(
  policy(
    [
      { name: 'reads', when: { http: { methods: ['GET'], paths: ['/v1/**'] } }, action: 'allow' },
      {
        name: 'dry-runs',
        when: { http: { methods: ['POST'], paths: ['/v1/jobs'], query: { dry_run: 'true' } } },
        action: 'allow',
      },
      {
        name: 'traced',
        when: { http: { methods: ['POST'], paths: ['/v1/traced'], headers: { 'x-mode': 'test' } } },
        action: 'allow',
      },
      {
        name: 'small',
        when: { http: { methods: ['POST'], paths: ['/v1/small'], body: '^ok$' } },
        action: 'allow',
      },
      {
        name: 'preview',
        when: { http: { methods: ['POST'], paths: ['/v1/preview'], json: { '$.items[*].kind': 'read' } } },
        action: 'allow',
      },
    ],
    { default: 'deny' },
  ),
);

const notBorrowed: [string, Req][] = [
  [
    'a GET with an override header',
    { target: '/v1/payments/7', headers: { 'x-http-method-override': 'DELETE' } },
  ],
  ['a GET with _method', { target: '/v1/payments/7?_method=DELETE' }],
  ['a repeated query key', { method: 'POST', target: '/v1/jobs?dry_run=true&dry_run=false' }],
  ['a repeated header', { method: 'POST', target: '/v1/traced', headers: { 'x-mode': ['test', 'live'] } }],
  [
    'a form body over the cap (a _method may hide in its unread part)',
    { method: 'POST', target: '/v1/jobs?dry_run=true', headers: form, body: enc('a=1'), bodyTruncated: true },
  ],
  [
    'a body over the inspection cap',
    { method: 'POST', target: '/v1/small', body: enc('ok'), bodyTruncated: true },
  ],
  [
    'a JSON array where one item differs',
    {
      method: 'POST',
      target: '/v1/preview',
      headers: json,
      body: enc('{"items":[{"kind":"read"},{"kind":"write"}]}'),
    },
  ],
  [
    'JSON a lenient parser reads',
    {
      method: 'POST',
      target: '/v1/preview',
      headers: { 'content-type': 'text/plain' },
      body: enc('{"items":[{"kind":"read"},]}'),
    },
  ],
];
const stillAllowed: [string, Req][] = [
  [
    'a POST overridden to GET when both are allowed',
    { method: 'POST', target: '/v1/jobs?dry_run=true', headers: { 'x-http-method-override': 'GET' } },
  ],
  ['a GET', { target: '/v1/payments/7' }],
  ['a dry run', { method: 'POST', target: '/v1/jobs?dry_run=true' }],
  ['a traced call', { method: 'POST', target: '/v1/traced', headers: { 'x-mode': 'test' } }],
  ['a small body', { method: 'POST', target: '/v1/small', body: enc('ok') }],
  [
    'a preview',
    {
      method: 'POST',
      target: '/v1/preview',
      headers: json,
      body: enc('{"items":[{"kind":"read"},{"kind":"read"}]}'),
    },
  ],
];

describe('allow rules need every reading to match', () => {
  it.each(notBorrowed)('%s is not allowed', (_what, r) => {
    expect(judge(allowPolicy, r)).toBe('deny');
  });
  it.each(stillAllowed)('%s is allowed', (_what, r) => {
    expect(judge(allowPolicy, r)).toBe('allow');
  });
});
