/**
 * A Storm user's multilang Flux topology (FluxShellSpout/FluxShellBolt with storm.py components
 * in resources/) runs under `squall run` unchanged.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { ensureCompatAdapters, STORM_PY_DIR } from '../helpers/compat.js';

before(() => ensureCompatAdapters(), { timeout: 600_000 });

test('squall run on a Flux file with storm.py components: exact figures', { timeout: 60_000 }, async () => {
  const r = await runCli(['run', 'test/fixtures/flux-multilang/topology.yaml', '--duration', '4s', '--json', '--no-status'], { env: { STORM_PY_DIR } });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { topology: string; components: Array<{ componentId: string; tasks: number; acked: number; failed: number; executed: number; errors: number }> };
  const by = Object.fromEntries(out.components.map((c) => [c.componentId, c]));
  assert.equal(out.topology, 'flux-wordcount');
  assert.equal(by['sentence-spout']!.acked, 300);
  assert.equal(by['sentence-spout']!.failed, 0);
  assert.equal(by.split!.executed, 300);
  assert.equal(by.count!.executed, 100 * (6 + 8 + 6));
  assert.equal(by.count!.tasks, 4);
  assert.equal(by.count!.errors + by.split!.errors, 0);
});

test('a Flux file with an unset ${ENV-...} variable fails before anything starts', async () => {
  const env = { ...process.env };
  delete env.STORM_PY_DIR;
  const r = await runCli(['run', 'test/fixtures/flux-multilang/topology.yaml'], { env: env as Record<string, string> });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /topology\.yaml:9:\d+: error: .*STORM_PY_DIR/);
});

test('a Flux component naming a Java class gets a clear error', async () => {
  const r = await runCli(['run', 'test/fixtures/flux/java-class.yaml']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /component "sink": .*com\.example\.RedisSinkBolt.*Java class/);
});
