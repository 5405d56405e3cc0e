/**
 * Supervisor → leader nimbus liveness (docs/CLUSTER.md "Liveness"): every second, one
 * SupervisorHeartbeat RPC listing the running workers with the counters of their heartbeat
 * files. Nothing is written to ZooKeeper. Nimbus being away is logged once per outage, not
 * once per second; workers keep running meanwhile.
 */
import type { Clock, TimerHandle } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { ComponentCounters, SupervisorHeartbeat, WorkerReport } from '../rpc/index.js';
import type { SupervisorNimbus } from './options.js';
import type { SlotWorker } from './slot.js';
import { readHeartbeat, type HeartbeatFile, type HeartbeatStats } from './worker-files.js';

/** A worker's counters as the cluster API carries them. */
export function componentCounters(s: HeartbeatStats): ComponentCounters {
  const count = (n: number): number => Math.max(0, Math.floor(n));
  return {
    componentId: s.componentId,
    emitted: count(s.emitted), transferred: count(s.transferred), executed: count(s.executed),
    acked: count(s.acked), failed: count(s.failed), errors: count(s.errors),
    // The worker keeps a mean; mean × completed trees gives back the sum the API wants.
    completeLatencyMsSum: s.completeLatencyMs === null ? 0 : s.completeLatencyMs * count(s.acked),
    executeLatencyMsSum: 0,
  };
}

/** One running worker's report. */
export function workerReport(port: number, worker: SlotWorker, hb: HeartbeatFile, nowMs: number): WorkerReport {
  return {
    topologyId: worker.assignment.topologyId,
    port,
    executors: worker.assignment.executors.map(([a, b]) => [a, b] as const),
    uptimeSecs: Math.max(0, Math.floor((nowMs - worker.startedAtMs) / 1000)),
    components: hb.stats.map(componentCounters),
  };
}

/** What the reporter reads of the supervisor. */
export interface NimbusReporterDeps {
  nimbus: SupervisorNimbus;
  supervisorId: string;
  /** The advertised host. */
  host: string;
  periodMs: number;
  clock: Clock;
  logger: Logger;
  /** The workers that count as running now (heartbeating, not being stopped). */
  running(): Array<{ port: number; worker: SlotWorker }>;
  workerDir(workerId: string): string;
}

/** Sends the heartbeats. */
export class NimbusReporter {
  private timer: TimerHandle | undefined;
  private inFlight = false;
  private reachable: boolean | undefined;
  private readonly abort = new AbortController();
  private readonly startedAtMs: number;

  constructor(private readonly deps: NimbusReporterDeps) {
    this.startedAtMs = deps.clock.now();
  }

  start(): void {
    this.timer = this.deps.clock.setInterval(() => void this.beat(), this.deps.periodMs);
    void this.beat();
  }

  stop(): void {
    this.timer?.cancel();
    this.abort.abort();
  }

  /** Sends one heartbeat unless one is still on its way. */
  async beat(): Promise<void> {
    if (this.inFlight || this.abort.signal.aborted) return;
    this.inFlight = true;
    try {
      const hb = await this.build();
      await this.deps.nimbus.supervisorHeartbeat(hb, { deadlineMs: Math.max(3 * this.deps.periodMs, 3000), signal: this.abort.signal });
      if (this.reachable === false) this.deps.logger.info('nimbus is reachable again');
      this.reachable = true;
    } catch (err) {
      if (this.abort.signal.aborted) return;
      if (this.reachable !== false) this.deps.logger.warn(`cannot send heartbeats to nimbus: ${err instanceof Error ? err.message : String(err)}; retrying every ${this.deps.periodMs} ms`);
      this.reachable = false;
    } finally {
      this.inFlight = false;
    }
  }

  private async build(): Promise<SupervisorHeartbeat> {
    const now = this.deps.clock.now();
    const workers: WorkerReport[] = [];
    for (const { port, worker } of this.deps.running()) {
      const hb = await readHeartbeat(this.deps.workerDir(worker.workerId));
      if (hb?.pid === worker.pid) workers.push(workerReport(port, worker, hb, now));
    }
    return {
      supervisorId: this.deps.supervisorId, host: this.deps.host,
      uptimeSecs: Math.max(0, Math.floor((now - this.startedAtMs) / 1000)), workers,
    };
  }
}
