/**
 * One read of the cluster state the leader acts on: every topology record and assignment, and
 * the live supervisors. Nodes that vanish between listing and reading are skipped (a
 * concurrent removal), never an error.
 */
import type { ClusterState, Versioned } from '../coordination/cluster-state.js';
import type { Assignment, SupervisorInfo, TopologyRecord } from '../coordination/records.js';
import type { OpOptions } from '../coordination/state-store.js';

/** What the scheduling loop and the reads work from. */
export interface ClusterView {
  records: Map<string, Versioned<TopologyRecord>>;
  assignments: Map<string, Versioned<Assignment>>;
  supervisors: SupervisorInfo[];
}

/** Reads every record, every assignment and the supervisors. */
export async function readClusterView(cluster: ClusterState, opts: OpOptions = {}): Promise<ClusterView> {
  const records = new Map<string, Versioned<TopologyRecord>>();
  for (const id of (await cluster.topologyIds(opts)).sort()) {
    const r = await cluster.topology(id, opts);
    if (r) records.set(id, r);
  }
  const assignments = new Map<string, Versioned<Assignment>>();
  for (const id of (await cluster.assignmentIds(opts)).sort()) {
    const a = await cluster.assignment(id, opts);
    if (a) assignments.set(id, a);
  }
  return { records, assignments, supervisors: await cluster.supervisors(opts) };
}

/** Every topology record, sorted by id. */
export async function readRecords(cluster: ClusterState, opts: OpOptions = {}): Promise<Array<Versioned<TopologyRecord>>> {
  const out: Array<Versioned<TopologyRecord>> = [];
  for (const id of (await cluster.topologyIds(opts)).sort()) {
    const r = await cluster.topology(id, opts);
    if (r) out.push(r);
  }
  return out;
}

/** The record of the topology called `name` (names are unique among recorded topologies). */
export async function findByName(cluster: ClusterState, name: string, opts: OpOptions = {}): Promise<Versioned<TopologyRecord> | undefined> {
  return (await readRecords(cluster, opts)).find((r) => r.value.name === name);
}

/**
 * The supervisors the stored assignments place workers on, as far as the assignments tell:
 * id, worker host and the ports they use. A new leader that finds one of them unregistered
 * (its session expired, it restarts) gives it the supervisor timeout before moving its
 * workers, exactly as if it had seen the supervisor vanish itself.
 */
export function assignedSupervisors(assignments: Iterable<Versioned<Assignment>>): SupervisorInfo[] {
  const found = new Map<string, SupervisorInfo>();
  for (const { value: a } of assignments) {
    for (const e of a.executors) {
      const host = a.nodeHost[e.supervisorId];
      if (host === undefined) continue;
      let info = found.get(e.supervisorId);
      if (!info) {
        info = { id: e.supervisorId, host, address: host, ports: [], usedPorts: [], version: 'unknown', startedAtMs: 0 };
        found.set(e.supervisorId, info);
      }
      if (!info.ports.includes(e.port)) info.ports.push(e.port);
    }
  }
  return [...found.values()];
}

/**
 * The host a supervisor's workers are reached at. CLUSTER.md: `address` is the host its workers
 * advertise; an `address` written as host:port (an RPC endpoint) falls back to `host`.
 */
export function workerHostOf(info: SupervisorInfo): string {
  const a = info.address.trim();
  if (a === '' || /^\[[^\]]+\]:\d+$/u.test(a) || /^[^:]+:\d+$/u.test(a)) return info.host;
  return a.replace(/^\[|\]$/gu, '');
}
