/**
 * Cluster coordination: the raw StateStore (ZooKeeper or in-memory), the typed ClusterState
 * over it, leader election with fencing, and every znode path.
 *
 * @example
 * ```ts
 * await using store = await ZooKeeperStateStore.connect({ servers: ['127.0.0.1:2181'], chroot: '/prod' });
 * const cluster = await ClusterState.create(store);
 * const election = await cluster.joinElection('nimbus-a');
 * election.onLeadership((lead) => { if (lead) void cluster.setAssignment(lead, assignment); });
 * ```
 */
export { ClusterState, DEFAULT_MAX_ERRORS_PER_COMPONENT } from './cluster-state.js';
export { LeaderElection } from './leader-election.js';
export { fencedMulti, fenceOps } from './fencing.js';
export { ClusterPaths, DEFAULT_ROOT, checkName } from './paths.js';
export { InMemoryStateStore } from './memory-store.js';
export { InMemoryZooKeeper } from './memory-tree.js';
export { ZooKeeperStateStore } from './zk-store.js';
export { compileZooKeeperStateStoreOptions } from './zk-options.js';
export { encodeRecord, decodeRecord, RECORD_VERSION } from './envelope.js';
export { TOPOLOGY_STATUSES } from './records.js';
export { validatePath, utf8 } from './state-store.js';
export {
  CoordinationError, NoNodeError, NodeExistsError, BadVersionError, NotEmptyError, NoChildrenForEphemeralsError,
  ConnectionLossError, SessionExpiredError, OperationTimeoutError, StateAccessError, StateServerError,
  StoreClosedError, InvalidPathError, StateFormatError, FencedError,
} from './errors.js';

export type { ClusterStateOptions, Versioned } from './cluster-state.js';
export type { Leadership, LeaderElectionOptions, ElectionStats } from './leader-election.js';
export type { InMemoryStateStoreOptions } from './memory-store.js';
export type { ExpireOptions } from './memory-tree.js';
export type { ZkClientStats } from './zk-store.js';
export type { ZooKeeperStateStoreOptions, CompiledZooKeeperStateStoreOptions } from './zk-options.js';
export type {
  NimbusInfo, SupervisorInfo, TopologyRecord, TopologyStatus, Assignment, ExecutorAssignment, ErrorInfo,
  LeaderInfo, PackageReplica,
} from './records.js';
export type {
  StateStore, StoreState, CreateMode, CreateOptions, DeleteOptions, OpOptions, NodeStat, NodeData, MultiOp,
  MultiResult, WatchEventType, DataWatchEvent, ChildrenWatchEvent, WatchHandle, SessionEvent, SessionEventType,
} from './state-store.js';
