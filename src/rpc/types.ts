/**
 * The typed face of the cluster API (proto/squall/v1/cluster.proto): what handlers receive and
 * return, and what NimbusClient's methods take and give. Numbers are exact integers up to
 * 2^53 − 1 (long.ts); times are epoch milliseconds; enums are short names.
 *
 * This module deliberately imports nothing from src/nimbus (roles depend on rpc, not the other
 * way round); the shapes match nimbus's own types structurally, e.g. {@link TopologyStatusName}
 * is nimbus's `TopologyStatus` and {@link ExecutorRange} its `ExecutorRange`.
 */

/** The RPCs of the Nimbus service, by their .proto names. */
export const RPC_NAMES = [
  'UploadPackage', 'DownloadPackage', 'SubmitTopology', 'KillTopology', 'ActivateTopology',
  'DeactivateTopology', 'RebalanceTopology', 'ListTopologies', 'DescribeTopology', 'ClusterSummary',
  'SupervisorHeartbeat',
] as const;

export type RpcName = (typeof RPC_NAMES)[number];

/** A topology's lifecycle status (nimbus/topology-status.ts `TopologyStatus`). */
export type TopologyStatusName = 'ACTIVE' | 'INACTIVE' | 'KILLED' | 'REBALANCING';

export type ComponentKindName = 'spout' | 'bolt';

/** Makes the listed keys optional: the client's input types, whose gaps take the wire defaults. */
export type WithOptional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

// ------------------------------------------------------------------ packages

export interface PackageMetadata {
  /** The topology name the package is for. */
  name: string;
  /** Exact size in bytes. */
  size: number;
  /** SHA-256 of the bytes, 64 lowercase hex digits. */
  sha256: string;
}

/** An upload as a handler sees it. */
export interface PackageUpload {
  metadata: PackageMetadata;
  /**
   * The bytes, in order. The iteration throws (before ending) when the stream carries more or
   * fewer bytes than `metadata.size` or a different sha256, so a handler that stores what it
   * reads and commits only after the loop never commits a corrupt package.
   */
  chunks: AsyncIterable<Uint8Array>;
}

export interface UploadPackageResult {
  packageId: string;
}

export interface DownloadPackageRequest {
  packageId: string;
}

/** A download: the metadata, then the bytes (a handler returns one; the client gives one). */
export interface PackageDownload {
  metadata: PackageMetadata;
  /** On the client, iteration throws when size or sha256 do not match the metadata. */
  chunks: AsyncIterable<Uint8Array>;
}

// ------------------------------------------------------------------ topology actions

export interface SubmitTopologyRequest {
  name: string;
  packageId: string;
  /** The definition's path inside the package, e.g. `topology.yaml`. */
  topologyFile: string;
  /** Config keys over the definition's config; values are any JSON value. */
  configOverrides: Record<string, unknown>;
  /** Submit with status INACTIVE. */
  startInactive: boolean;
}

export type SubmitTopologyInput = WithOptional<SubmitTopologyRequest, 'configOverrides' | 'startInactive'>;

export interface SubmitTopologyResult {
  topologyId: string;
}

export interface KillTopologyRequest {
  name: string;
  /** Absent: the topology's `topology.message.timeout.secs`. */
  waitSecs?: number;
  /** Answer only once the topology has been removed. */
  waitForRemoval: boolean;
}

export type KillTopologyInput = WithOptional<KillTopologyRequest, 'waitForRemoval'>;

export interface KillTopologyResult {
  topologyId: string;
  status: TopologyStatusName;
  /** True when the topology was already removed (wait for removal). */
  removed: boolean;
}

/** Activate and deactivate name only the topology. */
export interface TopologyNameRequest {
  name: string;
}

/** What activate, deactivate and rebalance answer: the topology and its status after the call. */
export interface TopologyActionResult {
  topologyId: string;
  status: TopologyStatusName;
}

export interface RebalanceTopologyRequest {
  name: string;
  /** Absent: the topology's `topology.message.timeout.secs`. */
  waitSecs?: number;
  /** Absent: unchanged. */
  numWorkers?: number;
  /** Component id → executor count; components not listed keep theirs. */
  executors: Record<string, number>;
}

export type RebalanceTopologyInput = WithOptional<RebalanceTopologyRequest, 'executors'>;

// ------------------------------------------------------------------ reads

export interface TopologySummary {
  id: string;
  name: string;
  status: TopologyStatusName;
  uptimeSecs: number;
  numWorkers: number;
  numExecutors: number;
  numTasks: number;
  /** The scheduler's one-line verdict; may be empty. */
  scheduleMessage: string;
}

export interface WorkerSummary {
  host: string;
  port: number;
  supervisorId: string;
  uptimeSecs: number;
  numExecutors: number;
  numTasks: number;
}

export interface ComponentErrorInfo {
  /** Epoch milliseconds. */
  timeMs: number;
  task: number;
  host: string;
  port: number;
  message: string;
}

export interface ComponentStats {
  id: string;
  kind: ComponentKindName;
  numExecutors: number;
  numTasks: number;
  emitted: number;
  transferred: number;
  executed: number;
  acked: number;
  failed: number;
  /** Spouts: mean ms from emit to ack. */
  completeLatencyMs: number;
  /** Bolts: mean ms inside execute. */
  executeLatencyMs: number;
  errorsCount: number;
  /** Newest first. */
  lastErrors: ComponentErrorInfo[];
}

export interface TopologyDetails {
  id: string;
  name: string;
  status: TopologyStatusName;
  uptimeSecs: number;
  workers: WorkerSummary[];
  components: ComponentStats[];
  /** The effective topology config. */
  config: Record<string, unknown>;
  scheduleMessage: string;
}

export type TopologyDetailsInput = WithOptional<TopologyDetails, 'config' | 'scheduleMessage'>;

export interface NimbusSummary {
  host: string;
  port: number;
  isLeader: boolean;
  uptimeSecs: number;
  version: string;
}

export interface SupervisorSummary {
  id: string;
  host: string;
  slotsTotal: number;
  slotsUsed: number;
  slotsFree: number;
  uptimeSecs: number;
}

export interface ClusterSummary {
  nimbuses: NimbusSummary[];
  supervisors: SupervisorSummary[];
}

// ------------------------------------------------------------------ supervisor → leader

/** An executor's task ids `[first, last]` (nimbus/assignments.ts `ExecutorRange`). */
export type ExecutorRange = readonly [first: number, last: number];

/** Cumulative counters of one component in one worker. */
export interface ComponentCounters {
  componentId: string;
  emitted: number;
  transferred: number;
  executed: number;
  acked: number;
  failed: number;
  /** Spouts: sum of complete latencies (ms) over acked trees. */
  completeLatencyMsSum: number;
  /** Bolts: sum of execute times (ms). */
  executeLatencyMsSum: number;
  errors: number;
}

export interface WorkerReport {
  topologyId: string;
  port: number;
  executors: ExecutorRange[];
  uptimeSecs: number;
  components: ComponentCounters[];
}

export interface SupervisorHeartbeat {
  supervisorId: string;
  host: string;
  uptimeSecs: number;
  workers: WorkerReport[];
}

export interface HeartbeatAck {
  ack: boolean;
  /** The leader's host:port. */
  leaderAddress: string;
}

// ------------------------------------------------------------------ handlers

/** What a handler knows about the call it serves. */
export interface CallContext {
  readonly rpc: RpcName;
  /** The client's address as gRPC reports it (`ipv4:127.0.0.1:53211`). */
  readonly peer: string;
  /** Epoch ms by which the client wants the answer; Infinity when it set no deadline. */
  readonly deadlineMs: number;
  /** Aborted when the client cancels, the deadline passes or the server is force-closed. */
  readonly signal: AbortSignal;
}

/**
 * The Nimbus service's implementation: one async function per RPC. Throw a SquallError to
 * answer with a gRPC status (errors.ts has the table); throw `NotLeaderError` from a
 * non-leader so clients follow it to the leader.
 */
export interface NimbusHandlers {
  uploadPackage(upload: PackageUpload, ctx: CallContext): Promise<UploadPackageResult>;
  downloadPackage(request: DownloadPackageRequest, ctx: CallContext): Promise<PackageDownload>;
  submitTopology(request: SubmitTopologyRequest, ctx: CallContext): Promise<SubmitTopologyResult>;
  killTopology(request: KillTopologyRequest, ctx: CallContext): Promise<KillTopologyResult>;
  activateTopology(request: TopologyNameRequest, ctx: CallContext): Promise<TopologyActionResult>;
  deactivateTopology(request: TopologyNameRequest, ctx: CallContext): Promise<TopologyActionResult>;
  rebalanceTopology(request: RebalanceTopologyRequest, ctx: CallContext): Promise<TopologyActionResult>;
  listTopologies(ctx: CallContext): Promise<TopologySummary[]>;
  describeTopology(request: TopologyNameRequest, ctx: CallContext): Promise<TopologyDetailsInput>;
  clusterSummary(ctx: CallContext): Promise<ClusterSummary>;
  supervisorHeartbeat(heartbeat: SupervisorHeartbeat, ctx: CallContext): Promise<HeartbeatAck>;
}

/** The handler key of each RPC (`KillTopology` → `killTopology`). */
export function handlerKey(rpc: RpcName): keyof NimbusHandlers {
  return (rpc[0]!.toLowerCase() + rpc.slice(1)) as keyof NimbusHandlers;
}
