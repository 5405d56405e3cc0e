/**
 * A worker's reading of its topology's assignment: which tasks are its own, and where every
 * other task runs. Pure, so the rules are tested without ZooKeeper.
 */
import { SquallError } from '../common/errors.js';
import type { Assignment } from '../coordination/index.js';
import type { ComponentPlan, TopologyPlan } from '../topology/plan.js';
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

/** The executors (task ranges, "first-last") the assignment places on (supervisorId, port), sorted. */
export function slotExecutors(a: Assignment, supervisorId: string, port: number): string[] {
  return a.executors
    .filter((e) => e.supervisorId === supervisorId && e.port === port)
    .map((e) => `${e.startTask}-${e.endTask}`)
    .sort();
}

/**
 * The plan with each component's executors as the assignment splits its tasks. The topology
 * file gives the executor counts at submit time; a rebalance (`-e component=N`) changes them
 * in the assignment only, and the task ids never change (Storm). Components the assignment
 * does not mention keep the file's split.
 * @throws SquallError E_WORKER_PLAN_MISMATCH when an executor covers tasks of several components
 *   or tasks the plan does not have
 */
export function planForAssignment(plan: TopologyPlan, a: Assignment): TopologyPlan {
  const ranges = new Map<string, number[][]>();
  for (const e of a.executors) {
    const tasks: number[] = [];
    for (let t = e.startTask; t <= e.endTask; t++) tasks.push(t);
    const component = plan.taskComponent[e.startTask];
    if (component === undefined || tasks.some((t) => t < 1 || plan.taskComponent[t] !== component)) {
      throw new SquallError('E_WORKER_PLAN_MISMATCH', `the assignment's executor [${e.startTask}-${e.endTask}] does not match the topology's tasks`, {
        context: { topology: a.topologyId },
        hint: 'the package or the topology record changed under the assignment; resubmit the topology',
      });
    }
    ranges.set(component, [...(ranges.get(component) ?? []), tasks]);
  }
  const components = new Map<string, ComponentPlan>();
  for (const [id, c] of plan.components) {
    const split = ranges.get(id);
    components.set(id, split && covers(split, c.tasks) ? { ...c, executors: split.sort((x, y) => x[0]! - y[0]!) } : c);
  }
  return { ...plan, components };
}

/** Whether the executors hold every task exactly once. */
function covers(executors: readonly number[][], tasks: readonly number[]): boolean {
  const seen = executors.flat();
  return seen.length === tasks.length && sameTasks(new Set(seen), new Set(tasks));
}
