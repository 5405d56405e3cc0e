/**
 * The receiving worker's side of Storm 2's remote backpressure (STORM-2306): the set of local
 * tasks currently too full to take more, and the changes to announce. Pure; the server turns
 * changes into `backpressure` frames for every connected peer.
 */

/** Congested local tasks; every method returns only the tasks whose state changed. */
export class BackpressureTracker {
  private readonly tasks = new Set<number>();

  /** Tasks congested now (sent in full to every peer that connects). */
  get congested(): ReadonlySet<number> {
    return this.tasks;
  }

  /** Marks tasks congested; returns those that were not already. */
  congest(tasks: Iterable<number>): number[] {
    const added: number[] = [];
    for (const t of tasks) {
      if (!this.tasks.has(t)) {
        this.tasks.add(t);
        added.push(t);
      }
    }
    return added;
  }

  /** Marks tasks relieved; returns those that were congested. */
  relieve(tasks: Iterable<number>): number[] {
    const removed: number[] = [];
    for (const t of tasks) if (this.tasks.delete(t)) removed.push(t);
    return removed;
  }

  /** Storm's periodic re-check: relieves every congested task `stillCongested` says is not. */
  recheck(stillCongested: (task: number) => boolean): number[] {
    const done: number[] = [];
    for (const t of this.tasks) if (!stillCongested(t)) done.push(t);
    return this.relieve(done);
  }
}
