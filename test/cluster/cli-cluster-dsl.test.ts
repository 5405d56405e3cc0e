/**
 * Cluster mode with a Python DSL topology: a real ZooKeeper, `squall nimbus` and a `squall
 * supervisor` with two slots, then `squall submit python-examples/wordcount/topology.py` across
 * 2 workers. The package carries the spec generated at submit (topology.py.json), which is what
 * nimbus and the workers read; the counts must be the word count's, and `kill` must leave no
 * worker or component behind.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { assertWordCountFigures, startCliCluster, wordCountDone, type CliCluster } from '../helpers/cli-cluster.js';

let cluster: CliCluster;

/** Files named `name` anywhere under `root`. */
function findFiles(root: string, name: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name === name)
    .map((d) => join(d.parentPath, d.name));
}

before(async () => {
  // One supervisor with two slots.
  cluster = await startCliCluster({ prefix: 'squall-dsl-e2e-', supervisors: [{ id: 'sup-a', host: '127.0.0.1' }] });
}, { timeout: 60_000 });

after(async () => {
  await cluster[Symbol.asyncDispose]();
  rmSync(cluster.dir, { recursive: true, force: true });
});

test('submit the Python DSL word count: the generated spec is shipped, the counts are right, kill cleans up', { timeout: 120_000 }, async () => {
  const submitted = await cluster.submit(['python-examples/wordcount/topology.py', '-c', 'topology.workers=2']);
  assert.equal(submitted.code, 0, submitted.stderr);
  assert.match(submitted.stdout, /submitted topology "wordcount" as wordcount-1-\d+/);

  assertWordCountFigures(await cluster.describeUntil('wordcount', wordCountDone, 120));

  // The supervisor's copy of the package holds the spec generated at submit, beside topology.py.
  const specs = findFiles(join(cluster.dir, 's1'), 'topology.py.json');
  assert.ok(specs.length >= 1, 'the unpacked package has topology.py.json');
  const spec = JSON.parse(readFileSync(specs[0]!, 'utf8')) as { name: string; bolts: Array<{ id: string }> };
  assert.equal(spec.name, 'wordcount');
  assert.deepEqual(spec.bolts.map((b) => b.id), ['split', 'count']);

  await cluster.killAndWait('wordcount');
});
