import { describe, expect, it } from 'vitest';
import { md5Password, ScramClient } from './scram-client.js';

describe('ScramClient', () => {
  it('computes the RFC 7677 SCRAM-SHA-256 test vector and verifies the server', async () => {
    const c = new ScramClient('pencil', { user: 'user', nonce: 'rOprNGfwEbeRWgbNEkqO' });
    expect(c.clientFirst()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = await c.clientFinal(
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    );
    expect(final).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(() => c.verifyServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')).not.toThrow();
    expect(() => c.verifyServerFinal('v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')).toThrow(/signature/);
  });

  it('refuses a server nonce that does not extend ours', async () => {
    const c = new ScramClient('pencil', { nonce: 'abc' });
    await expect(c.clientFinal('r=xyz123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096')).rejects.toThrow(/nonce/);
    await expect(c.clientFinal('r=abcdef,i=4096')).rejects.toThrow(/malformed/);
  });

  it('computes the md5 response', () => {
    // md5(md5("secret" + "app") + salt) with salt 01020304
    expect(md5Password('app', 'secret', Buffer.from([1, 2, 3, 4]))).toMatch(/^md5[0-9a-f]{32}$/);
    expect(md5Password('app', 'secret', Buffer.from([1, 2, 3, 4]))).not.toBe(
      md5Password('app', 'secret', Buffer.from([1, 2, 3, 5])),
    );
  });
});
