// Realistic fake customers for the demo: valid card numbers (Luhn), IBANs (mod-97), SSNs (issuing
// rules), e-mail addresses and phones — plus look-alikes that must stay readable (order numbers,
// a Luhn-invalid card) so the tour shows that masking validates rather than pattern-matches.
const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Ken',
  'Margaret',
  'Dennis',
  'Frances',
  'John',
  'Radia',
  'Linus',
  'Sophie',
  'Tim',
  'Hedy',
  'Niklaus',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Thompson',
  'Hamilton',
  'Ritchie',
  'Allen',
  'Backus',
  'Perlman',
  'Torvalds',
  'Wilson',
  'Berners-Lee',
  'Lamarr',
  'Wirth',
];
const CITIES = ['Lisbon', 'Oslo', 'Austin', 'Leeds', 'Lyon', 'Kyoto', 'Porto', 'Ghent'];

export interface Customer {
  id: number;
  name: string;
  email: string;
  phone: string;
  card_number: string;
  ssn: string;
  iban: string;
  city: string;
  notes: string;
}

/** A small deterministic PRNG so every demo has the same data. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function luhnComplete(prefix: string, length: number, rand: () => number): string {
  let n = prefix;
  while (n.length < length - 1) n += Math.floor(rand() * 10);
  let sum = 0;
  for (let i = 0; i < n.length; i++) {
    let d = Number(n[n.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return n + ((10 - (sum % 10)) % 10);
}

export function ibanFor(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const ch of rearranged) rem = (rem * 10 + Number(ch)) % 97;
  return `${country}${String(98 - rem).padStart(2, '0')}${bban}`;
}

export function customers(count = 200): Customer[] {
  const rand = rng(42);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 10)).join('');
  const out: Customer[] = [];
  for (let id = 1; id <= count; id++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const area = String(100 + Math.floor(rand() * 560)).padStart(3, '0'); // 100–659: never 000/666/9xx
    out.push({
      id,
      name: `${first} ${last}`,
      email: `${first}.${last}${id}@example.com`.toLowerCase(),
      phone: `+1 ${200 + Math.floor(rand() * 700)} 555 ${digits(4)}`,
      card_number: luhnComplete(pick(['4', '51', '37']), 16, rand),
      ssn: `${area}-${String(10 + Math.floor(rand() * 89))}-${String(1000 + Math.floor(rand() * 8999))}`,
      iban: ibanFor('DE', digits(18)),
      city: pick(CITIES),
      notes: id % 7 === 0 ? `order ${digits(16)} shipped (not a card: fails Luhn check)` : 'prefers e-mail',
    });
  }
  return out;
}

export const CUSTOMERS_DDL = `
CREATE TABLE IF NOT EXISTS customers (
  id integer PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL,
  phone text,
  card_number text,
  ssn text,
  iban text,
  city text,
  notes text
);
CREATE TABLE IF NOT EXISTS orders (
  id serial PRIMARY KEY,
  customer_id integer REFERENCES customers(id),
  amount_cents integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);`;

export function customersInsertSql(rows: Customer[]): string {
  const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const values = rows
    .map(
      (c) =>
        `(${c.id}, ${q(c.name)}, ${q(c.email)}, ${q(c.phone)}, ${q(c.card_number)}, ${q(c.ssn)}, ${q(c.iban)}, ${q(c.city)}, ${q(c.notes)})`,
    )
    .join(',\n');
  return `INSERT INTO customers VALUES ${values} ON CONFLICT (id) DO NOTHING;
TRUNCATE orders RESTART IDENTITY;
INSERT INTO orders (customer_id, amount_cents) SELECT id, (id * 137) % 50000 FROM customers;`;
}
