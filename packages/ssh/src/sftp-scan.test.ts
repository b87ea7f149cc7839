import { createMasker } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { LEFT_CONTEXT, masksNothing, ReadScanner, RIGHT_CONTEXT } from './sftp-scan.js';

const CARD = '4111111111111111'; // Luhn-valid Visa
const DETECTORS = [
  'email',
  'credit_card',
  'us_ssn',
  'iban',
  'aws_access_key',
  'private_key',
  'jwt',
  'api_key',
];
const CHUNK = 32 * 1024;

function filler(n: number, seed = 1): string {
  const words = ['alpha', 'beta', 'order', '12345', 'id=77', 'gamma', 'x', 'delta', '3.14'];
  let s = '';
  let i = seed;
  while (s.length < n) {
    i = (i * 1103515245 + 12345) % 2147483648;
    s += words[i % words.length] + (i % 7 === 0 ? '\n' : ' ');
  }
  return s.slice(0, n);
}

/** A file and a scanner over it; read() answers a READ like the proxy does (RIGHT_CONTEXT over-read). */
function setup(text: string | Buffer) {
  const file = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  const masker = createMasker({ detectors: DETECTORS });
  const fetched: [number, number][] = [];
  const scanner = new ReadScanner(masker, async (offset, length) => {
    fetched.push([offset, length]);
    return file.subarray(offset, offset + length);
  });
  const read = (offset: number, length = CHUNK, overRead = RIGHT_CONTEXT) => {
    const got = file.subarray(offset, offset + length + overRead);
    const data = got.subarray(0, Math.min(length, got.length));
    return scanner.check(offset, data, got.subarray(data.length), got.length < length + overRead);
  };
  /** Every response in order until one is refused: the bytes the agent got, and the refusal. */
  const download = async (length = CHUNK) => {
    const parts: Buffer[] = [];
    for (let o = 0; o < file.length; o += length) {
      const hit = await read(o, length);
      if (hit) return { got: Buffer.concat(parts), hit, at: o };
      parts.push(file.subarray(o, o + length));
    }
    return { got: Buffer.concat(parts), hit: undefined, at: -1 };
  };
  return { file, masker, scanner, read, download, fetched };
}

describe('sftp READ scanning', () => {
  it('passes a clean file and look-alikes (Luhn-invalid card, bad IBAN) byte for byte', async () => {
    const text = `${filler(50_000)} card 4111111111111112 iban GB82WEST12345698765433 ${filler(60_000, 3)}`;
    const s = setup(text);
    const r = await s.download();
    expect(r.hit).toBeUndefined();
    expect(r.got.equals(s.file)).toBe(true);
    expect(s.fetched).toEqual([]); // in order: no context read
  });

  it('refuses a card split exactly across the read boundary before either half is sent', async () => {
    const head = `${filler(CHUNK - 9)} `;
    const text = `${head}${CARD} ${filler(40_000)}`;
    expect(text.slice(CHUNK - 8, CHUNK)).toBe(CARD.slice(0, 8));
    const s = setup(text);
    const r = await s.download();
    expect(r.hit).toEqual(['credit_card']);
    // the over-read saw the card's end: the response holding its first half is refused already
    expect(r.at).toBe(0);
    expect(s.masker.counts.credit_card).toBe(1);
  });

  it('refuses the second half when nothing was read past the first (a short read)', async () => {
    const text = `${filler(CHUNK - 9)} ${CARD} ${filler(40_000)}`;
    const s = setup(text);
    expect(await s.read(0, CHUNK, 0)).toBeUndefined();
    expect(await s.read(CHUNK, CHUNK, 0)).toEqual(['credit_card']);
    // refused once, refused for good
    expect(await s.read(2 * CHUNK)).toEqual(['credit_card']);
  });

  it('finds a secret across two responses of 1 byte … 3 KiB (split anywhere)', async () => {
    const key = 'AKIAIOSFODNN7EXAMPLE';
    for (const size of [1, 7, 19, 1000, 3000]) {
      for (const over of [0, RIGHT_CONTEXT]) {
        const s = setup(`${filler(4000)} ${key} ${filler(4000, 5)}`);
        let hit: string[] | undefined;
        for (let o = 0; o < s.file.length && !hit; o += size) hit = await s.read(o, size, over);
        expect(hit, `size ${size} over ${over}`).toEqual(['aws_access_key']);
      }
    }
  });

  it('a card at every position around a boundary: refused, and never delivered whole (nor, with the over-read, in part)', async () => {
    for (let shift = -20; shift <= 20; shift++) {
      const at = CHUNK + shift;
      const s = setup(`${filler(at - 1)} ${CARD} ${filler(40_000, 9)}`);
      const r = await s.download();
      expect(r.hit, `shift ${shift}`).toEqual(['credit_card']);
      expect(r.got.toString('latin1')).not.toContain(CARD);
      expect(r.got.toString('latin1')).not.toContain(CARD.slice(0, 4));
    }
  });

  it('a response whose predecessor was not seen is checked with the bytes before it, read upstream', async () => {
    const text = `${filler(CHUNK - 9)} ${CARD} ${filler(40_000)}`;
    const s = setup(text);
    // a resumed download (`reget`) starts at the second half on a fresh handle
    expect(await s.read(CHUNK, CHUNK, 0)).toEqual(['credit_card']);
    expect(s.fetched).toEqual([[CHUNK - LEFT_CONTEXT, LEFT_CONTEXT]]);
  });

  it('out of order: the later response first, then the earlier one', async () => {
    const text = `${filler(CHUNK - 9)} ${CARD} ${filler(3 * CHUNK)}`;
    const s = setup(text);
    expect(await s.read(2 * CHUNK, CHUNK, 0)).toBeUndefined(); // clean, its own run
    expect(await s.read(CHUNK, CHUNK, 0)).toEqual(['credit_card']); // context holds the first half
  });

  it('clean responses out of order and adjacent ones all pass; adjacency needs no context read', async () => {
    const s = setup(filler(5 * CHUNK));
    for (const o of [3, 0, 1, 2, 4]) expect(await s.read(o * CHUNK), `chunk ${o}`).toBeUndefined();
    // chunk 3 started a run (context read), 0 started one at the file start, 1 and 2 continued it,
    // 4 continued chunk 3's run
    expect(s.fetched).toEqual([[3 * CHUNK - LEFT_CONTEXT, LEFT_CONTEXT]]);
  });

  it('a secret only in the context before a response does not refuse it', async () => {
    const text = `${filler(1000)} ${CARD} ${filler(3 * CHUNK)}`;
    const s = setup(text);
    expect(await s.read(CHUNK - 2000)).toBeUndefined();
    expect(s.fetched.length).toBe(1);
  });

  it('refuses a private key whose END is past what was read (fail closed)', async () => {
    const pem = `-----BEGIN RSA PRIVATE KEY-----\n${'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy\n'.repeat(40)}-----END RSA PRIVATE KEY-----\n`;
    const s = setup(`${filler(CHUNK - 100)}${pem}${filler(CHUNK)}`);
    const r = await s.download();
    expect(r.hit).toEqual(['private_key']);
    expect(r.at).toBe(0);
  });

  it('a secret at the very end of the file is refused (EOF: nothing follows)', async () => {
    const s = setup(`${filler(CHUNK + 100)} bob@example.com`);
    const r = await s.download();
    expect(r.hit).toEqual(['email']);
    expect(r.got.toString('latin1')).not.toContain('bob@example.com');
  });

  it('binary data passes unchanged', async () => {
    const bin = Buffer.alloc(3 * CHUNK);
    for (let i = 0; i < bin.length; i++) bin[i] = (i * 2654435761) >>> 24;
    const s = setup(bin);
    const r = await s.download();
    expect(r.hit).toBeUndefined();
  });

  it('masksNothing: true only for a masker with no detectors', () => {
    expect(masksNothing(createMasker({ detectors: [] }))).toBe(true);
    expect(masksNothing(createMasker({}))).toBe(true);
    expect(masksNothing(createMasker({ detectors: ['email'] }))).toBe(false);
    // a masker that does not say what it runs is scanned (fail closed)
    expect(
      masksNothing({
        value: (t) => t,
        stream: () => ({ write: (c) => c, flush: () => new Uint8Array(), pending: 0 }),
        json: (d) => d,
        counts: {},
      }),
    ).toBe(false);
  });
});
