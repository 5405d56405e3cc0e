/**
 * The even scheduler as a pure function: spreading, dealing, short clusters, keeping healthy
 * workers, replacing only dead ones, rebalancing without touching task ids, determinism.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/common/errors.js';
import {
  assignedTasks, slotKey, type Assignments, type ClusterSnapshot, type SupervisorSnapshot, type TopologyAssignment,
} from '../../src/nimbus/assignments.js';
import { demandExecutors, demandFromPlan, SchedulerInputError, type TopologyDemand } from '../../src/nimbus/demand.js';
import { rebalance, schedule, type ScheduleResult } from '../../src/nimbus/scheduler.js';
import { sortSlots, type FreeSlot } from '../../src/nimbus/slots.js';
import { compilePlan } from '../../src/topology/plan.js';
import { makeSpec } from '../helpers/spec.js';

const NONE: Assignments = new Map();

function sup(id: string, host: string, ports: number[], usedPorts?: number[]): SupervisorSnapshot {
  return usedPorts ? { id, host, ports, usedPorts } : { id, host, ports };
}

function cluster(...supervisors: SupervisorSnapshot[]): ClusterSnapshot {
  return { supervisors };
}

/** A topology whose components get consecutive task ids from 1: [id, tasks, executors]. */
function topo(id: string, numWorkers: number, ...components: Array<[string, number, number]>): TopologyDemand {
  let next = 1;
  return {
    id,
    numWorkers,
    components: components.map(([cid, tasks, executors]) => {
      const ids = Array.from({ length: tasks }, () => next++);
      return { id: cid, tasks: ids, executors };
    }),
  };
}

function assignmentOf(r: ScheduleResult, id: string): TopologyAssignment {
  const a = r.assignments.get(id);
  assert.ok(a, `no assignment for ${id}`);
  return a;
}

const hostsOf = (a: TopologyAssignment): string[] => a.workers.map((w) => w.host);
const sizesOf = (a: TopologyAssignment): number[] => a.workers.map((w) => w.executors.length);
const workerOn = (a: TopologyAssignment, supervisorId: string, port: number) =>
  a.workers.find((w) => w.supervisorId === supervisorId && w.port === port);

/** Every slot is used by at most one worker across all topologies. */
function assertNoSharedSlots(r: ScheduleResult): void {
  const seen = new Set<string>();
  for (const a of r.assignments.values()) {
    for (const w of a.workers) {
      assert.ok(!seen.has(slotKey(w)), `slot ${slotKey(w)} used twice`);
      seen.add(slotKey(w));
    }
  }
}

const THREE_HOSTS = cluster(
  sup('s-a', 'host-a', [6700, 6701, 6702, 6703]),
  sup('s-b', 'host-b', [6700, 6701, 6702, 6703]),
  sup('s-c', 'host-c', [6700, 6701, 6702, 6703]),
);

describe('even scheduler: spreading', () => {
  it('puts consecutive workers on different hosts, lowest ports first', () => {
    const r = schedule(THREE_HOSTS, [topo('t', 3, ['spout', 3, 3])], NONE);
    const a = assignmentOf(r, 't');
    assert.deepEqual(hostsOf(a).sort(), ['host-a', 'host-b', 'host-c']);
    assert.ok(a.workers.every((w) => w.port === 6700));
    assert.equal(r.statuses.get('t')?.state, 'full');
  });

  it('interleaves hosts with the most free slots first, ties by name (Storm sortSlots)', () => {
    const free = (supervisorId: string, host: string, ports: number[]): FreeSlot[] =>
      ports.map((port) => ({ supervisorId, host, port, suspect: false }));
    const order = sortSlots([...free('a', 'ha', [2, 1]), ...free('c', 'hc', [1]), ...free('b', 'hb', [3, 1, 2])]);
    assert.deepEqual(order.map((s) => `${s.host}:${s.port}`), ['hb:1', 'ha:1', 'hc:1', 'hb:2', 'ha:2', 'hb:3']);
  });

  it('spreads across hosts before spreading across supervisors sharing a host', () => {
    const c = cluster(
      sup('s1', 'box', [6700, 6701]),
      sup('s2', 'box', [6710, 6711]),
      sup('s3', 'other', [6700]),
    );
    const a = assignmentOf(schedule(c, [topo('t', 3, ['b', 6, 6])], NONE), 't');
    assert.deepEqual(a.workers.map(slotKey).sort(), ['s1:6700', 's2:6710', 's3:6700']);
  });

  it('counts the topology\'s kept workers as picks already made', () => {
    const free: FreeSlot[] = [
      { supervisorId: 'a', host: 'ha', port: 2, suspect: false },
      { supervisorId: 'a', host: 'ha', port: 3, suspect: false },
      { supervisorId: 'b', host: 'hb', port: 2, suspect: false },
    ];
    const load = { hosts: new Map([['ha', 0], ['hb', 1]]), supervisors: new Map([['b', 1]]) };
    assert.deepEqual(sortSlots(free).map(slotKey), ['a:2', 'b:2', 'a:3']);
    assert.deepEqual(sortSlots(free, load).map(slotKey), ['a:2', 'a:3', 'b:2']);
  });

  it('suspect (dead) slots are offered after every healthy one', () => {
    const order = sortSlots([
      { supervisorId: 'a', host: 'ha', port: 1, suspect: true },
      { supervisorId: 'b', host: 'hb', port: 1, suspect: false },
      { supervisorId: 'a', host: 'ha', port: 2, suspect: false },
    ]);
    assert.deepEqual(order.map(slotKey), ['a:2', 'b:1', 'a:1']);
  });
});

describe('even scheduler: dealing executors', () => {
  it('deals executors round-robin in task order: sizes differ by at most one', () => {
    const r = schedule(THREE_HOSTS, [topo('t', 3, ['spout', 1, 1], ['split', 4, 4], ['count', 2, 2])], NONE);
    const a = assignmentOf(r, 't');
    assert.deepEqual(sizesOf(a).sort(), [2, 2, 3]);
    // Slot order of the deal is host-a, host-b, host-c: executor i goes to slot i % 3.
    const firstTasks = (host: string) => a.workers.find((w) => w.host === host)!.executors.map((e) => e[0]);
    assert.deepEqual(firstTasks('host-a'), [1, 4, 7]);
    assert.deepEqual(firstTasks('host-b'), [2, 5]);
    assert.deepEqual(firstTasks('host-c'), [3, 6]);
  });

  it('keeps multi-task executors as contiguous ranges', () => {
    const d = topo('t', 2, ['b', 6, 2]);
    assert.deepEqual(demandExecutors(d), [[1, 3], [4, 6]]);
    const a = assignmentOf(schedule(THREE_HOSTS, [d], NONE), 't');
    assert.deepEqual(a.workers.flatMap((w) => w.executors).sort((x, y) => x[0] - y[0]), [[1, 3], [4, 6]]);
  });

  it('never uses more workers than there are executors', () => {
    const r = schedule(THREE_HOSTS, [topo('t', 5, ['spout', 2, 2])], NONE);
    assert.equal(assignmentOf(r, 't').workers.length, 2);
    assert.equal(r.statuses.get('t')?.state, 'full');
    assert.match(r.statuses.get('t')!.message, /5 requested; only 2 executors/);
  });

  it('builds the demand from a compiled plan, acker included', () => {
    const spec = makeSpec('wc', [{ id: 'words', parallelism: 2 }], [{ id: 'count', parallelism: 2, numTasks: 4 }], { 'topology.workers': 2 });
    const plan = compilePlan(spec);
    const d = demandFromPlan('wc-1', plan);
    assert.equal(d.numWorkers, 2);
    // words: 2, count: 2 executors over 4 tasks, __acker: one per worker (acker.executors unset).
    assert.deepEqual(demandExecutors(d).map((e) => plan.taskComponent[e[0]]).sort(), ['__acker', '__acker', 'count', 'count', 'words', 'words']);
    const a = assignmentOf(schedule(THREE_HOSTS, [d], NONE), 'wc-1');
    assert.deepEqual(assignedTasks(a), plan.taskComponent.map((_, i) => i).slice(1));
  });
});

describe('even scheduler: short clusters', () => {
  it('assigns fewer workers than requested and reports it', () => {
    const c = cluster(sup('s-a', 'host-a', [6700]), sup('s-b', 'host-b', [6700]));
    const r = schedule(c, [topo('t', 4, ['b', 8, 8])], NONE);
    const a = assignmentOf(r, 't');
    assert.equal(a.workers.length, 2);
    assert.deepEqual(sizesOf(a), [4, 4]);
    const s = r.statuses.get('t')!;
    assert.equal(s.state, 'degraded');
    assert.equal(s.unassignedExecutors, 0);
    assert.match(s.message, /running on 2 of 4 workers/);
  });

  it('reports a topology that gets no slot at all, and never double-books a slot', () => {
    const c = cluster(sup('s-a', 'host-a', [6700, 6701]));
    const r = schedule(c, [topo('b-second', 1, ['x', 1, 1]), topo('a-first', 2, ['x', 2, 2]), topo('c-third', 1, ['x', 1, 1])], NONE);
    assert.equal(assignmentOf(r, 'a-first').workers.length, 2); // topologies are served in id order
    assert.deepEqual(r.unassigned, ['b-second', 'c-third']);
    assert.equal(r.assignments.has('b-second'), false);
    assert.equal(r.statuses.get('c-third')?.state, 'unassigned');
    assertNoSharedSlots(r);
  });

  it('never hands out ports the supervisor reports in use', () => {
    const c = cluster(sup('s-a', 'host-a', [6700, 6701, 6702], [6700, 6702]));
    const a = assignmentOf(schedule(c, [topo('t', 3, ['x', 3, 3])], NONE), 't');
    assert.deepEqual(a.workers.map((w) => w.port), [6701]);
  });

  it('grows back to the requested workers when slots appear', () => {
    const small = cluster(sup('s-a', 'host-a', [6700]));
    const first = schedule(small, [topo('t', 2, ['x', 6, 6])], NONE);
    assert.deepEqual(sizesOf(assignmentOf(first, 't')), [6]);
    const bigger = cluster(sup('s-a', 'host-a', [6700]), sup('s-b', 'host-b', [6700]));
    const second = schedule(bigger, [topo('t', 2, ['x', 6, 6])], first.assignments);
    const a = assignmentOf(second, 't');
    assert.deepEqual(hostsOf(a), ['host-a', 'host-b']);
    assert.deepEqual(sizesOf(a), [3, 3]);
    assert.equal(second.statuses.get('t')?.state, 'full');
  });
});

describe('even scheduler: existing assignments', () => {
  const demands = [topo('t', 3, ['spout', 2, 2], ['bolt', 5, 5])];

  it('leaves healthy assignments untouched, even when more slots appear', () => {
    const first = schedule(THREE_HOSTS, demands, NONE);
    const again = schedule(THREE_HOSTS, demands, first.assignments);
    assert.deepEqual(again.assignments, first.assignments);
    assert.deepEqual(again.changed, []);
    const more = cluster(...THREE_HOSTS.supervisors, sup('s-d', 'host-d', [6700, 6701]));
    assert.deepEqual(schedule(more, demands, first.assignments).assignments, first.assignments);
  });

  it('moves only the executors of a dead worker, to another slot, when the rest are healthy', () => {
    const first = schedule(THREE_HOSTS, demands, NONE);
    const before = assignmentOf(first, 't');
    const victim = before.workers[1]!;
    const r = schedule({ ...THREE_HOSTS, deadSlots: [victim] }, demands, first.assignments);
    const after = assignmentOf(r, 't');
    for (const w of before.workers) {
      if (w === victim) continue;
      assert.deepEqual(workerOn(after, w.supervisorId, w.port), w, 'a healthy worker changed');
    }
    assert.equal(workerOn(after, victim.supervisorId, victim.port), undefined, 'executors went back to the dead slot');
    const moved = after.workers.find((w) => !before.workers.some((b) => slotKey(b) === slotKey(w)))!;
    assert.deepEqual(moved.executors, victim.executors);
    assert.equal(moved.host, victim.host, 'the replacement keeps the spread: the only host without a worker of t');
    assert.deepEqual(r.changed, ['t']);
  });

  it('moves only the executors of a lost supervisor', () => {
    const first = schedule(THREE_HOSTS, demands, NONE);
    const before = assignmentOf(first, 't');
    const lost = before.workers.find((w) => w.supervisorId === 's-b')!;
    const survivors = cluster(THREE_HOSTS.supervisors[0]!, THREE_HOSTS.supervisors[2]!, sup('s-d', 'host-d', [6700]));
    const after = assignmentOf(schedule(survivors, demands, first.assignments), 't');
    assert.deepEqual(workerOn(after, 's-a', 6700), workerOn(before, 's-a', 6700));
    assert.deepEqual(workerOn(after, 's-c', 6700), workerOn(before, 's-c', 6700));
    assert.deepEqual(workerOn(after, 's-d', 6700)?.executors, lost.executors, 'the new host has no worker of t yet');
  });

  it('reuses a dead slot when it is the only one left', () => {
    const c = cluster(sup('s-a', 'host-a', [6700]), sup('s-b', 'host-b', [6700]));
    const first = schedule(c, [topo('t', 2, ['x', 4, 4])], NONE);
    const dead = assignmentOf(first, 't').workers[0]!;
    const after = assignmentOf(schedule({ ...c, deadSlots: [dead] }, [topo('t', 2, ['x', 4, 4])], first.assignments), 't');
    assert.deepEqual(after, assignmentOf(first, 't'));
  });

  it('re-splits the survivors evenly when a worker is lost and no slot is free', () => {
    const c = cluster(sup('s-a', 'host-a', [6700]), sup('s-b', 'host-b', [6700]), sup('s-c', 'host-c', [6700]));
    const d = [topo('t', 3, ['x', 7, 7])];
    const first = schedule(c, d, NONE);
    assert.deepEqual(sizesOf(assignmentOf(first, 't')), [3, 2, 2]);
    const r = schedule(cluster(c.supervisors[0]!, c.supervisors[1]!), d, first.assignments);
    const a = assignmentOf(r, 't');
    assert.deepEqual(sizesOf(a), [3, 4]); // host-a keeps its 3; host-b's 2 are not a size of {4,3}, so it is re-dealt
    assert.deepEqual(a.workers[0], assignmentOf(first, 't').workers[0]);
    assert.deepEqual(assignedTasks(a), [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(r.statuses.get('t')?.state, 'degraded');
  });

  it('drops assignments of topologies no longer listed (killed) and frees their slots', () => {
    const c = cluster(sup('s-a', 'host-a', [6700]));
    const first = schedule(c, [topo('old', 1, ['x', 1, 1])], NONE);
    const r = schedule(c, [topo('new', 1, ['x', 1, 1])], first.assignments);
    assert.equal(r.assignments.has('old'), false);
    assert.equal(assignmentOf(r, 'new').workers[0]?.port, 6700);
  });

  it('drops a worker whose executors no longer exist and re-deals them', () => {
    const first = schedule(THREE_HOSTS, [topo('t', 1, ['x', 4, 2])], NONE);
    const changed = { ...topo('t', 1, ['x', 4, 2]), executorOverrides: { x: 4 } };
    const a = assignmentOf(schedule(THREE_HOSTS, [changed], first.assignments), 't');
    assert.deepEqual(a.workers.flatMap((w) => w.executors), [[1, 1], [2, 2], [3, 3], [4, 4]]);
  });
});

describe('even scheduler: rebalance', () => {
  it('1 → 2 workers keeps every task id and moves executors onto a second host', () => {
    const d = topo('t', 1, ['spout', 2, 2], ['split', 4, 4], ['count', 4, 2]);
    const first = schedule(THREE_HOSTS, [d], NONE);
    const before = assignmentOf(first, 't');
    assert.equal(before.workers.length, 1);
    const r = rebalance(THREE_HOSTS, [d], first.assignments, 't', { numWorkers: 2 });
    const after = assignmentOf(r, 't');
    assert.equal(after.workers.length, 2);
    assert.equal(new Set(hostsOf(after)).size, 2);
    assert.deepEqual(assignedTasks(after), assignedTasks(before));
    assert.deepEqual(
      after.workers.flatMap((w) => w.executors).sort((x, y) => x[0] - y[0]),
      before.workers.flatMap((w) => w.executors).sort((x, y) => x[0] - y[0]),
      'the same executors, only on different workers',
    );
    assert.deepEqual(sizesOf(after), [4, 4]);
    assert.equal(r.demand.numWorkers, 2);
    assert.deepEqual(r.changed, ['t']);
  });

  it('changes executors per component without changing task ids', () => {
    const d = topo('t', 2, ['spout', 1, 1], ['bolt', 4, 2]);
    const first = schedule(THREE_HOSTS, [d], NONE);
    const r = rebalance(THREE_HOSTS, [d], first.assignments, 't', { executors: { bolt: 4 } });
    const after = assignmentOf(r, 't');
    assert.deepEqual(assignedTasks(after), [1, 2, 3, 4, 5]);
    assert.deepEqual(after.workers.flatMap((w) => w.executors).sort((x, y) => x[0] - y[0]), [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]]);
    assert.deepEqual(r.demand.executorOverrides, { bolt: 4 });
  });

  it('refuses more executors than tasks, unknown components and bad worker counts', () => {
    const d = topo('t', 1, ['bolt', 2, 2]);
    assert.throws(() => rebalance(THREE_HOSTS, [d], NONE, 't', { executors: { bolt: 3 } }), (e: unknown) => e instanceof UsageError && /2 tasks/.test(e.hint ?? ''));
    assert.throws(() => rebalance(THREE_HOSTS, [d], NONE, 't', { executors: { nope: 1 } }), UsageError);
    assert.throws(() => rebalance(THREE_HOSTS, [d], NONE, 't', { numWorkers: 0 }), UsageError);
    assert.throws(() => rebalance(THREE_HOSTS, [d], NONE, 'missing', {}), UsageError);
  });

  it('leaves other topologies alone', () => {
    const ds = [topo('a', 2, ['x', 4, 4]), topo('b', 1, ['x', 2, 2])];
    const first = schedule(THREE_HOSTS, ds, NONE);
    const r = rebalance(THREE_HOSTS, ds, first.assignments, 'b', { numWorkers: 2 });
    assert.deepEqual(r.assignments.get('a'), first.assignments.get('a'));
    assert.deepEqual(r.changed, ['b']);
    assertNoSharedSlots(r);
  });
});

describe('even scheduler: determinism and input checks', () => {
  it('gives the same output for the same input in any order', () => {
    const ds = [topo('b', 2, ['x', 3, 3]), topo('a', 3, ['x', 5, 5], ['y', 2, 1]), topo('c', 1, ['x', 1, 1])];
    const base = schedule(THREE_HOSTS, ds, NONE);
    const shuffled = cluster(
      sup('s-c', 'host-c', [6703, 6701, 6700, 6702]),
      sup('s-a', 'host-a', [6702, 6700, 6703, 6701]),
      sup('s-b', 'host-b', [6701, 6703, 6702, 6700]),
    );
    const other = schedule(shuffled, [...ds].reverse(), NONE);
    assert.deepEqual(other, base);
    assert.deepEqual(schedule(THREE_HOSTS, ds, NONE), base);
    // Existing workers listed in another order change nothing either.
    const reordered = new Map([...base.assignments].reverse().map(([id, a]) => [id, { ...a, workers: [...a.workers].reverse() }]));
    assert.deepEqual(schedule(THREE_HOSTS, ds, reordered).assignments, base.assignments);
    assertNoSharedSlots(base);
  });

  it('does not mutate its inputs', () => {
    const ds = [topo('t', 2, ['x', 3, 3])];
    const c = cluster(sup('s-a', 'host-a', [6701, 6700]));
    const frozen = JSON.stringify({ ds, c });
    const first = schedule(c, ds, NONE);
    const snapshot = JSON.stringify([...first.assignments]);
    schedule({ ...c, deadSlots: [{ supervisorId: 's-a', port: 6700 }] }, ds, first.assignments);
    assert.equal(JSON.stringify({ ds, c }), frozen);
    assert.equal(JSON.stringify([...first.assignments]), snapshot);
  });

  it('refuses inconsistent input with a typed error', () => {
    assert.throws(() => schedule(THREE_HOSTS, [topo('t', 1, ['x', 1, 1]), topo('t', 1, ['x', 1, 1])], NONE), SchedulerInputError);
    assert.throws(() => schedule(THREE_HOSTS, [topo('t', 0, ['x', 1, 1])], NONE), SchedulerInputError);
    assert.throws(() => schedule(THREE_HOSTS, [{ id: 't', numWorkers: 1, components: [{ id: 'x', tasks: [1, 3], executors: 1 }] }], NONE), SchedulerInputError);
    assert.throws(() => schedule(cluster(sup('s', 'h', [1]), sup('s', 'h', [2])), [], NONE), SchedulerInputError);
  });
});
