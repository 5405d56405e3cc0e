import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createChooser, type Chooser } from '../../src/runtime/groupings.js';
import { hashFields, hashString, hashValue } from '../../src/runtime/hash.js';
import { Random32 } from '../../src/runtime/random.js';
import { OutStream, TaskState } from '../../src/runtime/task.js';
import { Fields } from '../../src/runtime/tuple.js';
import type { SubscriptionPlan } from '../../src/topology/plan.js';
import type { GroupingSpec } from '../../src/topology/spec.js';

const TARGETS = [4, 5, 6, 7];

function chooser(grouping: GroupingSpec, opts: { targets?: number[]; local?: number[]; fieldIndexes?: number[] } = {}): Chooser {
  const sub: SubscriptionPlan = { componentId: 'b', grouping, targetTasks: opts.targets ?? TARGETS, fieldIndexes: opts.fieldIndexes ?? [0] };
  return createChooser(sub, { random: new Random32(), localTasks: new Set(opts.local ?? TARGETS) })!;
}

function tally(c: Chooser, n: number, values: (i: number) => unknown[]): Map<number, number> {
  const m = new Map<number, number>();
  for (let i = 0; i < n; i++) for (const t of c.choose(values(i))) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

test('shuffle deals every window of n tuples exactly once to each of n tasks', () => {
  const c = chooser({ type: 'shuffle' });
  for (let w = 0; w < 250; w++) {
    const window = Array.from({ length: 4 }, () => c.choose([])[0]);
    assert.deepEqual([...window].sort(), TARGETS);
  }
});

test('shuffle order varies between windows (it is random, not round-robin)', () => {
  const c = chooser({ type: 'shuffle' });
  const orders = new Set(Array.from({ length: 50 }, () => Array.from({ length: 4 }, () => c.choose([])[0]).join(',')));
  assert.ok(orders.size > 5, `only ${orders.size} distinct orders`);
});

test('none grouping spreads like shuffle', () => {
  const m = tally(chooser({ type: 'none' }), 4000, () => []);
  assert.deepEqual([...m.values()], [1000, 1000, 1000, 1000]);
});

test('fields grouping: the same key always reaches the same task', () => {
  const a = chooser({ type: 'fields', fields: ['w'] });
  const b = chooser({ type: 'fields', fields: ['w'] });
  for (let i = 0; i < 2000; i++) {
    const key = `key-${i % 300}`;
    const t = a.choose([key, i])[0];
    assert.equal(b.choose([key, -i])[0], t, 'a fresh chooser agrees (stable across processes)');
    assert.equal(a.choose([key, 0])[0], t);
  }
});

test('fields grouping spreads many keys evenly (each task within 15% of the mean)', () => {
  const m = tally(chooser({ type: 'fields', fields: ['w'] }), 40_000, (i) => [`user${i}`]);
  for (const n of m.values()) assert.ok(Math.abs(n - 10_000) < 1500, `task got ${n}`);
  const ints = tally(chooser({ type: 'fields', fields: ['w'] }), 40_000, (i) => [i]);
  for (const n of ints.values()) assert.ok(Math.abs(n - 10_000) < 1500, `task got ${n} for integer keys`);
});

test('fields grouping on two fields uses both, in order', () => {
  const c = chooser({ type: 'fields', fields: ['a', 'b'] }, { fieldIndexes: [0, 2] });
  const seen = new Map<string, number>();
  for (let i = 0; i < 1000; i++) {
    const key = [`a${i % 7}`, 'ignored', `b${i % 11}`];
    const t = c.choose(key)[0]!;
    const k = `${key[0]}/${key[2]}`;
    if (seen.has(k)) assert.equal(seen.get(k), t);
    seen.set(k, t);
  }
  assert.equal(new Set(seen.values()).size, 4, 'combined keys reach every task');
});

test('the stable hash has fixed values (changing it would move keys between tasks)', () => {
  assert.equal(hashString(''), 0x811c9dc5);
  assert.equal(hashString('word'), hashValue('word'));
  assert.deepEqual(['apple', 'the', 'squall', 'storm'].map((w) => hashValue(w)), [280767167,3020861980,3648365871,3219632022]);
  assert.deepEqual([0, 1, 2, 1234567, -5, 2.5].map((n) => hashValue(n)), [2872998923,3770482475,1112372382,3583496199,1524323047,3926208160]);
  assert.deepEqual([hashValue(true), hashValue(null), hashValue([1, 'a'])], [1290101069, 1354730939, 1855062799]);
  assert.equal(hashValue({ b: 1, a: [2, 'x'] }), hashValue({ a: [2, 'x'], b: 1 }), 'object key order does not matter');
  assert.notEqual(hashValue('1'), hashValue(1), 'a string and a number differ');
  assert.equal(hashFields(['x', 'y'], [0, 1]), hashFields(['x', 'z', 'y'], [0, 2]));
});

test('partial key grouping sends each key to at most two tasks and balances a hot key', () => {
  const c = chooser({ type: 'partial_key', fields: ['k'] });
  const perKey = new Map<string, Set<number>>();
  for (let i = 0; i < 10_000; i++) {
    const key = `k${i % 50}`;
    const t = c.choose([key])[0]!;
    (perKey.get(key) ?? perKey.set(key, new Set()).get(key)!).add(t);
  }
  for (const [k, tasks] of perKey) assert.ok(tasks.size <= 2, `${k} went to ${tasks.size} tasks`);
  const hot = chooser({ type: 'partial_key', fields: ['k'] });
  const m = tally(hot, 1000, () => ['hot']);
  const counts = [...m.values()];
  if (counts.length === 2) assert.ok(Math.abs(counts[0]! - counts[1]!) <= 1, `hot key split ${counts.join(',')}`);
  else assert.equal(counts.length, 1, 'both candidates were the same task');
});

test('all grouping copies every tuple to every task', () => {
  assert.deepEqual([...chooser({ type: 'all' }).choose(['x'])], TARGETS);
});

test('global grouping sends everything to the lowest task id', () => {
  const m = tally(chooser({ type: 'global' }, { targets: [9, 3, 5] }), 100, () => ['x']);
  assert.deepEqual([...m], [[3, 100]]);
});

test('local_or_shuffle prefers tasks in this worker, falls back to all', () => {
  const local = tally(chooser({ type: 'local_or_shuffle' }, { local: [5, 7] }), 1000, () => []);
  assert.deepEqual([...local.keys()].sort(), [5, 7]);
  assert.deepEqual([...local.values()], [500, 500]);
  const none = tally(chooser({ type: 'local_or_shuffle' }, { local: [1] }), 400, () => []);
  assert.deepEqual([...none.keys()].sort(), TARGETS);
});

test('direct streams: emit with directTask only, and only to subscribing tasks', () => {
  const direct = new OutStream('d', new Fields(['x']), true, [], new Set([4, 5]));
  const plain = new OutStream('default', new Fields(['x']), false, [chooser({ type: 'global' })], new Set());
  const task = new TaskState(1, 'src', 'topo', new Map([['d', direct], ['default', plain]]));
  assert.deepEqual(task.targets(direct, ['v'], 5), [5]);
  assert.throws(() => task.targets(direct, ['v'], undefined), /declared direct: emit with directTask/);
  assert.throws(() => task.targets(direct, ['v'], 6), /task 6, which does not subscribe/);
  assert.throws(() => task.targets(plain, ['v'], 4), /not declared direct/);
  assert.throws(() => task.targets(plain, ['v', 'extra'], undefined), /2 values; the stream declares 1 fields/);
  assert.throws(() => task.stream('nope'), /undeclared stream "nope"/);
});
