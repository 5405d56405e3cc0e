/**
 * From the cluster's assignments to what each of this supervisor's slots should run: a pure
 * function, so the rules (which executors are ours, which port, which package) are tested
 * without ZooKeeper.
 */
import type { Assignment } from '../coordination/index.js';
import type { ExecutorRange, SlotAssignment } from './slot.js';

/** Worker id of a slot: `<topology id>-<supervisor id>-<port>` (docs/CLUSTER.md). */
export function workerIdOf(topologyId: string, supervisorId: string, port: number): string {
  return `${topologyId}-${supervisorId}-${port}`;
}

/** What desiredSlots() reads. */
export interface DesiredInput {
  supervisorId: string;
  /** The ports this supervisor offers. */
  ports: readonly number[];
  /** Topology id → its assignment. */
  assignments: ReadonlyMap<string, Assignment>;
  /** Topology id → the package its workers run (from the topology record). */
  packageIds: ReadonlyMap<string, string>;
}

/** The slots this supervisor should run, and what it cannot honour (to log). */
export interface DesiredSlots {
  /** Port → what runs there. */
  slots: Map<number, SlotAssignment>;
  problems: string[];
}

/**
 * The slot assignments of one supervisor. Topologies are taken in id order, so when two claim
 * one port (a nimbus bug) every supervisor run picks the same one.
 */
export function desiredSlots(input: DesiredInput): DesiredSlots {
  const slots = new Map<number, SlotAssignment>();
  const problems: string[] = [];
  for (const topologyId of [...input.assignments.keys()].sort()) {
    const byPort = executorsByPort(input.assignments.get(topologyId)!, input.supervisorId);
    if (byPort.size === 0) continue;
    const packageId = input.packageIds.get(topologyId);
    if (packageId === undefined) {
      problems.push(`topology ${topologyId} is assigned here but its record cannot be read yet`);
      continue;
    }
    for (const [port, executors] of byPort) {
      const other = slots.get(port);
      if (!input.ports.includes(port)) problems.push(`topology ${topologyId} is assigned to port ${port}, which this supervisor does not offer`);
      else if (other) problems.push(`port ${port} is assigned to both ${other.topologyId} and ${topologyId}; running ${other.topologyId}`);
      else slots.set(port, { topologyId, workerId: workerIdOf(topologyId, input.supervisorId, port), packageId, executors });
    }
  }
  return { slots, problems };
}

/** This supervisor's executors of one assignment, per port, sorted by first task. */
function executorsByPort(a: Assignment, supervisorId: string): Map<number, ExecutorRange[]> {
  const out = new Map<number, ExecutorRange[]>();
  for (const e of a.executors) {
    if (e.supervisorId !== supervisorId) continue;
    const list = out.get(e.port) ?? [];
    list.push([e.startTask, e.endTask]);
    out.set(e.port, list);
  }
  for (const list of out.values()) list.sort((x, y) => x[0] - y[0]);
  return out;
}
