/**
 * Package replication between nimbuses (Storm's blobstore sync, STORM-REFERENCE §1.3): every
 * nimbus copies the packages of recorded topologies it lacks from a nimbus registered as a
 * replica (ZooKeeper `packages/<package id>/<nimbus id>`), using the public DownloadPackage
 * call, verified by sha256. So after a failover the new leader can still load every topology's
 * plan and serve its package to supervisors.
 *
 * Runs before a nimbus joins the election (bounded), and on every monitor tick. Copies of
 * topologies that are gone are deleted by package-cleanup.ts.
 */
import type { Logger } from '../common/logger.js';
import type { ClusterState } from '../coordination/cluster-state.js';
import { formatAddress } from '../rpc/address.js';
import { NimbusClient } from '../rpc/client.js';
import { readRecords } from './cluster-view.js';
import type { PackageStore } from './package-store.js';

/** What a sync needs. */
export interface PackageSyncDeps {
  cluster: ClusterState;
  packages: PackageStore;
  nimbusId: string;
  logger: Logger;
}

/** What one sync did. */
export interface SyncResult {
  /** Packages copied. */
  fetched: number;
  /** Package ids of recorded topologies still not here (no replica reachable). */
  missing: string[];
}

/** Single-flight sync of missing packages. */
export class PackageSync {
  private running: Promise<SyncResult> | undefined;

  constructor(private readonly deps: PackageSyncDeps) {}

  /** Copies what is missing; resolves with what it copied and what is still missing. Never rejects. */
  run(signal?: AbortSignal): Promise<SyncResult> {
    this.running ??= this.syncAll(signal)
      .catch((err: unknown): SyncResult => {
        this.deps.logger.warn('package sync failed; retrying on the next tick', { err });
        return { fetched: 0, missing: [] };
      })
      .finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Announces every package this nimbus holds (after a restart its replica nodes are gone). */
  async announceLocal(packageIds: Iterable<string>): Promise<void> {
    for (const id of packageIds) await this.announce(id);
  }

  /** Registers this nimbus as a replica of one package. */
  async announce(packageId: string): Promise<void> {
    await this.deps.cluster.registerPackageReplica(packageId, { nimbusId: this.deps.nimbusId, digest: packageId });
  }

  private async syncAll(signal: AbortSignal | undefined): Promise<SyncResult> {
    const wanted = new Set((await readRecords(this.deps.cluster, { signal })).map((r) => r.value.packageId));
    const result: SyncResult = { fetched: 0, missing: [] };
    for (const id of wanted) {
      if (await this.deps.packages.has(id)) continue;
      if (await this.fetch(id, signal)) result.fetched++;
      else result.missing.push(id);
    }
    return result;
  }

  /** Copies one package from the first replica that serves it. */
  private async fetch(packageId: string, signal: AbortSignal | undefined): Promise<boolean> {
    const nimbuses = new Map((await this.deps.cluster.nimbuses({ signal })).map((n) => [n.id, formatAddress(n.host, n.port)]));
    for (const replica of await this.deps.cluster.packageReplicas(packageId, { signal })) {
      const address = nimbuses.get(replica.nimbusId);
      if (replica.nimbusId === this.deps.nimbusId || address === undefined) continue;
      try {
        await using client = await NimbusClient.connect(address, { maxRedirects: 0 });
        const download = await client.downloadPackage(packageId, signal ? { signal } : {});
        await this.deps.packages.receive(download.chunks, { signal, expectedId: packageId });
        await this.announce(packageId);
        this.deps.logger.info('copied a package from another nimbus', { packageId, from: replica.nimbusId });
        return true;
      } catch (err) {
        this.deps.logger.warn('could not copy a package from a replica', { packageId, from: replica.nimbusId, err });
      }
    }
    return false;
  }
}
