/**
 * Executors run one or more tasks of one component. Each has a bounded input queue; bolts and
 * spouts are not run while any queue they feed is full, which throttles the spouts (backpressure).
 * The acker and the spouts' system input are always drained, so acking can never deadlock.
 */
import type { Bolt, Spout } from './api.js';
import type { Runnable } from './loop.js';
import type { TupleQueue } from './queue.js';
import type { SpoutPending } from './spout-pending.js';
import type { BoltCollectorImpl, SpoutCollectorImpl, TaskServices, TaskState } from './task.js';
import { PENDING, systemTuple, type TupleImpl } from './tuple.js';
import { AckerCore } from './acker-core.js';
import { ACK_ACK_STREAM, ACK_FAIL_STREAM, ACK_INIT_STREAM, ACK_RESET_TIMEOUT_STREAM, ACKER_COMPONENT } from '../topology/plan.js';

/** Anything whose fullness should stop its producers: a local queue or a remote link. */
export interface Congestible {
  isFull(): boolean;
}

/** A bolt may say it cannot take more input yet (a subprocess with max.pending in flight). */
export interface BoltHost extends Bolt {
  ready?(): boolean;
}

export interface BoltTask {
  state: TaskState;
  bolt: BoltHost;
  collector: BoltCollectorImpl;
}

export interface SpoutTask {
  state: TaskState;
  spout: Spout;
  collector: SpoutCollectorImpl;
  pending: SpoutPending;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== undefined && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

function anyFull(list: readonly Congestible[]): boolean {
  for (const c of list) if (c.isFull()) return true;
  return false;
}

export class BoltExecutor implements Runnable {
  private waiting = false;
  private readonly firstTask: number;
  downstream: readonly Congestible[] = [];

  constructor(
    readonly componentId: string,
    readonly queue: TupleQueue<TupleImpl>,
    readonly tasks: readonly BoltTask[],
    private readonly services: TaskServices,
    private readonly wake: () => void,
  ) {
    this.firstTask = tasks[0]!.state.taskId;
  }

  runBatch(budget: number): number {
    if (this.waiting || anyFull(this.downstream)) return 0;
    let n = 0;
    const q = this.queue;
    while (n < budget && q.length > 0) {
      const task = this.tasks.length === 1 ? this.tasks[0]! : this.peekTask();
      if (task.bolt.ready !== undefined && !task.bolt.ready()) break;
      const t = q.shift()!;
      n++;
      const r = this.execute(task, t);
      if (r !== undefined) {
        this.waitFor(task, t, r);
        break;
      }
    }
    return n;
  }

  private peekTask(): BoltTask {
    return this.tasks[this.queue.peek()!.destTask - this.firstTask]!;
  }

  private execute(task: BoltTask, t: TupleImpl): PromiseLike<unknown> | undefined {
    task.state.stats.executed++;
    try {
      const r = task.bolt.execute(t);
      return isThenable(r) ? r : undefined;
    } catch (err) {
      this.onError(task, t, err);
      return undefined;
    }
  }

  private waitFor(task: BoltTask, t: TupleImpl, r: PromiseLike<unknown>): void {
    this.waiting = true;
    r.then(
      () => this.resume(),
      (err: unknown) => {
        this.onError(task, t, err);
        this.resume();
      },
    );
  }

  private resume(): void {
    this.waiting = false;
    this.wake();
  }

  private onError(task: BoltTask, t: TupleImpl, err: unknown): void {
    this.services.reportError(task.state, err);
    if (t.state === PENDING && !t.isTick()) task.collector.fail(t);
  }
}

export class SpoutExecutor implements Runnable {
  private waiting = false;
  private active = false;
  private readonly firstTask: number;
  downstream: readonly Congestible[] = [];

  constructor(
    readonly componentId: string,
    /** System input only: completions, failures and timeout resets from the ackers. */
    readonly queue: TupleQueue<TupleImpl>,
    readonly tasks: readonly SpoutTask[],
    private readonly maxPending: number,
    private readonly services: TaskServices,
    private readonly wake: () => void,
  ) {
    this.firstTask = tasks[0]!.state.taskId;
  }

  pendingTrees(): number {
    let n = 0;
    for (const t of this.tasks) n += t.pending.size;
    return n;
  }

  setActive(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    for (const t of this.tasks) {
      try {
        if (active) t.spout.activate?.();
        else t.spout.deactivate?.();
      } catch (err) {
        this.services.reportError(t.state, err);
      }
    }
  }

  runBatch(budget: number): number {
    let work = this.drainSystem();
    if (!this.active || this.waiting || anyFull(this.downstream)) return work;
    for (let i = 0; i < budget; i++) {
      let emitted = false;
      for (const task of this.tasks) {
        if (this.maxPending > 0 && task.pending.size >= this.maxPending) {
          task.state.stats.skippedMaxPending++;
          continue;
        }
        const before = task.state.stats.emitted;
        const r = this.nextTuple(task);
        this.flushImmediateAcks(task);
        if (isThenable(r)) {
          this.waitFor(task, r, before);
          return work;
        }
        if (task.state.stats.emitted !== before) emitted = true;
      }
      if (!emitted) break;
      work++;
      if (anyFull(this.downstream)) break;
    }
    return work;
  }

  /** Expires timed-out trees of every task: fail(msgId) for each. */
  expire(): void {
    for (const task of this.tasks) {
      for (const tree of task.pending.expire()) {
        task.state.stats.failed++;
        task.state.stats.timedOut++;
        this.notify(task, false, tree.messageId);
      }
    }
  }

  private drainSystem(): number {
    let n = 0;
    const q = this.queue;
    for (let t = q.shift(); t !== undefined; t = q.shift()) {
      n++;
      const task = this.tasks[t.destTask - this.firstTask];
      if (task) this.onSystem(task, t);
    }
    return n;
  }

  private onSystem(task: SpoutTask, t: TupleImpl): void {
    const root = t.values[0] as number;
    const stream = t.sourceStreamId;
    if (stream === ACK_RESET_TIMEOUT_STREAM) {
      task.pending.touch(root);
      return;
    }
    const tree = task.pending.take(root);
    if (tree === undefined) return;
    const stats = task.state.stats;
    if (stream === ACK_ACK_STREAM) {
      stats.acked++;
      stats.completeLatencyMsSum += this.services.clock.now() - tree.emittedAt;
      stats.completeLatencyCount++;
      this.notify(task, true, tree.messageId);
    } else if (stream === ACK_FAIL_STREAM) {
      stats.failed++;
      this.notify(task, false, tree.messageId);
    }
  }

  private flushImmediateAcks(task: SpoutTask): void {
    const acks = task.collector.immediateAcks;
    if (acks.length === 0) return;
    const ids = acks.splice(0);
    for (const id of ids) {
      task.state.stats.acked++;
      this.notify(task, true, id);
    }
  }

  /**
   * An async nextTuple (a multilang spout's round trip). If it emitted nothing the spout is
   * idle: let the loop's idle sleep pace the next call instead of spinning on round trips.
   */
  private waitFor(task: SpoutTask, r: PromiseLike<unknown>, emittedBefore: number): void {
    this.waiting = true;
    const resume = (): void => {
      this.waiting = false;
      this.flushImmediateAcks(task);
      if (task.state.stats.emitted !== emittedBefore) this.wake();
    };
    r.then(resume, (err: unknown) => {
      this.services.reportError(task.state, err);
      resume();
    });
  }

  // User code is called through these (no closure per tuple); what it throws is reported.
  private nextTuple(task: SpoutTask): void | Promise<void> | undefined {
    try {
      return task.spout.nextTuple();
    } catch (err) {
      this.services.reportError(task.state, err);
      return undefined;
    }
  }

  private notify(task: SpoutTask, acked: boolean, messageId: unknown): void {
    try {
      if (acked) task.spout.ack?.(messageId);
      else task.spout.fail?.(messageId);
    } catch (err) {
      this.services.reportError(task.state, err);
    }
  }
}

/** Runs acker tasks: XOR bookkeeping per tuple tree, completions sent direct to spout tasks. */
export class AckerExecutor implements Runnable {
  private readonly cores: Map<number, AckerCore>;

  constructor(
    readonly queue: TupleQueue<TupleImpl>,
    readonly taskIds: readonly number[],
    numBuckets: number,
    private readonly deliver: (t: TupleImpl) => void,
  ) {
    this.cores = new Map(taskIds.map((id) => [id, new AckerCore(numBuckets)]));
  }

  /** Always drains everything: acker traffic is bounded by the trees in flight. */
  runBatch(): number {
    let n = 0;
    const q = this.queue;
    for (let t = q.shift(); t !== undefined; t = q.shift()) {
      n++;
      this.process(t);
    }
    return n;
  }

  rotate(): void {
    for (const core of this.cores.values()) core.rotate();
  }

  /** Acker messages that arrived as tuples (from other workers). */
  private process(t: TupleImpl): void {
    const v = t.values as number[];
    this.apply(t.destTask, t.sourceStreamId, v[0]!, v[1] ?? 0, v[2] ?? 0, v[3] ?? -1);
  }

  /**
   * One acker message for acker task `task`. Collectors in this process call it directly (no
   * tuple, no queue): XOR is commutative, so when it runs does not change any outcome, and the
   * spout hears of outcomes through its own queue as before.
   */
  apply(task: number, stream: string, root: number, hi: number, lo: number, spoutTask: number): void {
    const core = this.cores.get(task);
    if (core === undefined) return;
    let outcome;
    switch (stream) {
      case ACK_INIT_STREAM: outcome = core.init(root, hi, lo, spoutTask); break;
      case ACK_ACK_STREAM: outcome = core.ack(root, hi, lo); break;
      case ACK_FAIL_STREAM: outcome = core.fail(root); break;
      case ACK_RESET_TIMEOUT_STREAM: outcome = core.resetTimeout(root); break;
      default: return;
    }
    if (outcome === undefined) return;
    const out = outcome.kind === 'complete' ? ACK_ACK_STREAM : outcome.kind === 'fail' ? ACK_FAIL_STREAM : ACK_RESET_TIMEOUT_STREAM;
    this.deliver(systemTuple(out, [root], ACKER_COMPONENT, task, outcome.spoutTask));
  }
}
