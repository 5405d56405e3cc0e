/**
 * Compiling a validated TopologySpec into a Plan: task ids, executors and routing tables.
 * Pure: the same spec always gives the same plan, so every worker of a cluster agrees on it.
 */
import { defaultConfig, type ResolvedConfig } from './config-schema.js';
import {
  DEFAULT_STREAM, type ComponentImpl, type ComponentSpec, type GroupingSpec, type InputSpec,
  type TopologySpec,
} from './spec.js';

export const ACKER_COMPONENT = '__acker';
export const SYSTEM_COMPONENT = '__system';
export const SYSTEM_TASK_ID = -1;
export const TICK_STREAM = '__tick';
export const ACK_INIT_STREAM = '__ack_init';
export const ACK_ACK_STREAM = '__ack_ack';
export const ACK_FAIL_STREAM = '__ack_fail';
export const ACK_RESET_TIMEOUT_STREAM = '__ack_reset_timeout';

/** One subscription of a bolt to a (component, stream): where the stream's tuples go. */
export interface SubscriptionPlan {
  componentId: string;
  grouping: GroupingSpec;
  /** The subscriber's task ids, ascending. */
  targetTasks: readonly number[];
  /** For fields / partial_key: the index of each grouped field in the stream's fields. */
  fieldIndexes: readonly number[];
}

export interface StreamPlan {
  componentId: string;
  streamId: string;
  fields: readonly string[];
  direct: boolean;
  subscribers: SubscriptionPlan[];
}

export interface ComponentPlan {
  id: string;
  kind: 'spout' | 'bolt' | 'acker';
  /** Absent for system components. */
  impl?: ComponentImpl;
  /** Task ids, ascending and contiguous. */
  tasks: readonly number[];
  /** Task ids per executor: contiguous ranges, as Storm splits them. */
  executors: ReadonlyArray<readonly number[]>;
  streams: ReadonlyMap<string, StreamPlan>;
  inputs: readonly InputSpec[];
  /** Topology config merged with this component's own config. */
  config: ResolvedConfig;
}

export interface TopologyPlan {
  name: string;
  config: ResolvedConfig;
  components: ReadonlyMap<string, ComponentPlan>;
  /** taskComponent[taskId] is the component id; index 0 is unused (task ids start at 1). */
  taskComponent: readonly string[];
  ackerTasks: readonly number[];
  spec: TopologySpec;
}

/**
 * Builds the plan. `overrides` (from -c flags) win over the spec's config, which wins over
 * Storm's defaults. Assumes the spec passed validation.
 */
export function compilePlan(spec: TopologySpec, overrides: Record<string, unknown> = {}): TopologyPlan {
  const config: ResolvedConfig = { ...defaultConfig(), ...spec.config, ...overrides, 'topology.name': spec.name };
  const user = [...spec.spouts, ...spec.bolts];
  const ackerCount = resolveAckerCount(config);
  const counts = new Map<string, number>(user.map((c) => [c.id, taskCount(c)]));
  if (ackerCount > 0) counts.set(ACKER_COMPONENT, ackerCount);

  const taskComponent: string[] = [''];
  const tasksOf = new Map<string, number[]>();
  for (const id of [...counts.keys()].sort()) {
    const tasks: number[] = [];
    for (let i = 0; i < counts.get(id)!; i++) {
      tasks.push(taskComponent.length);
      taskComponent.push(id);
    }
    tasksOf.set(id, tasks);
  }

  const components = new Map<string, ComponentPlan>();
  for (const c of user) {
    const merged = { ...config, ...c.config, 'topology.name': spec.name };
    const executors = Math.min(c.parallelism, tasksOf.get(c.id)!.length, maxParallelism(merged));
    components.set(c.id, {
      id: c.id,
      kind: c.kind,
      impl: c.impl,
      tasks: tasksOf.get(c.id)!,
      executors: splitTasks(tasksOf.get(c.id)!, executors),
      streams: buildStreams(c, user, tasksOf),
      inputs: c.inputs,
      config: merged,
    });
  }
  if (ackerCount > 0) {
    const tasks = tasksOf.get(ACKER_COMPONENT)!;
    components.set(ACKER_COMPONENT, {
      id: ACKER_COMPONENT, kind: 'acker', tasks, executors: splitTasks(tasks, tasks.length),
      streams: new Map(), inputs: [], config,
    });
  }
  return { name: spec.name, config, components, taskComponent, ackerTasks: tasksOf.get(ACKER_COMPONENT) ?? [], spec };
}

/** `topology.acker.executors`: null means one per worker, as in Storm. */
function resolveAckerCount(config: ResolvedConfig): number {
  const v = config['topology.acker.executors'];
  if (typeof v === 'number') return v;
  return Number(config['topology.workers'] ?? 1);
}

function taskCount(c: ComponentSpec): number {
  const perComponent = c.config['topology.tasks'];
  if (typeof perComponent === 'number') return perComponent;
  return c.numTasks;
}

function maxParallelism(config: ResolvedConfig): number {
  const v = config['topology.max.task.parallelism'];
  return typeof v === 'number' ? v : Infinity;
}

/** Splits tasks into n contiguous ranges, the first ones one task larger when uneven. */
export function splitTasks(tasks: readonly number[], n: number): number[][] {
  const out: number[][] = [];
  const base = Math.floor(tasks.length / n);
  let extra = tasks.length % n;
  let i = 0;
  for (let e = 0; e < n; e++) {
    const size = base + (extra > 0 ? 1 : 0);
    if (extra > 0) extra--;
    out.push(tasks.slice(i, i + size));
    i += size;
  }
  return out;
}

function buildStreams(
  c: ComponentSpec,
  all: readonly ComponentSpec[],
  tasksOf: ReadonlyMap<string, number[]>,
): Map<string, StreamPlan> {
  const streams = new Map<string, StreamPlan>();
  for (const s of c.outputs) {
    streams.set(s.id, { componentId: c.id, streamId: s.id, fields: s.fields, direct: s.direct, subscribers: [] });
  }
  for (const consumer of all) {
    for (const input of consumer.inputs) {
      if (input.from !== c.id) continue;
      const stream = streams.get(input.stream ?? DEFAULT_STREAM);
      if (!stream) continue;
      stream.subscribers.push({
        componentId: consumer.id,
        grouping: input.grouping,
        targetTasks: tasksOf.get(consumer.id)!,
        fieldIndexes: groupedFields(input.grouping).map((f) => stream.fields.indexOf(f)),
      });
    }
  }
  return streams;
}

function groupedFields(g: GroupingSpec): string[] {
  return g.type === 'fields' || g.type === 'partial_key' ? g.fields : [];
}

/** All executors of the topology as [componentId, taskIds] pairs, in task-id order. */
export function listExecutors(plan: TopologyPlan): Array<{ componentId: string; tasks: readonly number[] }> {
  const out: Array<{ componentId: string; tasks: readonly number[] }> = [];
  for (const c of plan.components.values()) for (const tasks of c.executors) out.push({ componentId: c.id, tasks });
  return out.sort((a, b) => a.tasks[0]! - b.tasks[0]!);
}
