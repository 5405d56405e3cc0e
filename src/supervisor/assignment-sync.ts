/**
 * Keeps the supervisor's copy of the cluster's assignments current. Watches are only
 * triggers: every trigger re-reads the assignments (and, once per topology, the package id
 * from its record), so a missed or coalesced notification cannot leave a stale view. A timer
 * re-reads as well, Storm's 10 s safety net for the supervisor's assignment sync.
 */
import type { Clock, TimerHandle } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { Assignment, ClusterState, WatchHandle } from '../coordination/index.js';

/** What one sync read. */
export interface AssignmentSnapshot {
  /** Topology id → assignment. */
  assignments: ReadonlyMap<string, Assignment>;
  /** Topology id → package id, for the topologies whose record could be read. */
  packageIds: ReadonlyMap<string, string>;
}

/** Options of AssignmentSync.start(). */
export interface AssignmentSyncOptions {
  cluster: ClusterState;
  clock: Clock;
  logger: Logger;
  /** Period of the full re-read. */
  resyncMs: number;
  /** Called after every successful read. */
  onChange: (snapshot: AssignmentSnapshot) => void;
}

/** The assignment watcher. Close it to stop watching. */
export class AssignmentSync {
  private readonly dataWatches = new Map<string, WatchHandle<unknown>>();
  private readonly packageIds = new Map<string, string>();
  private childrenWatch: WatchHandle<unknown> | undefined;
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private ready = false;
  private closed = false;

  private constructor(private readonly opts: AssignmentSyncOptions) {}

  /** Starts watching; resolves after the first complete read (which it rethrows on failure). */
  static async start(opts: AssignmentSyncOptions): Promise<AssignmentSync> {
    const s = new AssignmentSync(opts);
    const { store, paths } = opts.cluster;
    try {
      s.childrenWatch = await store.watchChildren(paths.assignments, () => void s.trigger());
      await s.syncOnce();
    } catch (err) {
      s.close();
      throw err;
    }
    s.ready = true;
    if (s.dirty) void s.trigger(); // a change arrived during the first read
    s.timer = opts.clock.setInterval(() => void s.trigger(), opts.resyncMs);
    return s;
  }

  /** Asks for a re-read; resolves when the reads requested so far are done. */
  trigger(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.dirty = true;
    if (!this.ready) return Promise.resolve(); // start() reads (again) once its first read is done
    this.running ??= this.loop().finally(() => { this.running = undefined; });
    return this.running;
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.childrenWatch?.close();
    for (const w of this.dataWatches.values()) w.close();
    this.dataWatches.clear();
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.closed) {
      this.dirty = false;
      try {
        await this.syncOnce();
      } catch (err) {
        // The timer tries again; ZooKeeper being away must not stop the workers.
        this.opts.logger.warn('could not read the assignments; will retry', { err: String(err) });
      }
    }
  }

  private async syncOnce(): Promise<void> {
    const { cluster } = this.opts;
    const ids = await cluster.assignmentIds();
    const assignments = new Map<string, Assignment>();
    for (const id of ids) {
      await this.watch(id);
      const a = await cluster.assignment(id);
      if (a) assignments.set(id, a.value);
      if (a && !this.packageIds.has(id)) {
        const record = await cluster.topology(id);
        if (record) this.packageIds.set(id, record.value.packageId);
      }
    }
    for (const [id, w] of this.dataWatches) {
      if (assignments.has(id)) continue;
      w.close();
      this.dataWatches.delete(id);
      this.packageIds.delete(id);
    }
    if (!this.closed) this.opts.onChange({ assignments, packageIds: new Map(this.packageIds) });
  }

  private async watch(id: string): Promise<void> {
    if (this.dataWatches.has(id) || this.closed) return;
    const { store, paths } = this.opts.cluster;
    this.dataWatches.set(id, await store.watchData(paths.assignment(id), () => void this.trigger()));
  }
}
