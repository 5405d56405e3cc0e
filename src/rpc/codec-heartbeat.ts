/**
 * Codec of SupervisorHeartbeat: a supervisor's workers with their executors and cumulative
 * per-component counters (uint64, exact up to 2^53 − 1).
 */
import { UsageError } from '../common/errors.js';
import type { WireU64 } from './codec-common.js';
import type { UnaryCodec } from './codec-types.js';
import { doubleToWire, u32ToWire, u64FromWire, u64ToWire, WireValueError } from './long.js';
import type { ComponentCounters, ExecutorRange, HeartbeatAck, SupervisorHeartbeat, WorkerReport } from './types.js';

type Wire = Record<string, unknown>;

/** The uint64 counters of ComponentCounters, in .proto order. */
const COUNTERS = ['emitted', 'transferred', 'executed', 'acked', 'failed', 'errors'] as const;
/** The double sums of ComponentCounters. */
const SUMS = ['completeLatencyMsSum', 'executeLatencyMsSum'] as const;

function encodeCounters(c: ComponentCounters, path: string): Wire {
  const out: Wire = { componentId: c.componentId };
  for (const k of COUNTERS) out[k] = u64ToWire(c[k], `${path}.${k}`);
  for (const k of SUMS) out[k] = doubleToWire(c[k], `${path}.${k}`);
  return out;
}

function decodeCounters(w: Wire, path: string): ComponentCounters {
  const out = { componentId: w.componentId as string } as ComponentCounters;
  for (const k of COUNTERS) out[k] = u64FromWire(w[k] as WireU64, `${path}.${k}`);
  for (const k of SUMS) out[k] = w[k] as number;
  return out;
}

function encodeExecutor([first, last]: ExecutorRange, path: string): Wire {
  if (last < first) throw new UsageError(`${path}: last task ${last} is before first task ${first}`);
  return { firstTask: u32ToWire(first, `${path}[0]`), lastTask: u32ToWire(last, `${path}[1]`) };
}

function decodeExecutor(w: Wire, path: string): ExecutorRange {
  const first = w.firstTask as number;
  const last = w.lastTask as number;
  if (last < first) throw new WireValueError(path, `last task ${last} is before first task ${first}`);
  return [first, last];
}

function encodeWorker(w: WorkerReport, path: string): Wire {
  return {
    topologyId: w.topologyId,
    port: u32ToWire(w.port, `${path}.port`),
    executors: w.executors.map((e, i) => encodeExecutor(e, `${path}.executors[${i}]`)),
    uptimeSecs: u64ToWire(w.uptimeSecs, `${path}.uptimeSecs`),
    components: w.components.map((c, i) => encodeCounters(c, `${path}.components[${i}]`)),
  };
}

function decodeWorker(w: Wire, path: string): WorkerReport {
  return {
    topologyId: w.topologyId as string,
    port: w.port as number,
    executors: ((w.executors as Wire[] | undefined) ?? []).map((e, i) => decodeExecutor(e, `${path}.executors[${i}]`)),
    uptimeSecs: u64FromWire(w.uptimeSecs as WireU64, `${path}.uptimeSecs`),
    components: ((w.components as Wire[] | undefined) ?? []).map((c, i) => decodeCounters(c, `${path}.components[${i}]`)),
  };
}

export const heartbeatCodec: UnaryCodec<SupervisorHeartbeat, SupervisorHeartbeat, HeartbeatAck, HeartbeatAck> = {
  encodeRequest: (hb) => ({
    supervisorId: hb.supervisorId,
    host: hb.host,
    uptimeSecs: u64ToWire(hb.uptimeSecs, 'uptimeSecs'),
    workers: hb.workers.map((w, i) => encodeWorker(w, `workers[${i}]`)),
  }),
  decodeRequest: (w: Wire) => ({
    supervisorId: w.supervisorId as string,
    host: w.host as string,
    uptimeSecs: u64FromWire(w.uptimeSecs as WireU64, 'uptimeSecs'),
    workers: ((w.workers as Wire[] | undefined) ?? []).map((x, i) => decodeWorker(x, `workers[${i}]`)),
  }),
  encodeResponse: (ack) => ({ ack: ack.ack, leaderAddress: ack.leaderAddress }),
  decodeResponse: (w: HeartbeatAck) => ({ ack: w.ack, leaderAddress: w.leaderAddress }),
};
