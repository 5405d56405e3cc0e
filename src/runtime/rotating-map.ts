/**
 * Storm's RotatingMap: entries live in buckets; rotate() drops the oldest bucket and returns
 * what was in it. With n buckets rotated every T/(n-1), an entry expires between T and
 * T·n/(n-1) after it was last put — one timer per executor, not one per tuple.
 */
export class RotatingMap<K, V> {
  private buckets: Array<Map<K, V>>;

  constructor(numBuckets: number) {
    if (numBuckets < 2) throw new RangeError('RotatingMap needs at least 2 buckets');
    this.buckets = Array.from({ length: numBuckets }, () => new Map<K, V>());
  }

  get size(): number {
    let n = 0;
    for (const b of this.buckets) n += b.size;
    return n;
  }

  /** Puts into the newest bucket (removing any older copy, which restarts its expiry). */
  put(key: K, value: V): void {
    const newest = this.buckets[0]!;
    for (let i = 1; i < this.buckets.length; i++) this.buckets[i]!.delete(key);
    newest.set(key, value);
  }

  /** Puts a key known to be absent; skips the search of older buckets (the hot path). */
  putNew(key: K, value: V): void {
    this.buckets[0]!.set(key, value);
  }

  get(key: K): V | undefined {
    for (const b of this.buckets) {
      const v = b.get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  remove(key: K): V | undefined {
    for (const b of this.buckets) {
      const v = b.get(key);
      if (v !== undefined) {
        b.delete(key);
        return v;
      }
    }
    return undefined;
  }

  /** Moves an entry to the newest bucket, restarting its expiry. Returns false if absent. */
  touch(key: K): boolean {
    const v = this.remove(key);
    if (v === undefined) return false;
    this.buckets[0]!.set(key, v);
    return true;
  }

  /** Drops the oldest bucket and returns its entries (they have expired). */
  rotate(): Map<K, V> {
    const dead = this.buckets.pop()!;
    this.buckets.unshift(new Map<K, V>());
    return dead;
  }

  *entries(): IterableIterator<[K, V]> {
    for (const b of this.buckets) yield* b.entries();
  }

  clear(): void {
    for (const b of this.buckets) b.clear();
  }
}
