/**
 * A promise-chain mutex. The leader runs every mutation of topology records and assignments
 * through one Serial, so the scheduling loop, submits, status changes and their timers never
 * interleave: each reads ZooKeeper and writes its result before the next one reads.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after everything queued before it; its outcome is returned, never shared with the queue. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once everything queued so far has finished. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
