/**
 * How a worker reads its assignment (src/worker/assignment-view.ts): its own executors, and
 * the plan's executors re-split as the assignment says after a rebalance (`-e component=N`),
 * with the task ids unchanged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Assignment } from '../../src/coordination/records.js';
import { compilePlan } from '../../src/topology/plan.js';
import { planForAssignment, slotExecutors } from '../../src/worker/assignment-view.js';
import { makeSpec } from '../helpers/spec.js';

// Tasks: __acker 1, sink 2-5 (4 tasks in 2 executors), source 6.
const plan = compilePlan(makeSpec('t', [{ id: 'source', outputs: ['k'] }], [
  { id: 'sink', parallelism: 2, numTasks: 4, inputs: [{ from: 'source', grouping: { type: 'fields', fields: ['k'] } }] },
]), { 'topology.acker.executors': 1 });

function assignment(executors: Array<[number, number, string]>): Assignment {
  return {
    topologyId: 't-1-1', nodeHost: { a: '127.0.0.2', b: '127.0.0.3' }, assignedAtMs: 0,
    executors: executors.map(([startTask, endTask, supervisorId]) => ({ startTask, endTask, supervisorId, port: 6700 })),
  };
}

describe('worker: the assignment decides the executors', () => {
  it('a rebalanced split replaces the topology file\'s, task ids unchanged', () => {
    assert.deepEqual(plan.components.get('sink')!.executors, [[2, 3], [4, 5]]);
    const a = assignment([[1, 1, 'a'], [2, 2, 'a'], [3, 3, 'b'], [4, 4, 'a'], [5, 5, 'b'], [6, 6, 'b']]);
    const p = planForAssignment(plan, a);
    assert.deepEqual(p.components.get('sink')!.executors, [[2], [3], [4], [5]]);
    assert.deepEqual(p.components.get('sink')!.tasks, [2, 3, 4, 5]);
    assert.deepEqual(p.taskComponent, plan.taskComponent);
    assert.deepEqual(slotExecutors(a, 'a', 6700), ['1-1', '2-2', '4-4']);
  });

  it('the file\'s split stays when the assignment matches it; a range across components is refused', () => {
    const same = planForAssignment(plan, assignment([[1, 1, 'a'], [2, 3, 'a'], [4, 5, 'b'], [6, 6, 'b']]));
    assert.deepEqual(same.components.get('sink')!.executors, [[2, 3], [4, 5]]);
    assert.throws(() => planForAssignment(plan, assignment([[1, 1, 'a'], [2, 6, 'a']])), { code: 'E_WORKER_PLAN_MISMATCH' });
  });
});
