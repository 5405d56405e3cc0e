/** Per-task counters: plain numbers bumped on the hot path, summed per component on demand. */
export class TaskStats {
  /** Emit calls. */
  emitted = 0;
  /** Tuples sent to tasks (an emit to n tasks counts n). */
  transferred = 0;
  /** Tuples handed to the bolt's execute (ticks included). */
  executed = 0;
  /** Bolts: input tuples acked. Spouts: tuple trees completed. */
  acked = 0;
  /** Bolts: input tuples failed. Spouts: trees failed, including timeouts. */
  failed = 0;
  /** Spouts: trees that failed because the message timeout expired. */
  timedOut = 0;
  completeLatencyMsSum = 0;
  completeLatencyCount = 0;
  /** Spouts: nextTuple skipped because max.spout.pending was reached. */
  skippedMaxPending = 0;
  errors = 0;
}

export interface ComponentErrorRecord {
  time: number;
  task: number;
  message: string;
}

export interface ComponentStats {
  componentId: string;
  kind: 'spout' | 'bolt' | 'acker';
  tasks: number;
  emitted: number;
  transferred: number;
  executed: number;
  acked: number;
  failed: number;
  timedOut: number;
  /** Spouts: mean ms from emit to tree completion; null when nothing completed. */
  completeLatencyMs: number | null;
  skippedMaxPending: number;
  errors: number;
  /** Current input queue length summed over executors, and the highest seen. */
  queued: number;
  queueHighWater: number;
  lastErrors: ComponentErrorRecord[];
}

export function sumStats(
  componentId: string,
  kind: ComponentStats['kind'],
  tasks: readonly TaskStats[],
): Omit<ComponentStats, 'queued' | 'queueHighWater' | 'lastErrors'> {
  const s = { componentId, kind, tasks: tasks.length, emitted: 0, transferred: 0, executed: 0, acked: 0, failed: 0, timedOut: 0, skippedMaxPending: 0, errors: 0 };
  let latSum = 0;
  let latCount = 0;
  for (const t of tasks) {
    s.emitted += t.emitted;
    s.transferred += t.transferred;
    s.executed += t.executed;
    s.acked += t.acked;
    s.failed += t.failed;
    s.timedOut += t.timedOut;
    s.skippedMaxPending += t.skippedMaxPending;
    s.errors += t.errors;
    latSum += t.completeLatencyMsSum;
    latCount += t.completeLatencyCount;
  }
  return { ...s, completeLatencyMs: latCount > 0 ? latSum / latCount : null };
}
