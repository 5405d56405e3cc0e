/**
 * Storm's XOR acker as a pure state machine. One entry per spout tuple: the XOR of every edge
 * id in its tree (as two 32-bit halves). Every edge is XORed in twice — once when its tuple is
 * emitted, once when it is acked — so the value returns to zero exactly when the tree is done.
 * Messages may arrive in any order (an ack before its init), so entries are created on first
 * sight; an entry completes only once the spout's init has been seen.
 */
import { ExpiringMap } from './expiring-map.js';

interface AckerEntry {
  gen: number;
  hi: number;
  lo: number;
  /** Spout task to notify; -1 until the init message arrives. */
  spoutTask: number;
  failed: boolean;
}

export type AckerOutcome =
  | { kind: 'complete'; root: number; spoutTask: number }
  | { kind: 'fail'; root: number; spoutTask: number }
  | { kind: 'reset'; root: number; spoutTask: number };

export class AckerCore {
  private readonly pending: ExpiringMap<number, AckerEntry>;

  constructor(numBuckets: number) {
    this.pending = new ExpiringMap(numBuckets);
  }

  get size(): number {
    return this.pending.size;
  }

  /** The spout emitted a tracked tuple: `hi/lo` is the XOR of the edges it sent. */
  init(root: number, hi: number, lo: number, spoutTask: number): AckerOutcome | undefined {
    const e = this.entry(root);
    e.hi = (e.hi ^ hi) >>> 0;
    e.lo = (e.lo ^ lo) >>> 0;
    e.spoutTask = spoutTask;
    return this.settle(root, e);
  }

  /** A bolt acked a tuple of this tree: `hi/lo` is its edge XOR the edges it emitted. */
  ack(root: number, hi: number, lo: number): AckerOutcome | undefined {
    const e = this.entry(root);
    e.hi = (e.hi ^ hi) >>> 0;
    e.lo = (e.lo ^ lo) >>> 0;
    return this.settle(root, e);
  }

  fail(root: number): AckerOutcome | undefined {
    const e = this.entry(root);
    e.failed = true;
    return this.settle(root, e);
  }

  /** Restarts the entry's expiry and tells the spout to restart its own. */
  resetTimeout(root: number): AckerOutcome | undefined {
    const e = this.pending.get(root);
    if (e === undefined || e.spoutTask < 0) return undefined;
    this.pending.touch(root);
    return { kind: 'reset', root, spoutTask: e.spoutTask };
  }

  /** Expires old entries silently (the spout times its tuples out on its own). */
  rotate(): number {
    return this.pending.rotate().length;
  }

  /** Every update restarts the entry's expiry, as Storm's acker does (it re-puts on update). */
  private entry(root: number): AckerEntry {
    const e = this.pending.get(root);
    if (e !== undefined) {
      this.pending.stamp(e);
      return e;
    }
    const fresh = { gen: 0, hi: 0, lo: 0, spoutTask: -1, failed: false };
    this.pending.put(root, fresh);
    return fresh;
  }

  private settle(root: number, e: AckerEntry): AckerOutcome | undefined {
    if (e.spoutTask < 0) return undefined;
    if (e.failed) {
      this.pending.delete(root);
      return { kind: 'fail', root, spoutTask: e.spoutTask };
    }
    if (e.hi === 0 && e.lo === 0) {
      this.pending.delete(root);
      return { kind: 'complete', root, spoutTask: e.spoutTask };
    }
    return undefined;
  }
}
