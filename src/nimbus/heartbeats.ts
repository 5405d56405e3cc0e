/**
 * The leader's in-memory view of supervisor heartbeats (Storm's HeartbeatCache). Supervisors
 * report about once a second; nothing of it goes to ZooKeeper (CLUSTER.md "Liveness"). A
 * worker counts as seen at the time of the latest report that lists it; the scheduling loop
 * reads these times to find dead workers, and describe sums the counters of the live ones.
 */
import type { ComponentCounters, SupervisorHeartbeat, WorkerReport } from '../rpc/types.js';

/** One worker's latest report. */
export interface SeenWorker {
  supervisorId: string;
  /** The host the supervisor reported (where its workers are reached). */
  host: string;
  report: WorkerReport;
  /** When the report arrived (nimbus clock). */
  atMs: number;
}

/** Reports by supervisor, and when each worker was last listed. */
export class HeartbeatCache {
  /** `topologyId|supervisorId:port` → latest report listing that worker. */
  private readonly workers = new Map<string, SeenWorker>();
  /** supervisorId → when it last reported. */
  private readonly supervisors = new Map<string, number>();

  /** Takes one supervisor report received at `nowMs`. */
  record(hb: SupervisorHeartbeat, nowMs: number): void {
    this.supervisors.set(hb.supervisorId, nowMs);
    for (const report of hb.workers) {
      this.workers.set(workerKey(report.topologyId, hb.supervisorId, report.port), { supervisorId: hb.supervisorId, host: hb.host, report, atMs: nowMs });
    }
  }

  /** When the worker of `topologyId` on (supervisor, port) was last reported, if ever. */
  lastSeen(topologyId: string, supervisorId: string, port: number): number | undefined {
    return this.workers.get(workerKey(topologyId, supervisorId, port))?.atMs;
  }

  /** The latest report of one worker. */
  worker(topologyId: string, supervisorId: string, port: number): SeenWorker | undefined {
    return this.workers.get(workerKey(topologyId, supervisorId, port));
  }

  /** When a supervisor last reported, if ever. */
  supervisorSeen(supervisorId: string): number | undefined {
    return this.supervisors.get(supervisorId);
  }

  /** Forgets reports older than `maxAgeMs` (workers gone for good; memory stays bounded). */
  prune(nowMs: number, maxAgeMs: number): void {
    for (const [key, seen] of this.workers) if (nowMs - seen.atMs > maxAgeMs) this.workers.delete(key);
    for (const [id, at] of this.supervisors) if (nowMs - at > maxAgeMs) this.supervisors.delete(id);
  }

  /** Forgets every report of a removed topology. */
  forgetTopology(topologyId: string): void {
    const prefix = `${topologyId}|`;
    for (const key of this.workers.keys()) if (key.startsWith(prefix)) this.workers.delete(key);
  }

  clear(): void {
    this.workers.clear();
    this.supervisors.clear();
  }
}

function workerKey(topologyId: string, supervisorId: string, port: number): string {
  return `${topologyId}|${supervisorId}:${port}`;
}

/** Counters summed over several workers' reports of one component. */
export type SummedCounters = Omit<ComponentCounters, 'componentId'>;

/** Sums component counters over reports (cumulative counters per worker, so the sum is the topology's). */
export function sumCounters(reports: Iterable<WorkerReport>): Map<string, SummedCounters> {
  const out = new Map<string, SummedCounters>();
  for (const report of reports) {
    for (const c of report.components) {
      const acc = out.get(c.componentId) ?? zeroCounters();
      acc.emitted += c.emitted;
      acc.transferred += c.transferred;
      acc.executed += c.executed;
      acc.acked += c.acked;
      acc.failed += c.failed;
      acc.completeLatencyMsSum += c.completeLatencyMsSum;
      acc.executeLatencyMsSum += c.executeLatencyMsSum;
      acc.errors += c.errors;
      out.set(c.componentId, acc);
    }
  }
  return out;
}

function zeroCounters(): SummedCounters {
  return { emitted: 0, transferred: 0, executed: 0, acked: 0, failed: 0, completeLatencyMsSum: 0, executeLatencyMsSum: 0, errors: 0 };
}
