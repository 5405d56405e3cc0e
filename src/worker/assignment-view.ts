/**
 * A worker's reading of its topology's assignment: which tasks are its own, and where every
 * other task runs. Pure, so the rules are tested without ZooKeeper.
 */
import type { Assignment } from '../coordination/index.js';
import type { WorkerAddress } from '../transport/index.js';

/** The tasks the assignment places on (supervisorId, port). Empty when the slot is not in it. */
export function slotTasks(a: Assignment, supervisorId: string, port: number): Set<number> {
  const tasks = new Set<number>();
  for (const e of a.executors) {
    if (e.supervisorId !== supervisorId || e.port !== port) continue;
    for (let t = e.startTask; t <= e.endTask; t++) tasks.add(t);
  }
  return tasks;
}

/**
 * Where each task outside `local` runs: `nodeHost[supervisorId]:port` (docs/CLUSTER.md worker
 * step 3). Tasks whose supervisor has no host in the assignment are left out (and reported),
 * so tuples for them wait instead of going to a wrong address.
 */
export function peerAddresses(a: Assignment, local: ReadonlySet<number>): { peers: Map<number, WorkerAddress>; unknownHosts: string[] } {
  const peers = new Map<number, WorkerAddress>();
  const unknownHosts = new Set<string>();
  for (const e of a.executors) {
    const host = a.nodeHost[e.supervisorId];
    for (let t = e.startTask; t <= e.endTask; t++) {
      if (local.has(t)) continue;
      if (host === undefined) unknownHosts.add(e.supervisorId);
      else peers.set(t, { host, port: e.port });
    }
  }
  return { peers, unknownHosts: [...unknownHosts] };
}

/** Whether two task sets are equal. */
export function sameTasks(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  if (a.size !== b.size) return false;
  for (const t of a) if (!b.has(t)) return false;
  return true;
}
