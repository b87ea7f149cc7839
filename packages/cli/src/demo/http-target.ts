// The demo's internal API: customers (with PII, masked on the way back) and payments (writes need approval).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { customers } from './seed-data.js';

export interface HttpTarget {
  url: string;
  /** The token the API expects: the gateway injects it, agents never see it. */
  apiToken: string;
  stop(): Promise<void>;
}

export async function startHttpTarget(apiToken: string): Promise<HttpTarget> {
  const people = customers(20);
  const payments: { id: number; customer_id: number; amount_cents: number; card_number: string }[] = [];
  const server = http.createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${apiToken}`)
      return json(401, { error: 'the API wants its own token' });
    const url = new URL(req.url ?? '/', 'http://api');
    if (req.method === 'GET' && url.pathname === '/v1/customers') return json(200, { customers: people });
    const one = /^\/v1\/customers\/(\d+)$/.exec(url.pathname);
    if (req.method === 'GET' && one) {
      const c = people.find((p) => p.id === Number(one[1]));
      return c ? json(200, c) : json(404, { error: 'no such customer' });
    }
    if (url.pathname === '/v1/payments' && req.method === 'GET') return json(200, { payments });
    if (url.pathname.startsWith('/v1/payments') && req.method === 'POST') {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        let parsed: { customer_id?: number; amount_cents?: number } = {};
        try {
          parsed = JSON.parse(body || '{}');
        } catch {
          return json(400, { error: 'body must be JSON' });
        }
        const customer = people.find((p) => p.id === parsed.customer_id) ?? people[0];
        const p = {
          id: payments.length + 1,
          customer_id: customer.id,
          amount_cents: Number(parsed.amount_cents ?? 0),
          card_number: customer.card_number,
        };
        payments.push(p);
        json(201, p);
      });
      return;
    }
    json(404, { error: 'not found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiToken,
    stop: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
