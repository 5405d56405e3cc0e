/**
 * The supervisor role (Storm's Supervisor): one per machine. It registers itself in ZooKeeper
 * (ephemeral SupervisorInfo, used ports kept current), follows the assignments, and makes each
 * of its slots run what they say: package downloaded and extracted once, worker process
 * started, watched through its heartbeat file, restarted when it dies or hangs, stopped when
 * unassigned. A restarted supervisor adopts the workers still running from its previous life.
 * Every second it reports its running workers to the leader nimbus.
 *
 * Each slot is a pure state machine (slot.ts) run by a SlotRunner; this class wires the runners
 * to ZooKeeper, the package cache, the process launcher and the nimbus reporter.
 *
 * @example
 * ```ts
 * await using supervisor = await Supervisor.start({
 *   id: 'host-a', ports: [6700, 6701], localDir: './squall-local', store, nimbus: ['127.0.0.1:6627'],
 *   workerClusterConfig: { 'storm.zookeeper.servers': ['127.0.0.1:2181'], 'storm.zookeeper.root': '/squall' },
 * });
 * await supervisor.closed;
 * ```
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Closer } from '../common/closer.js';
import { IllegalStateError } from '../common/errors.js';
import { ClusterState, type SupervisorInfo } from '../coordination/index.js';
import { NimbusClient } from '../rpc/index.js';
import { AssignmentSync, type AssignmentSnapshot } from './assignment-sync.js';
import { desiredSlots } from './desired.js';
import type { LaunchedWorker } from './launcher.js';
import { compileSupervisorOptions, type CompiledSupervisorOptions, type SupervisorNimbus, type SupervisorOptions } from './options.js';
import { NimbusReporter } from './nimbus-reporter.js';
import { PackageCache } from './package-cache.js';
import { packagesInUse } from './package-retention.js';
import { assignFound, reapOrphan, scanWorkerDirs } from './recovery.js';
import { SlotRunner, type SlotRunnerDeps } from './slot-runner.js';
import { recoverSlot, slotInUse, type SlotAssignment, type SlotEffect, type SlotState, type SlotWorker } from './slot.js';
import { cleanupWorkerDir, SupervisorDirs, WORKER_LOG, writeWorkerRecord } from './worker-files.js';

/** Lifecycle state of a supervisor. */
export type SupervisorState = 'starting' | 'running' | 'closing' | 'closed';

/** Options of close(). */
export interface SupervisorCloseOptions {
  /**
   * Stop the workers too (SIGTERM, SIGKILL after the grace) and remove their directories.
   * By default they keep running, so that a restarted supervisor adopts them.
   * @default false
   */
  killWorkers?: boolean;
}

/** A running supervisor. Create with {@link Supervisor.start}; `await using` closes it. */
export class Supervisor implements AsyncDisposable {
  /** Resolves once close() has finished: undefined, or the error close() hit. */
  readonly closed: Promise<void | Error>;
  private stateValue: SupervisorState = 'starting';
  private resolveClosed!: (v: void | Error) => void;
  private readonly closer = new Closer();
  private readonly abort = new AbortController();
  private readonly dirs: SupervisorDirs;
  private readonly runners = new Map<number, SlotRunner>();
  private readonly startedAtMs: number;
  private cluster!: ClusterState;
  private packages!: PackageCache;
  private snapshot: AssignmentSnapshot = { assignments: new Map(), packageIds: new Map() };
  private accepting = false;
  private registered = false;
  private publishedUsed = '';
  private registration: Promise<void> = Promise.resolve();
  private loggedProblems = '';
  private killOnClose = false;
  /** Package deletes, one pass at a time; `retentionQueued` coalesces requests. */
  private retention: Promise<void> = Promise.resolve();
  private retentionQueued = false;
  /** The packages in use after the previous step, to see when one is released. */
  private lastInUse: ReadonlySet<string> = new Set();
  private closing: Promise<void> | undefined;

  private constructor(private readonly o: Readonly<CompiledSupervisorOptions>) {
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });
    this.dirs = new SupervisorDirs(o.localDir);
    this.startedAtMs = o.clock.now();
  }

  /**
   * Starts the supervisor: local directories, ZooKeeper registration, assignment watch,
   * recovery of the workers a previous run left, monitor and nimbus heartbeats.
   * @throws ConfigError for invalid options; coordination errors when ZooKeeper cannot be used
   */
  static async start(options: SupervisorOptions): Promise<Supervisor> {
    const sup = new Supervisor(compileSupervisorOptions(options));
    try {
      await sup.init();
    } catch (err) {
      sup.stateValue = 'closing';
      await sup.closer.close().catch(() => {});
      sup.stateValue = 'closed';
      sup.resolveClosed(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    return sup;
  }

  get id(): string {
    return this.o.id;
  }

  get state(): SupervisorState {
    return this.stateValue;
  }

  /** Ports running (or starting, or stopping) a worker. */
  get usedPorts(): number[] {
    return [...this.runners.values()].filter((r) => slotInUse(r.state)).map((r) => r.port).sort((a, b) => a - b);
  }

  /** Every slot's current state (for status displays and tests). */
  slots(): SlotState[] {
    return [...this.runners.values()].map((r) => r.state);
  }

  /**
   * Stops the supervisor's own work (watches, monitor, heartbeats, downloads) and leaves its
   * ZooKeeper registration; workers keep running unless `killWorkers`. Idempotent.
   */
  close(opts: SupervisorCloseOptions = {}): Promise<void> {
    if (this.stateValue === 'starting') return Promise.reject(new IllegalStateError('cannot close a supervisor that is still starting'));
    this.killOnClose ||= opts.killWorkers === true;
    this.closing ??= (async () => {
      this.stateValue = 'closing';
      let error: Error | undefined;
      try {
        await this.closer.close();
      } catch (err) {
        error = err instanceof Error ? err : new Error(String(err));
      }
      this.stateValue = 'closed';
      this.resolveClosed(error);
      if (error) throw error;
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------- start

  private async init(): Promise<void> {
    const o = this.o;
    await this.dirs.create();
    const nimbus = await this.nimbusClient();
    this.packages = new PackageCache(this.dirs, nimbus, o.logger, o.packageLimits);
    await this.packages.removePartialDownloads();
    this.cluster = await ClusterState.create(o.store, { paths: o.paths, clock: o.clock, logger: o.logger });
    const sync = await AssignmentSync.start({
      cluster: this.cluster, clock: o.clock, logger: o.logger, resyncMs: o.assignmentSyncMs, onChange: (s) => this.onAssignments(s),
    });
    // Closing runs these in reverse: heartbeats and monitor stop, the registration goes, then
    // the slots finish (stopping their workers only with killWorkers), then the watch.
    this.closer.defer(() => sync.close());
    this.closer.defer(() => this.finishSlots());
    await this.recover();
    await this.cluster.registerSupervisor(this.info());
    this.registered = true;
    this.publishedUsed = this.usedPorts.join(',');
    this.closer.defer(() => this.unregister());
    const monitor = o.clock.setInterval(() => this.tickAll(), o.monitorFrequencyMs);
    this.closer.defer(() => monitor.cancel());
    const reporter = new NimbusReporter({
      nimbus, supervisorId: o.id, host: o.advertisedHost, periodMs: o.nimbusHeartbeatMs, clock: o.clock, logger: o.logger,
      running: () => this.runningWorkers(), workerDir: (id) => this.dirs.workerDir(id),
    });
    reporter.start();
    this.closer.defer(() => reporter.stop());
    this.closer.defer(() => this.abort.abort());
    this.stateValue = 'running';
    o.logger.info(`supervisor ${o.id} running`, { slots: o.ports, advertisedHost: o.advertisedHost, workers: this.usedPorts });
  }

  private async nimbusClient(): Promise<SupervisorNimbus> {
    const n = this.o.nimbus;
    if (!Array.isArray(n)) return n;
    const client = await NimbusClient.connect(n, { logger: this.o.logger });
    this.closer.defer(() => client.close());
    return client;
  }

  /** Builds a runner per slot from what the previous run left on disk. */
  private async recover(): Promise<void> {
    const o = this.o;
    const found = await scanWorkerDirs(this.dirs, o.processes);
    const { byPort, orphans } = assignFound(found, o.ports);
    for (const f of orphans) await reapOrphan(f, this.dirs, o.processes, o.logger);
    const desired = this.desired();
    const deps = this.runnerDeps();
    for (const port of o.ports) {
      const r = recoverSlot(port, desired.get(port), byPort.get(port), o.clock.now(), o.timing);
      const runner = new SlotRunner(r.state, deps);
      this.runners.set(port, runner);
      await runner.begin(r.effects);
    }
    this.accepting = true;
    // Packages left by topologies that ended while no supervisor ran here.
    this.requestRetention();
  }

  private runnerDeps(): SlotRunnerDeps {
    const o = this.o;
    return {
      timing: o.timing, clock: o.clock, logger: o.logger, processes: o.processes,
      workerDir: (id) => this.dirs.workerDir(id),
      ensurePackage: (id) => this.packages.ensure(id, this.abort.signal),
      launch: (port, a) => this.launch(port, a),
      cleanup: (w, keepLog) => this.cleanup(w, keepLog),
      onStep: (_runner, effects) => this.afterStep(effects),
    };
  }

  // ---------------------------------------------------------------- assignments

  private desired(): Map<number, SlotAssignment> {
    const d = desiredSlots({ supervisorId: this.o.id, ports: this.o.ports, ...this.snapshot });
    const problems = d.problems.join('\n');
    if (problems !== this.loggedProblems && problems !== '') for (const p of d.problems) this.o.logger.warn(p);
    this.loggedProblems = problems;
    return d.slots;
  }

  private onAssignments(snapshot: AssignmentSnapshot): void {
    this.snapshot = snapshot;
    if (!this.accepting || this.stateValue === 'closing' || this.stateValue === 'closed') return;
    const desired = this.desired();
    for (const runner of this.runners.values()) void runner.send({ type: 'assignment', desired: desired.get(runner.port) });
  }

  // ---------------------------------------------------------------- effects

  /** Creates the worker directory, records worker.json, spawns the process. */
  private async launch(port: number, a: SlotAssignment): Promise<LaunchedWorker> {
    const o = this.o;
    const workerDir = this.dirs.workerDir(a.workerId);
    await mkdir(workerDir, { recursive: true, mode: 0o700 });
    const record = { workerId: a.workerId, topologyId: a.topologyId, port, packageId: a.packageId, startedAtMs: o.clock.now() };
    await writeWorkerRecord(workerDir, record);
    const launched = await o.spawnWorker({
      workerId: a.workerId, topologyId: a.topologyId, supervisorId: o.id, port, host: o.advertisedHost,
      workerDir, packageDir: this.dirs.packageDir(a.packageId), clusterConfig: o.workerClusterConfig,
      logFile: join(workerDir, WORKER_LOG), env: o.workerEnv,
    });
    // Recorded at once: a supervisor restarted from here on finds and adopts this process.
    await writeWorkerRecord(workerDir, { ...record, pid: launched.pid });
    return launched;
  }

  private async cleanup(worker: SlotWorker, keepLog: boolean): Promise<void> {
    // Anything left in the dead worker's group; group only, as its pid may be recycled.
    this.o.processes.signalGroup(worker.pid, 'SIGKILL', { groupOnly: true });
    await cleanupWorkerDir(this.dirs.workerDir(worker.workerId), keepLog, this.o.logger);
  }

  private afterStep(effects: readonly SlotEffect[]): void {
    this.publishUsedPorts();
    // Not while recovering: the slots not built yet may hold adopted workers (recover() asks
    // for a pass once every slot exists).
    if (!this.accepting) return;
    // A package is released when a slot lets go of it: its topology unassigned here and its
    // last worker gone (a cleanup effect), or a wait for it given up.
    const inUse = this.packagesInUse();
    const released = [...this.lastInUse].some((id) => !inUse.has(id));
    this.lastInUse = inUse;
    if (released || effects.some((e) => e.type === 'cleanup')) this.requestRetention();
  }

  /** What the slots and the latest assignments need (package-retention.ts). */
  private packagesInUse(): Set<string> {
    const desired = desiredSlots({ supervisorId: this.o.id, ports: this.o.ports, ...this.snapshot }).slots.values();
    return packagesInUse([...this.runners.values()].map((r) => r.state), desired);
  }

  /** Deletes unused packages after the pass in progress; requests meanwhile share one pass. */
  private requestRetention(): void {
    if (this.retentionQueued) return;
    this.retentionQueued = true;
    this.retention = this.retention.then(async () => {
      this.retentionQueued = false;
      await this.packages.retain(() => this.packagesInUse()).catch((err: unknown) => {
        this.o.logger.warn('could not remove unused packages', { err: String(err) });
      });
    });
  }

  private tickAll(): void {
    for (const runner of this.runners.values()) void runner.tick();
  }

  private runningWorkers(): Array<{ port: number; worker: SlotWorker }> {
    const out: Array<{ port: number; worker: SlotWorker }> = [];
    for (const { state } of this.runners.values()) if (state.phase.kind === 'running') out.push({ port: state.port, worker: state.phase.worker });
    return out;
  }

  // ---------------------------------------------------------------- registration

  private info(): SupervisorInfo {
    const o = this.o;
    return {
      id: o.id, host: o.host, ports: [...o.ports], usedPorts: this.usedPorts, address: o.advertisedHost,
      version: o.version, startedAtMs: Math.round(this.startedAtMs),
    };
  }

  /** Writes the used ports when they changed (serialised; ZooKeeper sees no write otherwise). */
  private publishUsedPorts(): void {
    const used = this.usedPorts.join(',');
    if (!this.registered || used === this.publishedUsed) return;
    this.publishedUsed = used;
    this.registration = this.registration.then(async () => {
      if (!this.registered) return;
      await this.cluster.updateSupervisor(this.info()).catch((err: unknown) => {
        this.o.logger.warn('could not update this supervisor\'s used ports in ZooKeeper', { err: String(err) });
        this.publishedUsed = ''; // try again after the next step
      });
    });
  }

  private async unregister(): Promise<void> {
    await this.registration;
    this.registered = false;
    await this.cluster.unregisterSupervisor(this.o.id).catch((err: unknown) => {
      this.o.logger.warn('could not remove this supervisor from ZooKeeper', { err: String(err) });
    });
  }

  // ---------------------------------------------------------------- close

  /** Stops the slots; with killWorkers, first stops every worker (bounded by the kill grace). */
  private async finishSlots(): Promise<void> {
    this.accepting = false;
    this.abort.abort();
    const runners = [...this.runners.values()];
    if (this.killOnClose) {
      for (const r of runners) void r.send({ type: 'assignment', desired: undefined });
      const deadline = this.o.clock.now() + this.o.timing.killGraceMs + 5_000;
      while (runners.some((r) => slotInUse(r.state)) && this.o.clock.now() < deadline) {
        await this.o.clock.sleep(100);
        await Promise.all(runners.map((r) => r.tick()));
      }
    }
    for (const r of runners) r.stop();
    await Promise.all(runners.map((r) => r.idle()));
    await this.retention;
  }
}
