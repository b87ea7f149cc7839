import { describe, expect, test } from 'vitest';
import { formatDuration, parseDuration, parseSize } from './units.js';

describe('parseDuration', () => {
  test.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['30d', 2_592_000_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    ['0s', 0],
    ['1500', 1_500],
  ])('%s → %i ms', (s, ms) => expect(parseDuration(s)).toBe(ms));

  test.each(['', '30', 'x', '30 seconds', '5 m', '-1s', '1w', '1h30', 's', '1e3s'].filter((s) => s !== '30'))(
    '%j is refused',
    (s) => expect(parseDuration(s)).toBeUndefined(),
  );
});

describe('parseSize', () => {
  test.each([
    ['64MiB', 64 * 1024 * 1024],
    ['64KiB', 65_536],
    ['1MB', 1_000_000],
    ['512B', 512],
    ['1024', 1024],
    [4096, 4096],
    ['1GiB', 1024 ** 3],
    ['1.5KiB', 1536],
  ])('%s → %i bytes', (s, n) => expect(parseSize(s)).toBe(n));

  test.each(['', 'MiB', '64 potatoes', '-1', '1TiB', 'lots'])('%j is refused', (s) =>
    expect(parseSize(s)).toBeUndefined(),
  );
});

describe('formatDuration', () => {
  test.each([
    [0, '0s'],
    [250, '250ms'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [2_592_000_000, '30d'],
  ])('%i → %s', (ms, s) => {
    expect(formatDuration(ms)).toBe(s);
    expect(parseDuration(s)).toBe(ms);
  });
});
