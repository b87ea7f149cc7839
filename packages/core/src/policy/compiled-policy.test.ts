import { describe, expect, it } from 'vitest';
import { CompiledPolicy } from './compiled-policy.js';
import { agent, http, policy, shell, sql } from './testing.js';

describe('policy evaluation semantics', () => {
  const db = new CompiledPolicy(
    policy([
      { name: 'reads', when: { sql: { category: ['read'] } }, action: 'allow' },
      { name: 'no-files', when: { sql: { functions: ['pg_read_file'] } }, action: 'deny' },
      {
        name: 'delete-needs-where',
        when: { sql: { statements: ['DeleteStmt'], where: 'absent' } },
        action: 'deny',
      },
      {
        name: 'writes-reviewed',
        when: { sql: { category: ['write'] } },
        action: 'review',
        approvers: ['dba'],
      },
    ]),
  );

  it('allows what an allow rule matches', () => {
    const { decision } = db.evaluate({ units: [sql({})] }, agent);
    expect(decision).toMatchObject({ action: 'allow', rules: ['reads'] });
  });

  it('most restrictive matching rule wins: deny beats allow on the same unit', () => {
    const { decision } = db.evaluate({ units: [sql({ functions: ['pg_read_file'] })] }, agent);
    expect(decision.action).toBe('deny');
    expect(decision.rules).toEqual(['no-files']);
    expect(decision.reason).toContain('function pg_read_file');
  });

  it('keys inside one `when` are ANDed on the same unit', () => {
    const withWhere = db.evaluate(
      { units: [sql({ category: 'write', statement: 'DeleteStmt', where: 'present' })] },
      agent,
    );
    expect(withWhere.decision.action).toBe('review');
    const noWhere = db.evaluate(
      { units: [sql({ category: 'write', statement: 'DeleteStmt', where: 'absent' })] },
      agent,
    );
    expect(noWhere.decision).toMatchObject({ action: 'deny', rules: ['delete-needs-where'] });
  });

  it('one denied part denies a multi-statement message', () => {
    const { decision } = db.evaluate(
      { units: [sql({}), sql({ category: 'write', statement: 'DeleteStmt', where: 'absent' }), sql({})] },
      agent,
    );
    expect(decision.action).toBe('deny');
  });

  it('a unit no rule matches gets the default, itself deny', () => {
    const { decision } = db.evaluate(
      { units: [sql({}), sql({ category: 'ddl', statement: 'DropStmt' })] },
      agent,
    );
    expect(decision).toMatchObject({ action: 'deny', rules: ['default'] });
    expect(decision.reason).toContain('DropStmt');
  });

  it('parse errors get on_parse_error even when other units are allowed', () => {
    const { decision } = db.evaluate(
      { units: [sql({})], parseError: 'syntax error at or near "SELEC"' },
      agent,
    );
    expect(decision).toMatchObject({ action: 'deny', rules: ['on_parse_error'] });
    const reviewing = new CompiledPolicy(policy([], { onParseError: 'review' }));
    expect(reviewing.evaluate({ units: [], parseError: 'x' }, agent).decision.action).toBe('review');
  });

  it('a review carries the rule config for approvals and says it needs approval', () => {
    const r = db.evaluate({ units: [sql({ category: 'write', statement: 'InsertStmt' })] }, agent);
    expect(r.decision.action).toBe('review');
    expect(r.decision.reason).toMatch(/^needs approval/);
    expect(r.reviewRules.map((x) => x.approvers)).toEqual([['dba']]);
  });

  it('allow_groups admits only listed groups', () => {
    expect(db.admits(agent)).toBe(true);
    expect(db.admits({ ...agent, groups: ['other'] })).toBe(false);
  });

  it('rules scoped to groups apply only to those identities', () => {
    const p = new CompiledPolicy(
      policy(
        [{ name: 'interns', when: { groups: ['interns'], sql: { category: ['read'] } }, action: 'deny' }],
        {
          default: 'allow',
        },
      ),
    );
    expect(p.evaluate({ units: [sql({})] }, agent).decision.action).toBe('allow');
    expect(p.evaluate({ units: [sql({})] }, { ...agent, groups: ['interns'] }).decision.action).toBe('deny');
  });

  it('empty input runs nothing and is allowed', () => {
    expect(db.evaluate({ units: [] }, agent).decision.action).toBe('allow');
  });
});

describe('sql matchers', () => {
  it('functions match schema- and case-insensitively', () => {
    const p = new CompiledPolicy(
      policy([{ name: 'f', when: { sql: { functions: ['pg_catalog.PG_READ_FILE'] } } }], {
        default: 'allow',
      }),
    );
    expect(p.evaluate({ units: [sql({ functions: ['pg_read_file'] })] }, agent).decision.action).toBe('deny');
  });
  it('tables match by glob, case-insensitively', () => {
    const p = new CompiledPolicy(
      policy([{ name: 't', when: { sql: { tables: ['public.secret_*'] } } }], { default: 'allow' }),
    );
    expect(
      p.evaluate({ units: [sql({ tables: ['public.secret_keys', 'secret_keys'] })] }, agent).decision.action,
    ).toBe('deny');
    expect(p.evaluate({ units: [sql({ tables: ['public.orders'] })] }, agent).decision.action).toBe('allow');
  });
  it('copy_program and dynamic flags', () => {
    const p = new CompiledPolicy(
      policy(
        [
          { name: 'cp', when: { sql: { copy_program: true } } },
          { name: 'dyn', when: { sql: { dynamic: true } } },
        ],
        { default: 'allow' },
      ),
    );
    expect(p.evaluate({ units: [sql({ copyProgram: true })] }, agent).decision.rules).toEqual(['cp']);
    expect(p.evaluate({ units: [sql({ dynamic: true })] }, agent).decision.rules).toEqual(['dyn']);
    expect(p.evaluate({ units: [sql({})] }, agent).decision.action).toBe('allow');
  });
});

describe('shell matchers', () => {
  const p = new CompiledPolicy(
    policy(
      [
        {
          name: 'no-destructive',
          when: { shell: { commands: ['rm'], args: ['-rf', '-fr', '--no-preserve-root'] } },
        },
        { name: 'no-secret-files', when: { shell: { paths: ['/etc/shadow', '~/.ssh/**', '**/.env'] } } },
        { name: 'no-dynamic', when: { shell: { dynamic: true } } },
        {
          name: 'priv',
          when: { shell: { commands: ['sudo', '/bin/systemctl'] } },
          action: 'review',
          approvers: ['sre'],
        },
      ],
      { default: 'allow' },
    ),
    { home: '/home/deploy' },
  );
  const d = (u: ReturnType<typeof shell>) => p.evaluate({ units: [u] }, agent).decision;

  it('commands AND args on the same command', () => {
    expect(d(shell('rm', ['-rf', '/tmp/x'])).rules).toEqual(['no-destructive']);
    expect(d(shell('rm', ['/tmp/x'])).action).toBe('allow');
    expect(d(shell('ls', ['-rf'])).action).toBe('allow');
  });
  it('~ in rule paths is the upstream home; ** crosses directories and matches zero of them', () => {
    expect(
      d(shell('cat', ['/home/deploy/.ssh/id_ed25519'], { paths: ['/home/deploy/.ssh/id_ed25519'] })).action,
    ).toBe('deny');
    expect(d(shell('cat', ['.env'], { paths: ['.env'] })).action).toBe('deny');
    expect(d(shell('cat', ['app/config/.env'], { paths: ['app/config/.env'] })).action).toBe('deny');
    expect(d(shell('cat', ['/etc/passwd'], { paths: ['/etc/passwd'] })).action).toBe('allow');
  });
  it('unnormalised paths are normalised, and globbing arguments meet the rules they could expand to', () => {
    expect(
      d(shell('cat', ['.ssh/id_rsa'], { paths: ['.ssh/id_rsa', '/home/deploy/.ssh/id_rsa'] })).action,
    ).toBe('deny');
    expect(d(shell('cat', ['/etc/sha*'], { paths: ['/etc/sha*'] })).action).toBe('deny');
    expect(d(shell('cat', ['/etc/shado?'], { paths: ['/etc/shado?'] })).action).toBe('deny');
    expect(d(shell('cat', ['/home/*/.ssh/*'], { paths: ['/home/*/.ssh/*'] })).action).toBe('deny');
    expect(d(shell('cat', ['/**/shadow'], { paths: ['/**/shadow'] })).action).toBe('deny');
    expect(d(shell('cat', ['/etc/pass*'], { paths: ['/etc/pass*'] })).action).toBe('allow');
    expect(d(shell('cat', ['/etc/../etc/shadow'], { paths: ['/etc/../etc/shadow'] })).action).toBe('deny');
    expect(d(shell('cat', ['//etc//shadow'], { paths: ['//etc//shadow'] })).action).toBe('deny');
  });
  it('a command given with a path in the rule matches its basename', () => {
    expect(d(shell('systemctl', ['restart', 'x'])).action).toBe('review');
  });
  it('dynamic units are denied', () => {
    expect(d(shell('', [], { dynamic: true, notes: ['eval'] })).reason).toContain('eval');
  });
});

describe('http matchers', () => {
  const p = new CompiledPolicy(
    policy(
      [
        {
          name: 'pay',
          when: { http: { methods: ['POST', 'DELETE'], paths: ['/v1/payments/**'] } },
          action: 'review',
          approvers: ['o'],
        },
        { name: 'hdr', when: { http: { headers: { 'x-debug': 'on*' } } } },
        { name: 'q', when: { http: { query: { admin: 'true' } } } },
        { name: 'body', when: { http: { body: 'DROP\\s+TABLE' } } },
        { name: 'json', when: { http: { json: { '$.amount': 1000000, '$.currency': 'X*' } } } },
      ],
      { default: 'allow' },
    ),
  );
  const d = (u: ReturnType<typeof http>) => p.evaluate({ units: [u] }, agent).decision;

  it('methods (any of the unit methods, e.g. an override) and path globs', () => {
    expect(d(http('POST', '/v1/payments/123')).action).toBe('review');
    expect(d(http('GET', '/v1/payments/123', { methods: ['GET', 'DELETE'] })).action).toBe('review');
    expect(d(http('GET', '/v1/payments/123')).action).toBe('allow');
    expect(d(http('POST', '/v1/payments')).action).toBe('review'); // dir/** covers dir itself
    expect(d(http('POST', '/v1/payments-export')).action).toBe('allow');
    // Paths match whatever their case: frameworks that route case-insensitively would run the same handler.
    expect(d(http('POST', '/V1/Payments/123')).action).toBe('review');
    expect(d(http('DELETE', '/V1/PAYMENTS')).action).toBe('review');
  });
  it('headers and query by glob', () => {
    expect(d(http('GET', '/', { headers: { 'x-debug': ['ON-full'] } })).rules).toEqual(['hdr']);
    expect(d(http('GET', '/', { query: { admin: ['false', 'true'] } })).rules).toEqual(['q']);
  });
  it('body regex, and fail closed when the body was too big to inspect', () => {
    expect(d(http('POST', '/x', { bodyText: 'please drop  table' })).action).toBe('allow');
    expect(d(http('POST', '/x', { bodyText: 'DROP  TABLE x' })).rules).toEqual(['body']);
    expect(d(http('POST', '/x', { bodyTruncated: true })).action).toBe('deny');
  });
  it('json paths compare values (globs for strings), all keys ANDed', () => {
    expect(d(http('POST', '/x', { json: { amount: 1000000, currency: 'XAU' } })).rules).toEqual(['json']);
    expect(d(http('POST', '/x', { json: { amount: 1000000, currency: 'EUR' } })).action).toBe('allow');
  });
});

describe('built-in keys', () => {
  it('forwarding and FunctionCall follow their policy keys and name them', () => {
    const p = new CompiledPolicy(policy([], { portForwarding: 'allow' }));
    expect(p.builtin('port_forwarding', 'direct-tcpip').action).toBe('allow');
    expect(p.builtin('function_call', 'FunctionCall')).toMatchObject({
      action: 'deny',
      rules: ['function_call'],
    });
  });
});
