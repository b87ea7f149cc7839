import { describe, expect, it } from 'vitest';
import { BoundedCache } from './bounded-cache.js';

describe('BoundedCache', () => {
  it('never holds more than its capacity', () => {
    const c = new BoundedCache<number>(10);
    for (let i = 0; i < 1000; i++) c.set(`k${i}`, i);
    expect(c.size).toBeLessThanOrEqual(10);
    expect(c.get('k999')).toBe(999);
    expect(c.get('k0')).toBeUndefined();
  });

  it('keeps entries that are used', () => {
    const c = new BoundedCache<number>(10);
    c.set('hot', 1);
    for (let i = 0; i < 100; i++) {
      c.set(`k${i}`, i);
      expect(c.get('hot')).toBe(1);
    }
  });

  it('caches nothing with capacity 0', () => {
    const c = new BoundedCache<number>(0);
    c.set('a', 1);
    expect(c.get('a')).toBeUndefined();
  });
});
