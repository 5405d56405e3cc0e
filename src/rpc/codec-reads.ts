/**
 * Codecs of the reads: ListTopologies, DescribeTopology, ClusterSummary. Every uint64 goes
 * through long.ts, so counters are exact or refused, never rounded.
 */
import {
  decodeJsonObject, decodeKind, decodeStatus, encodeJsonObject, encodeKind, encodeStatus, type WireU64,
} from './codec-common.js';
import type { Empty, UnaryCodec } from './codec-types.js';
import { doubleToWire, u32ToWire, u64FromWire, u64ToWire } from './long.js';
import type {
  ClusterSummary, ComponentErrorInfo, ComponentStats, NimbusSummary, SupervisorSummary, TopologyDetails,
  TopologyDetailsInput, TopologyNameRequest, TopologySummary, WorkerSummary,
} from './types.js';

/** A wire object: the typed one with uint64 fields as strings and enums as names. */
type Wire = Record<string, unknown>;

/** Reads a field of a decoded wire object with the type the .proto gives it. */
const str = (w: Wire, k: string): string => w[k] as string;
const num = (w: Wire, k: string): number => w[k] as number;
const u64 = (w: Wire, k: string, path: string): number => u64FromWire(w[k] as WireU64, `${path}.${k}`);
const list = (w: Wire, k: string): Wire[] => (w[k] as Wire[] | undefined) ?? [];

function encodeSummary(t: TopologySummary, path: string): Wire {
  return {
    id: t.id, name: t.name, status: encodeStatus(t.status, `${path}.status`),
    uptimeSecs: u64ToWire(t.uptimeSecs, `${path}.uptimeSecs`),
    numWorkers: u32ToWire(t.numWorkers, `${path}.numWorkers`),
    numExecutors: u32ToWire(t.numExecutors, `${path}.numExecutors`),
    numTasks: u32ToWire(t.numTasks, `${path}.numTasks`),
    scheduleMessage: t.scheduleMessage,
  };
}

function decodeSummary(w: Wire, path: string): TopologySummary {
  return {
    id: str(w, 'id'), name: str(w, 'name'), status: decodeStatus(w.status as string, `${path}.status`),
    uptimeSecs: u64(w, 'uptimeSecs', path), numWorkers: num(w, 'numWorkers'), numExecutors: num(w, 'numExecutors'),
    numTasks: num(w, 'numTasks'), scheduleMessage: str(w, 'scheduleMessage'),
  };
}

export const listCodec: UnaryCodec<Empty, Empty, TopologySummary[], TopologySummary[]> = {
  encodeRequest: () => ({}),
  decodeRequest: () => ({}),
  encodeResponse: (res) => ({ topologies: res.map((t, i) => encodeSummary(t, `topologies[${i}]`)) }),
  decodeResponse: (wire: Wire) => list(wire, 'topologies').map((t, i) => decodeSummary(t, `topologies[${i}]`)),
};

function encodeWorker(w: WorkerSummary, path: string): Wire {
  return {
    host: w.host, port: u32ToWire(w.port, `${path}.port`), supervisorId: w.supervisorId,
    uptimeSecs: u64ToWire(w.uptimeSecs, `${path}.uptimeSecs`),
    numExecutors: u32ToWire(w.numExecutors, `${path}.numExecutors`), numTasks: u32ToWire(w.numTasks, `${path}.numTasks`),
  };
}

function decodeWorker(w: Wire, path: string): WorkerSummary {
  return {
    host: str(w, 'host'), port: num(w, 'port'), supervisorId: str(w, 'supervisorId'), uptimeSecs: u64(w, 'uptimeSecs', path),
    numExecutors: num(w, 'numExecutors'), numTasks: num(w, 'numTasks'),
  };
}

function encodeError(e: ComponentErrorInfo, path: string): Wire {
  return {
    timeMs: u64ToWire(e.timeMs, `${path}.timeMs`), task: u32ToWire(e.task, `${path}.task`), host: e.host,
    port: u32ToWire(e.port, `${path}.port`), message: e.message,
  };
}

function decodeError(w: Wire, path: string): ComponentErrorInfo {
  return { timeMs: u64(w, 'timeMs', path), task: num(w, 'task'), host: str(w, 'host'), port: num(w, 'port'), message: str(w, 'message') };
}

/** The uint64 counters of ComponentStats, in .proto order. */
const STATS_COUNTERS = ['emitted', 'transferred', 'executed', 'acked', 'failed', 'errorsCount'] as const;

function encodeStats(c: ComponentStats, path: string): Wire {
  const out: Wire = {
    id: c.id, kind: encodeKind(c.kind, `${path}.kind`),
    numExecutors: u32ToWire(c.numExecutors, `${path}.numExecutors`), numTasks: u32ToWire(c.numTasks, `${path}.numTasks`),
    completeLatencyMs: doubleToWire(c.completeLatencyMs, `${path}.completeLatencyMs`),
    executeLatencyMs: doubleToWire(c.executeLatencyMs, `${path}.executeLatencyMs`),
    lastErrors: c.lastErrors.map((e, i) => encodeError(e, `${path}.lastErrors[${i}]`)),
  };
  for (const k of STATS_COUNTERS) out[k] = u64ToWire(c[k], `${path}.${k}`);
  return out;
}

function decodeStats(w: Wire, path: string): ComponentStats {
  return {
    id: str(w, 'id'), kind: decodeKind(w.kind as string, `${path}.kind`),
    numExecutors: num(w, 'numExecutors'), numTasks: num(w, 'numTasks'),
    emitted: u64(w, 'emitted', path), transferred: u64(w, 'transferred', path), executed: u64(w, 'executed', path),
    acked: u64(w, 'acked', path), failed: u64(w, 'failed', path),
    completeLatencyMs: num(w, 'completeLatencyMs'), executeLatencyMs: num(w, 'executeLatencyMs'),
    errorsCount: u64(w, 'errorsCount', path),
    lastErrors: list(w, 'lastErrors').map((e, i) => decodeError(e, `${path}.lastErrors[${i}]`)),
  };
}

export const describeCodec: UnaryCodec<TopologyNameRequest, TopologyNameRequest, TopologyDetails, TopologyDetailsInput> = {
  encodeRequest: (req) => ({ name: req.name }),
  decodeRequest: (wire: TopologyNameRequest) => ({ name: wire.name }),
  encodeResponse: (t) => ({
    id: t.id, name: t.name, status: encodeStatus(t.status, 'status'), uptimeSecs: u64ToWire(t.uptimeSecs, 'uptimeSecs'),
    workers: t.workers.map((w, i) => encodeWorker(w, `workers[${i}]`)),
    components: t.components.map((c, i) => encodeStats(c, `components[${i}]`)),
    configJson: encodeJsonObject(t.config, 'config'),
    scheduleMessage: t.scheduleMessage ?? '',
  }),
  decodeResponse: (w: Wire) => ({
    id: str(w, 'id'), name: str(w, 'name'), status: decodeStatus(w.status as string, 'status'),
    uptimeSecs: u64(w, 'uptimeSecs', 'topology'),
    workers: list(w, 'workers').map((x, i) => decodeWorker(x, `workers[${i}]`)),
    components: list(w, 'components').map((x, i) => decodeStats(x, `components[${i}]`)),
    config: decodeJsonObject(str(w, 'configJson'), 'configJson'),
    scheduleMessage: str(w, 'scheduleMessage'),
  }),
};

function encodeNimbus(n: NimbusSummary, path: string): Wire {
  return {
    host: n.host, port: u32ToWire(n.port, `${path}.port`), isLeader: n.isLeader,
    uptimeSecs: u64ToWire(n.uptimeSecs, `${path}.uptimeSecs`), version: n.version,
  };
}

function decodeNimbus(w: Wire, path: string): NimbusSummary {
  return { host: str(w, 'host'), port: num(w, 'port'), isLeader: w.isLeader as boolean, uptimeSecs: u64(w, 'uptimeSecs', path), version: str(w, 'version') };
}

function encodeSupervisor(s: SupervisorSummary, path: string): Wire {
  return {
    id: s.id, host: s.host, slotsTotal: u32ToWire(s.slotsTotal, `${path}.slotsTotal`),
    slotsUsed: u32ToWire(s.slotsUsed, `${path}.slotsUsed`), slotsFree: u32ToWire(s.slotsFree, `${path}.slotsFree`),
    uptimeSecs: u64ToWire(s.uptimeSecs, `${path}.uptimeSecs`),
  };
}

function decodeSupervisor(w: Wire, path: string): SupervisorSummary {
  return {
    id: str(w, 'id'), host: str(w, 'host'), slotsTotal: num(w, 'slotsTotal'), slotsUsed: num(w, 'slotsUsed'),
    slotsFree: num(w, 'slotsFree'), uptimeSecs: u64(w, 'uptimeSecs', path),
  };
}

export const clusterSummaryCodec: UnaryCodec<Empty, Empty, ClusterSummary, ClusterSummary> = {
  encodeRequest: () => ({}),
  decodeRequest: () => ({}),
  encodeResponse: (c) => ({
    nimbuses: c.nimbuses.map((n, i) => encodeNimbus(n, `nimbuses[${i}]`)),
    supervisors: c.supervisors.map((s, i) => encodeSupervisor(s, `supervisors[${i}]`)),
  }),
  decodeResponse: (w: Wire) => ({
    nimbuses: list(w, 'nimbuses').map((n, i) => decodeNimbus(n, `nimbuses[${i}]`)),
    supervisors: list(w, 'supervisors').map((s, i) => decodeSupervisor(s, `supervisors[${i}]`)),
  }),
};
