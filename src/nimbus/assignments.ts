/**
 * The data the scheduler reads and writes: a snapshot of the cluster's slots and the
 * assignment of each topology's executors to worker slots. Plain data, JSON-friendly apart from
 * the top-level Map (topology ids are user names; a Map has no prototype keys to collide with).
 */

/** An executor: the contiguous task ids `[first, last]` it runs (Storm's ExecutorDetails). */
export type ExecutorRange = readonly [first: number, last: number];

/** One live supervisor, as the leader nimbus sees it. */
export interface SupervisorSnapshot {
  id: string;
  host: string;
  /** Every worker port the supervisor offers (its slots). */
  ports: readonly number[];
  /**
   * Ports the supervisor reports busy although no assignment given to the scheduler uses them
   * (a process nimbus does not know about). Never handed out; an existing assignment that
   * already sits on such a port keeps it.
   */
  usedPorts?: readonly number[];
}

/** A slot: one port of one supervisor. */
export interface SlotRef {
  supervisorId: string;
  port: number;
}

export interface ClusterSnapshot {
  /** Live supervisors only: an assignment on a supervisor missing here is lost with it. */
  supervisors: readonly SupervisorSnapshot[];
  /**
   * Slots whose assigned worker is dead (no heartbeat within the task timeout). Their executors
   * are reassigned; the slot itself stays usable but is offered last, so executors move to
   * another slot when there is one (Storm moves executors of a worker that keeps failing).
   */
  deadSlots?: readonly SlotRef[];
}

/** One worker: a slot and the executors it runs. */
export interface WorkerAssignment {
  supervisorId: string;
  host: string;
  port: number;
  /** Sorted by first task. */
  executors: readonly ExecutorRange[];
}

export interface TopologyAssignment {
  topologyId: string;
  /** Sorted by supervisor id, then port. */
  workers: readonly WorkerAssignment[];
}

/** Topology id → its assignment. */
export type Assignments = ReadonlyMap<string, TopologyAssignment>;

/** A stable string key for a slot. */
export function slotKey(slot: SlotRef): string {
  return `${slot.supervisorId}:${slot.port}`;
}

/** A stable string key for an executor. */
export function executorKey(e: ExecutorRange): string {
  return `${e[0]}-${e[1]}`;
}

/** Orders executors by first task. */
export function compareExecutors(a: ExecutorRange, b: ExecutorRange): number {
  return a[0] - b[0];
}

/** Orders slots by supervisor id (code units, locale-independent), then port. */
export function compareSlots(a: SlotRef, b: SlotRef): number {
  return compareStrings(a.supervisorId, b.supervisorId) || a.port - b.port;
}

/** Locale-independent string order, so output does not depend on the machine's locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The task ids an assignment runs, ascending; for checking that rebalancing keeps tasks. */
export function assignedTasks(assignment: TopologyAssignment): number[] {
  const tasks: number[] = [];
  for (const w of assignment.workers) for (const [first, last] of w.executors) for (let t = first; t <= last; t++) tasks.push(t);
  return tasks.sort((a, b) => a - b);
}
