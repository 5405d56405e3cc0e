/**
 * The nimbus daemon (Storm's Nimbus): serves the cluster API, registers itself, takes part in
 * the leader election, and while it leads runs the scheduling loop and the topology status
 * machine (leader.ts). Followers answer reads, serve packages and copy packages they lack;
 * every mutation they are asked for is refused with E_NOT_LEADER naming the leader. Every
 * nimbus deletes the packages nothing needs any more (package-cleanup.ts).
 *
 * Lifecycle (STYLE lesson 7): `Nimbus.start()` → 'running'; `drain()` hands leadership over and
 * lets calls in flight finish, then closes; `close()` is idempotent and bounded by
 * `shutdownGraceMs`; `closed` resolves when it is over; `await using` closes it. The store is
 * the caller's: nimbus never closes it.
 *
 * @example
 * ```ts
 * await using store = await ZooKeeperStateStore.connect({ servers: ['127.0.0.1:2181'], chroot: '/squall' });
 * await using nimbus = await Nimbus.start({ store, localDir: './squall-local', port: 6627 });
 * await nimbus.closed;
 * ```
 */
import { createRequire } from 'node:module';
import { systemClock, type Clock, type TimerHandle } from '../common/clock.js';
import { Closer } from '../common/closer.js';
import { ConfigError, IllegalStateError, SquallError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { ClusterState } from '../coordination/cluster-state.js';
import type { Leadership, LeaderElection } from '../coordination/leader-election.js';
import { checkName } from '../coordination/paths.js';
import { formatAddress } from '../rpc/address.js';
import { NotLeaderError } from '../rpc/errors.js';
import { startRpcServer, type RpcServer } from '../rpc/server.js';
import { readLeaderAddress, type NimbusCore } from './core.js';
import { createNimbusHandlers } from './handlers/index.js';
import { HeartbeatCache } from './heartbeats.js';
import { LeaderRuntime } from './leader.js';
import { compileNimbusOptions, defaultNimbusId, type CompiledNimbusOptions, type NimbusOptions } from './options.js';
import { PackageCleanup } from './package-cleanup.js';
import { PackageStore } from './package-store.js';
import { PackageSync } from './package-sync.js';
import { TopologyCatalog } from './topology-catalog.js';

/** What a nimbus knows once its API is bound. */
interface Identity {
  id: string;
  address: string;
  sync: PackageSync;
  cleanup: PackageCleanup;
}

/** Lifecycle states; transitions only move right. */
export type NimbusState = 'starting' | 'running' | 'draining' | 'closing' | 'closed';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** A running nimbus. Create with {@link Nimbus.start}. */
export class Nimbus implements NimbusCore, AsyncDisposable {
  readonly options: Readonly<CompiledNimbusOptions>;
  readonly cluster: ClusterState;
  readonly packages: PackageStore;
  readonly catalog: TopologyCatalog;
  readonly heartbeats = new HeartbeatCache();
  readonly clock: Clock;
  readonly logger: Logger;
  /** Resolves when close() has finished: undefined, or the first error cleanup hit. */
  readonly closed: Promise<void | Error>;
  private current: NimbusState = 'starting';
  private identity: Identity | undefined;
  private server: RpcServer | undefined;
  private election: LeaderElection | undefined;
  private runtime: LeaderRuntime | undefined;
  private readonly closer = new Closer();
  private readonly lifetime = new AbortController();
  private readonly submissions = new Map<string, number>();
  private closing: Promise<void> | undefined;
  private markClosed!: (result: void | Error) => void;

  private constructor(options: Readonly<CompiledNimbusOptions>, cluster: ClusterState, packages: PackageStore) {
    this.options = options;
    this.cluster = cluster;
    this.packages = packages;
    this.clock = options.clock;
    this.logger = options.logger.child({ role: 'nimbus' });
    this.catalog = new TopologyCatalog(packages, this.logger, options.env);
    this.closed = new Promise((resolve) => { this.markClosed = resolve; });
  }

  /**
   * Starts a nimbus: binds the API, registers in ZooKeeper, copies missing packages (bounded),
   * joins the election. A failed start undoes what it did.
   * @throws {ConfigError} for invalid options; SquallError `E_RPC_LISTEN`; coordination errors
   */
  static async start(options: NimbusOptions): Promise<Nimbus> {
    const opts = compileNimbusOptions(options);
    if (opts.id !== undefined) checkNimbusId(opts.id);
    const packages = await PackageStore.open(opts.localDir, opts.packageLimits);
    const cluster = await ClusterState.create(opts.store, { paths: opts.paths, logger: opts.logger });
    const nimbus = new Nimbus(opts, cluster, packages);
    try {
      await nimbus.init();
    } catch (err) {
      await nimbus.close().catch(() => undefined);
      throw err;
    }
    return nimbus;
  }

  get state(): NimbusState {
    return this.current;
  }

  /** This nimbus's id in ZooKeeper. */
  get id(): string {
    return this.requireIdentity().id;
  }

  /** Advertised `host:port` of the API. */
  get address(): string {
    return this.requireIdentity().address;
  }

  /** The bound port (the real one when 0 was asked for). */
  get port(): number {
    if (!this.server) throw new IllegalStateError('nimbus is not listening');
    return this.server.port;
  }

  get packageSync(): PackageSync {
    return this.requireIdentity().sync;
  }

  get packageCleanup(): PackageCleanup {
    return this.requireIdentity().cleanup;
  }

  /** True while this nimbus leads and its leader machinery runs. */
  get isLeader(): boolean {
    return this.runtime?.active === true;
  }

  async leader(): Promise<LeaderRuntime> {
    const rt = this.runtime;
    if (this.current === 'running' && rt?.active) return rt;
    const address = await readLeaderAddress(this.cluster).catch(() => undefined);
    throw new NotLeaderError(address === this.identity?.address ? undefined : address);
  }

  currentLeader(): LeaderRuntime | undefined {
    return this.runtime?.active ? this.runtime : undefined;
  }

  nextSubmission(name: string): number {
    const n = (this.submissions.get(name) ?? 0) + 1;
    this.submissions.set(name, n);
    return n;
  }

  /** Hands leadership to another nimbus, lets calls in flight finish (no bound), then closes. */
  async drain(): Promise<void> {
    if (this.current === 'running') this.current = 'draining';
    this.stopLeading(new NotLeaderError(undefined));
    await this.election?.close().catch((err: unknown) => this.logger.warn('could not leave the election', { err }));
    await this.server?.drain();
    await this.close();
  }

  /** Stops everything, within `shutdownGraceMs`. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- startup ----

  private async init(): Promise<void> {
    const o = this.options;
    this.server = await startRpcServer({ host: o.host, port: o.port, handlers: createNimbusHandlers(this), maxPackageBytes: o.maxPackageBytes, logger: this.logger });
    this.closer.defer(() => (this.current === 'draining' ? this.server?.drain() : this.server?.close()));
    const id = o.id ?? defaultNimbusId(o.advertisedHost, this.server.port);
    checkNimbusId(id);
    const sync = new PackageSync({ cluster: this.cluster, packages: this.packages, nimbusId: id, logger: this.logger });
    const cleanup = new PackageCleanup({
      cluster: this.cluster, packages: this.packages, nimbusId: id, clock: this.clock, logger: this.logger,
      inboxExpirationMs: o.inboxExpirationMs, signal: this.lifetime.signal,
    });
    this.identity = { id, address: formatAddress(o.advertisedHost, this.server.port), sync, cleanup };
    await this.cluster.registerNimbus({ id, host: o.advertisedHost, port: this.server.port, version: o.version ?? VERSION, startedAtMs: Math.round(this.clock.now()) });
    this.closer.defer(() => this.storeUsable() && this.cluster.unregisterNimbus(id));
    const found = await this.packages.list();
    cleanup.foundAtStart(found);
    await sync.announceLocal(found.map((f) => f.packageId));
    const watch = await this.cluster.watchSupervisors(() => void this.runtime?.reschedule());
    this.closer.defer(() => watch.close());
    await this.initialSync(sync);
    await this.joinElection(id);
    const monitor: TimerHandle = this.clock.setInterval(() => this.tick(), o.monitorFreqMs);
    this.closer.defer(() => monitor.cancel());
    const inbox: TimerHandle = this.clock.setInterval(() => this.cleanInbox(), o.cleanupInboxFreqMs);
    this.closer.defer(async () => {
      inbox.cancel();
      await cleanup.idle();
    });
    this.current = 'running';
    this.logger.info('nimbus started', { id, address: this.address, leader: this.isLeader });
  }

  /** Storm joins the election only with the code of every topology; we try, bounded, then join anyway. */
  private async initialSync(sync: PackageSync): Promise<void> {
    // Real time on purpose (also under a test's fake clock): this bounds network I/O.
    let timer: TimerHandle | undefined;
    const waited = new Promise<void>((resolve) => { timer = systemClock.setTimeout(resolve, this.options.packageSyncWaitMs); });
    const result = await Promise.race([sync.run(this.lifetime.signal), waited.then(() => undefined)]);
    timer?.cancel();
    if (result === undefined || result.missing.length > 0) {
      this.logger.warn('joining the election without every package; the missing ones are copied in the background', { missing: result?.missing });
    }
  }

  private async joinElection(id: string): Promise<void> {
    const election = await this.cluster.joinElection(id);
    this.election = election;
    this.closer.defer(() => election.close());
    const sub = election.onLeadership((lead) => this.onLeadership(lead));
    this.closer.defer(() => {
      sub[Symbol.dispose]();
      this.stopLeading(new SquallError('E_SHUTTING_DOWN', 'nimbus is shutting down', { retriable: true }));
      return this.runtime?.idle();
    });
    this.onLeadership(election.leadership());
  }

  // ---- leadership ----

  private onLeadership(lead: Leadership | undefined): void {
    if (lead !== undefined && this.runtime?.lead === lead) return;
    this.stopLeading(new NotLeaderError(undefined));
    if (lead === undefined || this.current === 'draining' || this.current === 'closing' || this.current === 'closed') return;
    const o = this.options;
    this.runtime = new LeaderRuntime(lead, {
      cluster: this.cluster, catalog: this.catalog, heartbeats: this.heartbeats, clock: this.clock, logger: this.logger,
      monitorFreqMs: o.monitorFreqMs, taskTimeoutMs: o.taskTimeoutMs, taskLaunchMs: o.taskLaunchMs, supervisorTimeoutMs: o.supervisorTimeoutMs,
      onTopologyRemoved: () => void this.packageCleanup.run(),
    });
    this.runtime.start();
    this.logger.info('leading the cluster', { epoch: lead.epoch });
  }

  private stopLeading(reason: unknown): void {
    const rt = this.runtime;
    if (!rt) return;
    this.runtime = undefined;
    rt.stop(reason);
    this.logger.info('no longer leading', { epoch: rt.lead.epoch });
  }

  /**
   * Every monitor period: copy missing packages (the leader reschedules when some arrived), then
   * delete those of topologies that are gone — on a follower, its copies.
   */
  private tick(): void {
    if (this.current !== 'running') return;
    void this.packageSync.run(this.lifetime.signal).then((r) => {
      if (r.fetched > 0) void this.runtime?.reschedule();
      return this.packageCleanup.run();
    });
  }

  /** Every nimbus.cleanup.inbox.freq.secs: the cleanup pass that also expires unused uploads. */
  private cleanInbox(): void {
    if (this.current === 'running') void this.packageCleanup.run({ expireInbox: true });
  }

  // ---- shutdown ----

  private async shutDown(): Promise<void> {
    if (this.current !== 'draining') this.current = 'closing';
    this.lifetime.abort(new SquallError('E_SHUTTING_DOWN', 'nimbus is shutting down'));
    // Real time on purpose (also under a test's fake clock): this bounds network I/O.
    let timer: TimerHandle | undefined;
    const grace = new Promise<'timeout'>((resolve) => { timer = systemClock.setTimeout(() => resolve('timeout'), this.options.shutdownGraceMs); });
    const work = this.closer.close().then(() => undefined, (err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    const outcome = await Promise.race([work, grace]);
    timer?.cancel();
    if (outcome === 'timeout') this.logger.warn('nimbus cleanup still running after the grace period; giving up on it', { graceMs: this.options.shutdownGraceMs });
    else if (outcome instanceof Error) this.logger.warn('nimbus cleanup failed', { err: outcome });
    this.current = 'closed';
    this.logger.info('nimbus stopped');
    this.markClosed(outcome === 'timeout' ? new Error('nimbus cleanup timed out') : outcome);
  }

  private storeUsable(): boolean {
    const s = this.options.store.state;
    return s !== 'closing' && s !== 'closed';
  }

  private requireIdentity(): Identity {
    if (!this.identity) throw new IllegalStateError('nimbus has not finished starting');
    return this.identity;
  }
}

function checkNimbusId(id: string): void {
  try {
    checkName('nimbus id', id);
  } catch (err) {
    throw new ConfigError('id', (err as Error).message, { cause: err });
  }
}
