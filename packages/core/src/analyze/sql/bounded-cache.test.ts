import { describe, expect, it } from 'vitest';
import { BoundedCache, Doorkeeper, ShapeCache } from './bounded-cache.js';
import { ShapeScan, scanShape, shapeString } from './shape.js';

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

describe('ShapeCache', () => {
  it('never serves another shape that has the same hash', () => {
    const cache = new ShapeCache<string>(100);
    const scan = new ShapeScan();
    expect(scanShape('SELECT a FROM t WHERE id = 1', scan)).toBe(true);
    cache.set(scan.hash, shapeString('SELECT a FROM t WHERE id = 1', scan), 'a');
    // a different text forced onto the same hash
    expect(scanShape('SELECT b FROM t WHERE id = 2', scan)).toBe(true);
    const hash = scan.hash;
    cache.set(hash, shapeString('SELECT b FROM t WHERE id = 2', scan), 'b');
    expect(scanShape('SELECT a FROM t WHERE id = 99', scan)).toBe(true);
    scan.hash = hash;
    expect(cache.get('SELECT a FROM t WHERE id = 99', scan)).toBeUndefined();
    expect(scanShape('SELECT b FROM t WHERE id = 7', scan)).toBe(true);
    expect(cache.get('SELECT b FROM t WHERE id = 7', scan)).toBe('b');
    expect(scanShape("SELECT b FROM t WHERE id = '7'", scan)).toBe(true);
    expect(cache.get("SELECT b FROM t WHERE id = '7'", scan)).toBeUndefined();
  });
});

describe('Doorkeeper', () => {
  it('admits a key on its second sighting', () => {
    const d = new Doorkeeper(10);
    expect(d.admit(12345)).toBe(false);
    expect(d.admit(12345)).toBe(true);
  });
});
