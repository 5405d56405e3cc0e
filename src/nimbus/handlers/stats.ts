/**
 * Per-component statistics for DescribeTopology: the cumulative counters of the topology's
 * live workers (reported within nimbus.task.timeout.secs) summed per component, mean latencies
 * from the summed latency totals, and the newest errors from ZooKeeper.
 */
import type { TopologyRecord } from '../../coordination/records.js';
import type { ComponentErrorInfo, ComponentStats, WorkerReport } from '../../rpc/types.js';
import type { WorkerAssignment } from '../assignments.js';
import type { NimbusCore } from '../core.js';
import { sumCounters, type SummedCounters } from '../heartbeats.js';
import type { TopologyShape } from '../topology-catalog.js';

/** Errors shown per component (Storm keeps 10 in ZooKeeper; describe shows them all). */
const MAX_ERRORS_SHOWN = 10;

/** The latest report of each assigned worker that is still fresh, by `supervisorId:port`. */
export function liveReports(core: NimbusCore, topologyId: string, workers: readonly WorkerAssignment[]): Map<string, WorkerReport> {
  const now = core.clock.now();
  const out = new Map<string, WorkerReport>();
  for (const w of workers) {
    const seen = core.heartbeats.worker(topologyId, w.supervisorId, w.port);
    if (seen && now - seen.atMs <= core.options.taskTimeoutMs) out.set(`${w.supervisorId}:${w.port}`, seen.report);
  }
  return out;
}

/** One entry per component: from the plan when nimbus has it, else from the record's executor counts. */
export async function componentStats(
  core: NimbusCore, record: TopologyRecord, shape: TopologyShape | undefined, reports: readonly WorkerReport[], signal: AbortSignal,
): Promise<ComponentStats[]> {
  const sums = sumCounters(reports);
  const components = shape?.components.map((c) => ({ id: c.id, kind: c.kind, tasks: c.tasks.length }))
    ?? Object.keys(record.componentExecutors).sort().map((id) => ({ id, kind: 'bolt' as const, tasks: record.componentExecutors[id] ?? 0 }));
  const out: ComponentStats[] = [];
  for (const c of components) {
    const sum = sums.get(c.id);
    const lastErrors = await errorsOf(core, record.id, c.id, signal);
    out.push({
      id: c.id,
      // The wire knows spouts and bolts; Storm's UI also lists its acker among the bolts.
      kind: c.kind === 'spout' ? 'spout' : 'bolt',
      numExecutors: record.componentExecutors[c.id] ?? 0,
      numTasks: c.tasks,
      ...counters(sum),
      errorsCount: Math.max(sum?.errors ?? 0, lastErrors.length),
      lastErrors,
    });
  }
  return out;
}

function counters(sum: SummedCounters | undefined): Omit<ComponentStats, 'id' | 'kind' | 'numExecutors' | 'numTasks' | 'errorsCount' | 'lastErrors'> {
  if (!sum) return { emitted: 0, transferred: 0, executed: 0, acked: 0, failed: 0, completeLatencyMs: 0, executeLatencyMs: 0 };
  return {
    emitted: sum.emitted, transferred: sum.transferred, executed: sum.executed, acked: sum.acked, failed: sum.failed,
    completeLatencyMs: sum.acked > 0 ? sum.completeLatencyMsSum / sum.acked : 0,
    executeLatencyMs: sum.executed > 0 ? sum.executeLatencyMsSum / sum.executed : 0,
  };
}

async function errorsOf(core: NimbusCore, topologyId: string, componentId: string, signal: AbortSignal): Promise<ComponentErrorInfo[]> {
  try {
    const errors = await core.cluster.errors(topologyId, componentId, { signal });
    return errors.slice(0, MAX_ERRORS_SHOWN).map((e) => ({
      timeMs: Math.max(0, Math.round(e.timeMs)), task: e.taskId ?? 0, host: e.host ?? '', port: e.port ?? 0, message: e.message,
    }));
  } catch (err) {
    // A component id the paths refuse, or a transient read error: describe still answers.
    core.logger.debug('could not read component errors', { topologyId, componentId, err });
    return [];
  }
}
