/**
 * The leader's scheduling pass (Storm's mkAssignments): read the cluster, build the snapshot,
 * run the pure scheduler, write only the assignments that changed, fenced on the leadership.
 *
 * Which topologies are scheduled: ACTIVE and INACTIVE ones whose shape is known. KILLED and
 * REBALANCING ones are frozen — their assignment stays exactly as it is until removal or the
 * rebalance, as in Storm — and so is a topology whose package this nimbus cannot load. A frozen
 * assignment's slots are marked used so no other topology takes them.
 *
 * Dead slots come from WorkerLiveness over the heartbeat cache. A supervisor whose ephemeral
 * node is gone keeps its slots for nimbus.supervisor.timeout.secs (its last known info stays in
 * the snapshot): a supervisor restarted after a crash re-registers once its old session
 * expires and adopts its workers, which must not be moved meanwhile. A new leader counts that
 * time from its own first pass for supervisors the assignments use but it never saw. Past the
 * timeout it is lost and the scheduler moves its executors. Passes are requested by triggers
 * and coalesced: a request made while a pass is queued joins it; one made while a pass runs
 * queues the next.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { ClusterState } from '../coordination/cluster-state.js';
import { BadVersionError, FencedError } from '../coordination/errors.js';
import type { Leadership } from '../coordination/leader-election.js';
import type { SupervisorInfo, TopologyRecord } from '../coordination/records.js';
import { fromRecord, toRecord } from './assignment-records.js';
import type { ClusterSnapshot, SlotRef, SupervisorSnapshot, TopologyAssignment } from './assignments.js';
import { assignedSupervisors, readClusterView, workerHostOf, type ClusterView } from './cluster-view.js';
import { demandExecutors, type RebalanceRequest, type TopologyDemand } from './demand.js';
import type { HeartbeatCache } from './heartbeats.js';
import type { WorkerLiveness } from './liveness.js';
import { rebalance, schedule, type ScheduleResult, type TopologyScheduleStatus } from './scheduler.js';
import type { Serial } from './serial.js';
import { demandOf, type TopologyCatalog } from './topology-catalog.js';

/** What a pass needs. */
export interface SchedulingDeps {
  cluster: ClusterState;
  lead: Leadership;
  catalog: TopologyCatalog;
  heartbeats: HeartbeatCache;
  liveness: WorkerLiveness;
  serial: Serial;
  clock: Clock;
  logger: Logger;
  /** Written after each pass: the scheduler's verdict per topology, for list and describe. */
  statuses: Map<string, TopologyScheduleStatus>;
  /** How long heartbeat reports are kept after their worker went silent. */
  heartbeatRetentionMs: number;
  /** How long a supervisor missing from ZooKeeper keeps its slots. */
  supervisorTimeoutMs: number;
}

/** A rebalance applied in the pass: this topology is rescheduled from scratch with these counts. */
export interface RebalanceOrder {
  topologyId: string;
  request: RebalanceRequest;
}

interface Inputs {
  demands: TopologyDemand[];
  existing: Map<string, TopologyAssignment>;
  snapshot: ClusterSnapshot;
}

/** Runs scheduling passes for one leadership. */
export class SchedulingLoop {
  private queued: Promise<void> | undefined;
  private stopped = false;

  /** Supervisors seen so far, with when each went missing (undefined while registered). */
  private readonly known = new Map<string, { info: SupervisorInfo; missingSince: number | undefined }>();
  /** Supervisors this leadership declared lost; not given a new grace until they register again. */
  private readonly lost = new Set<string>();

  constructor(private readonly deps: SchedulingDeps) {}

  /** Queues a pass (or joins the one queued); resolves when it has run. Never rejects. */
  request(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.queued ??= this.deps.serial.run(async () => {
      this.queued = undefined;
      await this.runLocked().catch((err: unknown) => this.failed(err));
    });
    return this.queued;
  }

  /** One pass; the caller holds the serial lock. Rejects on ZooKeeper errors. */
  async runLocked(order?: RebalanceOrder): Promise<void> {
    if (this.stopped || this.deps.lead.signal.aborted) return;
    const { cluster, lead, clock } = this.deps;
    const view = await readClusterView(cluster, { signal: lead.signal });
    const now = clock.now();
    const inputs = await this.inputs(view, now, order?.topologyId);
    const result = order
      ? rebalance(inputs.snapshot, inputs.demands, inputs.existing, order.topologyId, order.request)
      : schedule(inputs.snapshot, inputs.demands, inputs.existing);
    await this.write(view, result, now);
    await this.removeOrphans(view);
    for (const [id, status] of result.statuses) this.deps.statuses.set(id, status);
    for (const id of this.deps.statuses.keys()) if (!view.records.has(id)) this.deps.statuses.delete(id);
    this.deps.catalog.retain(new Set(view.records.keys()));
    this.deps.liveness.retain(new Set(view.records.keys()));
    this.deps.heartbeats.prune(now, this.deps.heartbeatRetentionMs);
  }

  /** No pass starts after this; a running one finishes. */
  stop(): void {
    this.stopped = true;
  }

  private async inputs(view: ClusterView, now: number, forced: string | undefined): Promise<Inputs> {
    const demands: TopologyDemand[] = [];
    const existing = new Map<string, TopologyAssignment>();
    const frozen: TopologyAssignment[] = [];
    const dead: SlotRef[] = [];
    for (const [id, { value: record }] of view.records) {
      const stored = view.assignments.get(id);
      const current = stored ? fromRecord(stored.value) : undefined;
      this.deps.liveness.observe(id, current?.workers ?? [], now);
      const demand = schedulable(record, forced) ? await this.demand(record) : undefined;
      if (!demand) {
        if (current) frozen.push(current);
        continue;
      }
      demands.push(demand);
      if (current) {
        existing.set(id, current);
        dead.push(...this.deps.liveness.deadSlots(id, current.workers, now, (t, s, p) => this.deps.heartbeats.lastSeen(t, s, p)));
      }
    }
    if (dead.length > 0) this.deps.logger.info('workers missing from heartbeats; their executors move', { slots: dead });
    return { demands, existing, snapshot: { supervisors: snapshotOf(this.withGrace(view, now), frozen), deadSlots: dead } };
  }

  /**
   * The registered supervisors plus those missing for less than the supervisor timeout. A
   * supervisor counts as missing from the first pass that finds it unregistered — also when
   * this leadership never saw it registered but the stored assignments use it (a failover, or
   * ZooKeeper back after every session expired): its workers stay put while it re-registers.
   */
  private withGrace(view: ClusterView, now: number): SupervisorInfo[] {
    const live = view.supervisors;
    const out = [...live];
    const liveIds = new Set(live.map((s) => s.id));
    for (const s of live) {
      this.known.set(s.id, { info: s, missingSince: undefined });
      this.lost.delete(s.id);
    }
    for (const s of assignedSupervisors(view.assignments.values())) {
      if (!liveIds.has(s.id) && !this.known.has(s.id) && !this.lost.has(s.id)) this.known.set(s.id, { info: s, missingSince: now });
    }
    for (const [id, k] of this.known) {
      if (liveIds.has(id)) continue;
      k.missingSince ??= now;
      if (now - k.missingSince < this.deps.supervisorTimeoutMs) {
        out.push(k.info);
      } else {
        this.known.delete(id);
        this.lost.add(id);
        this.deps.logger.warn(`supervisor ${id} lost (gone from ZooKeeper for ${Math.round(this.deps.supervisorTimeoutMs / 1000)} s); its executors move`);
      }
    }
    return out;
  }

  /** The record's demand, or undefined (logged) when its shape is unknown or inconsistent. */
  private async demand(record: TopologyRecord): Promise<TopologyDemand | undefined> {
    const shape = await this.deps.catalog.get(record);
    if (!shape) {
      this.deps.logger.warn('topology not scheduled: its package is not on this nimbus yet', { topologyId: record.id, packageId: record.packageId });
      return undefined;
    }
    const demand = demandOf(record, shape);
    try {
      demandExecutors(demand);
      return demand;
    } catch (err) {
      this.deps.logger.error('topology not scheduled: its record does not fit its plan', { topologyId: record.id, err });
      return undefined;
    }
  }

  private async write(view: ClusterView, result: ScheduleResult, now: number): Promise<void> {
    for (const id of result.changed) {
      const next = result.assignments.get(id);
      const version = view.assignments.get(id)?.version;
      try {
        await this.deps.cluster.setAssignment(this.deps.lead, toRecord(id, next, now), version, { signal: this.deps.lead.signal });
      } catch (err) {
        if (!(err instanceof BadVersionError)) throw err;
        // Someone else wrote it (should not happen while we lead): look again next pass.
        this.deps.logger.warn('assignment changed under us; rescheduling', { topologyId: id });
        void this.request();
        continue;
      }
      this.deps.liveness.observe(id, next?.workers ?? [], now);
      this.deps.logger.info('assignment written', { topologyId: id, workers: next?.workers.length ?? 0 });
    }
  }

  /** Assignments without a topology record (a crash between writes): removed. */
  private async removeOrphans(view: ClusterView): Promise<void> {
    for (const id of view.assignments.keys()) {
      if (view.records.has(id)) continue;
      this.deps.logger.warn('removing an assignment whose topology is gone', { topologyId: id });
      await this.deps.cluster.removeTopology(this.deps.lead, id, { signal: this.deps.lead.signal });
    }
  }

  private failed(err: unknown): void {
    if (err instanceof FencedError || this.deps.lead.signal.aborted) {
      this.deps.logger.info('scheduling stopped: leadership ended', { err });
      this.stop();
      return;
    }
    this.deps.logger.error('scheduling pass failed; the next one retries', { err });
  }
}

function schedulable(record: TopologyRecord, forced: string | undefined): boolean {
  return record.id === forced || record.status === 'ACTIVE' || record.status === 'INACTIVE';
}

/** Supervisors with valid ports; slots of frozen assignments count as used. */
function snapshotOf(supervisors: readonly SupervisorInfo[], frozen: readonly TopologyAssignment[]): SupervisorSnapshot[] {
  const used = new Map<string, number[]>();
  for (const a of frozen) for (const w of a.workers) used.set(w.supervisorId, [...(used.get(w.supervisorId) ?? []), w.port]);
  return supervisors.map((s) => ({
    id: s.id,
    host: workerHostOf(s),
    ports: [...new Set(s.ports.filter((p) => Number.isInteger(p) && p > 0 && p < 65536))],
    usedPorts: used.get(s.id) ?? [],
  }));
}
