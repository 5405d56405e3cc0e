/**
 * A worker's data plane: the executors for a set of tasks of one topology, their queues,
 * routing, acking, timers and the loop that runs them. Local mode runs every task in one
 * Runtime; in cluster mode each worker runs its assigned tasks and hands tuples for other
 * tasks to a RemoteTransport.
 */
import { systemClock, type Clock, type TimerHandle } from '../common/clock.js';
import { ComponentError, IllegalStateError, SquallError, formatContext } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import type { ComponentPlan, TopologyPlan } from '../topology/plan.js';
import type { Bolt, Spout } from './api.js';
import { TaskContext } from './context.js';
import {
  AckerExecutor, BoltExecutor, SpoutExecutor, type BoltHost, type BoltTask, type Congestible, type SpoutTask,
} from './executors.js';
import { createChooser } from './groupings.js';
import { ExecutorLoop, type LoopOptions, type Runnable } from './loop.js';
import { TupleQueue } from './queue.js';
import { Random32 } from './random.js';
import { ACKER_BUCKETS, rotationIntervalMs, SPOUT_PENDING_BUCKETS, SpoutPending } from './spout-pending.js';
import { sumStats, type ComponentErrorRecord, type ComponentStats } from './stats.js';
import { BoltCollectorImpl, OutStream, SpoutCollectorImpl, TaskState, type TaskServices } from './task.js';
import { Fields, systemTuple, tickTuple, TupleImpl } from './tuple.js';

/** What a host factory is asked to build: one component instance for one task. */
export interface ComponentRequest {
  plan: TopologyPlan;
  component: ComponentPlan;
  taskId: number;
  topology: string;
  /** Hosts with their own I/O call this when they become ready for more work. */
  wake: () => void;
  logger: Logger;
  clock: Clock;
}

export interface ComponentFactory {
  createSpout(req: ComponentRequest): Promise<Spout>;
  createBolt(req: ComponentRequest): Promise<BoltHost>;
}

/** A tuple as it arrives from another worker. */
export interface RemoteTuple {
  destTask: number;
  sourceComponent: string;
  sourceStreamId: string;
  sourceTask: number;
  values: unknown[];
  anchors: number[] | null;
}

/** Tuples for tasks outside this runtime (cluster mode). */
export interface RemoteTransport {
  send(tuple: TupleImpl): void;
  congestion(taskId: number): Congestible;
}

export interface RuntimeOptions {
  plan: TopologyPlan;
  factory: ComponentFactory;
  /** Tasks this runtime runs; default: all of the plan's tasks (local mode). */
  localTasks?: ReadonlySet<number>;
  remote?: RemoteTransport;
  clock?: Clock;
  logger?: Logger;
  /** Spouts start active (default) or wait for activate(). */
  startActive?: boolean;
  loop?: LoopOptions;
  random?: Random32;
}

export type RuntimeState = 'created' | 'running' | 'draining' | 'closed';

export interface DrainResult {
  /** True when every in-flight tree completed and every queue emptied in time. */
  complete: boolean;
  pendingTrees: number;
  queued: number;
}

const MAX_ERRORS_KEPT = 10;
const ERROR_LOG_WINDOW_MS = 5000;
const ERROR_LOGS_PER_WINDOW = 5;

export class Runtime {
  state: RuntimeState = 'created';
  private readonly spouts: SpoutExecutor[] = [];
  private readonly bolts: BoltExecutor[] = [];
  private readonly ackers: AckerExecutor[] = [];
  private readonly queueOfTask: Array<TupleQueue<TupleImpl> | undefined> = [];
  private readonly ackerOfTask: Array<AckerExecutor | undefined> = [];
  private readonly taskStates = new Map<number, TaskState>();
  private readonly instances: Array<{ state: TaskState; close: () => unknown }> = [];
  private readonly timers: TimerHandle[] = [];
  private readonly errors = new Map<string, ComponentErrorRecord[]>();
  private readonly errorLog = new Map<number, { windowStart: number; count: number; suppressed: number }>();
  private loop: ExecutorLoop | undefined;
  /** Field names for tuples arriving from other workers, per source component and stream. */
  private readonly remoteFields = new Map<string, Fields>();
  private readonly services: TaskServices;
  private readonly clock: Clock;
  private readonly logger: Logger;

  private constructor(private readonly opts: RuntimeOptions) {
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    const plan = opts.plan;
    const ackers = plan.ackerTasks;
    const remote = opts.remote;
    const queues = this.queueOfTask;
    this.services = {
      deliver: (t) => {
        const q = queues[t.destTask];
        if (q !== undefined) q.push(t);
        else if (remote !== undefined) remote.send(t);
        else throw new SquallError('E_NO_ROUTE', `no route to task ${t.destTask}`);
        this.loop?.wake();
      },
      toAcker: (stream, root, hi, lo, spoutTask, from) => {
        const task = ackers[root % ackers.length]!;
        const local = this.ackerOfTask[task];
        if (local !== undefined) local.apply(task, stream, root, hi, lo, spoutTask);
        else this.services.deliver(systemTuple(stream, spoutTask < 0 ? [root, hi, lo] : [root, hi, lo, spoutTask], from.componentId, from.taskId, task));
      },
      acking: ackers.length > 0,
      random: opts.random ?? new Random32(),
      clock: this.clock,
      debug: plan.config['topology.debug'] === true,
      logger: this.logger,
      reportError: (task, err) => this.reportError(task, err),
    };
  }

  /** Builds executors and creates, prepares and opens every component instance. */
  static async create(opts: RuntimeOptions): Promise<Runtime> {
    const rt = new Runtime(opts);
    try {
      await rt.build();
    } catch (err) {
      await rt.closeInstances();
      throw err;
    }
    return rt;
  }

  get plan(): TopologyPlan {
    return this.opts.plan;
  }

  start(): void {
    if (this.state !== 'created') throw new IllegalStateError(`cannot start a runtime that is ${this.state}`);
    this.state = 'running';
    this.startTimers();
    this.loop!.start();
    if (this.opts.startActive !== false) this.activate();
  }

  activate(): void {
    for (const s of this.spouts) s.setActive(true);
    this.loop?.wake();
  }

  deactivate(): void {
    for (const s of this.spouts) s.setActive(false);
  }

  /**
   * Stops the spouts and waits (at most timeoutMs) until every in-flight tuple tree has
   * completed or failed and every queue is empty.
   */
  async drain(timeoutMs: number): Promise<DrainResult> {
    if (this.state === 'closed') return { complete: true, pendingTrees: 0, queued: 0 };
    this.state = 'draining';
    this.deactivate();
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const r = this.drainStatus();
      if (r.complete || this.clock.now() >= deadline) return r;
      await this.clock.sleep(Math.min(20, Math.max(1, deadline - this.clock.now())));
    }
  }

  /** Stops everything and closes every component (spout close, bolt cleanup). Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const t of this.timers.splice(0)) t.cancel();
    this.loop?.stop();
    await this.closeInstances();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Tuples from other workers (cluster mode), for tasks of this runtime. Every tuple is taken
   * (the sender already counted it against its own bounds); the answer lists the local tasks
   * whose queues are now full, which the transport announces to its peers (Storm 2's
   * BackPressureStatus) so that they stop sending until relieved.
   */
  receive(tuples: readonly RemoteTuple[]): { congested: number[] } {
    const congested: number[] = [];
    for (const r of tuples) {
      const q = this.queueOfTask[r.destTask];
      if (q === undefined) {
        this.logger.warn(`dropped a tuple for task ${r.destTask}, which this worker does not run`);
        continue;
      }
      q.push(this.fromRemote(r));
      if (q.isFull() && !congested.includes(r.destTask)) congested.push(r.destTask);
    }
    this.loop?.wake();
    return { congested };
  }

  /** True while the input queue of a local task is full. */
  isCongested(taskId: number): boolean {
    return this.queueOfTask[taskId]?.isFull() ?? false;
  }

  private fromRemote(r: RemoteTuple): TupleImpl {
    if (r.sourceStreamId.startsWith('__ack')) {
      return systemTuple(r.sourceStreamId, r.values, r.sourceComponent, r.sourceTask, r.destTask);
    }
    const key = `${r.sourceComponent}\0${r.sourceStreamId}`;
    let fields = this.remoteFields.get(key);
    if (fields === undefined) {
      fields = new Fields(this.plan.components.get(r.sourceComponent)?.streams.get(r.sourceStreamId)?.fields ?? []);
      this.remoteFields.set(key, fields);
    }
    return new TupleImpl(r.values, r.sourceComponent, r.sourceStreamId, r.sourceTask, fields, r.destTask, r.anchors);
  }

  /** Wakes the loop (for hosts and transports that deliver from outside it). */
  wake(): void {
    this.loop?.wake();
  }

  /** Per-component statistics for the tasks of this runtime. */
  stats(): ComponentStats[] {
    const byComponent = new Map<string, TaskState[]>();
    for (const s of this.taskStates.values()) {
      const list = byComponent.get(s.componentId) ?? [];
      list.push(s);
      byComponent.set(s.componentId, list);
    }
    const out: ComponentStats[] = [];
    for (const [id, states] of byComponent) {
      const c = this.plan.components.get(id)!;
      const queues = new Set(states.map((s) => this.queueOfTask[s.taskId]!));
      let queued = 0;
      let high = 0;
      for (const q of queues) {
        queued += q.length;
        high = Math.max(high, q.highWater);
      }
      out.push({ ...sumStats(id, c.kind, states.map((s) => s.stats)), queued, queueHighWater: high, lastErrors: [...(this.errors.get(id) ?? [])] });
    }
    const order = [...this.plan.components.keys()];
    return out.sort((a, b) => kindOrder(a.kind) - kindOrder(b.kind) || order.indexOf(a.componentId) - order.indexOf(b.componentId));
  }

  /** Tuple trees in flight at the spouts of this runtime. */
  pendingTrees(): number {
    let n = 0;
    for (const s of this.spouts) n += s.pendingTrees();
    return n;
  }

  private drainStatus(): DrainResult {
    const pendingTrees = this.pendingTrees();
    let queued = 0;
    for (const q of new Set(this.queueOfTask)) if (q) queued += q.length;
    return { complete: pendingTrees === 0 && queued === 0, pendingTrees, queued };
  }

  private async build(): Promise<void> {
    const plan = this.plan;
    const local = this.opts.localTasks ?? new Set([...plan.taskComponent.keys()].filter((t) => t > 0));
    const runnables: Runnable[] = [];
    const wake = (): void => this.loop?.wake();
    const pending: Array<{ exec: SpoutExecutor | BoltExecutor; component: ComponentPlan }> = [];
    for (const c of plan.components.values()) {
      const capacity = Number(c.config['topology.executor.receive.buffer.size']);
      for (const tasks of c.executors) {
        if (!tasks.every((t) => local.has(t))) continue;
        const queue = new TupleQueue<TupleImpl>(capacity);
        for (const t of tasks) this.queueOfTask[t] = queue;
        if (c.kind === 'acker') {
          const acker = new AckerExecutor(queue, tasks, ACKER_BUCKETS, this.services.deliver);
          this.ackers.push(acker);
          for (const t of tasks) this.ackerOfTask[t] = acker;
          continue;
        }
        const exec = c.kind === 'spout'
          ? new SpoutExecutor(c.id, queue, await this.spoutTasks(c, tasks, local, wake), maxPending(c), this.services, wake)
          : new BoltExecutor(c.id, queue, await this.boltTasks(c, tasks, local, wake), this.services, wake);
        pending.push({ exec, component: c });
      }
    }
    for (const { exec, component } of pending) {
      exec.downstream = this.downstreamOf(component);
      if (exec instanceof SpoutExecutor) this.spouts.push(exec);
      else this.bolts.push(exec);
    }
    // Bolts before spouts in each round: consumers make room before producers fill it.
    runnables.push(...this.ackers, ...this.bolts, ...this.spouts);
    this.loop = new ExecutorLoop(runnables, this.opts.loop);
  }

  private taskState(c: ComponentPlan, taskId: number, local: ReadonlySet<number>): TaskState {
    const outs = new Map<string, OutStream>();
    for (const s of c.streams.values()) {
      const choosers = s.subscribers.flatMap((sub) => {
        const ch = createChooser(sub, { random: this.services.random, localTasks: local });
        return ch ? [ch] : [];
      });
      const direct = new Set(s.subscribers.filter((sub) => sub.grouping.type === 'direct').flatMap((sub) => sub.targetTasks));
      outs.set(s.streamId, new OutStream(s.streamId, new Fields(s.fields), s.direct, choosers, direct));
    }
    const state = new TaskState(taskId, c.id, this.plan.name, outs);
    this.taskStates.set(taskId, state);
    return state;
  }

  private request(c: ComponentPlan, taskId: number, wake: () => void): ComponentRequest {
    return { plan: this.plan, component: c, taskId, topology: this.plan.name, wake, clock: this.clock, logger: this.logger.child({ component: c.id, task: taskId }) };
  }

  private async spoutTasks(c: ComponentPlan, tasks: readonly number[], local: ReadonlySet<number>, wake: () => void): Promise<SpoutTask[]> {
    const out: SpoutTask[] = [];
    for (const taskId of tasks) {
      const state = this.taskState(c, taskId, local);
      const req = this.request(c, taskId, wake);
      const spout = await this.opts.factory.createSpout(req);
      const pending = new SpoutPending(SPOUT_PENDING_BUCKETS);
      const collector = new SpoutCollectorImpl(state, this.services, pending);
      this.instances.push({ state, close: () => spout.close?.() });
      await this.lifecycleCall(state, 'open', () => spout.open?.(c.config, new TaskContext(this.plan, c.id, taskId, req.logger), collector));
      out.push({ state, spout, collector, pending });
    }
    return out;
  }

  private async boltTasks(c: ComponentPlan, tasks: readonly number[], local: ReadonlySet<number>, wake: () => void): Promise<BoltTask[]> {
    const out: BoltTask[] = [];
    for (const taskId of tasks) {
      const state = this.taskState(c, taskId, local);
      const req = this.request(c, taskId, wake);
      const bolt: BoltHost = await this.opts.factory.createBolt(req);
      const collector = new BoltCollectorImpl(state, this.services);
      this.instances.push({ state, close: () => bolt.cleanup?.() });
      await this.lifecycleCall(state, 'prepare', () => (bolt as Bolt).prepare?.(c.config, new TaskContext(this.plan, c.id, taskId, req.logger), collector));
      out.push({ state, bolt, collector });
    }
    return out;
  }

  private async lifecycleCall(state: TaskState, what: string, fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (err instanceof SquallError) throw err;
      throw new ComponentError('E_COMPONENT_START', `${what}() failed: ${err instanceof Error ? err.message : String(err)}`, {
        context: state.context(), cause: err, hint: `fix ${what}() of component "${state.componentId}"`,
      });
    }
  }

  /** Every queue (or remote link) this component's executors emit into, acker excluded. */
  private downstreamOf(c: ComponentPlan): Congestible[] {
    const set = new Set<Congestible>();
    for (const s of c.streams.values()) {
      for (const sub of s.subscribers) {
        for (const t of sub.targetTasks) {
          const q = this.queueOfTask[t];
          if (q !== undefined) set.add(q);
          else if (this.opts.remote) set.add(this.opts.remote.congestion(t));
        }
      }
    }
    return [...set];
  }

  private startTimers(): void {
    const conf = this.plan.config;
    if (this.services.acking && conf['topology.enable.message.timeouts'] !== false) {
      const interval = rotationIntervalMs(Number(conf['topology.message.timeout.secs']) * 1000);
      this.timers.push(this.clock.setInterval(() => {
        for (const s of this.spouts) s.expire();
        for (const a of this.ackers) a.rotate();
        this.loop?.wake();
      }, interval));
    }
    for (const b of this.bolts) {
      const freq = this.plan.components.get(b.componentId)!.config['topology.tick.tuple.freq.secs'];
      if (typeof freq !== 'number' || freq <= 0) continue;
      this.timers.push(this.clock.setInterval(() => {
        for (const t of b.tasks) b.queue.push(tickTuple(t.state.taskId, freq));
        this.loop?.wake();
      }, freq * 1000));
    }
  }

  private reportError(task: TaskState, err: unknown): void {
    task.stats.errors++;
    const where = err instanceof SquallError ? formatContext(err.context) : '';
    // The hint travels with the message: describe and the log are where a user reads it.
    const hint = err instanceof SquallError && err.hint ? `; next: ${err.hint}` : '';
    const message = (err instanceof Error ? err.message : String(err)) + (where ? ` (${where})` : '') + hint;
    const list = this.errors.get(task.componentId) ?? [];
    list.push({ time: this.clock.now(), task: task.taskId, message });
    if (list.length > MAX_ERRORS_KEPT) list.shift();
    this.errors.set(task.componentId, list);
    if (this.shouldLog(task.taskId)) {
      this.logger.error(`component error: ${message}`, { ...task.context(), stack: err instanceof Error && !(err instanceof SquallError) ? err.stack : undefined });
    }
  }

  /** Storm's error throttle: at most 5 logged errors per task per 5 s; the rest are counted. */
  private shouldLog(taskId: number): boolean {
    const now = this.clock.now();
    let w = this.errorLog.get(taskId);
    if (!w || now - w.windowStart >= ERROR_LOG_WINDOW_MS) {
      if (w && w.suppressed > 0) this.logger.warn(`${w.suppressed} more errors from task ${taskId} not logged`);
      w = { windowStart: now, count: 0, suppressed: 0 };
      this.errorLog.set(taskId, w);
    }
    if (w.count < ERROR_LOGS_PER_WINDOW) {
      w.count++;
      return true;
    }
    w.suppressed++;
    return false;
  }

  private async closeInstances(): Promise<void> {
    for (const inst of this.instances.splice(0).reverse()) {
      try {
        await inst.close();
      } catch (err) {
        this.reportError(inst.state, err);
      }
    }
  }
}

function maxPending(c: ComponentPlan): number {
  const v = c.config['topology.max.spout.pending'];
  return typeof v === 'number' ? v : 0;
}

function kindOrder(kind: ComponentStats['kind']): number {
  return kind === 'spout' ? 0 : kind === 'bolt' ? 1 : 2;
}
