/**
 * The worker role: one process per slot (Storm's Worker), started by a supervisor. It does
 * exactly what docs/CLUSTER.md ("Starting a worker") lists:
 *  1. reads its topology record and the assignment from the coordination store;
 *  2. loads the topology file from the extracted package with the record's overrides and
 *     compiles the plan (the same plan on every worker);
 *  3. runs the tasks assigned to (supervisorId, port) in a WorkerDataPlane listening on
 *     host:port, every other task being at `nodeHost[supervisorId]:port`;
 *  4. follows the topology status (ACTIVE → activate, anything else → deactivate) and the
 *     assignment (new task map → setAssignment; own slot gone or its executors changed →
 *     drain, close); the executors are the assignment's split of the tasks, which a
 *     rebalance may have changed from the topology file's;
 *  5. writes heartbeat.json every heartbeat interval;
 *  6. drains (bounded) and closes on close() — the CLI calls it on SIGTERM.
 * The worker never writes to ZooKeeper and never imports the supervisor or nimbus roles.
 *
 * @example
 * ```ts
 * const worker = await Worker.start({ topologyId, supervisorId, port: 6700, host: '10.0.0.5',
 *   workerDir, packageDir, store });
 * await worker.closed; // resolved when its slot is unassigned, or after close()
 * ```
 */
import { join, relative, resolve, isAbsolute } from 'node:path';
import { systemClock, type Clock, type TimerHandle } from '../common/clock.js';
import { Closer } from '../common/closer.js';
import { IllegalStateError, SquallError, formatIssue } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { ClusterPaths, decodeRecord, type Assignment, type NodeData, type StateStore, type TopologyRecord } from '../coordination/index.js';
import type { RecordCodec } from '../coordination/envelope.js';
import { assignmentCodec, topologyCodec } from '../coordination/records.js';
import { createHostFactory } from '../hosts/factory.js';
import { createRunDir, sweepRun } from '../hosts/shell/pid-dirs.js';
import { loadTopologyFile } from '../local/load-topology.js';
import type { DrainResult } from '../runtime/runtime.js';
import type { TopologyPlan } from '../topology/plan.js';
import { peerAddresses, planForAssignment, slotExecutors, slotTasks } from './assignment-view.js';
import { WorkerDataPlane } from './data-plane.js';
import { writeHeartbeatFile } from './heartbeat-file.js';

/** Storm's worker.heartbeat.frequency.secs. */
export const DEFAULT_WORKER_HEARTBEAT_MS = 1_000;
/** Upper bound of the drain on stop (docs/CLUSTER.md worker step 6). */
export const MAX_WORKER_DRAIN_MS = 10_000;

/** Options of Worker.start(). */
export interface WorkerOptions {
  topologyId: string;
  supervisorId: string;
  /** The slot: the transport server listens on host:port. */
  port: number;
  /** The advertised host of the supervisor: where peers reach this worker. */
  host: string;
  /** This worker's directory (heartbeat.json, component pid files under runs/). */
  workerDir: string;
  /** The extracted package the topology file is read from. */
  packageDir: string;
  /** The coordination store (not owned: close it yourself after the worker). */
  store: StateStore;
  /** @default new ClusterPaths() */
  paths?: ClusterPaths;
  /** @default {@link DEFAULT_WORKER_HEARTBEAT_MS} */
  heartbeatIntervalMs?: number;
  /** Longest drain on stop. @default min(topology.message.timeout.secs, 10 s) */
  drainTimeoutMs?: number;
  /** Environment of shell components and of Flux `${ENV-…}` placeholders. @default {} */
  env?: Readonly<Record<string, string | undefined>>;
  /** transport.auth.token shared by the cluster's workers. @default none */
  authToken?: string;
  /** Written into heartbeats. @default process.pid */
  pid?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Lifecycle state of a worker. */
export type WorkerState = 'starting' | 'running' | 'draining' | 'closed';
/** Why a worker stopped: close() was called, or the assignment took its slot away or changed it. */
export type WorkerStopReason = 'closed' | 'unassigned' | 'reassigned';

/** A running worker. Create with {@link Worker.start}; `await using` closes it. */
export class Worker implements AsyncDisposable {
  readonly workerId: string;
  /** Resolves once the worker has closed (for any reason): undefined, or the error closing hit. */
  readonly closed: Promise<void | Error>;
  private stateValue: WorkerState = 'starting';
  private reason: WorkerStopReason = 'closed';
  private resolveClosed!: (v: void | Error) => void;
  private readonly closer = new Closer();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly paths: ClusterPaths;
  private plane: WorkerDataPlane | undefined;
  private plan: TopologyPlan | undefined;
  private localTasks: ReadonlySet<number> = new Set();
  private localExecutors: string[] = [];
  private record: TopologyRecord | undefined;
  private assignment: Assignment | undefined;
  private active: boolean | undefined;
  private heartbeatFailing = false;
  private closing: Promise<void> | undefined;

  private constructor(private readonly o: WorkerOptions) {
    this.workerId = `${o.topologyId}-${o.supervisorId}-${o.port}`;
    this.clock = o.clock ?? systemClock;
    this.logger = (o.logger ?? silentLogger).child({ worker: this.workerId });
    this.paths = o.paths ?? new ClusterPaths();
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
  }

  /**
   * Starts the worker (steps 1–5). Resolves once its tasks run and its first heartbeat is written.
   * @throws SquallError E_WORKER_NO_TOPOLOGY, E_WORKER_NOT_ASSIGNED, E_WORKER_PACKAGE; topology
   *   loading errors; transport errors (the port cannot be bound)
   */
  static async start(opts: WorkerOptions): Promise<Worker> {
    const w = new Worker(opts);
    try {
      await w.init();
    } catch (err) {
      await w.closer.close().catch(() => {});
      w.stateValue = 'closed';
      w.resolveClosed(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    return w;
  }

  get state(): WorkerState {
    return this.stateValue;
  }

  /** Why the worker stopped (meaningful once `closed` resolved). */
  get stopReason(): WorkerStopReason {
    return this.reason;
  }

  /** The tasks this worker runs, ascending. */
  get tasks(): number[] {
    return [...this.localTasks].sort((a, b) => a - b);
  }

  /** The data plane (runtime, transport); undefined before start() finished. */
  get dataPlane(): WorkerDataPlane | undefined {
    return this.plane;
  }

  /** Stops the spouts and waits (bounded) for the in-flight tuple trees; the worker stays up. */
  async drain(): Promise<DrainResult> {
    if (!this.plane) throw new IllegalStateError('cannot drain a worker that has not started');
    return this.plane.drain(this.drainTimeoutMs());
  }

  /** Drains (bounded), closes the components and the transport, stops heartbeating. Idempotent. */
  close(): Promise<void> {
    if (this.stateValue === 'starting') return Promise.reject(new IllegalStateError('cannot close a worker that is still starting'));
    this.closing ??= this.shutdown();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------- start

  private async init(): Promise<void> {
    const { store } = this.o;
    // Watch first and use the watches' initial values: no change can fall between read and watch.
    const recordWatch = await store.watchData(this.paths.topology(this.o.topologyId), (ev) => this.onRecord(ev.node));
    this.closer.defer(() => recordWatch.close());
    const assignmentWatch = await store.watchData(this.paths.assignment(this.o.topologyId), (ev) => this.onAssignment(ev.node));
    this.closer.defer(() => assignmentWatch.close());
    const record = this.record ?? this.decodeRecord(recordWatch.initial, true);
    const assignment = this.assignment ?? this.decodeAssignment(assignmentWatch.initial, true);
    if (!record) throw new SquallError('E_WORKER_NO_TOPOLOGY', `topology ${this.o.topologyId} does not exist`, { context: { topology: this.o.topologyId } });
    const local = assignment ? slotTasks(assignment, this.o.supervisorId, this.o.port) : new Set<number>();
    if (!assignment || local.size === 0) {
      throw new SquallError('E_WORKER_NOT_ASSIGNED', `slot ${this.o.supervisorId}:${this.o.port} has no tasks of topology ${this.o.topologyId}`, { context: { topology: this.o.topologyId, worker: this.workerId } });
    }
    this.record = record;
    this.assignment = assignment;
    this.localTasks = local;
    this.localExecutors = slotExecutors(assignment, this.o.supervisorId, this.o.port);
    await this.startDataPlane(record, assignment);
    await this.heartbeat();
    const timer: TimerHandle = this.clock.setInterval(() => void this.heartbeat(), this.o.heartbeatIntervalMs ?? DEFAULT_WORKER_HEARTBEAT_MS);
    this.closer.defer(() => timer.cancel());
    this.stateValue = 'running';
    this.logger.info(`worker running tasks ${this.tasks.join(',')}`, { address: `${this.o.host}:${this.o.port}`, status: record.status });
    // Changes that arrived while starting.
    this.applyStatus();
    this.applyAssignment();
  }

  private async startDataPlane(record: TopologyRecord, assignment: Assignment): Promise<void> {
    const file = this.topologyFile(record.topologyFile);
    const loaded = await loadTopologyFile(file, record.configOverrides, this.o.env ?? {});
    for (const w of loaded.warnings) this.logger.warn(formatIssue(w).replace(': error: ', ': warning: '));
    // Also checks every assigned task (this worker's included) against the topology's tasks.
    const plan = planForAssignment(loaded.plan, assignment);
    this.plan = plan;
    const runDir = await createRunDir(join(this.o.workerDir, 'runs'), this.logger);
    // Last resort for component processes that outlived their host; runs after the plane closed.
    this.closer.defer(() => sweepRun(runDir.path, runDir.runId, this.logger));
    const plane = await WorkerDataPlane.create({
      topologyId: this.o.topologyId, workerId: this.workerId, plan, localTasks: this.localTasks,
      factory: createHostFactory({ topologyFile: file, runDir, baseEnv: this.o.env ?? {} }),
      host: this.o.host, port: this.o.port, clock: this.clock, logger: this.logger,
      startActive: record.status === 'ACTIVE',
      ...(this.o.authToken === undefined ? {} : { authToken: this.o.authToken }),
    });
    this.closer.defer(() => plane.close());
    this.plane = plane;
    this.active = record.status === 'ACTIVE';
    plane.setAssignment(this.peers(assignment));
    plane.start();
  }

  /** The record's topology file inside the package; anything pointing outside is refused. */
  private topologyFile(name: string): string {
    const root = resolve(this.o.packageDir);
    const file = resolve(root, name);
    const rel = relative(root, file);
    if (isAbsolute(name) || rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new SquallError('E_WORKER_PACKAGE', `the topology file "${name}" is not inside the package`, { context: { topology: this.o.topologyId } });
    }
    return file;
  }

  // ---------------------------------------------------------------- following the cluster

  private onRecord(node: NodeData | undefined): void {
    this.record = this.decodeRecord(node);
    this.applyStatus();
  }

  private onAssignment(node: NodeData | undefined): void {
    this.assignment = this.decodeAssignment(node);
    this.applyAssignment();
  }

  /** ACTIVE runs the spouts; INACTIVE, REBALANCING, KILLED (or no record) pause them. */
  private applyStatus(): void {
    if (this.stateValue !== 'running' || !this.plane) return;
    const active = this.record?.status === 'ACTIVE';
    if (active === this.active) return;
    this.active = active;
    if (active) this.plane.runtime.activate();
    else this.plane.runtime.deactivate();
    this.logger.info(active ? 'topology active: spouts running' : `topology ${this.record?.status ?? 'removed'}: spouts paused`);
  }

  private applyAssignment(): void {
    if (this.stateValue !== 'running' || !this.plane) return;
    const a = this.assignment;
    const own = a ? slotTasks(a, this.o.supervisorId, this.o.port) : new Set<number>();
    if (own.size === 0) return this.stopSelf('unassigned');
    // Executors, not just tasks: a rebalance that splits this worker's tasks differently
    // needs a new runtime, as in Storm (the supervisor restarts the worker).
    if (slotExecutors(a!, this.o.supervisorId, this.o.port).join() !== this.localExecutors.join()) return this.stopSelf('reassigned');
    this.plane.setAssignment(this.peers(a!));
  }

  private peers(a: Assignment): ReturnType<typeof peerAddresses>['peers'] {
    const { peers, unknownHosts } = peerAddresses(a, this.localTasks);
    if (unknownHosts.length > 0) this.logger.warn(`the assignment has no host for supervisor(s) ${unknownHosts.join(', ')}`);
    return peers;
  }

  private stopSelf(reason: WorkerStopReason): void {
    if (this.closing) return;
    this.reason = reason;
    this.logger.info(reason === 'unassigned' ? 'this slot is no longer assigned: stopping' : 'this slot\'s tasks changed: stopping (the supervisor restarts it)');
    void this.close().catch(() => {});
  }

  /** Decodes the topology record; with `strict` an unreadable one throws, else it keeps the last value. */
  private decodeRecord(node: NodeData | undefined, strict = false): TopologyRecord | undefined {
    return this.decode(node, topologyCodec, this.paths.topology(this.o.topologyId), this.record, strict);
  }

  private decodeAssignment(node: NodeData | undefined, strict = false): Assignment | undefined {
    return this.decode(node, assignmentCodec, this.paths.assignment(this.o.topologyId), this.assignment, strict);
  }

  private decode<T>(node: NodeData | undefined, codec: RecordCodec<T>, path: string, previous: T | undefined, strict: boolean): T | undefined {
    if (!node) return undefined;
    try {
      return decodeRecord(codec, node.data, path);
    } catch (err) {
      if (strict) throw err;
      this.logger.error('unreadable coordination record; keeping the previous one', { path, err: String(err) });
      return previous;
    }
  }

  // ---------------------------------------------------------------- heartbeat and stop

  private async heartbeat(): Promise<void> {
    if (!this.plane) return;
    try {
      await writeHeartbeatFile(this.o.workerDir, {
        workerId: this.workerId, topologyId: this.o.topologyId, port: this.o.port, pid: this.o.pid ?? process.pid,
        timeMs: Math.round(this.clock.now()), tasks: this.tasks, stats: this.plane.runtime.stats(),
      });
      this.heartbeatFailing = false;
    } catch (err) {
      if (!this.heartbeatFailing) this.logger.warn('cannot write the heartbeat file', { err: String(err) });
      this.heartbeatFailing = true;
    }
  }

  private drainTimeoutMs(): number {
    if (this.o.drainTimeoutMs !== undefined) return this.o.drainTimeoutMs;
    const secs = Number(this.plan?.config['topology.message.timeout.secs'] ?? 30);
    return Math.min(MAX_WORKER_DRAIN_MS, Number.isFinite(secs) && secs > 0 ? secs * 1000 : MAX_WORKER_DRAIN_MS);
  }

  private async shutdown(): Promise<void> {
    this.stateValue = 'draining';
    let error: Error | undefined;
    try {
      const r = await this.plane!.drain(this.drainTimeoutMs());
      if (!r.complete) this.logger.warn(`drain timed out with ${r.pendingTrees} tuple trees in flight and ${r.queued} tuples queued`);
    } catch (err) {
      this.logger.warn('drain failed', { err: String(err) });
    }
    try {
      await this.closer.close();
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    this.stateValue = 'closed';
    this.logger.info(`worker stopped (${this.reason})`);
    this.resolveClosed(error);
  }
}
