/**
 * What a topology asks of the scheduler: a worker count and its executors. Tasks are fixed when
 * the topology is submitted; executors are a split of each component's tasks into contiguous
 * ranges, and a rebalance may change how many ranges (never which tasks), as in Storm.
 */
import { SquallError, UsageError } from '../common/errors.js';
import { splitTasks, type TopologyPlan } from '../topology/plan.js';
import { compareExecutors, type ExecutorRange } from './assignments.js';

/** One component: its fixed tasks and how many executors run them. */
export interface ComponentDemand {
  id: string;
  /** Task ids, ascending and contiguous; fixed for the topology's life. */
  tasks: readonly number[];
  /** Executors as submitted (the parallelism hint, capped by the task count). */
  executors: number;
}

export interface TopologyDemand {
  id: string;
  /** `topology.workers`, or the count a rebalance set. */
  numWorkers: number;
  components: readonly ComponentDemand[];
  /** Executors per component set by rebalance (`-e comp=N`); wins over `executors`. */
  executorOverrides?: Readonly<Record<string, number>>;
}

/** What a rebalance asks for; absent fields keep their current value. */
export interface RebalanceRequest {
  numWorkers?: number;
  executors?: Readonly<Record<string, number>>;
}

/** Thrown when the scheduler is given inconsistent input: a bug in the caller, not user input. */
export class SchedulerInputError extends SquallError {
  constructor(message: string) {
    super('E_SCHEDULER_INPUT', message);
  }
}

/** A demand built from a compiled plan: one component per plan component, system ones included. */
export function demandFromPlan(topologyId: string, plan: TopologyPlan): TopologyDemand {
  const components = [...plan.components.values()].map((c) => ({ id: c.id, tasks: c.tasks, executors: c.executors.length }));
  return { id: topologyId, numWorkers: Number(plan.config['topology.workers'] ?? 1), components };
}

/**
 * The topology's executors, sorted by first task: each component's tasks split into its
 * (possibly overridden) number of contiguous ranges, the first ranges one task larger when
 * uneven — the same split the plan uses.
 * @throws {SchedulerInputError} when tasks are not contiguous, overlap, or a count is out of range.
 */
export function demandExecutors(demand: TopologyDemand): ExecutorRange[] {
  const out: ExecutorRange[] = [];
  for (const c of demand.components) {
    checkContiguous(demand.id, c);
    const n = overrideFor(demand, c.id) ?? c.executors;
    if (!Number.isInteger(n) || n < 1 || n > c.tasks.length) {
      throw new SchedulerInputError(`topology ${demand.id}: component ${c.id} cannot have ${n} executors for ${c.tasks.length} tasks`);
    }
    for (const tasks of splitTasks(c.tasks, n)) out.push([tasks[0]!, tasks[tasks.length - 1]!]);
  }
  out.sort(compareExecutors);
  for (let i = 1; i < out.length; i++) {
    if (out[i]![0] <= out[i - 1]![1]) throw new SchedulerInputError(`topology ${demand.id}: two components share task ${out[i]![0]}`);
  }
  return out;
}

/**
 * The demand after a rebalance. Executors per component may not exceed that component's task
 * count (Storm's rule: tasks are fixed, an executor runs at least one).
 * @throws {UsageError} naming the offending component or value.
 */
export function applyRebalance(demand: TopologyDemand, request: RebalanceRequest): TopologyDemand {
  const numWorkers = request.numWorkers ?? demand.numWorkers;
  if (!Number.isInteger(numWorkers) || numWorkers < 1) {
    throw new UsageError(`cannot rebalance ${demand.id} to ${numWorkers} workers`, { hint: 'give a whole number of workers, at least 1' });
  }
  const overrides: Record<string, number> = { ...demand.executorOverrides };
  for (const [id, n] of Object.entries(request.executors ?? {})) {
    const component = demand.components.find((c) => c.id === id);
    if (!component) {
      throw new UsageError(`topology ${demand.id} has no component ${JSON.stringify(id)}`, {
        hint: `components: ${demand.components.map((c) => c.id).join(', ')}`,
      });
    }
    if (!Number.isInteger(n) || n < 1 || n > component.tasks.length) {
      throw new UsageError(`component ${id} of ${demand.id} cannot have ${n} executors`, {
        hint: `it has ${component.tasks.length} task${component.tasks.length === 1 ? '' : 's'}; executors must be between 1 and that (tasks never change after submission)`,
      });
    }
    overrides[id] = n;
  }
  return { ...demand, numWorkers, executorOverrides: overrides };
}

function overrideFor(demand: TopologyDemand, componentId: string): number | undefined {
  const o = demand.executorOverrides;
  return o !== undefined && Object.hasOwn(o, componentId) ? o[componentId] : undefined;
}

function checkContiguous(topologyId: string, c: ComponentDemand): void {
  const ok = c.tasks.length > 0 && c.tasks.every((t, i) => Number.isInteger(t) && (i === 0 || t === c.tasks[i - 1]! + 1));
  if (!ok) throw new SchedulerInputError(`topology ${topologyId}: component ${c.id} needs ascending contiguous task ids`);
}
