import { describe, expect, it } from 'vitest';
import { parseTarget } from './target.js';

// [request-target, path rules match, path forwarded upstream]
const same: [string, string, string][] = [
  ['/v1/payments', '/v1/payments', '/v1/payments'],
  ['/v1/%70ayments', '/v1/payments', '/v1/payments'],
  ['/v1/%70AYMENTS', '/v1/pAYMENTS', '/v1/pAYMENTS'],
  ['/v1//payments', '/v1/payments', '/v1//payments'],
  ['/v1///payments//', '/v1/payments', '/v1///payments//'],
  ['/v1/x/../payments', '/v1/payments', '/v1/payments'],
  ['/v1/./payments', '/v1/payments', '/v1/payments'],
  ['/v1/x/%2e%2e/payments', '/v1/payments', '/v1/payments'],
  ['/v1/x/%2E%2E/payments', '/v1/payments', '/v1/payments'],
  ['/v1/x/.%2e/payments', '/v1/payments', '/v1/payments'],
  ['/v1/payments/', '/v1/payments', '/v1/payments/'],
  ['/v1/payments/.', '/v1/payments', '/v1/payments/'],
  ['/v1/payments;x=y', '/v1/payments', '/v1/payments;x=y'],
  ['/v1/payments;jsessionid=1/42', '/v1/payments/42', '/v1/payments;jsessionid=1/42'],
  ['/v1%2Fpayments', '/v1/payments', '/v1%2Fpayments'],
  ['/v1%2fpayments/1', '/v1/payments/1', '/v1%2Fpayments/1'],
  ['/a%3fb', '/a?b', '/a%3Fb'],
  ['/caf%C3%A9', '/café', '/caf%C3%A9'],
  ['/../../etc/passwd', '/etc/passwd', '/etc/passwd'],
  ['/', '/', '/'],
  ['/v1/payments?x=1#frag', '/v1/payments', '/v1/payments'],
  ['http://evil.example/v1/payments?x=1', '/v1/payments', '/v1/payments'],
  ['http://evil.example', '/', '/'],
  ['*', '/', '/'],
  // A leading // is an authority to WHATWG URL parsers: forwarded as one /, as it was judged.
  ['//evil/v1/payments/7', '/evil/v1/payments/7', '/evil/v1/payments/7'],
  ['/x/..//evil/v1', '/evil/v1', '/evil/v1'],
  ['http://h//evil/v1', '/evil/v1', '/evil/v1'],
  ['/V1/Payments', '/V1/Payments', '/V1/Payments'],
];

// Paths whose meaning depends on the server: refused (the policy's on_parse_error applies).
const refused: [string, RegExp][] = [
  ['v1/payments', /must start/],
  ['/v1/%zz', /invalid percent-encoding/],
  ['/v1/%7', /invalid percent-encoding/],
  ['/v1/%ff', /not valid UTF-8/],
  ['/v1/%00payments', /control character/],
  ['/v1\\payments', /backslash/],
  ['/v1/%5cpayments', /backslash/],
  ['/v1/%252e%252e/payments', /double percent-encoding/],
  ['/v1/payments%252F..', /double percent-encoding/],
  ['/v1/public/..%2Fpayments', /different things/],
  ['/v1/payments/..%2F..%2Fpublic', /different things/],
  ['/v1/payments%2F..', /different things/],
  ['/v1/public/..;/payments', /different things/],
  ['/v1/a//../payments', /different things/],
  ['/v1/pay ments', /invalid character/],
  ['/v1/<script>', /invalid character/],
  ['/v1/caf\u00e9', /invalid character/],
  ['/v1/%EF%BC%8Fpayments', /Unicode normalisation/],
  ['/adm%C4%B1n', /case maps to ASCII/],
  ['/%C4%B0admin', /case maps to ASCII/],
  ['/v1%c0%afadmin', /not valid UTF-8/],
];

// [request-target, other readings deny rules also match]
const readings: [string, string[] | undefined][] = [
  ['/v1/payments', undefined],
  ['/v1/payments.json', ['/v1/payments']],
  ['/v1/payments./7', ['/v1/payments/7']],
  ['/admin.', ['/admin']],
  ['/admin%20', ['/admin']],
  ['/admin%3F.css', ['/admin']],
  ['/admin%23x/y', ['/admin']],
  ['/v1/report.tar.gz', ['/v1/report.tar']],
  ['/.well-known/x', undefined],
];

describe('parseTarget', () => {
  it.each(readings)('%s is also read as %j', (target, other) => {
    expect(parseTarget(target).readings).toEqual(other);
  });

  it.each(same)('%s → matched as %s, forwarded as %s', (target, path, forward) => {
    const t = parseTarget(target);
    expect(t.path).toBe(path);
    expect(t.forwardPath).toBe(forward);
  });

  it.each(refused)('%s is refused', (target, why) => {
    expect(() => parseTarget(target)).toThrow(why);
  });

  it('keeps the raw query apart', () => {
    expect(parseTarget('/a?b=1&c=%41')).toMatchObject({ path: '/a', rawQuery: 'b=1&c=%41', hasQuery: true });
    expect(parseTarget('/a')).toMatchObject({ rawQuery: '', hasQuery: false });
  });
});
