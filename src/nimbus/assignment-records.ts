/**
 * Conversions between the scheduler's view of an assignment (workers with their executors,
 * assignments.ts) and the record ZooKeeper stores (executors as task ranges on slots, plus
 * `nodeHost`, records.ts). Pure.
 */
import type { Assignment } from '../coordination/records.js';
import { compareExecutors, compareSlots, slotKey, type ExecutorRange, type TopologyAssignment, type WorkerAssignment } from './assignments.js';

/** The scheduler's view of a stored assignment; a supervisor missing from nodeHost gets host ''. */
export function fromRecord(a: Assignment): TopologyAssignment {
  const bySlot = new Map<string, { supervisorId: string; port: number; executors: ExecutorRange[] }>();
  for (const e of a.executors) {
    const key = slotKey(e);
    let w = bySlot.get(key);
    if (!w) {
      w = { supervisorId: e.supervisorId, port: e.port, executors: [] };
      bySlot.set(key, w);
    }
    w.executors.push([e.startTask, e.endTask]);
  }
  const workers: WorkerAssignment[] = [...bySlot.values()]
    .map((w) => ({ ...w, host: a.nodeHost[w.supervisorId] ?? '', executors: w.executors.sort(compareExecutors) }))
    .sort(compareSlots);
  return { topologyId: a.topologyId, workers };
}

/** The record of an assignment (an empty one when the topology has no worker any more). */
export function toRecord(topologyId: string, assignment: TopologyAssignment | undefined, nowMs: number): Assignment {
  const nodeHost: Record<string, string> = {};
  const executors: Assignment['executors'] = [];
  for (const w of assignment?.workers ?? []) {
    nodeHost[w.supervisorId] = w.host;
    for (const [startTask, endTask] of w.executors) executors.push({ startTask, endTask, supervisorId: w.supervisorId, port: w.port });
  }
  executors.sort((x, y) => x.startTask - y.startTask);
  return { topologyId, nodeHost, executors, assignedAtMs: Math.round(nowMs) };
}

/** Tasks in an assignment's executors. */
export function taskCount(a: TopologyAssignment): number {
  let n = 0;
  for (const w of a.workers) for (const [first, last] of w.executors) n += last - first + 1;
  return n;
}
