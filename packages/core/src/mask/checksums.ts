// The validation tables and checksums the detectors use: Luhn and card issuer ranges, IBAN
// lengths and mod-97, E.164 country codes, US SSN issuing rules. Pure functions over ASCII digits.

/** Luhn check over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

interface CardRange {
  brand: string;
  /** Inclusive prefix range, compared on the first `len(from)` digits. */
  from: string;
  to: string;
  lengths: readonly number[];
}

const r = (brand: string, from: string, to: string, lengths: readonly number[]): CardRange => ({
  brand,
  from,
  to,
  lengths,
});
const L16_19 = [16, 17, 18, 19] as const;

// Issuer identification number ranges (first digits) and the lengths each network issues.
export const CARD_RANGES: readonly CardRange[] = [
  r('visa', '4', '4', [13, 16, 19]),
  r('mastercard', '51', '55', [16]),
  r('mastercard', '2221', '2720', [16]),
  r('amex', '34', '34', [15]),
  r('amex', '37', '37', [15]),
  r('discover', '6011', '6011', L16_19),
  r('discover', '644', '649', L16_19),
  r('discover', '65', '65', L16_19),
  r('jcb', '3528', '3589', L16_19),
  r('diners', '300', '305', [14, 16, 17, 18, 19]),
  r('diners', '3095', '3095', [14, 16, 17, 18, 19]),
  r('diners', '36', '36', [14, 16, 17, 18, 19]),
  r('diners', '38', '39', [14, 16, 17, 18, 19]),
  r('unionpay', '62', '62', L16_19),
  r('maestro', '5018', '5018', [13, 14, 15, 16, 17, 18, 19]),
  r('maestro', '5020', '5020', [13, 14, 15, 16, 17, 18, 19]),
  r('maestro', '5038', '5038', [13, 14, 15, 16, 17, 18, 19]),
  r('maestro', '5893', '5893', [13, 14, 15, 16, 17, 18, 19]),
  r('maestro', '6304', '6304', [13, 14, 15, 16, 17, 18, 19]),
  r('maestro', '6759', '6763', [13, 14, 15, 16, 17, 18, 19]),
  r('mir', '2200', '2204', L16_19),
  // regional networks (prefixes of more than four digits widened to their first four)
  r('rupay', '60', '60', [16]),
  r('rupay', '508', '508', [16]),
  r('dankort', '5019', '5019', [16]),
  r('elo', '5066', '5067', [16]), // 506699–506778
  r('elo', '5090', '5099', [16]),
  r('verve', '5060', '5061', [16, 18, 19]), // 506099–506198
  r('verve', '5078', '5079', [16, 18, 19]), // 507865–507964
  r('interpayment', '636', '636', L16_19),
  r('instapayment', '637', '639', [16]),
  r('borica', '2205', '2205', L16_19),
  r('t-union', '31', '31', [19]),
];

/** The card network whose IIN range and length fit `digits`, or undefined. */
export function cardBrand(digits: string): string | undefined {
  for (const range of CARD_RANGES) {
    const head = digits.slice(0, range.from.length);
    if (head >= range.from && head <= range.to && range.lengths.includes(digits.length)) return range.brand;
  }
  return undefined;
}

// cardBrand() !== undefined as a table: every range's prefix has at most four digits, so the first
// four digits and the length decide. ISSUED[first four digits] has bit (length - 13) set when a
// network issues that length there (lengths 13–19).
// Built on first use (63,000 cardBrand() calls: most of a CLI command's start-up when done at import).
let ISSUED: Uint8Array | undefined;
function issuedTable(): Uint8Array {
  const t = new Uint8Array(10000);
  for (let p = 1000; p < 10000; p++) {
    const head = String(p);
    for (let len = 13; len <= 19; len++) {
      if (cardBrand(head.padEnd(len, '0')) !== undefined) t[p]! |= 1 << (len - 13);
    }
  }
  return t;
}

/** cardBrand(digits) !== undefined, by table (digits: ASCII digits only). */
export function cardIssued(digits: string): boolean {
  const n = digits.length;
  if (n < 13 || n > 19) return false;
  const p =
    (digits.charCodeAt(0) - 48) * 1000 +
    (digits.charCodeAt(1) - 48) * 100 +
    (digits.charCodeAt(2) - 48) * 10 +
    (digits.charCodeAt(3) - 48);
  return ((ISSUED ??= issuedTable())[p]! & (1 << (n - 13))) !== 0;
}

/** cardIssued() of a number whose first four digits are `prefix` and whose length is `n` (13–19). */
export function cardIssuedPrefix(prefix: number, n: number): boolean {
  return ((ISSUED ??= issuedTable())[prefix]! & (1 << (n - 13))) !== 0;
}

// Total IBAN length per country (SWIFT IBAN registry), as "CCnn" pairs.
const IBAN_TABLE =
  'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 ' +
  'DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 HU28 IE22 IL23 ' +
  'IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 ' +
  'MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 ' +
  'SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30';
export const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.fromEntries(
  IBAN_TABLE.split(' ').map((e) => [e.slice(0, 2), Number(e.slice(2))]),
);

/** ISO 13616 check: move the first four characters to the end, letters → 10..35, remainder 1. */
export function ibanMod97(iban: string): boolean {
  let rem = 0;
  const n = iban.length;
  for (let k = 0; k < n; k++) {
    const c = iban.charCodeAt((k + 4) % n);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

// ITU-T E.164 country calling codes: 1- and 2-digit codes, and the 3-digit ranges in use.
const CC1 = new Set(['1', '7']);
const CC2 = new Set(
  (
    '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 ' +
    '60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'
  ).split(' '),
);
const CC3_RANGES: readonly [number, number][] = [
  [211, 218],
  [220, 258],
  [260, 269],
  [290, 299],
  [350, 359],
  [370, 389],
  [420, 423],
  [500, 509],
  [590, 599],
  [670, 692],
  [800, 808],
  [850, 856],
  [870, 888],
  [960, 979],
  [992, 998],
];

/** The length of the E.164 country code at the start of `digits`, or 0 when none is assigned. */
export function countryCodeLength(digits: string): number {
  if (CC1.has(digits.slice(0, 1))) return 1;
  if (CC2.has(digits.slice(0, 2))) return 2;
  const three = Number(digits.slice(0, 3));
  for (const [lo, hi] of CC3_RANGES) if (three >= lo && three <= hi) return 3;
  return 0;
}

// Numbers the SSA never issued but that circulate widely (the Woolworth wallet card, a 1940s ad).
const FAKE_SSNS = new Set(['078051120', '219099999']);

/** US SSN issuing rules on 9 digits: area not 000/666/9xx, group not 00, serial not 0000. */
export function ssnValid(digits: string): boolean {
  const area = digits.slice(0, 3);
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (digits.slice(3, 5) === '00' || digits.slice(5) === '0000') return false;
  return !FAKE_SSNS.has(digits);
}

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const freq = new Map<number, number>();
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    freq.set(c, (freq.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const n of freq.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}
