/**
 * The thin shell around the pure topology status machine (topology-status.ts): for one event
 * it reads the record, steps, persists the new state (fenced, compare-and-set) and carries out
 * the effects — timers on the injected clock, the rebalance's reschedule, the kill's removal.
 * Every event runs under the leader's Serial, timer events included, so a timer never races a
 * user's command or a scheduling pass.
 *
 * Deadlines are absolute and persisted (statusDeadlineMs), so a restarted or new leader re-arms
 * them with the 'startup' event instead of restarting the wait; a deadline already past fires
 * at once.
 */
import type { Clock, TimerHandle } from '../common/clock.js';
import { SquallError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { ClusterState, Versioned } from '../coordination/cluster-state.js';
import { FencedError } from '../coordination/errors.js';
import type { Leadership } from '../coordination/leader-election.js';
import type { TopologyRecord } from '../coordination/records.js';
import { findByName, readRecords } from './cluster-view.js';
import { applyRebalance } from './demand.js';
import type { RemovalWaiters } from './removal-waiters.js';
import type { SchedulingLoop } from './scheduling-loop.js';
import type { Serial } from './serial.js';
import { stateChanged, stateOf, withState } from './status-records.js';
import { demandOf, type TopologyCatalog, type TopologyShape } from './topology-catalog.js';
import { step, type TimerEvent, type TopologyEffect, type TopologyEvent } from './topology-status.js';

/** What the shell needs. */
export interface StatusShellDeps {
  cluster: ClusterState;
  lead: Leadership;
  catalog: TopologyCatalog;
  scheduling: SchedulingLoop;
  serial: Serial;
  removals: RemovalWaiters;
  clock: Clock;
  logger: Logger;
  /** Called after a topology has been removed (drop caches, reschedule freed slots). */
  onRemoved(topologyId: string): void;
}

/** The outcome of a user event. */
export interface EventOutcome {
  topologyId: string;
  /** The record after the event; null once removed. */
  record: TopologyRecord | null;
  /** With `awaitRemoval`: settles when the topology is gone. */
  removal?: Promise<void>;
}

/** Thrown for a topology name nobody submitted (or already removed). Code `E_TOPOLOGY_NOT_FOUND`. */
export class TopologyNotFoundError extends SquallError {
  constructor(name: string) {
    super('E_TOPOLOGY_NOT_FOUND', `no topology named ${JSON.stringify(name)} is running`, {
      hint: 'squall list shows the running topologies', context: { topology: name },
    });
  }
}

/** Runs status events for one leadership. */
export class StatusShell {
  private readonly timers = new Map<string, { handle: TimerHandle; event: TimerEvent }>();
  private stopped = false;

  constructor(private readonly deps: StatusShellDeps) {}

  /**
   * Applies a user event (activate, deactivate, kill, rebalance) to the topology called `name`.
   * @throws {TopologyNotFoundError}, InvalidTransitionError, UsageError (bad counts), FencedError
   */
  userEvent(name: string, event: TopologyEvent, opts: { awaitRemoval?: boolean } = {}): Promise<EventOutcome> {
    return this.deps.serial.run(async () => {
      const current = await findByName(this.deps.cluster, name, { signal: this.deps.lead.signal });
      if (!current) throw new TopologyNotFoundError(name);
      // Registered under the lock: the removal timer cannot fire before we listen.
      const removal = opts.awaitRemoval ? this.deps.removals.wait(current.value.id) : undefined;
      try {
        const record = await this.apply(current, event);
        return { topologyId: current.value.id, record, ...(removal ? { removal } : {}) };
      } catch (err) {
        if (removal) this.deps.removals.cancel(current.value.id, removal);
        throw err;
      }
    });
  }

  /** Re-arms the timers of every persisted deadline (on gaining leadership). */
  startup(): Promise<void> {
    return this.deps.serial.run(async () => {
      for (const r of await readRecords(this.deps.cluster, { signal: this.deps.lead.signal })) {
        const result = step(stateOf(r.value, this.now()), { type: 'startup' }, this.now());
        for (const effect of result.effects) this.timerEffect(r.value.id, effect);
      }
    });
  }

  /** Cancels every timer; later timer firings and events do nothing. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) t.handle.cancel();
    this.timers.clear();
  }

  /** One step on a read record: validate, step, reschedule, persist, then the other effects. */
  private async apply(current: Versioned<TopologyRecord>, event: TopologyEvent): Promise<TopologyRecord | null> {
    const record = current.value;
    const shape = await this.deps.catalog.get(record);
    if (event.type === 'rebalance') checkRebalance(record, shape, event);
    const now = this.now();
    const result = step(stateOf(record, now), event, now, shape ? { messageTimeoutSecs: shape.messageTimeoutSecs } : {});
    for (const effect of result.effects) {
      if (effect.kind === 'reschedule') await this.deps.scheduling.runLocked({ topologyId: record.id, request: effect.request });
    }
    let next: TopologyRecord | null = null;
    if (result.state !== null) {
      next = withState(record, result.state);
      if (stateChanged(record, next)) await this.deps.cluster.updateTopology(this.deps.lead, next, current.version, { signal: this.deps.lead.signal });
    }
    for (const effect of result.effects) {
      if (effect.kind === 'remove-topology') await this.remove(record.id);
      else this.timerEffect(record.id, effect);
    }
    if (result.effects.length > 0) this.deps.logger.info('topology status changed', { topologyId: record.id, event: event.type, status: next?.status ?? 'REMOVED' });
    return next;
  }

  private async remove(topologyId: string): Promise<void> {
    await this.deps.cluster.removeTopology(this.deps.lead, topologyId, { signal: this.deps.lead.signal });
    this.timers.get(topologyId)?.handle.cancel();
    this.timers.delete(topologyId);
    this.deps.removals.resolve(topologyId);
    this.deps.onRemoved(topologyId);
  }

  private timerEffect(topologyId: string, effect: TopologyEffect): void {
    if (effect.kind === 'schedule-timer') {
      this.timers.get(topologyId)?.handle.cancel();
      const handle = this.deps.clock.setTimeout(() => this.fire(topologyId, effect.event), Math.max(0, effect.atMs - this.now()));
      this.timers.set(topologyId, { handle, event: effect.event });
    } else if (effect.kind === 'cancel-timer') {
      const t = this.timers.get(topologyId);
      if (t && t.event.type === effect.event.type && t.event.dueMs === effect.event.dueMs) {
        t.handle.cancel();
        this.timers.delete(topologyId);
      }
    }
    // 'activate' / 'deactivate': the persisted status is what workers follow.
  }

  private fire(topologyId: string, event: TimerEvent): void {
    if (this.stopped) return;
    void this.deps.serial.run(async () => {
      if (this.stopped || this.deps.lead.signal.aborted) return;
      if (this.timers.get(topologyId)?.event === event) this.timers.delete(topologyId);
      const current = await this.deps.cluster.topology(topologyId, { signal: this.deps.lead.signal });
      if (current) await this.apply(current, event);
    }).catch((err: unknown) => {
      if (err instanceof FencedError || this.deps.lead.signal.aborted) return;
      // The deadline stays persisted: the next leadership (or a retry) picks it up.
      this.deps.logger.error('a topology status timer failed; retrying', { topologyId, event: event.type, err });
      const handle = this.deps.clock.setTimeout(() => this.fire(topologyId, event), 1_000);
      this.timers.set(topologyId, { handle, event });
    });
  }

  /** Whole milliseconds: deadlines are persisted as integers. */
  private now(): number {
    return Math.round(this.deps.clock.now());
  }
}

/** Refuses counts the topology cannot take before anything changes (UsageError naming the component). */
function checkRebalance(record: TopologyRecord, shape: TopologyShape | undefined, event: Extract<TopologyEvent, { type: 'rebalance' }>): void {
  if (!shape) {
    throw new SquallError('E_UNAVAILABLE', `cannot rebalance ${record.name} yet: this nimbus does not hold its package`, {
      retriable: true, hint: 'retry in a few seconds (the package is being copied from another nimbus)',
    });
  }
  applyRebalance(demandOf(record, shape), { ...(event.numWorkers === undefined ? {} : { numWorkers: event.numWorkers }), ...(event.executors ? { executors: event.executors } : {}) });
}
