/**
 * ClusterState: Squall's typed view of the coordination store (Storm's IStormClusterState).
 * Values are versioned JSON records (envelope.ts, records.ts) at the paths of paths.ts.
 *
 * Who writes what:
 * - each nimbus / supervisor registers itself (ephemeral; the store recreates it after a new
 *   session);
 * - only the leader writes topology records and assignments, always fenced on its
 *   Leadership (fencing.ts) — a stale leader's write fails with FencedError;
 * - anyone reports component errors (persistent-sequential, newest N kept).
 */
import { systemClock, type Clock } from '../common/clock.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { claimEphemeral } from './ephemeral-claim.js';
import { decodeRecord, encodeRecord, type RecordCodec } from './envelope.js';
import { BadVersionError, NodeExistsError, NoNodeError, NotEmptyError, StateFormatError } from './errors.js';
import { fencedMulti } from './fencing.js';
import { LeaderElection, reportRejectedLeadership, type Leadership } from './leader-election.js';
import { ClusterPaths } from './paths.js';
import {
  assignmentCodec, errorCodec, leaderInfoCodec, nimbusCodec, packageReplicaCodec, supervisorCodec, topologyCodec,
  type Assignment, type ErrorInfo, type LeaderInfo, type NimbusInfo, type PackageReplica, type SupervisorInfo,
  type TopologyRecord, type TopologyStatus,
} from './records.js';
import { childPath, sequenceOf, type MultiOp, type OpOptions, type StateStore, type WatchHandle } from './state-store.js';

/** A value with the store version it was read at (for compare-and-set). */
export interface Versioned<T> {
  value: T;
  version: number;
}

/** Options of ClusterState; every field is optional. */
export interface ClusterStateOptions {
  /** @default new ClusterPaths() (root "/squall") */
  paths?: ClusterPaths;
  clock?: Clock;
  logger?: Logger;
  /** Errors kept per component; Storm keeps 10. @default 10 */
  maxErrorsPerComponent?: number;
  /** How long register*() waits for a node of the same id still held by another (dying) session. @default 2 × session timeout */
  registerWaitMs?: number;
}

/** Storm keeps the newest 10 errors per component. */
export const DEFAULT_MAX_ERRORS_PER_COMPONENT = 10;
const STATUS_CAS_ATTEMPTS = 5;
const PARENT_RACE_ATTEMPTS = 3;

/**
 * Typed cluster operations over a StateStore. Create with ClusterState.create(); it does not
 * own the store (close the store yourself).
 */
export class ClusterState {
  readonly store: StateStore;
  readonly paths: ClusterPaths;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxErrors: number;
  private readonly registerWaitMs: number | undefined;

  private constructor(store: StateStore, opts: ClusterStateOptions) {
    this.store = store;
    this.paths = opts.paths ?? new ClusterPaths();
    this.clock = opts.clock ?? systemClock;
    this.logger = (opts.logger ?? silentLogger).child({ module: 'cluster-state' });
    this.maxErrors = opts.maxErrorsPerComponent ?? DEFAULT_MAX_ERRORS_PER_COMPONENT;
    this.registerWaitMs = opts.registerWaitMs;
  }

  /** Creates the persistent directories and the leader-info node if missing. */
  static async create(store: StateStore, opts: ClusterStateOptions = {}): Promise<ClusterState> {
    const cs = new ClusterState(store, opts);
    for (const dir of cs.paths.directories()) await cs.ensurePersistent(dir, new Uint8Array());
    await cs.ensurePersistent(cs.paths.leaderInfo, encodeRecord({ epoch: 0 } satisfies LeaderInfo));
    return cs;
  }

  // ---- nimbuses ----

  /** Registers (or re-registers) this nimbus; ephemeral, recreated after a new session. */
  async registerNimbus(info: NimbusInfo, opts: OpOptions = {}): Promise<void> {
    return this.claim(this.paths.nimbus(info.id), info, opts);
  }

  async unregisterNimbus(id: string, opts: OpOptions = {}): Promise<void> {
    return this.deleteIfExists(this.paths.nimbus(id), opts);
  }

  async nimbuses(opts: OpOptions = {}): Promise<NimbusInfo[]> {
    return this.readAll(this.paths.nimbuses, nimbusCodec, opts);
  }

  // ---- supervisors ----

  /** Registers (or re-registers) a supervisor; ephemeral, recreated after a new session. */
  async registerSupervisor(info: SupervisorInfo, opts: OpOptions = {}): Promise<void> {
    return this.claim(this.paths.supervisor(info.id), info, opts);
  }

  /** Replaces a registered supervisor's info (e.g. its used ports). @throws NoNodeError */
  async updateSupervisor(info: SupervisorInfo, opts: OpOptions = {}): Promise<void> {
    await this.store.set(this.paths.supervisor(info.id), encodeRecord(info), -1, opts);
  }

  async unregisterSupervisor(id: string, opts: OpOptions = {}): Promise<void> {
    return this.deleteIfExists(this.paths.supervisor(id), opts);
  }

  async supervisor(id: string, opts: OpOptions = {}): Promise<SupervisorInfo | undefined> {
    return (await this.readOne(this.paths.supervisor(id), supervisorCodec, opts))?.value;
  }

  async supervisors(opts: OpOptions = {}): Promise<SupervisorInfo[]> {
    return this.readAll(this.paths.supervisors, supervisorCodec, opts);
  }

  /** Calls `cb` with the supervisor ids whenever the membership changes (and on resync). */
  async watchSupervisors(cb: (ids: string[]) => void, opts: OpOptions = {}): Promise<WatchHandle<string[] | undefined>> {
    return this.store.watchChildren(this.paths.supervisors, (ev) => cb(ev.children ?? []), opts);
  }

  // ---- topologies (leader-only writes) ----

  /** Creates a topology record. @throws NodeExistsError, FencedError */
  async createTopology(lead: Leadership, record: TopologyRecord, opts: OpOptions = {}): Promise<void> {
    const path = this.paths.topology(record.id);
    await this.fenced(lead, [{ op: 'create', path, data: encodeRecord(record), mode: 'persistent' }], opts);
  }

  async topology(id: string, opts: OpOptions = {}): Promise<Versioned<TopologyRecord> | undefined> {
    return this.readOne(this.paths.topology(id), topologyCodec, opts);
  }

  async topologyIds(opts: OpOptions = {}): Promise<string[]> {
    return this.store.children(this.paths.topologies, opts);
  }

  /** Replaces a topology record at `expectedVersion`. @returns the new version. @throws BadVersionError, FencedError */
  async updateTopology(lead: Leadership, record: TopologyRecord, expectedVersion: number, opts: OpOptions = {}): Promise<number> {
    const path = this.paths.topology(record.id);
    const [result] = await this.fenced(lead, [{ op: 'set', path, data: encodeRecord(record), version: expectedVersion }], opts);
    return result?.op === 'set' ? result.version : expectedVersion + 1;
  }

  /**
   * Changes a topology's status (compare-and-set, retried on concurrent updates), keeping
   * the old status in prevStatus. @throws NoNodeError, FencedError
   */
  async setTopologyStatus(lead: Leadership, id: string, status: TopologyStatus, opts: OpOptions = {}): Promise<Versioned<TopologyRecord>> {
    for (let attempt = 1; ; attempt++) {
      const cur = await this.topology(id, opts);
      if (!cur) throw new NoNodeError(`topology ${id} does not exist`, { path: this.paths.topology(id), context: { topology: id } });
      const next: TopologyRecord = { ...cur.value, status, prevStatus: cur.value.status };
      try {
        return { value: next, version: await this.updateTopology(lead, next, cur.version, opts) };
      } catch (err) {
        if (!(err instanceof BadVersionError) || attempt >= STATUS_CAS_ATTEMPTS) throw err;
      }
    }
  }

  /** Deletes a topology's record and assignment (fenced), then its errors (best effort). */
  async removeTopology(lead: Leadership, id: string, opts: OpOptions = {}): Promise<void> {
    const ops: MultiOp[] = [];
    if (await this.store.exists(this.paths.topology(id), opts)) ops.push({ op: 'delete', path: this.paths.topology(id) });
    if (await this.store.exists(this.paths.assignment(id), opts)) ops.push({ op: 'delete', path: this.paths.assignment(id) });
    if (ops.length > 0) await this.fenced(lead, ops, opts);
    await this.store.delete(this.paths.topologyErrors(id), -1, { ...opts, recursive: true }).catch((err: unknown) => {
      if (!(err instanceof NoNodeError)) this.logger.warn('could not delete the errors of a removed topology', { topologyId: id, err });
    });
  }

  // ---- assignments (leader-only writes) ----

  async assignment(topologyId: string, opts: OpOptions = {}): Promise<Versioned<Assignment> | undefined> {
    return this.readOne(this.paths.assignment(topologyId), assignmentCodec, opts);
  }

  async assignmentIds(opts: OpOptions = {}): Promise<string[]> {
    return this.store.children(this.paths.assignments, opts);
  }

  /**
   * Writes an assignment. With `expectedVersion`, compare-and-set (BadVersionError if another
   * write came first; NoNodeError if absent); without, create or replace.
   * @returns the new version. @throws FencedError
   */
  async setAssignment(lead: Leadership, a: Assignment, expectedVersion?: number, opts: OpOptions = {}): Promise<number> {
    const path = this.paths.assignment(a.topologyId);
    const data = encodeRecord(a);
    if (expectedVersion === undefined && !(await this.store.exists(path, opts))) {
      try {
        await this.fenced(lead, [{ op: 'create', path, data, mode: 'persistent' }], opts);
        return 0;
      } catch (err) {
        if (!(err instanceof NodeExistsError)) throw err;
      }
    }
    const [result] = await this.fenced(lead, [{ op: 'set', path, data, version: expectedVersion ?? -1 }], opts);
    return result?.op === 'set' ? result.version : -1;
  }

  /** Calls `cb` with the assignment after every change (undefined when deleted) and on resync. */
  async watchAssignment(topologyId: string, cb: (a: Versioned<Assignment> | undefined) => void, opts: OpOptions = {}): Promise<WatchHandle<unknown>> {
    const path = this.paths.assignment(topologyId);
    return this.store.watchData(path, (ev) => {
      try {
        cb(ev.node ? { value: decodeRecord(assignmentCodec, ev.node.data, path), version: ev.node.version } : undefined);
      } catch (err) {
        this.logger.error('unreadable assignment', { path, err });
      }
    }, opts);
  }

  // ---- errors ----

  /** Records a component error, keeping only the newest `maxErrorsPerComponent`. */
  async reportError(topologyId: string, componentId: string, info: ErrorInfo, opts: OpOptions = {}): Promise<void> {
    const prefix = this.paths.errorPrefix(topologyId, componentId);
    await this.store.create(prefix, encodeRecord(info), { ...opts, mode: 'sequential', parents: true });
    const dir = this.paths.componentErrors(topologyId, componentId);
    const names = sortBySequence(await this.store.children(dir, opts));
    for (const old of names.slice(0, Math.max(0, names.length - this.maxErrors))) {
      // Concurrent reporters may trim the same node; losing that race is fine.
      await this.store.delete(childPath(dir, old), -1, opts).catch((err: unknown) => {
        if (!(err instanceof NoNodeError)) throw err;
      });
    }
  }

  /** The component's recent errors, newest first. */
  async errors(topologyId: string, componentId: string, opts: OpOptions = {}): Promise<ErrorInfo[]> {
    const dir = this.paths.componentErrors(topologyId, componentId);
    const names = await this.childrenOrEmpty(dir, opts);
    const out: ErrorInfo[] = [];
    for (const name of sortBySequence(names).reverse()) {
      const v = await this.readOne(childPath(dir, name), errorCodec, opts, true);
      if (v) out.push(v.value);
    }
    return out;
  }

  // ---- packages ----

  /** Announces that this nimbus holds a package (ephemeral). */
  async registerPackageReplica(packageId: string, replica: PackageReplica, opts: OpOptions = {}): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.claim(this.paths.packageReplica(packageId, replica.nimbusId), replica, opts);
      } catch (err) {
        // Another nimbus deleting its own replica removed the (then empty) parent between our
        // creating it and our node: create both again.
        if (!(err instanceof NoNodeError) || attempt >= PARENT_RACE_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * Withdraws this nimbus as a replica of a package it deleted, and the package's directory
   * when no replica is left in it (so ZooKeeper does not keep one node per package ever stored).
   */
  async unregisterPackageReplica(packageId: string, nimbusId: string, opts: OpOptions = {}): Promise<void> {
    await this.deleteIfExists(this.paths.packageReplica(packageId, nimbusId), opts);
    await this.store.delete(this.paths.packageReplicas(packageId), -1, opts).catch((err: unknown) => {
      if (!(err instanceof NoNodeError) && !(err instanceof NotEmptyError)) throw err;
    });
  }

  async packageReplicas(packageId: string, opts: OpOptions = {}): Promise<PackageReplica[]> {
    return this.readAll(this.paths.packageReplicas(packageId), packageReplicaCodec, opts);
  }

  // ---- leadership ----

  /** Joins the nimbus leader election; close the result to leave it. */
  async joinElection(nimbusId: string): Promise<LeaderElection> {
    return LeaderElection.join({ store: this.store, paths: this.paths, nimbusId, clock: this.clock, logger: this.logger });
  }

  /** The current leader-info record (epoch and leading candidate). */
  async leaderInfo(opts: OpOptions = {}): Promise<Versioned<LeaderInfo>> {
    const v = await this.readOne(this.paths.leaderInfo, leaderInfoCodec, opts);
    return v ?? { value: { epoch: 0 }, version: -1 };
  }

  // ---- internals ----

  private fenced(lead: Leadership, ops: MultiOp[], opts: OpOptions): ReturnType<typeof fencedMulti> {
    return fencedMulti(this.store, this.paths, lead, ops, opts, reportRejectedLeadership);
  }

  private claim(path: string, value: object, opts: OpOptions): Promise<void> {
    return claimEphemeral(this.store, path, encodeRecord(value), {
      clock: this.clock, logger: this.logger, signal: opts.signal,
      waitMs: this.registerWaitMs ?? 2 * this.store.sessionTimeoutMs,
    });
  }

  private async ensurePersistent(path: string, data: Uint8Array): Promise<void> {
    await this.store.create(path, data, { mode: 'persistent', parents: true }).catch((err: unknown) => {
      if (!(err instanceof NodeExistsError)) throw err;
    });
  }

  private async deleteIfExists(path: string, opts: OpOptions): Promise<void> {
    await this.store.delete(path, -1, opts).catch((err: unknown) => {
      if (!(err instanceof NoNodeError)) throw err;
    });
  }

  private async readOne<T>(path: string, codec: RecordCodec<T>, opts: OpOptions, lenient = false): Promise<Versioned<T> | undefined> {
    const node = await this.store.get(path, opts);
    if (!node) return undefined;
    try {
      return { value: decodeRecord(codec, node.data, path), version: node.version };
    } catch (err) {
      if (!lenient || !(err instanceof StateFormatError)) throw err;
      this.logger.warn('skipping an unreadable record', { path, err });
      return undefined;
    }
  }

  /** Every readable child record of a directory; vanished and malformed children are skipped. */
  private async readAll<T>(dir: string, codec: RecordCodec<T>, opts: OpOptions): Promise<T[]> {
    const out: T[] = [];
    for (const name of (await this.childrenOrEmpty(dir, opts)).sort()) {
      const v = await this.readOne(childPath(dir, name), codec, opts, true);
      if (v) out.push(v.value);
    }
    return out;
  }

  private async childrenOrEmpty(dir: string, opts: OpOptions): Promise<string[]> {
    try {
      return await this.store.children(dir, opts);
    } catch (err) {
      if (err instanceof NoNodeError) return [];
      throw err;
    }
  }
}

function sortBySequence(names: string[]): string[] {
  return [...names].sort((a, b) => (sequenceOf(a) ?? 0) - (sequenceOf(b) ?? 0));
}
