/**
 * Per-task state and the collectors user code calls. This is the emit hot path: routing uses
 * cached chooser arrays, tracking uses two 32-bit halves per 64-bit edge id, and nothing here
 * allocates beyond the tuples themselves and their anchor arrays.
 */
import { ComponentError } from '../common/errors.js';
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import {
  ACK_ACK_STREAM, ACK_FAIL_STREAM, ACK_INIT_STREAM, ACK_RESET_TIMEOUT_STREAM,
} from '../topology/plan.js';
import { DEFAULT_STREAM } from '../topology/spec.js';
import type { BoltCollector, EmitOptions, SpoutCollector, Tuple } from './api.js';
import type { Chooser } from './groupings.js';
import type { Random32 } from './random.js';
import type { SpoutPending } from './spout-pending.js';
import { TaskStats } from './stats.js';
import { DONE, Fields, PENDING, TupleImpl } from './tuple.js';

/** What tasks need from the runtime that hosts them. */
export interface TaskServices {
  /** A function property: executors hold it detached. */
  deliver: (tuple: TupleImpl) => void;
  /**
   * Sends one acker message (stream is one of the __ack_* streams) to the acker task that owns
   * `root`; `values` are the message's values after the root. Only called when acking is on.
   */
  toAcker(stream: string, root: number, hi: number, lo: number, spoutTask: number, from: TaskState): void;
  readonly acking: boolean;
  readonly random: Random32;
  readonly clock: Clock;
  readonly debug: boolean;
  readonly logger: Logger;
  reportError(task: TaskState, error: unknown): void;
}

const NO_TASKS: readonly number[] = Object.freeze([]);

/** One declared output stream of a task, with its routing. */
export class OutStream {
  constructor(
    readonly streamId: string,
    readonly fields: Fields,
    readonly direct: boolean,
    private readonly choosers: readonly Chooser[],
    /** For direct streams: every task that subscribes to it. */
    readonly directTargets: ReadonlySet<number>,
  ) {}

  route(values: readonly unknown[]): readonly number[] {
    const c = this.choosers;
    if (c.length === 1) return c[0]!.choose(values);
    if (c.length === 0) return NO_TASKS;
    const out: number[] = [];
    for (const chooser of c) out.push(...chooser.choose(values));
    return out;
  }
}

export class TaskState {
  readonly stats = new TaskStats();
  private readonly defaultOut: OutStream | undefined;

  constructor(
    readonly taskId: number,
    readonly componentId: string,
    readonly topologyName: string,
    private readonly outs: ReadonlyMap<string, OutStream>,
  ) {
    this.defaultOut = outs.get(DEFAULT_STREAM);
  }

  stream(streamId: string | undefined): OutStream {
    const out = streamId === undefined ? this.defaultOut : this.outs.get(streamId);
    if (out === undefined) {
      const name = streamId ?? DEFAULT_STREAM;
      throw new ComponentError('E_UNDECLARED_STREAM', `emit on undeclared stream "${name}"`, {
        context: this.context(),
        hint: `declare it in the component's outputs (declared: ${[...this.outs.keys()].join(', ') || 'none'})`,
      });
    }
    return out;
  }

  targets(out: OutStream, values: readonly unknown[], directTask: number | undefined): readonly number[] {
    if (!Array.isArray(values)) {
      throw new ComponentError('E_BAD_EMIT', `emit values must be an array (got ${typeof values})`, { context: this.context() });
    }
    if (values.length !== out.fields.names.length) {
      throw new ComponentError('E_BAD_EMIT', `emit on stream "${out.streamId}" with ${values.length} values; the stream declares ${out.fields.names.length} fields (${out.fields.names.join(', ')})`, { context: this.context() });
    }
    if (directTask === undefined) {
      if (out.direct) throw new ComponentError('E_BAD_EMIT', `stream "${out.streamId}" is declared direct: emit with directTask`, { context: this.context() });
      return out.route(values);
    }
    if (!out.direct) {
      throw new ComponentError('E_BAD_EMIT', `directTask given for stream "${out.streamId}", which is not declared direct`, {
        context: this.context(), hint: 'declare the stream with direct: true in outputs',
      });
    }
    if (!out.directTargets.has(directTask)) {
      throw new ComponentError('E_BAD_EMIT', `direct emit to task ${directTask}, which does not subscribe to stream "${out.streamId}" with direct grouping`, { context: this.context() });
    }
    return [directTask];
  }

  context(): { topology: string; component: string; task: number } {
    return { topology: this.topologyName, component: this.componentId, task: this.taskId };
  }
}

/**
 * Root ids: unique per spout task by construction (task id in the high bits, a counter that
 * starts at a random point in the low 32), and safe integers so they key Maps directly.
 */
export class RootIds {
  private seq: number;
  private readonly base: number;

  constructor(taskId: number, random: Random32) {
    this.base = taskId * 4294967296;
    this.seq = random.next();
  }

  next(): number {
    this.seq = (this.seq + 1) >>> 0;
    return this.base + this.seq;
  }
}

export class SpoutCollectorImpl implements SpoutCollector {
  /** Message ids to ack once nextTuple returns (acking off: Storm acks right after emit). */
  readonly immediateAcks: unknown[] = [];
  private readonly roots: RootIds;

  constructor(
    private readonly task: TaskState,
    private readonly services: TaskServices,
    private readonly pending: SpoutPending,
  ) {
    this.roots = new RootIds(task.taskId, services.random);
  }

  emit(values: unknown[], options?: EmitOptions): readonly number[] {
    const task = this.task;
    const out = task.stream(options?.stream);
    const targets = task.targets(out, values, options?.directTask);
    const messageId = options?.messageId;
    const svc = this.services;
    task.stats.emitted++;
    task.stats.transferred += targets.length;
    if (svc.debug) svc.logger.info('emit', { ...task.context(), stream: out.streamId, values, messageId });
    if (messageId === undefined || messageId === null) {
      for (const t of targets) svc.deliver(new TupleImpl(values, task.componentId, out.streamId, task.taskId, out.fields, t, null));
      return targets;
    }
    if (!svc.acking) {
      for (const t of targets) svc.deliver(new TupleImpl(values, task.componentId, out.streamId, task.taskId, out.fields, t, null));
      this.immediateAcks.push(messageId);
      return targets;
    }
    const root = this.roots.next();
    let xh = 0;
    let xl = 0;
    const rnd = svc.random;
    for (const t of targets) {
      const eh = rnd.next();
      const el = rnd.next();
      xh ^= eh;
      xl ^= el;
      svc.deliver(new TupleImpl(values, task.componentId, out.streamId, task.taskId, out.fields, t, [root, eh, el]));
    }
    this.pending.add(root, messageId, svc.clock.now());
    svc.toAcker(ACK_INIT_STREAM, root, xh >>> 0, xl >>> 0, task.taskId, task);
    return targets;
  }

  reportError(error: unknown): void {
    this.services.reportError(this.task, error);
  }
}

export class BoltCollectorImpl implements BoltCollector {
  constructor(
    private readonly task: TaskState,
    private readonly services: TaskServices,
  ) {}

  emit(values: unknown[], options?: EmitOptions): readonly number[] {
    const task = this.task;
    const out = task.stream(options?.stream);
    const targets = task.targets(out, values, options?.directTask);
    const svc = this.services;
    task.stats.emitted++;
    task.stats.transferred += targets.length;
    if (svc.debug) svc.logger.info('emit', { ...task.context(), stream: out.streamId, values });
    const anchors = options?.anchors;
    if (anchors === undefined || !svc.acking) {
      for (const t of targets) svc.deliver(new TupleImpl(values, task.componentId, out.streamId, task.taskId, out.fields, t, null));
      return targets;
    }
    const list = this.checkAnchors(anchors);
    for (const t of targets) {
      svc.deliver(new TupleImpl(values, task.componentId, out.streamId, task.taskId, out.fields, t, this.newEdges(list)));
    }
    return targets;
  }

  ack(tuple: Tuple): void {
    const t = this.own(tuple, 'ack');
    if (t.state !== PENDING) return;
    t.state = DONE;
    this.task.stats.acked++;
    const a = t.anchors;
    if (a === null) return;
    const svc = this.services;
    for (let i = 0; i < a.length; i += 3) {
      svc.toAcker(ACK_ACK_STREAM, a[i]!, (a[i + 1]! ^ t.ackHi) >>> 0, (a[i + 2]! ^ t.ackLo) >>> 0, -1, this.task);
    }
  }

  fail(tuple: Tuple): void {
    const t = this.own(tuple, 'fail');
    if (t.state !== PENDING) return;
    t.state = DONE;
    this.task.stats.failed++;
    this.toRoots(t, ACK_FAIL_STREAM);
  }

  resetTimeout(tuple: Tuple): void {
    const t = this.own(tuple, 'resetTimeout');
    if (t.state === PENDING) this.toRoots(t, ACK_RESET_TIMEOUT_STREAM);
  }

  reportError(error: unknown): void {
    this.services.reportError(this.task, error);
  }

  private toRoots(t: TupleImpl, stream: string): void {
    const a = t.anchors;
    if (a === null) return;
    const svc = this.services;
    for (let i = 0; i < a.length; i += 3) svc.toAcker(stream, a[i]!, 0, 0, -1, this.task);
  }

  /**
   * One fresh edge per (output copy, anchor): XORed into the anchor's ack value and recorded
   * under each of the anchor's roots (roots shared by several anchors XOR together).
   */
  private newEdges(anchors: readonly TupleImpl[]): number[] | null {
    let ids: number[] | null = null;
    const rnd = this.services.random;
    for (const a of anchors) {
      const aa = a.anchors;
      if (aa === null) continue;
      const eh = rnd.next();
      const el = rnd.next();
      a.ackHi = (a.ackHi ^ eh) >>> 0;
      a.ackLo = (a.ackLo ^ el) >>> 0;
      ids ??= [];
      for (let k = 0; k < aa.length; k += 3) xorInto(ids, aa[k]!, eh, el);
    }
    return ids;
  }

  private checkAnchors(anchors: Tuple | readonly Tuple[]): readonly TupleImpl[] {
    const list = Array.isArray(anchors) ? (anchors as readonly Tuple[]) : [anchors as Tuple];
    for (const a of list) {
      const t = this.own(a, 'emit anchored to');
      if (t.state !== PENDING) {
        throw new ComponentError('E_BAD_EMIT', 'emit anchored to a tuple that was already acked or failed', {
          context: this.task.context(), hint: 'emit all anchored tuples before acking the input',
        });
      }
    }
    return list as readonly TupleImpl[];
  }

  private own(tuple: Tuple, what: string): TupleImpl {
    if (!(tuple instanceof TupleImpl)) {
      throw new ComponentError('E_BAD_TUPLE', `${what} something that is not an input tuple of this bolt`, { context: this.task.context() });
    }
    return tuple;
  }
}

function xorInto(ids: number[], root: number, eh: number, el: number): void {
  for (let i = 0; i < ids.length; i += 3) {
    if (ids[i] === root) {
      ids[i + 1] = (ids[i + 1]! ^ eh) >>> 0;
      ids[i + 2] = (ids[i + 2]! ^ el) >>> 0;
      return;
    }
  }
  ids.push(root, eh, el);
}
