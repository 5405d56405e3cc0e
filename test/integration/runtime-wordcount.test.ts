import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHostFactory } from '../../src/hosts/factory.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { compilePlan } from '../../src/topology/plan.js';
import { board, makeSpec, waitFor } from '../helpers/spec.js';

const SENTENCES = ['the cow jumped over the moon', 'an apple a day keeps the doctor away', 'four score and seven years ago'];

function expectedCounts(repeat: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of SENTENCES) for (const w of s.split(' ')) m.set(w, (m.get(w) ?? 0) + repeat);
  return m;
}

test('JS word count on a fixed input gives exact counts, every tree acked once', async () => {
  const key = 'wc-exact';
  const spec = makeSpec('wc', [
    { id: 'sentences', export: 'FixedSpout', args: [key, SENTENCES, 500], outputs: ['sentence'] },
  ], [
    { id: 'split', export: 'SplitBolt', outputs: ['word'], parallelism: 3, inputs: [{ from: 'sentences' }] },
    { id: 'count', export: 'CountBolt', args: [key], outputs: ['word', 'count'], parallelism: 4, inputs: [{ from: 'split', grouping: { type: 'fields', fields: ['word'] } }] },
  ]);
  await using rt = await Runtime.create({ plan: compilePlan(spec), factory: createHostFactory() });
  rt.start();
  const b = board(key);
  await waitFor(() => b.acked.size === SENTENCES.length * 500, 20_000, 'all trees acked');
  const drained = await rt.drain(5000);
  assert.equal(drained.complete, true);
  assert.deepEqual(new Map([...b.counts].sort()), new Map([...expectedCounts(500)].sort()));
  assert.equal(b.failed.size, 0);
  assert.ok([...b.acked.values()].every((n) => n === 1), 'each message acked exactly once');
  assert.deepEqual(b.events, [], 'fields grouping sent each word to one task');
  const stats = rt.stats();
  const spout = stats.find((s) => s.componentId === 'sentences')!;
  assert.equal(spout.acked, 1500);
  assert.equal(stats.find((s) => s.componentId === 'count')!.executed, [...expectedCounts(500).values()].reduce((a, b) => a + b));
});

test('a bolt failing 10% at random under a replaying spout loses nothing', async () => {
  const key = 'wc-fail';
  const spec = makeSpec('wcfail', [
    { id: 'sentences', export: 'FixedSpout', args: [key, SENTENCES, 300, true], outputs: ['sentence'] },
  ], [
    { id: 'split', export: 'SplitBolt', outputs: ['word'], parallelism: 2, inputs: [{ from: 'sentences' }] },
    { id: 'count', export: 'CountBolt', args: [key, 0.1], outputs: ['word', 'count'], parallelism: 2, inputs: [{ from: 'split', grouping: { type: 'fields', fields: ['word'] } }] },
  ], { 'topology.max.spout.pending': 100 });
  await using rt = await Runtime.create({ plan: compilePlan(spec), factory: createHostFactory() });
  rt.start();
  const b = board(key);
  const total = SENTENCES.length * 300;
  await waitFor(() => b.acked.size === total, 30_000, 'every message acked');
  await rt.drain(5000);
  assert.ok([...b.acked.values()].every((n) => n === 1), 'acked exactly once at the spout');
  assert.ok(b.failed.size > 0, 'some trees failed and were replayed');
  const expected = expectedCounts(300);
  for (const [w, n] of expected) assert.ok((b.counts.get(w) ?? 0) >= n, `word ${w} counted at least ${n} times`);
});
