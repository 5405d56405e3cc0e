/**
 * The records ClusterState stores, Storm's structs (STORM-REFERENCE §1.2) in Squall's shape,
 * with their codecs. All times are epoch milliseconds (`…Ms`).
 */
import type { RecordCodec, RecordReader } from './envelope.js';

/** A nimbus daemon (Storm's NimbusSummary), ephemeral under nimbuses/. */
export interface NimbusInfo {
  id: string;
  host: string;
  /** gRPC port of the nimbus API. */
  port: number;
  version: string;
  startedAtMs: number;
}

/** A supervisor (Storm's SupervisorInfo), ephemeral under supervisors/. */
export interface SupervisorInfo {
  id: string;
  host: string;
  /** Every worker slot (port) this supervisor offers. */
  ports: number[];
  /** Ports currently running a worker. */
  usedPorts: number[];
  /** Advertised "host:port" of the supervisor's own RPC endpoint. */
  address: string;
  version: string;
  startedAtMs: number;
}

/** Storm's topology statuses. */
export const TOPOLOGY_STATUSES = ['ACTIVE', 'INACTIVE', 'REBALANCING', 'KILLED'] as const;
/** One of TOPOLOGY_STATUSES. */
export type TopologyStatus = (typeof TOPOLOGY_STATUSES)[number];

/** A submitted topology (Storm's StormBase), persistent under topologies/. */
export interface TopologyRecord {
  id: string;
  name: string;
  status: TopologyStatus;
  /** Status before the current one (for KILLED/REBALANCING transitions). */
  prevStatus?: TopologyStatus;
  numWorkers: number;
  /** Executors per component id. */
  componentExecutors: Record<string, number>;
  launchTimeMs: number;
  owner?: string;
  /** The uploaded package (tar.gz of the topology directory) workers run from. */
  packageId: string;
  /** The topology file inside the package (native YAML/JSON or Flux), relative to its root. */
  topologyFile: string;
  /** Config overrides given at submit (`-c key=value`), applied over the file's config. */
  configOverrides: Record<string, unknown>;
  /** Pending kill/rebalance: when the wait ends (so a new leader can resume it). */
  statusDeadlineMs?: number;
}

/** One executor (a task range) placed on one slot. */
export interface ExecutorAssignment {
  startTask: number;
  endTask: number;
  supervisorId: string;
  port: number;
}

/** Where a topology's executors run (Storm's Assignment), persistent under assignments/. */
export interface Assignment {
  topologyId: string;
  /** supervisor id → host. */
  nodeHost: Record<string, string>;
  executors: ExecutorAssignment[];
  assignedAtMs: number;
}

/** One reported component error (Storm's ErrorInfo). */
export interface ErrorInfo {
  message: string;
  timeMs: number;
  host?: string;
  port?: number;
  taskId?: number;
}

/** The fencing node's value: which candidate leads, in which epoch. */
export interface LeaderInfo {
  /** 0 before anyone ever led; +1 on every takeover. */
  epoch: number;
  nimbusId?: string;
  /** Full path of the leading candidate's election node. */
  candidate?: string;
  sinceMs?: number;
}

/** A nimbus holding a topology package, ephemeral under packages/<package-id>/. */
export interface PackageReplica {
  nimbusId: string;
  /** Content digest of the package this nimbus holds. */
  digest: string;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Codec of NimbusInfo. */
export const nimbusCodec: RecordCodec<NimbusInfo> = {
  kind: 'nimbus info',
  read: (r) => ({ id: r.str('id'), host: r.str('host'), port: r.int('port'), version: r.str('version'), startedAtMs: r.int('startedAtMs') }),
};

/** Codec of SupervisorInfo. */
export const supervisorCodec: RecordCodec<SupervisorInfo> = {
  kind: 'supervisor info',
  read: (r) => ({
    id: r.str('id'), host: r.str('host'), ports: r.intArray('ports'), usedPorts: r.intArray('usedPorts'),
    address: r.str('address'), version: r.str('version'), startedAtMs: r.int('startedAtMs'),
  }),
};

/** Codec of TopologyRecord. */
export const topologyCodec: RecordCodec<TopologyRecord> = {
  kind: 'topology record',
  read: (r) => withOptional({
    id: r.str('id'), name: r.str('name'), status: r.oneOf('status', TOPOLOGY_STATUSES),
    numWorkers: r.int('numWorkers'), componentExecutors: r.map('componentExecutors', isCount, 'executor counts'),
    launchTimeMs: r.int('launchTimeMs'), packageId: r.str('packageId'), topologyFile: r.str('topologyFile'),
    configOverrides: r.map('configOverrides', (v): v is unknown => v !== undefined, 'config values'),
  }, {
    prevStatus: r.optStr('prevStatus') === undefined ? undefined : r.oneOf('prevStatus', TOPOLOGY_STATUSES),
    owner: r.optStr('owner'), statusDeadlineMs: r.optInt('statusDeadlineMs'),
  }),
};

const readExecutor = (r: RecordReader): ExecutorAssignment => ({
  startTask: r.int('startTask'), endTask: r.int('endTask'), supervisorId: r.str('supervisorId'), port: r.int('port'),
});

/** Codec of Assignment. */
export const assignmentCodec: RecordCodec<Assignment> = {
  kind: 'assignment',
  read: (r) => ({
    topologyId: r.str('topologyId'), nodeHost: r.map('nodeHost', isString, 'host names'),
    executors: r.records('executors', readExecutor), assignedAtMs: r.int('assignedAtMs'),
  }),
};

/** Codec of ErrorInfo. */
export const errorCodec: RecordCodec<ErrorInfo> = {
  kind: 'error info',
  read: (r) => withOptional({ message: r.str('message'), timeMs: r.int('timeMs') }, {
    host: r.optStr('host'), port: r.optInt('port'), taskId: r.optInt('taskId'),
  }),
};

/** Codec of LeaderInfo. */
export const leaderInfoCodec: RecordCodec<LeaderInfo> = {
  kind: 'leader info',
  read: (r) => withOptional({ epoch: r.int('epoch') }, {
    nimbusId: r.optStr('nimbusId'), candidate: r.optStr('candidate'), sinceMs: r.optInt('sinceMs'),
  }),
};

/** Codec of PackageReplica. */
export const packageReplicaCodec: RecordCodec<PackageReplica> = {
  kind: 'package replica',
  read: (r) => ({ nimbusId: r.str('nimbusId'), digest: r.str('digest') }),
};

/** Adds the optional fields that are present (keeps records free of `undefined` keys). */
function withOptional<T extends object, O extends object>(base: T, optional: O): T & Partial<O> {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) out[k] = v;
  return out as T & Partial<O>;
}
