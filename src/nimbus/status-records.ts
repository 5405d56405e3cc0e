/**
 * The topology status state machine's state (topology-status.ts) as it is persisted in the
 * TopologyRecord, both ways. The record holds the status, the previous status and the pending
 * deadline (`statusDeadlineMs`); a rebalance's target counts are written into `numWorkers` and
 * `componentExecutors` when it starts (the topology's assignment is frozen while it waits, so
 * nothing schedules with them early), so a new leader can resume any pending wait.
 */
import type { TopologyRecord } from '../coordination/records.js';
import type { TopologyState } from './topology-status.js';

/** The state machine's view of a record; `nowMs` stands in for a missing deadline (act now). */
export function stateOf(record: TopologyRecord, nowMs: number): TopologyState {
  const deadline = record.statusDeadlineMs ?? nowMs;
  // The wait left (the original wait is not persisted; only the deadline matters).
  const waitSecs = Math.max(0, Math.round((deadline - nowMs) / 1000));
  switch (record.status) {
    case 'ACTIVE':
    case 'INACTIVE':
      return { status: record.status };
    case 'KILLED':
      return { status: 'KILLED', waitSecs, removeAtMs: deadline };
    case 'REBALANCING':
      return {
        status: 'REBALANCING',
        previous: record.prevStatus === 'INACTIVE' ? 'INACTIVE' : 'ACTIVE',
        waitSecs,
        rebalanceAtMs: deadline,
        request: { numWorkers: record.numWorkers, executors: { ...record.componentExecutors } },
      };
  }
}

/** The record after a transition to `state` (non-null: removal deletes the record instead). */
export function withState(record: TopologyRecord, state: TopologyState): TopologyRecord {
  const { statusDeadlineMs: _dropped, ...base } = record;
  const prevStatus = state.status === record.status ? record.prevStatus : record.status;
  const next: TopologyRecord = { ...base, status: state.status, ...(prevStatus === undefined ? {} : { prevStatus }) };
  if (state.status === 'KILLED') return { ...next, statusDeadlineMs: state.removeAtMs };
  if (state.status === 'REBALANCING') {
    return {
      ...next,
      // The previous status comes back after the rebalance, so it must survive in the record.
      prevStatus: state.previous,
      numWorkers: state.request.numWorkers ?? record.numWorkers,
      componentExecutors: { ...record.componentExecutors, ...state.request.executors },
      statusDeadlineMs: state.rebalanceAtMs,
    };
  }
  return next;
}

/** True when two records differ in anything the state machine writes. */
export function stateChanged(a: TopologyRecord, b: TopologyRecord): boolean {
  const pick = (r: TopologyRecord): string =>
    JSON.stringify([r.status, r.prevStatus, r.statusDeadlineMs, r.numWorkers, Object.entries(r.componentExecutors).sort()]);
  return pick(a) !== pick(b);
}
