/**
 * Runtime semantics with real executors and the real loop. Time-based behaviour (timeouts,
 * ticks) is driven by a FakeClock; waitFor only waits for asynchronous processing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../src/common/clock.js';
import { MemoryLogger } from '../../src/common/logger.js';
import { createHostFactory } from '../../src/hosts/factory.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { compilePlan } from '../../src/topology/plan.js';
import { board, makeSpec, waitFor } from '../helpers/spec.js';

async function start(spec: ReturnType<typeof makeSpec>, clock?: FakeClock, logger?: MemoryLogger): Promise<Runtime> {
  const rt = await Runtime.create({ plan: compilePlan(spec), factory: createHostFactory(), ...(clock ? { clock } : {}), ...(logger ? { logger } : {}) });
  rt.start();
  return rt;
}

const flood = (key: string, extra: Record<string, unknown> = {}) => ({ id: 'src', export: 'FloodSpout', args: [key, true], outputs: ['word', 'n'], ...extra });

test('max.spout.pending caps the trees in flight per spout task', async () => {
  const key = 'max-pending';
  const spec = makeSpec('mp', [flood(key, { parallelism: 2 })], [
    { id: 'hold', export: 'HoldingBolt', args: [key], inputs: [{ from: 'src' }] },
  ], { 'topology.max.spout.pending': 50 });
  await using rt = await start(spec);
  const b = board(key) as ReturnType<typeof board> & { held: unknown[]; release(): void };
  await waitFor(() => b.held.length === 100, 5000, '2 tasks x 50 trees held');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(b.held.length, 100, 'no more than max.spout.pending per task, even given time');
  assert.equal(rt.pendingTrees(), 100);
  assert.ok(rt.stats().find((s) => s.componentId === 'src')!.skippedMaxPending > 0);
  b.release();
  const totalAcks = (): number => [...b.acked.values()].reduce((a, n) => a + n, 0);
  await waitFor(() => totalAcks() === 100 && b.held.length === 100, 5000, 'released trees acked and the spout refilled');
  assert.equal(rt.pendingTrees(), 100);
});

test('backpressure: a slow bolt bounds queue lengths and memory, the spout is throttled', async () => {
  const key = 'bp';
  const spec = makeSpec('bp', [{ id: 'src', export: 'FloodSpout', args: [key, false], outputs: ['word', 'n'] }], [
    { id: 'slow', export: 'SlowBolt', args: [key, 20], inputs: [{ from: 'src' }] },
  ], { 'topology.executor.receive.buffer.size': 1000 });
  const heapBefore = process.memoryUsage().heapUsed;
  await using rt = await start(spec);
  const b = board(key) as ReturnType<typeof board> & { executed: number };
  let maxBacklog = 0;
  const end = Date.now() + 1500;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 25));
    maxBacklog = Math.max(maxBacklog, b.emitted - b.executed);
  }
  const slow = rt.stats().find((s) => s.componentId === 'slow')!;
  assert.ok(b.executed > 1000, `the bolt made progress (${b.executed})`);
  assert.ok(slow.queueHighWater <= 1001, `queue high water ${slow.queueHighWater} stays at the capacity`);
  assert.ok(maxBacklog <= 1001, `spout ran at most a queue ahead of the bolt (backlog ${maxBacklog})`);
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024, 'heap growth bounded');
});

test('trees that are not acked fail at the message timeout (fake clock)', async () => {
  const key = 'timeout';
  const clock = new FakeClock();
  const spec = makeSpec('to', [{ id: 'src', export: 'FloodSpout', args: [key, true, 20], outputs: ['word', 'n'] }], [
    { id: 'hold', export: 'HoldingBolt', args: [key], inputs: [{ from: 'src' }] },
  ], { 'topology.message.timeout.secs': 10 });
  await using rt = await start(spec, clock);
  const b = board(key) as ReturnType<typeof board> & { held: unknown[] };
  await waitFor(() => b.held.length === 20, 5000, 'all held');
  clock.advance(9_999);
  await new Promise((r) => setImmediate(r));
  assert.equal(b.failed.size, 0, 'nothing fails before the timeout');
  clock.advance(2_600);
  await waitFor(() => b.failed.size === 20, 5000, 'all timed out');
  const src = rt.stats().find((s) => s.componentId === 'src')!;
  assert.equal(src.timedOut, 20);
  assert.equal(rt.pendingTrees(), 0);
});

test('tick tuples reach every task of a bolt at the per-component frequency', async () => {
  const key = 'ticks';
  const clock = new FakeClock();
  const spec = makeSpec('ticks', [{ id: 'src', export: 'FloodSpout', args: [key, false, 0], outputs: ['word', 'n'] }], [
    { id: 'tick', export: 'TickBolt', args: [key], parallelism: 3, inputs: [{ from: 'src' }], config: { 'topology.tick.tuple.freq.secs': 5 } },
  ]);
  await using rt = await start(spec, clock);
  const b = board(key) as ReturnType<typeof board> & { tickTasks: Map<number, number> };
  clock.advance(15_000);
  await waitFor(() => [...b.tickTasks.values()].reduce((a, n) => a + n, 0) === 9, 5000, '3 ticks to each of 3 tasks');
  assert.deepEqual([...b.tickTasks.values()], [3, 3, 3]);
  assert.equal(rt.state, 'running');
});

test('topology.acker.executors 0: at-most-once, spout acks right after emit', async () => {
  const key = 'no-ackers';
  const spec = makeSpec('amo', [{ id: 'src', export: 'FloodSpout', args: [key, true, 500], outputs: ['word', 'n'] }], [
    { id: 'hold', export: 'HoldingBolt', args: [key], inputs: [{ from: 'src' }] },
  ], { 'topology.acker.executors': 0 });
  await using rt = await start(spec);
  const b = board(key) as ReturnType<typeof board> & { held: unknown[] };
  await waitFor(() => b.acked.size === 500, 5000, 'all acked without any bolt ack');
  assert.equal(b.held.length, 500);
  assert.equal(rt.plan.ackerTasks.length, 0);
  assert.equal(rt.pendingTrees(), 0);
});

test('an execute that throws fails its tuple, is reported, and the task keeps running', async () => {
  const key = 'throws';
  const logger = new MemoryLogger();
  const spec = makeSpec('thr', [{ id: 'src', export: 'FloodSpout', args: [key, true, 100], outputs: ['word', 'n'] }], [
    { id: 'bad', export: 'ThrowingBolt', args: [key, 2], inputs: [{ from: 'src' }] },
  ]);
  await using rt = await start(spec, undefined, logger);
  const b = board(key);
  await waitFor(() => b.acked.size + b.failed.size === 100, 5000, 'every tree settled');
  assert.equal(b.acked.size, 50);
  assert.equal(b.failed.size, 50);
  const bad = rt.stats().find((s) => s.componentId === 'bad')!;
  assert.equal(bad.errors, 50);
  assert.match(bad.lastErrors.at(-1)!.message, /boom 100/);
  const logged = logger.records.filter((r) => r.level === 'error');
  assert.ok(logged.length >= 1 && logged.length <= 6, `errors are throttled in the log (${logged.length})`);
  assert.equal(logged[0]!.meta.component, 'bad');
  assert.equal(logged[0]!.meta.task, rt.plan.components.get('bad')!.tasks[0]);
});

test('direct grouping delivers to the chosen task; all grouping copies to every task', async () => {
  const key = 'direct';
  const spec = makeSpec('direct', [{ id: 'src', export: 'FloodSpout', args: [key, true, 40], outputs: ['word', 'n'] }], [
    { id: 'router', export: 'DirectRouterBolt', outputs: { routed: ['word', 'target'] }, direct: ['routed'], inputs: [{ from: 'src' }] },
    { id: 'sink', export: 'RecordingBolt', args: [key], parallelism: 3, inputs: [{ from: 'router', stream: 'routed', grouping: { type: 'direct' } }] },
    { id: 'copy', export: 'RecordingBolt', args: [`${key}-all`], parallelism: 2, inputs: [{ from: 'src', grouping: { type: 'all' } }] },
  ]);
  await using rt = await start(spec);
  const b = board(key) as ReturnType<typeof board> & { received: Array<[number, string, number]> };
  const all = board(`${key}-all`) as ReturnType<typeof board> & { received: Array<[number, string, number]> };
  await waitFor(() => b.acked.size === 40, 5000, 'all acked');
  assert.equal(b.received.length, 40);
  for (const [task, , target] of b.received) assert.equal(task, target);
  assert.equal(new Set(b.received.map((r) => r[0])).size, 3);
  assert.equal(all.received.length, 80, 'each of 40 tuples reached both copy tasks');
  assert.equal(rt.stats().find((s) => s.componentId === 'src')!.acked, 40);
});
