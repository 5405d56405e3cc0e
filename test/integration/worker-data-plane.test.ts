/**
 * One topology split across two workers (two data planes in this process, talking over real
 * TCP on loopback): tuples, anchors and acker traffic cross the boundary; counts are exact.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHostFactory } from '../../src/hosts/factory.js';
import type { WorkerAddress } from '../../src/transport/index.js';
import { compilePlan } from '../../src/topology/plan.js';
import { WorkerDataPlane } from '../../src/worker/data-plane.js';
import { board, makeSpec, waitFor } from '../helpers/spec.js';

const SENTENCES = ['the cow jumped over the moon', 'an apple a day keeps the doctor away', 'four score and seven years ago'];

test('a word count across two workers: exact counts, every tree acked once', { timeout: 60_000 }, async () => {
  const key = 'two-workers';
  const spec = makeSpec('wc2', [
    { id: 'sentences', export: 'FixedSpout', args: [key, SENTENCES, 400], outputs: ['sentence'] },
  ], [
    { id: 'split', export: 'SplitBolt', outputs: ['word'], parallelism: 2, inputs: [{ from: 'sentences' }] },
    { id: 'count', export: 'CountBolt', args: [key], outputs: ['word', 'count'], parallelism: 3, inputs: [{ from: 'split', grouping: { type: 'fields', fields: ['word'] } }] },
  ], { 'topology.workers': 2, 'topology.max.spout.pending': 100 });
  const plan = compilePlan(spec);
  const tasks = (id: string) => [...plan.components.get(id)!.tasks];
  const [acker1, acker2] = plan.ackerTasks;
  // Worker A: the spout, the split tasks and one acker; worker B: the count tasks and the other.
  const a = new Set([...tasks('sentences'), ...tasks('split'), acker1!]);
  const b = new Set([...tasks('count'), acker2!]);
  const factory = createHostFactory();
  await using wa = await WorkerDataPlane.create({ topologyId: 'wc2-1', workerId: 'a', plan, localTasks: a, factory });
  await using wb = await WorkerDataPlane.create({ topologyId: 'wc2-1', workerId: 'b', plan, localTasks: b, factory });
  const where = (set: Set<number>, addr: WorkerAddress) => new Map([...set].map((t) => [t, addr]));
  wa.setAssignment(where(b, wb.address));
  wb.setAssignment(where(a, wa.address));
  wa.start();
  wb.start();
  const brd = board(key);
  await waitFor(() => brd.acked.size === SENTENCES.length * 400, 30_000, 'every sentence acked');
  await wa.drain(5000);
  assert.ok([...brd.acked.values()].every((n) => n === 1), 'acked exactly once');
  assert.equal(brd.failed.size, 0);
  assert.equal(brd.counts.get('the'), 400 * 3);
  assert.equal(brd.counts.get('seven'), 400);
  assert.deepEqual(brd.events, [], 'fields grouping kept each word on one task across the boundary');
  const countStats = wb.runtime.stats().find((s) => s.componentId === 'count')!;
  assert.equal(countStats.executed, 400 * (6 + 8 + 6));
  assert.equal(wa.runtime.stats().find((s) => s.componentId === 'split')!.transferred, 400 * 20);
});
