/**
 * ListTopologies, DescribeTopology, ClusterSummary: any nimbus answers from ZooKeeper (records,
 * assignments, errors, registrations) plus, on the leader, the in-memory heartbeat reports —
 * so a follower's statistics are zeros and its schedule messages empty.
 */
import type { Versioned } from '../../coordination/cluster-state.js';
import type { Assignment, TopologyRecord } from '../../coordination/records.js';
import type {
  ClusterSummary, ComponentStats, NimbusHandlers, TopologyDetailsInput, TopologySummary, WorkerSummary,
} from '../../rpc/types.js';
import { fromRecord, taskCount } from '../assignment-records.js';
import { findByName, readClusterView, readRecords } from '../cluster-view.js';
import type { NimbusCore } from '../core.js';
import { TopologyNotFoundError } from '../status-shell.js';
import { componentStats, liveReports } from './stats.js';

/** The read handlers. */
export function readHandlers(core: NimbusCore): Pick<NimbusHandlers, 'listTopologies' | 'describeTopology' | 'clusterSummary'> {
  return {
    async listTopologies(ctx) {
      const out: TopologySummary[] = [];
      for (const r of await readRecords(core.cluster, { signal: ctx.signal })) {
        out.push(summaryOf(core, r.value, (await core.cluster.assignment(r.value.id, { signal: ctx.signal }))?.value));
      }
      return out;
    },

    async describeTopology(request, ctx) {
      const found = await findByName(core.cluster, request.name, { signal: ctx.signal });
      if (!found) throw new TopologyNotFoundError(request.name);
      return describe(core, found, ctx.signal);
    },

    async clusterSummary(ctx) {
      return clusterSummary(core, ctx.signal);
    },
  };
}

function summaryOf(core: NimbusCore, record: TopologyRecord, assignment: Assignment | undefined): TopologySummary {
  const placed = assignment ? fromRecord(assignment) : undefined;
  const shape = core.catalog.peek(record);
  const executors = Object.values(record.componentExecutors).reduce((a, b) => a + b, 0);
  const tasks = shape ? shape.components.reduce((n, c) => n + c.tasks.length, 0) : placed ? taskCount(placed) : 0;
  return {
    id: record.id, name: record.name, status: record.status,
    uptimeSecs: uptimeSecs(core.clock.now(), record.launchTimeMs),
    numWorkers: placed?.workers.length ?? 0,
    numExecutors: placed ? placed.workers.reduce((n, w) => n + w.executors.length, 0) : executors,
    numTasks: tasks,
    scheduleMessage: core.currentLeader()?.statuses.get(record.id)?.message ?? '',
  };
}

async function describe(core: NimbusCore, found: Versioned<TopologyRecord>, signal: AbortSignal): Promise<TopologyDetailsInput> {
  const record = found.value;
  const stored = (await core.cluster.assignment(record.id, { signal }))?.value;
  const placed = stored ? fromRecord(stored) : { topologyId: record.id, workers: [] };
  const shape = await core.catalog.get(record);
  const reports = liveReports(core, record.id, placed.workers);
  const workers: WorkerSummary[] = placed.workers.map((w) => ({
    host: w.host, port: w.port, supervisorId: w.supervisorId,
    uptimeSecs: reports.get(`${w.supervisorId}:${w.port}`)?.uptimeSecs ?? 0,
    numExecutors: w.executors.length,
    numTasks: w.executors.reduce((n, [a, b]) => n + b - a + 1, 0),
  }));
  const components: ComponentStats[] = await componentStats(core, record, shape, [...reports.values()], signal);
  return {
    id: record.id, name: record.name, status: record.status,
    uptimeSecs: uptimeSecs(core.clock.now(), record.launchTimeMs),
    workers, components,
    config: shape ? { ...shape.config } : { ...record.configOverrides },
    scheduleMessage: core.currentLeader()?.statuses.get(record.id)?.message ?? '',
  };
}

async function clusterSummary(core: NimbusCore, signal: AbortSignal): Promise<ClusterSummary> {
  const now = core.clock.now();
  const leaderId = (await core.cluster.leaderInfo({ signal })).value.nimbusId;
  const view = await readClusterView(core.cluster, { signal });
  const used = new Map<string, Set<number>>();
  for (const { value } of view.assignments.values()) {
    for (const e of value.executors) used.set(e.supervisorId, (used.get(e.supervisorId) ?? new Set()).add(e.port));
  }
  return {
    nimbuses: (await core.cluster.nimbuses({ signal })).map((n) => ({
      host: n.host, port: n.port, isLeader: n.id === leaderId, uptimeSecs: uptimeSecs(now, n.startedAtMs), version: n.version,
    })),
    supervisors: view.supervisors.map((s) => {
      const total = new Set(s.ports).size;
      const usedHere = [...(used.get(s.id) ?? [])].filter((p) => s.ports.includes(p)).length;
      return { id: s.id, host: s.host, slotsTotal: total, slotsUsed: usedHere, slotsFree: Math.max(0, total - usedHere), uptimeSecs: uptimeSecs(now, s.startedAtMs) };
    }),
  };
}

function uptimeSecs(nowMs: number, sinceMs: number): number {
  return Math.max(0, Math.floor((nowMs - sinceMs) / 1000));
}
