/**
 * What the RPC handlers see of a running nimbus: its stores and caches, and the way to the
 * leader's machinery. Handlers are written against this interface, not the Nimbus class, so
 * each lives in a small module of its own (handlers/).
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { ClusterState } from '../coordination/cluster-state.js';
import { formatAddress } from '../rpc/address.js';
import type { HeartbeatCache } from './heartbeats.js';
import type { LeaderRuntime } from './leader.js';
import type { CompiledNimbusOptions } from './options.js';
import type { PackageCleanup } from './package-cleanup.js';
import type { PackageStore } from './package-store.js';
import type { PackageSync } from './package-sync.js';
import type { TopologyCatalog } from './topology-catalog.js';

/** The nimbus as handlers use it. */
export interface NimbusCore {
  readonly id: string;
  /** Advertised `host:port` of this nimbus's API. */
  readonly address: string;
  readonly options: Readonly<CompiledNimbusOptions>;
  readonly cluster: ClusterState;
  readonly packages: PackageStore;
  readonly packageSync: PackageSync;
  /** Deletes packages nothing needs; uploads and submits keep its inbox current. */
  readonly packageCleanup: PackageCleanup;
  readonly catalog: TopologyCatalog;
  readonly heartbeats: HeartbeatCache;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * The leader's machinery, for calls only the leader serves.
   * @throws {NotLeaderError} naming the leader's address when another nimbus leads
   */
  leader(): Promise<LeaderRuntime>;
  /** The leader's machinery when this nimbus leads now (no I/O). */
  currentLeader(): LeaderRuntime | undefined;
  /** Next number for a topology id of this name (Storm's submission counter). */
  nextSubmission(name: string): number;
}

/**
 * The leader's advertised address, from leader-info (which candidate leads) and the live
 * nimbus registrations; undefined during an election or when the leader's node is gone.
 */
export async function readLeaderAddress(cluster: ClusterState, signal?: AbortSignal): Promise<string | undefined> {
  const info = (await cluster.leaderInfo({ signal })).value;
  if (info.nimbusId === undefined) return undefined;
  const leader = (await cluster.nimbuses({ signal })).find((n) => n.id === info.nimbusId);
  return leader ? formatAddress(leader.host, leader.port) : undefined;
}
