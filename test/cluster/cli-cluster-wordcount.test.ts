/**
 * Cluster mode as a user runs it: a real ZooKeeper, `squall nimbus` and two `squall supervisor`
 * processes advertising different loopback addresses, then `squall submit` of the Python word
 * count across 2 workers, `list`, `describe` (exact figures), and `kill` leaving no worker
 * and no component subprocess behind.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertWordCountFigures, startCliCluster, wordCountDone, type CliCluster } from '../helpers/cli-cluster.js';

let cluster: CliCluster;

before(async () => {
  cluster = await startCliCluster({ prefix: 'squall-e2e-' });
}, { timeout: 60_000 });

after(() => cluster[Symbol.asyncDispose]());

test('submit, list, describe and kill the Python word count on 1 nimbus + 2 supervisors', { timeout: 120_000 }, async () => {
  const submitted = await cluster.submit(['python-examples/wordcount', '-c', 'topology.workers=2']);
  assert.equal(submitted.code, 0, submitted.stderr);
  assert.match(submitted.stdout, /submitted topology "wordcount" as wordcount-1-\d+/);

  const d = await cluster.describeUntil('wordcount', wordCountDone, 120);
  assertWordCountFigures(d);
  assert.deepEqual(d.workers.map((w) => w.host).sort(), ['127.0.0.2', '127.0.0.3'], 'one worker per supervisor');
  const list = await cluster.cli(['list']);
  assert.match(list.stdout, /^wordcount\s+wordcount-1-\d+\s+ACTIVE\s+\S+( \S+)?\s+2\s+\d+\s+\d+$/m);
  assert.ok(cluster.clusterProcesses().length >= 2 + 5, 'two workers and their Python components are running');

  const kill = await cluster.killAndWait('wordcount');
  assert.match(kill.stdout, /removed/);
  assert.match((await cluster.cli(['list'])).stdout, /no topologies running/);
});
