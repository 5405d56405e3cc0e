/**
 * Storm's default scheduler (DefaultScheduler over EvenScheduler) as a pure function:
 * `(cluster snapshot, topologies, existing assignments) → assignments`. No I/O, no clock, no
 * randomness; inputs are sorted first, so the same input always gives the same output.
 *
 * Per topology, in topology-id order (all healthy workers of all topologies are reserved first,
 * so scheduling one topology never takes another's healthy slot):
 *  1. Keep the workers that are still alive: supervisor present, port offered, worker not dead,
 *     executors all current. A topology whose workers are all alive and that has as many as it
 *     wants is left untouched.
 *  2. Otherwise free the alive workers whose executor count does not fit the even split over
 *     the workers it can have (Storm's badSlots) — after a worker is lost on a short cluster
 *     the survivors are re-split; with spare slots they are kept as they are.
 *  3. Take `min(workers wanted, alive + free)` slots, the new ones from the free slots in the
 *     interleaved order of slots.ts (across hosts first, hosts without a kept worker of the
 *     topology before hosts with one), and deal the executors that have no worker round-robin
 *     over the new slots, in task order.
 * A cluster short of slots gets fewer workers (executors per worker grow), as in Storm, and the
 * topology's status says so. Tasks never move between components and never change id.
 */
import {
  compareExecutors, compareSlots, executorKey, slotKey,
  type Assignments, type ClusterSnapshot, type ExecutorRange, type SupervisorSnapshot, type TopologyAssignment,
  type WorkerAssignment,
} from './assignments.js';
import { applyRebalance, demandExecutors, SchedulerInputError, type RebalanceRequest, type TopologyDemand } from './demand.js';
import { sortSlots, type FreeSlot, type SlotLoad } from './slots.js';
import { UsageError } from '../common/errors.js';

/** How well a topology is placed. */
export interface TopologyScheduleStatus {
  topologyId: string;
  /** `full`: every executor placed on the workers wanted; `degraded`: placed on fewer; `unassigned`: no slot at all. */
  state: 'full' | 'degraded' | 'unassigned';
  requestedWorkers: number;
  assignedWorkers: number;
  unassignedExecutors: number;
  /** One line for the UI and `squall list` (Storm's scheduler status string). */
  message: string;
}

export interface ScheduleResult {
  /** One entry per topology that has at least one worker. */
  assignments: Assignments;
  statuses: ReadonlyMap<string, TopologyScheduleStatus>;
  /** Topologies with no worker at all (not enough slots), sorted. */
  unassigned: readonly string[];
  /** Topologies whose assignment differs from `existing` (to write and push), sorted. */
  changed: readonly string[];
}

export interface RebalanceResult extends ScheduleResult {
  /** The rebalanced topology's new demand, to persist (worker count and executor overrides). */
  demand: TopologyDemand;
}

interface Worker {
  supervisorId: string;
  host: string;
  port: number;
  executors: ExecutorRange[];
}

interface Prepared {
  demand: TopologyDemand;
  executors: ExecutorRange[];
  /** Workers wanted: never more than there are executors (an empty worker does nothing). */
  wanted: number;
}

/**
 * Schedules every topology in `topologies`; assignments in `existing` for topologies not in
 * the list are dropped (their slots are free).
 * @throws {SchedulerInputError} on inconsistent input (duplicate ids, bad worker counts or task ranges).
 */
export function schedule(cluster: ClusterSnapshot, topologies: readonly TopologyDemand[], existing: Assignments): ScheduleResult {
  const supervisors = indexSupervisors(cluster.supervisors);
  const dead = new Set((cluster.deadSlots ?? []).map(slotKey));
  const prepared = prepare(topologies);
  const claimed = new Set<string>();
  const alive = new Map<string, Map<string, Worker>>();
  for (const p of prepared) alive.set(p.demand.id, aliveWorkers(p, existing.get(p.demand.id), supervisors, dead, claimed));
  const pool = freeSlots(supervisors, claimed, dead);

  const assignments = new Map<string, TopologyAssignment>();
  const statuses = new Map<string, TopologyScheduleStatus>();
  for (const p of prepared) {
    const workers = scheduleTopology(p, alive.get(p.demand.id)!, pool);
    if (workers.length > 0) assignments.set(p.demand.id, { topologyId: p.demand.id, workers });
    statuses.set(p.demand.id, statusOf(p, workers));
  }
  return {
    assignments,
    statuses,
    unassigned: [...statuses.values()].filter((s) => s.state === 'unassigned').map((s) => s.topologyId),
    changed: changedTopologies(prepared, assignments, existing),
  };
}

/**
 * Rebalances one topology: applies the new worker count and executor counts, then schedules it
 * from scratch (its current workers are ignored, as Storm's doRebalance does), the other
 * topologies as usual. Task ids never change; only which worker runs which executor.
 * @throws {UsageError} for an unknown topology or component, or counts out of range.
 */
export function rebalance(
  cluster: ClusterSnapshot, topologies: readonly TopologyDemand[], existing: Assignments,
  topologyId: string, request: RebalanceRequest,
): RebalanceResult {
  const current = topologies.find((t) => t.id === topologyId);
  if (!current) throw new UsageError(`no topology ${JSON.stringify(topologyId)} to rebalance`);
  const demand = applyRebalance(current, request);
  const others = new Map(existing);
  others.delete(topologyId);
  const result = schedule(cluster, topologies.map((t) => (t.id === topologyId ? demand : t)), others);
  // `changed` must compare with what was really there, not with the scratch view.
  const changed = result.changed.filter((id) => id !== topologyId);
  if (!sameAssignment(result.assignments.get(topologyId), existing.get(topologyId))) changed.push(topologyId);
  return { ...result, changed: changed.sort(), demand };
}

function prepare(topologies: readonly TopologyDemand[]): Prepared[] {
  const seen = new Set<string>();
  const out: Prepared[] = [];
  for (const demand of [...topologies].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (seen.has(demand.id)) throw new SchedulerInputError(`topology ${demand.id} is listed twice`);
    seen.add(demand.id);
    if (!Number.isInteger(demand.numWorkers) || demand.numWorkers < 1) {
      throw new SchedulerInputError(`topology ${demand.id}: numWorkers must be a whole number >= 1, got ${demand.numWorkers}`);
    }
    const executors = demandExecutors(demand);
    out.push({ demand, executors, wanted: Math.min(demand.numWorkers, executors.length) });
  }
  return out;
}

function indexSupervisors(list: readonly SupervisorSnapshot[]): Map<string, SupervisorSnapshot> {
  const byId = new Map<string, SupervisorSnapshot>();
  for (const s of [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (byId.has(s.id)) throw new SchedulerInputError(`supervisor ${s.id} is listed twice`);
    if (!s.ports.every((p) => Number.isInteger(p) && p > 0 && p < 65536)) throw new SchedulerInputError(`supervisor ${s.id} has an invalid port`);
    byId.set(s.id, s);
  }
  return byId;
}

/**
 * The topology's existing workers that are still good, keyed by slot; claims their slots.
 * A worker is dropped whole when its slot is gone, dead or already claimed, or when it runs an
 * executor the topology no longer has (or that another worker also runs).
 */
function aliveWorkers(
  p: Prepared, assignment: TopologyAssignment | undefined, supervisors: ReadonlyMap<string, SupervisorSnapshot>,
  dead: ReadonlySet<string>, claimed: Set<string>,
): Map<string, Worker> {
  const current = new Map(p.executors.map((e) => [executorKey(e), e]));
  const placed = new Set<string>();
  const alive = new Map<string, Worker>();
  for (const w of [...(assignment?.workers ?? [])].sort(compareSlots)) {
    const key = slotKey(w);
    const sup = supervisors.get(w.supervisorId);
    if (!sup || !sup.ports.includes(w.port) || dead.has(key) || claimed.has(key)) continue;
    const keys = w.executors.map(executorKey);
    const fresh = keys.length > 0 && new Set(keys).size === keys.length && keys.every((k) => current.has(k) && !placed.has(k));
    if (!fresh) continue;
    claimed.add(key);
    for (const k of keys) placed.add(k);
    alive.set(key, { supervisorId: w.supervisorId, host: sup.host, port: w.port, executors: keys.map((k) => current.get(k)!).sort(compareExecutors) });
  }
  return alive;
}

function freeSlots(supervisors: ReadonlyMap<string, SupervisorSnapshot>, claimed: ReadonlySet<string>, dead: ReadonlySet<string>): FreeSlot[] {
  const pool: FreeSlot[] = [];
  for (const s of supervisors.values()) {
    const used = new Set(s.usedPorts ?? []);
    for (const port of [...new Set(s.ports)].sort((a, b) => a - b)) {
      const key = slotKey({ supervisorId: s.id, port });
      if (claimed.has(key) || used.has(port)) continue;
      pool.push({ supervisorId: s.id, host: s.host, port, suspect: dead.has(key) });
    }
  }
  return pool;
}

/** Places one topology; takes the slots it uses out of `pool` (and may give some back). */
function scheduleTopology(p: Prepared, alive: Map<string, Worker>, pool: FreeSlot[]): WorkerAssignment[] {
  const placed = new Set<string>();
  for (const w of alive.values()) for (const e of w.executors) placed.add(executorKey(e));
  let homeless = p.executors.filter((e) => !placed.has(executorKey(e)));
  if (homeless.length === 0 && alive.size >= p.wanted) return finish(alive.values());

  const total = Math.min(p.wanted, alive.size + pool.length);
  for (const bad of badSlots(alive, p.executors.length, total)) {
    alive.delete(slotKey(bad));
    pool.push({ supervisorId: bad.supervisorId, host: bad.host, port: bad.port, suspect: false });
    homeless = homeless.concat(bad.executors);
  }
  homeless.sort(compareExecutors);
  const chosen = sortSlots(pool, loadOf(alive.values())).slice(0, Math.max(0, total - alive.size));
  const fresh: Worker[] = chosen.map((s) => ({ supervisorId: s.supervisorId, host: s.host, port: s.port, executors: [] }));
  homeless.forEach((e, i) => fresh[i % fresh.length]?.executors.push(e));
  for (const w of fresh) {
    if (w.executors.length === 0) continue; // more slots than executors left: the slot stays free
    const at = pool.findIndex((s) => s.supervisorId === w.supervisorId && s.port === w.port);
    pool.splice(at, 1);
    alive.set(slotKey(w), w);
  }
  return finish(alive.values());
}

/**
 * Storm's DefaultScheduler.badSlots: the alive workers whose executor count has no place in
 * the even split of `executors` over `workers` (sizes differ by at most one). Deterministic:
 * workers are considered in slot order.
 */
function badSlots(alive: ReadonlyMap<string, Worker>, executors: number, workers: number): Worker[] {
  if (workers === 0) return [];
  const base = Math.floor(executors / workers);
  const remaining = new Map<number, number>([[base + 1, executors % workers], [base, workers - (executors % workers)]]);
  const bad: Worker[] = [];
  for (const w of [...alive.values()].sort(compareSlots)) {
    const left = remaining.get(w.executors.length) ?? 0;
    if (left > 0) remaining.set(w.executors.length, left - 1);
    else bad.push(w);
  }
  return bad;
}

/** Where the topology's kept workers are, so new ones go elsewhere first. */
function loadOf(workers: Iterable<Worker>): SlotLoad {
  const hosts = new Map<string, number>();
  const supervisors = new Map<string, number>();
  for (const w of workers) {
    hosts.set(w.host, (hosts.get(w.host) ?? 0) + 1);
    supervisors.set(w.supervisorId, (supervisors.get(w.supervisorId) ?? 0) + 1);
  }
  return { hosts, supervisors };
}

function finish(workers: Iterable<Worker>): WorkerAssignment[] {
  return [...workers]
    .map((w) => ({ supervisorId: w.supervisorId, host: w.host, port: w.port, executors: [...w.executors].sort(compareExecutors) }))
    .sort(compareSlots);
}

function statusOf(p: Prepared, workers: readonly WorkerAssignment[]): TopologyScheduleStatus {
  const placed = workers.reduce((n, w) => n + w.executors.length, 0);
  const base = {
    topologyId: p.demand.id, requestedWorkers: p.demand.numWorkers, assignedWorkers: workers.length,
    unassignedExecutors: p.executors.length - placed,
  };
  if (workers.length === 0) {
    return { ...base, state: 'unassigned', message: `not scheduled: no free slot (${p.wanted} worker${p.wanted === 1 ? '' : 's'} wanted)` };
  }
  if (base.unassignedExecutors > 0 || workers.length < p.wanted) {
    return { ...base, state: 'degraded', message: `running on ${workers.length} of ${p.wanted} workers: not enough free slots` };
  }
  const capped = p.demand.numWorkers > p.wanted ? ` (${p.demand.numWorkers} requested; only ${p.executors.length} executors)` : '';
  return { ...base, state: 'full', message: `fully scheduled on ${workers.length} worker${workers.length === 1 ? '' : 's'}${capped}` };
}

function changedTopologies(prepared: readonly Prepared[], next: Assignments, existing: Assignments): string[] {
  return prepared.map((p) => p.demand.id).filter((id) => !sameAssignment(next.get(id), existing.get(id)));
}

function sameAssignment(a: TopologyAssignment | undefined, b: TopologyAssignment | undefined): boolean {
  return canonical(a) === canonical(b);
}

function canonical(a: TopologyAssignment | undefined): string {
  if (!a || a.workers.length === 0) return '';
  return JSON.stringify(finish(a.workers.map((w) => ({ ...w, executors: [...w.executors] }))));
}
