/**
 * Deletes the packages a nimbus no longer needs (Storm's inbox cleanup and blob deletion on
 * topology removal), with the rules of package-retention.ts. Every nimbus runs it on its own
 * store: the leader right after it removes a topology, every nimbus on the monitor tick (so a
 * follower drops its copies of topologies that are gone), and every
 * `nimbus.cleanup.inbox.freq.secs` a pass that also expires uploads no submit used.
 *
 * The inbox lives in memory: uploads are taken by the leader only and submitted to it right
 * after. Packages found on disk at start ({@link PackageCleanup.foundAtStart}) that no topology
 * uses at the first pass may be uploads waiting for their submit across a restart, so they
 * enter the inbox dated by their file time (never later than now: a test's fake clock may run
 * behind the file system's) — unless this nimbus has seen them uploaded or submitted since.
 *
 * Races, and why they are safe:
 * - a submit consumes its upload only after its record is written, and a pass reads the inbox
 *   before the records, so a package is always covered by one or the other in the pass's view;
 * - an upload or copy that lands while a pass runs is newer than the pass's store mark, and an
 *   upload records its inbox entry under the store's lock before the rename: neither is deleted.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { ClusterState } from '../coordination/cluster-state.js';
import type { TopologyRecord } from '../coordination/records.js';
import { readRecords } from './cluster-view.js';
import { planPackageRemoval, recordSubmit, recordUpload, type InboxEntry } from './package-retention.js';
import type { PackageStore, StoredPackageFile } from './package-store.js';

/** What the cleanup needs. */
export interface PackageCleanupDeps {
  cluster: ClusterState;
  packages: PackageStore;
  nimbusId: string;
  clock: Clock;
  logger: Logger;
  /** nimbus.inbox.jar.expiration.secs in ms. */
  inboxExpirationMs: number;
  /** Aborts a pass in progress (nimbus shutdown). */
  signal: AbortSignal;
}

/** One nimbus's package cleanup. */
export class PackageCleanup {
  private inbox: ReadonlyMap<string, InboxEntry> = new Map();
  /** Packages found at start whose fate this nimbus has not seen yet; adopted by the first pass. */
  private found: Map<string, number> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private queuedExpire = false;

  constructor(private readonly deps: PackageCleanupDeps) {}

  /** An upload arrived (called under the store's lock, before the package is in place). */
  uploaded(packageId: string): void {
    this.found?.delete(packageId);
    this.inbox = recordUpload(this.inbox, packageId, this.deps.clock.now());
  }

  /** A submit of `packageId` has been recorded: its topology keeps the package from now on. */
  submitted(packageId: string): void {
    this.found?.delete(packageId);
    this.inbox = recordSubmit(this.inbox, packageId);
  }

  /** The packages on disk when the nimbus started (call before it takes uploads). */
  foundAtStart(files: readonly StoredPackageFile[]): void {
    this.found = new Map(files.map((f) => [f.packageId, f.mtimeMs]));
  }

  /** Package ids in the inbox (for tests and diagnostics). */
  inboxIds(): string[] {
    return [...this.inbox.keys()].sort();
  }

  /**
   * Runs a pass after the one in progress; requests made meanwhile share it. Never rejects: a
   * failed pass (ZooKeeper away) deletes nothing and the next one tries again.
   */
  run(opts: { expireInbox?: boolean } = {}): Promise<void> {
    if (opts.expireInbox === true) this.queuedExpire = true;
    this.queued ??= this.chain.then(async () => {
      this.queued = undefined;
      const expire = this.queuedExpire;
      this.queuedExpire = false;
      await this.pass(expire).catch((err: unknown) => {
        if (!this.deps.signal.aborted) this.deps.logger.warn('package cleanup failed; retrying on the next pass', { err });
      });
    });
    this.chain = this.queued;
    return this.queued;
  }

  /** Resolves when the pass in progress (and any queued) has finished. */
  idle(): Promise<void> {
    return this.chain;
  }

  private async pass(expireInbox: boolean): Promise<void> {
    const { packages, cluster, signal } = this.deps;
    const since = packages.mark();
    // Read before the records: see the races in the module comment.
    let inbox = this.inbox;
    const records = (await readRecords(cluster, { signal })).map((r) => r.value);
    const stored = await packages.list();
    signal.throwIfAborted();
    const nowMs = this.deps.clock.now();
    if (this.found) inbox = this.adopt(this.found, records, nowMs, inbox);
    const plan = planPackageRemoval({
      stored: stored.map((f) => f.packageId), topologies: records, inbox, nowMs,
      inboxExpirationMs: this.deps.inboxExpirationMs, expireInbox,
    });
    for (const id of plan.expire) this.dropIfUnchanged(id, inbox.get(id));
    const expired = new Set(plan.expire);
    for (const id of plan.remove) {
      signal.throwIfAborted();
      if (!(await packages.removeUnless(id, since, () => this.inbox.has(id)))) continue;
      this.deps.logger.info('package deleted', {
        packageId: id, reason: expired.has(id) ? 'uploaded but not submitted within nimbus.inbox.jar.expiration.secs' : 'no recorded topology uses it',
      });
      await cluster.unregisterPackageReplica(id, this.deps.nimbusId, { signal }).catch((err: unknown) => {
        this.deps.logger.warn('could not withdraw this nimbus as a replica of a deleted package', { packageId: id, err });
      });
    }
  }

  /** First pass: packages found at start that no topology uses join the inbox, dated by their file. */
  private adopt(found: ReadonlyMap<string, number>, records: readonly TopologyRecord[], nowMs: number, view: ReadonlyMap<string, InboxEntry>): ReadonlyMap<string, InboxEntry> {
    this.found = undefined;
    const referenced = new Set(records.map((r) => r.packageId));
    const live = new Map(this.inbox);
    const merged = new Map(view);
    for (const [packageId, mtimeMs] of found) {
      if (referenced.has(packageId) || live.has(packageId)) continue;
      const entry = { uploadedAtMs: Math.min(nowMs, mtimeMs), pending: 1 };
      live.set(packageId, entry);
      merged.set(packageId, entry);
    }
    this.inbox = live;
    return merged;
  }

  /** Drops an expired entry unless an upload replaced it since the pass read it. */
  private dropIfUnchanged(packageId: string, seen: InboxEntry | undefined): void {
    if (seen === undefined || this.inbox.get(packageId) !== seen) return;
    const next = new Map(this.inbox);
    next.delete(packageId);
    this.inbox = next;
  }
}
