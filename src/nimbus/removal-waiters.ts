/**
 * Callers waiting for a killed topology to be removed (KillTopology with waitForRemoval).
 * Resolved by the status shell when it removes the topology; rejected when the leadership that
 * would remove it ends (the client retries against the new leader, which resumes the wait).
 */
interface Waiter {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

/** Pending removal waits, by topology id. */
export class RemovalWaiters {
  private readonly waiters = new Map<string, Set<Waiter>>();

  /** A promise that settles when `topologyId` is removed. */
  wait(topologyId: string): Promise<void> {
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    // A waiter nobody awaits any more (the call was cancelled) must not become an unhandled rejection.
    promise.catch(() => undefined);
    const set = this.waiters.get(topologyId) ?? new Set<Waiter>();
    set.add({ promise, resolve, reject });
    this.waiters.set(topologyId, set);
    return promise;
  }

  /** Drops one waiter (its call failed before the kill took effect). */
  cancel(topologyId: string, promise: Promise<void>): void {
    const set = this.waiters.get(topologyId);
    if (!set) return;
    for (const w of set) if (w.promise === promise) set.delete(w);
    if (set.size === 0) this.waiters.delete(topologyId);
  }

  resolve(topologyId: string): void {
    for (const w of this.waiters.get(topologyId) ?? []) w.resolve();
    this.waiters.delete(topologyId);
  }

  rejectAll(err: unknown): void {
    for (const set of this.waiters.values()) for (const w of set) w.reject(err);
    this.waiters.clear();
  }
}
