import { hasShape, type ShapeScan } from './shape.js';
// A bounded cache with LRU-like eviction in two generations: a hit costs one Map lookup (two at worst)
// and no reordering; when the young generation is full it becomes the old one and the previous old
// generation is dropped. Entries used in the last generation survive; the total stays ≤ capacity.
export class BoundedCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly half: number;

  constructor(readonly capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: string): V | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      this.put(key, aged);
    }
    return aged;
  }

  set(key: string, value: V): void {
    if (this.capacity <= 0) return;
    this.put(key, value);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  private put(key: string, value: V): void {
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}

const MAX_CHAIN = 4;

interface ShapeSlot<V> {
  shape: string;
  value: V;
  next: ShapeSlot<V> | undefined;
}

/**
 * The same two-generation cache keyed by a shape's hash (a small integer, so a hit hashes no string);
 * the slot's shape string is compared with the scanned text in place, so a hash collision never serves
 * another shape's entry.
 */
export class ShapeCache<V> {
  private young = new Map<number, ShapeSlot<V>>();
  private old = new Map<number, ShapeSlot<V>>();
  private youngSize = 0;
  private oldSize = 0;
  private readonly half: number;

  constructor(readonly capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  get(text: string, scan: ShapeScan): V | undefined {
    for (let s = this.young.get(scan.hash); s !== undefined; s = s.next) {
      if (hasShape(text, scan, s.shape)) return s.value;
    }
    for (let s = this.old.get(scan.hash); s !== undefined; s = s.next) {
      if (hasShape(text, scan, s.shape)) {
        this.put(scan.hash, s.shape, s.value);
        return s.value;
      }
    }
    return undefined;
  }

  set(hash: number, shape: string, value: V): void {
    if (this.capacity > 0) this.put(hash, shape, value);
  }

  get size(): number {
    return this.youngSize + this.oldSize;
  }

  private put(hash: number, shape: string, value: V): void {
    if (this.youngSize >= this.half) {
      this.old = this.young;
      this.oldSize = this.youngSize;
      this.young = new Map();
      this.youngSize = 0;
    }
    const head = this.young.get(hash);
    // Crafted collisions must not make lookups slow: a hash keeps a few shapes, then takes no more.
    let length = 0;
    for (let s = head; s !== undefined; s = s.next) if (++length >= MAX_CHAIN) return;
    this.young.set(hash, { shape, value, next: head });
    this.youngSize++;
  }
}

/**
 * Admits a key to a cache only on its second sighting (a direct-mapped table of hashes): a stream of
 * statements that never repeat then costs no cache inserts, no retained garbage and no evictions.
 */
export class Doorkeeper {
  private readonly seen: Int32Array;
  private readonly mask: number;

  constructor(capacity: number) {
    let size = 1024;
    while (size < capacity * 2 && size < 1 << 20) size *= 2;
    this.seen = new Int32Array(size);
    this.mask = size - 1;
  }

  admit(hash: number): boolean {
    const i = hash & this.mask;
    if (this.seen[i] === hash) return true;
    this.seen[i] = hash;
    return false;
  }
}

/** FNV-1a of a whole text, 30 bits. */
export function textHash(text: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h & 0x3fffffff;
}
