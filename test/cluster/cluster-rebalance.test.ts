/**
 * A rebalance from 1 to 2 workers on a real cluster (ZooKeeper, a `squall nimbus`, two
 * `squall supervisor` daemons, one slot each) keeps every fields-grouping key on the same task.
 *
 * The ledger topology's spout emits [id, key] with 16 keys; the sink is fields-grouped on the
 * key with 4 tasks in 2 executors. Two rebalances with the real CLI: `squall rebalance ledger
 * -n 2` (1 → 2 workers), then `-e sink=4` (each task its own executor); they move tasks
 * between workers and executors but never change the task ids (Storm: the number of tasks is
 * fixed for the topology's life), so fields grouping must keep sending a key to one task. Each sink task writes the (id, key) pairs
 * it receives to its own file; the test reads them: across the whole run, before and after,
 * each key reached exactly one task id, and every emitted id was acked once and reached the sink.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LedgerCluster, ledgerTopology, waitUntil } from '../fixtures/ledger/cluster.js';

const KEYS = 16;

let c: LedgerCluster;

before(async () => {
  c = await LedgerCluster.start({
    zkRoot: '/rebalance', sessionMs: 6000, nimbuses: 1, supervisors: 2, workers: 1,
    topologyYaml: (ledger) => ledgerTopology(ledger, { workers: 1, keys: KEYS, sinkParallelism: 2, sinkTasks: 4 }),
  });
}, { timeout: 90_000 });

after(async () => {
  await c?.close();
});

async function rebalance(args: string[]): Promise<void> {
  const r = await c.cli(['rebalance', 'ledger', ...args, '-w', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /rebalancing topology "ledger"/);
}

/** Distinct worker slots of the assignment, and its executors holding sink tasks. */
async function slotsAndSinkExecutors(sinkTasks: readonly number[]): Promise<{ slots: number; sinkExecutors: Array<{ startTask: number; endTask: number }> }> {
  const a = await c.cluster.assignment(c.topologyId);
  const executors = a?.value.executors ?? [];
  return {
    slots: new Set(executors.map((e) => `${e.supervisorId}:${e.port}`)).size,
    sinkExecutors: executors.filter((e) => sinkTasks.some((t) => t >= e.startTask && t <= e.endTask)),
  };
}

function keysOnOneTaskEach(): void {
  const l = c.readLedger();
  assert.equal(l.keyTasks.size, KEYS, `every key reached the sink: ${[...l.keyTasks.keys()].join(',')}`);
  for (const [key, tasks] of l.keyTasks) assert.equal(tasks.size, 1, `key ${key} was seen on task ids ${[...tasks].join(', ')}`);
}

test('rebalance from 1 to 2 workers, then from 2 to 4 sink executors: every key stays on its task, nothing lost', { timeout: 90_000 }, async () => {
  keysOnOneTaskEach();
  const tasksBefore = new Map([...c.readLedger().keyTasks].map(([k, t]) => [k, [...t][0]!]));
  const sinkTasks = [...new Set(tasksBefore.values())];
  assert.equal(sinkTasks.length, 4, 'the 16 keys spread over the 4 sink tasks');
  const pidBefore = c.sups.flatMap((s) => c.workerPids(s));
  assert.equal(pidBefore.length, 1);

  // 1 → 2 workers: the 2 sink executors (2 tasks each) are spread over both.
  await rebalance(['-n', '2']);
  await waitUntil(() => c.runningWorkers() === 2 && c.sups.every((s) => c.workerPids(s).length === 1), 'one worker on each supervisor', 40_000);
  await waitUntil(async () => (await slotsAndSinkExecutors(sinkTasks)).slots === 2, 'the assignment has 2 workers', 40_000);
  await waitUntil(() => c.heartbeatingWorkers(3000) === 2, 'both workers heartbeat', 30_000);
  await c.acksIncrease(300, 'processing after the rebalance to 2 workers');
  keysOnOneTaskEach();

  // 2 → 4 sink executors: same tasks, split one per executor.
  await rebalance(['-e', 'sink=4']);
  await waitUntil(async () => {
    const a = await slotsAndSinkExecutors(sinkTasks);
    return a.slots === 2 && a.sinkExecutors.length === 4 && a.sinkExecutors.every((e) => e.startTask === e.endTask);
  }, 'the assignment has one task per sink executor', 40_000);
  await c.acksIncrease(300, 'processing after the rebalance to 4 sink executors');
  const listed = await c.cli(['list']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /ledger\s+ledger-1-\d+\s+ACTIVE/);
  await c.nothingLostAtAll();
  keysOnOneTaskEach();
  for (const [key, tasks] of c.readLedger().keyTasks) assert.deepEqual([...tasks], [tasksBefore.get(key)], `key ${key} kept its task`);
});
