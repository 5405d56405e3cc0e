/**
 * What a nimbus runs while it leads: one Serial for every mutation, the scheduling loop, the
 * status shell with its timers, and the monitor timer (nimbus.monitor.freq.secs). Built when
 * leadership is gained and stopped when it is lost, so nothing of an old leadership can act
 * later — and every write it does is fenced on its Leadership anyway.
 */
import type { TimerHandle } from '../common/clock.js';
import type { ClusterState } from '../coordination/cluster-state.js';
import type { Leadership } from '../coordination/leader-election.js';
import type { HeartbeatCache } from './heartbeats.js';
import { WorkerLiveness } from './liveness.js';
import type { CompiledNimbusOptions } from './options.js';
import { RemovalWaiters } from './removal-waiters.js';
import type { TopologyScheduleStatus } from './scheduler.js';
import { SchedulingLoop } from './scheduling-loop.js';
import { Serial } from './serial.js';
import { StatusShell } from './status-shell.js';
import type { TopologyCatalog } from './topology-catalog.js';

/** What a leadership needs from its nimbus: its shared state and the compiled timing options. */
export interface LeaderDeps
  extends Pick<CompiledNimbusOptions, 'clock' | 'logger' | 'monitorFreqMs' | 'taskTimeoutMs' | 'taskLaunchMs' | 'supervisorTimeoutMs'> {
  cluster: ClusterState;
  catalog: TopologyCatalog;
  heartbeats: HeartbeatCache;
  /** Called after a topology has been removed (its package may be deleted now). */
  onTopologyRemoved?: (topologyId: string) => void;
}

/** One leadership's machinery. */
export class LeaderRuntime {
  readonly serial = new Serial();
  readonly scheduling: SchedulingLoop;
  readonly shell: StatusShell;
  /** The scheduler's latest verdict per topology (list and describe show its message). */
  readonly statuses = new Map<string, TopologyScheduleStatus>();
  private readonly removals = new RemovalWaiters();
  private monitor: TimerHandle | undefined;
  private stopped = false;

  constructor(readonly lead: Leadership, private readonly deps: LeaderDeps) {
    const logger = deps.logger.child({ epoch: lead.epoch });
    const liveness = new WorkerLiveness({ taskTimeoutMs: deps.taskTimeoutMs, taskLaunchMs: deps.taskLaunchMs });
    this.scheduling = new SchedulingLoop({
      cluster: deps.cluster, lead, catalog: deps.catalog, heartbeats: deps.heartbeats, liveness, serial: this.serial,
      clock: deps.clock, logger, statuses: this.statuses,
      heartbeatRetentionMs: 2 * Math.max(deps.taskTimeoutMs, deps.taskLaunchMs),
      supervisorTimeoutMs: deps.supervisorTimeoutMs,
    });
    this.shell = new StatusShell({
      cluster: deps.cluster, lead, catalog: deps.catalog, scheduling: this.scheduling, serial: this.serial,
      removals: this.removals, clock: deps.clock, logger,
      onRemoved: (id) => {
        deps.catalog.forget(id);
        deps.heartbeats.forgetTopology(id);
        liveness.forget(id);
        this.statuses.delete(id);
        void this.scheduling.request(); // the freed slots may complete another topology
        deps.onTopologyRemoved?.(id);
      },
    });
  }

  /** True until the leadership ends (or stop()). */
  get active(): boolean {
    return !this.stopped && !this.lead.signal.aborted;
  }

  /** Re-arms persisted deadlines, runs a first pass, then one every monitor period. */
  start(): void {
    this.shell.startup().catch((err: unknown) => this.deps.logger.error('could not re-arm topology timers', { err }));
    void this.scheduling.request();
    this.monitor = this.deps.clock.setInterval(() => this.tick(), this.deps.monitorFreqMs);
  }

  /** Asks for a scheduling pass (membership change, submit, ...); resolves when it has run. */
  reschedule(): Promise<void> {
    return this.active ? this.scheduling.request() : Promise.resolve();
  }

  /** Stops everything; callers waiting for a removal are rejected with `reason`. */
  stop(reason: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.monitor?.cancel();
    this.scheduling.stop();
    this.shell.stop();
    this.removals.rejectAll(reason);
  }

  /** Resolves once the mutation in progress (if any) has finished. */
  idle(): Promise<void> {
    return this.serial.idle();
  }

  private tick(): void {
    if (!this.active) return;
    void this.scheduling.request();
  }
}
