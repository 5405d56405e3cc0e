/**
 * The public API for spouts and bolts written in JavaScript/TypeScript. These run in the
 * worker process itself; multilang and gRPC components are adapted to the same shapes.
 *
 * @example
 * ```ts
 * export class SplitBolt implements Bolt {
 *   private collector!: BoltCollector;
 *   prepare(_conf: TopologyConfig, _ctx: TopologyContext, collector: BoltCollector) { this.collector = collector; }
 *   execute(t: Tuple) {
 *     for (const w of String(t.getValue(0)).split(' ')) this.collector.emit([w], { anchors: t });
 *     this.collector.ack(t);
 *   }
 * }
 * ```
 */

import type { Logger } from '../common/logger.js';

/** Topology config as seen by a component: Storm key names, defaults filled in. */
export type TopologyConfig = Readonly<Record<string, unknown>>;

export interface Tuple {
  readonly values: readonly unknown[];
  readonly sourceComponent: string;
  readonly sourceStreamId: string;
  /** The emitting task's id; -1 for tick tuples (from the "__system" component). */
  readonly sourceTask: number;
  /** The field names of the stream this tuple was emitted on. */
  readonly fields: readonly string[];
  getValue(index: number): unknown;
  /** Throws if the stream does not declare the field. */
  getValueByField(field: string): unknown;
  /** True for tick tuples ("__system" component, "__tick" stream). */
  isTick(): boolean;
}

export interface EmitOptions {
  /** Output stream; default "default". Must be declared in the component's outputs. */
  stream?: string;
  /** Bolts: the input tuple(s) this emit is anchored to (adds edges to their trees). */
  anchors?: Tuple | readonly Tuple[];
  /** Spouts: a message id makes the tuple tracked; ack(id) or fail(id) is called later. */
  messageId?: unknown;
  /** Sends to this one task; the stream must be declared direct. */
  directTask?: number;
}

export interface SpoutCollector {
  /** Emits a tuple and returns the ids of the tasks it was sent to. */
  emit(values: unknown[], options?: EmitOptions): readonly number[];
  /** Records an error against this task (shown in stats and logs); the task keeps running. */
  reportError(error: unknown): void;
}

export interface BoltCollector extends SpoutCollector {
  ack(tuple: Tuple): void;
  fail(tuple: Tuple): void;
  /** Restarts the message timeout of every spout tuple this tuple belongs to. */
  resetTimeout(tuple: Tuple): void;
}

export interface TopologyContext {
  readonly topologyName: string;
  readonly componentId: string;
  readonly taskId: number;
  /** Task ids of this task's component, ascending. */
  readonly componentTasks: readonly number[];
  /** Task ids of any component (empty for an unknown id). */
  tasksOf(componentId: string): readonly number[];
  /** The component of a task id, or undefined. */
  componentOf(taskId: number): string | undefined;
  /** Declared fields of a component's stream, or undefined. */
  outputFields(componentId: string, streamId?: string): readonly string[] | undefined;
  /** Squall's log, tagged with this component and task; use it instead of the console. */
  readonly logger: Logger;
}

export interface Spout {
  open?(conf: TopologyConfig, context: TopologyContext, collector: SpoutCollector): void | Promise<void>;
  /** Emit zero or more tuples. Must not block; return a promise only for a short async wait. */
  nextTuple(): void | Promise<void>;
  ack?(messageId: unknown): void;
  fail?(messageId: unknown): void;
  activate?(): void;
  deactivate?(): void;
  close?(): void | Promise<void>;
}

export interface Bolt {
  prepare?(conf: TopologyConfig, context: TopologyContext, collector: BoltCollector): void | Promise<void>;
  /**
   * Process one tuple; ack or fail it now or later. If this returns a promise, the executor
   * waits for it before the next tuple; a rejection fails the tuple if it was not yet acked.
   */
  execute(tuple: Tuple): void | Promise<void>;
  cleanup?(): void | Promise<void>;
}
