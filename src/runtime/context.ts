import type { Logger } from '../common/logger.js';
import type { TopologyPlan } from '../topology/plan.js';
import { DEFAULT_STREAM } from '../topology/spec.js';
import type { TopologyContext } from './api.js';

/** TopologyContext for one task, answered from the compiled plan. */
export class TaskContext implements TopologyContext {
  readonly topologyName: string;
  readonly componentTasks: readonly number[];

  constructor(
    private readonly plan: TopologyPlan,
    readonly componentId: string,
    readonly taskId: number,
    readonly logger: Logger,
  ) {
    this.topologyName = plan.name;
    this.componentTasks = plan.components.get(componentId)?.tasks ?? [];
  }

  tasksOf(componentId: string): readonly number[] {
    return this.plan.components.get(componentId)?.tasks ?? [];
  }

  componentOf(taskId: number): string | undefined {
    return this.plan.taskComponent[taskId] || undefined;
  }

  outputFields(componentId: string, streamId: string = DEFAULT_STREAM): readonly string[] | undefined {
    return this.plan.components.get(componentId)?.streams.get(streamId)?.fields;
  }
}
