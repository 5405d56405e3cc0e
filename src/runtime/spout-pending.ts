/**
 * A spout task's in-flight tuple trees: root id → message id, with Storm-style rotating
 * expiry. Kept apart from the executor so tests can drive it with a fake clock.
 */
import { ExpiringMap } from './expiring-map.js';

export interface PendingTree {
  messageId: unknown;
  emittedAt: number;
  gen: number;
}

export class SpoutPending {
  private readonly map: ExpiringMap<number, PendingTree>;

  constructor(numBuckets: number) {
    this.map = new ExpiringMap(numBuckets);
  }

  get size(): number {
    return this.map.size;
  }

  add(root: number, messageId: unknown, emittedAt: number): void {
    this.map.put(root, { messageId, emittedAt, gen: 0 });
  }

  /** Removes and returns the tree (on ack or fail); undefined if it already expired. */
  take(root: number): PendingTree | undefined {
    return this.map.take(root);
  }

  touch(root: number): void {
    this.map.touch(root);
  }

  /** Rotates and returns the trees that timed out. */
  expire(): PendingTree[] {
    return this.map.rotate();
  }
}

/** Rotations a spout tree lives through: expiry happens between T and T·5/4 after emit. */
export const SPOUT_PENDING_BUCKETS = 5;
/** One more for the acker, so its entries outlive the spout's. */
export const ACKER_BUCKETS = SPOUT_PENDING_BUCKETS + 1;

/** How often both rotate for a message timeout of `timeoutMs`. */
export function rotationIntervalMs(timeoutMs: number): number {
  return timeoutMs / (SPOUT_PENDING_BUCKETS - 1);
}
