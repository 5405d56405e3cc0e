/**
 * The cooperative scheduler of one worker: runs every executor for a bounded batch per round,
 * then yields to the event loop (setImmediate) so I/O, timers and signals get their turn.
 * When a round does no work it sleeps for idleMs (Storm's spout wait strategy) unless woken.
 * This is plumbing, not time logic, so it uses real timers rather than the injected Clock.
 */
export interface Runnable {
  /** Does up to `budget` units of work; returns how many were done. */
  runBatch(budget: number): number;
}

export interface LoopOptions {
  /** Work units per executor per round. */
  batch?: number;
  /** Sleep when a round found nothing to do. */
  idleMs?: number;
}

export class ExecutorLoop {
  private readonly batch: number;
  private readonly idleMs: number;
  private immediate: NodeJS.Immediate | undefined;
  private sleeper: NodeJS.Timeout | undefined;
  private running = false;
  private inRound = false;
  private wokenDuringRound = false;

  constructor(private readonly runnables: readonly Runnable[], opts: LoopOptions = {}) {
    this.batch = opts.batch ?? 1024;
    this.idleMs = opts.idleMs ?? 1;
  }

  start(): void {
    this.running = true;
    this.wake();
  }

  stop(): void {
    this.running = false;
    if (this.immediate) clearImmediate(this.immediate);
    if (this.sleeper) clearTimeout(this.sleeper);
    this.immediate = undefined;
    this.sleeper = undefined;
  }

  /** Schedules a round soon; called when input arrives from outside the loop (I/O, timers). */
  wake(): void {
    if (!this.running) return;
    if (this.inRound) {
      this.wokenDuringRound = true;
      return;
    }
    if (this.immediate) return;
    if (this.sleeper) {
      clearTimeout(this.sleeper);
      this.sleeper = undefined;
    }
    this.immediate = setImmediate(this.round);
  }

  private readonly round = (): void => {
    this.immediate = undefined;
    if (!this.running) return;
    this.inRound = true;
    this.wokenDuringRound = false;
    let work = 0;
    try {
      for (const r of this.runnables) work += r.runBatch(this.batch);
    } finally {
      this.inRound = false;
    }
    if (!this.running) return;
    if (work > 0 || this.wokenDuringRound) {
      this.immediate = setImmediate(this.round);
      return;
    }
    this.sleeper = setTimeout(() => {
      this.sleeper = undefined;
      this.round();
    }, this.idleMs);
  };
}
