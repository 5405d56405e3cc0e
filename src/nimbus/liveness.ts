/**
 * Which assigned workers are dead, as Storm's nimbus decides it (STORM-REFERENCE §1.4):
 *  - a worker that has heartbeated since it was assigned is dead once no report has listed it
 *    for `nimbus.task.timeout.secs`;
 *  - a worker that has not heartbeated yet gets `nimbus.task.launch.secs` from its assignment
 *    (a worker process takes time to start, download and extract its package).
 * "Assigned" is when this leader first saw the worker in an assignment — written by itself, or
 * found in ZooKeeper when it took over. So a new leader, which has no heartbeats at all, waits
 * the launch grace before it reassigns anything (Storm's heartbeat recovery after failover:
 * no reassignment storm).
 */
import type { SlotRef, WorkerAssignment } from './assignments.js';
import { executorKey, slotKey } from './assignments.js';

/** How long to wait, in ms. */
export interface LivenessTimeouts {
  taskTimeoutMs: number;
  taskLaunchMs: number;
}

/** Reads when a worker was last reported. */
export type LastSeen = (topologyId: string, supervisorId: string, port: number) => number | undefined;

/** Tracks since when each worker (topology, slot, executors) has been assigned. */
export class WorkerLiveness {
  /** topologyId → worker key → assigned since (ms). */
  private readonly since = new Map<string, Map<string, number>>();

  constructor(private readonly timeouts: LivenessTimeouts) {}

  /**
   * Notes the topology's current workers: new ones start their launch grace at `nowMs`, ones
   * no longer assigned are forgotten. A worker whose executors changed is a new worker (the
   * supervisor restarts it).
   */
  observe(topologyId: string, workers: readonly WorkerAssignment[], nowMs: number): void {
    const prev = this.since.get(topologyId) ?? new Map<string, number>();
    const next = new Map<string, number>();
    for (const w of workers) {
      const key = workerKey(w);
      next.set(key, prev.get(key) ?? nowMs);
    }
    this.since.set(topologyId, next);
  }

  /** The topology's workers that count as dead at `nowMs` (observe() them first). */
  deadSlots(topologyId: string, workers: readonly WorkerAssignment[], nowMs: number, lastSeen: LastSeen): SlotRef[] {
    const since = this.since.get(topologyId);
    const dead: SlotRef[] = [];
    for (const w of workers) {
      const assignedAt = since?.get(workerKey(w)) ?? nowMs;
      const seen = lastSeen(topologyId, w.supervisorId, w.port);
      const alive = seen !== undefined && seen >= assignedAt
        ? nowMs - seen <= this.timeouts.taskTimeoutMs
        : nowMs - assignedAt <= this.timeouts.taskLaunchMs;
      if (!alive) dead.push({ supervisorId: w.supervisorId, port: w.port });
    }
    return dead;
  }

  forget(topologyId: string): void {
    this.since.delete(topologyId);
  }

  /** Forgets topologies not in the set. */
  retain(topologyIds: ReadonlySet<string>): void {
    for (const id of this.since.keys()) if (!topologyIds.has(id)) this.since.delete(id);
  }
}

function workerKey(w: WorkerAssignment): string {
  return `${slotKey(w)}|${w.executors.map(executorKey).join(',')}`;
}
