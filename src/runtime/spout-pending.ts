/**
 * A spout task's in-flight tuple trees: root id → message id, with Storm-style rotating
 * expiry. Kept apart from the executor so tests can drive it with a fake clock.
 */
import { RotatingMap } from './rotating-map.js';

export interface PendingTree {
  messageId: unknown;
  emittedAt: number;
}

export class SpoutPending {
  private readonly map: RotatingMap<number, PendingTree>;
  private count = 0;

  constructor(numBuckets: number) {
    this.map = new RotatingMap(numBuckets);
  }

  get size(): number {
    return this.count;
  }

  add(root: number, tree: PendingTree): void {
    this.map.putNew(root, tree);
    this.count++;
  }

  /** Removes and returns the tree (on ack or fail); undefined if it already expired. */
  take(root: number): PendingTree | undefined {
    const t = this.map.remove(root);
    if (t !== undefined) this.count--;
    return t;
  }

  touch(root: number): void {
    this.map.touch(root);
  }

  /** Rotates and returns the trees that timed out. */
  expire(): PendingTree[] {
    const dead = this.map.rotate();
    this.count -= dead.size;
    return [...dead.values()];
  }

  /** Removes and returns every tree (used when the task shuts down or its host dies). */
  takeAll(): PendingTree[] {
    const all = [...this.map.entries()].map(([, t]) => t);
    this.map.clear();
    this.count = 0;
    return all;
  }
}

/** Buckets for the spout's map: expiry happens between T and T·5/4 after emit. */
export const SPOUT_PENDING_BUCKETS = 5;
/** One more for the acker, so its entries outlive the spout's. */
export const ACKER_BUCKETS = SPOUT_PENDING_BUCKETS + 1;

/** How often both rotate for a message timeout of `timeoutMs`. */
export function rotationIntervalMs(timeoutMs: number): number {
  return timeoutMs / (SPOUT_PENDING_BUCKETS - 1);
}
