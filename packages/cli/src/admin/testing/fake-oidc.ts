// A minimal OIDC issuer on loopback for the admin tests: discovery, an /authorize that signs the
// configured user in at once (a 302 back with a code), and a /token that checks PKCE (S256) and
// returns an ID token signed with the dev key.
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mintToken } from '@portcullis/core';

export interface FakeIssuer {
  issuer: string;
  /** Who /authorize signs in next. */
  user: { sub: string; groups: string[] };
  /** Overrides of the discovery document (to test refusals). */
  discovery: Record<string, unknown>;
  /** Requests /token has seen. */
  tokenRequests: URLSearchParams[];
  close(): Promise<void>;
}

export async function startFakeIssuer(opts: { keyFile: string; clientId: string }): Promise<FakeIssuer> {
  const codes = new Map<string, { challenge: string; redirect: string; sub: string; groups: string[] }>();
  const state: Partial<FakeIssuer> = {
    user: { sub: 'auditor-1', groups: ['security'] },
    discovery: {},
    tokenRequests: [],
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', state.issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer: state.issuer,
        authorization_endpoint: `${state.issuer}authorize`,
        token_endpoint: `${state.issuer}token`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code'],
        code_challenge_methods_supported: ['S256'],
        ...state.discovery,
      });
    }
    if (url.pathname === '/authorize') {
      const q = url.searchParams;
      if (
        q.get('client_id') !== opts.clientId ||
        q.get('code_challenge_method') !== 'S256' ||
        !q.get('code_challenge')
      ) {
        return json(400, { error: 'invalid_request' });
      }
      const code = randomUUID();
      const redirect = q.get('redirect_uri') ?? '';
      codes.set(code, { challenge: q.get('code_challenge') ?? '', redirect, ...state.user! });
      const back = new URL(redirect);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      res.writeHead(302, { location: back.toString() });
      return void res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let text = '';
      for await (const c of req) text += c;
      const form = new URLSearchParams(text);
      state.tokenRequests!.push(form);
      const grant = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const challenge = createHash('sha256')
        .update(form.get('code_verifier') ?? '')
        .digest('base64url');
      if (
        !grant ||
        grant.challenge !== challenge ||
        grant.redirect !== form.get('redirect_uri') ||
        form.get('client_id') !== opts.clientId
      ) {
        return json(400, { error: 'invalid_grant', error_description: 'bad code, verifier or redirect_uri' });
      }
      const idToken = await mintToken({
        keyFile: opts.keyFile,
        sub: grant.sub,
        groups: grant.groups,
        iss: state.issuer,
        aud: opts.clientId,
      });
      return json(200, {
        token_type: 'Bearer',
        access_token: 'opaque-access-token',
        id_token: idToken,
        expires_in: 3600,
      });
    }
    json(404, { error: 'not found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  state.close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  return state as FakeIssuer;
}
