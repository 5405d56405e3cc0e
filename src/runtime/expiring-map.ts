/**
 * Storm's RotatingMap semantics with one Map: each entry remembers the rotation count at its
 * last put, and rotate() sweeps out entries that have lived through `lifetime` rotations. With
 * rotations every T/(lifetime-1), an entry expires between T and T·lifetime/(lifetime-1) after
 * its last put. Every lookup is a single Map operation (bucketed maps scan every bucket on a
 * miss, and an acker's first message for a tree is always a miss); the sweep costs one pass
 * over the live entries per rotation.
 */
export interface Stamped {
  /** Rotation count at the last put; owned by the map. */
  gen: number;
}

export class ExpiringMap<K, V extends Stamped> {
  private readonly map = new Map<K, V>();
  private gen = 0;

  constructor(private readonly lifetime: number) {
    if (lifetime < 2) throw new RangeError('ExpiringMap needs a lifetime of at least 2 rotations');
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Inserts or replaces; restarts the entry's expiry. */
  put(key: K, value: V): void {
    value.gen = this.gen;
    this.map.set(key, value);
  }

  take(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) this.map.delete(key);
    return v;
  }

  /** Restarts the expiry of a value already in the map (no Map operation). */
  stamp(value: V): void {
    value.gen = this.gen;
  }

  /** Removes a key whose value the caller already holds. */
  delete(key: K): void {
    this.map.delete(key);
  }

  /** Restarts an entry's expiry; false if absent. */
  touch(key: K): boolean {
    const v = this.map.get(key);
    if (v === undefined) return false;
    v.gen = this.gen;
    return true;
  }

  /** One rotation: removes and returns the entries that have now expired. */
  rotate(): V[] {
    this.gen++;
    const dead: V[] = [];
    for (const [k, v] of this.map) {
      if (this.gen - v.gen >= this.lifetime) {
        this.map.delete(k);
        dead.push(v);
      }
    }
    return dead;
  }
}
