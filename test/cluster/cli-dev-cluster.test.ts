/**
 * `squall dev-cluster`: ZooKeeper + nimbus + 2 supervisors in one command; a submitted topology
 * runs on real worker processes; Ctrl-C with the topology still running stops everything.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { withDevCluster } from '../helpers/dev-cluster.js';
import { processesUnder } from '../helpers/processes.js';

test('dev-cluster runs a submitted topology on real workers; Ctrl-C stops everything', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'squall-devcluster-'));
  await withDevCluster(dir, 60_000, async ({ zkPort, slotBase, nimbus, log }) => {
    assert.match(log(), new RegExp(`ZooKeeper\\s+127\\.0\\.0\\.1:${zkPort}`));
    assert.match(log(), new RegExp(`worker slots ${slotBase}, ${slotBase + 1}, ${slotBase + 10}, ${slotBase + 11}`));
    const submit = await runCli(['submit', 'python-examples/wordcount', '--nimbus', nimbus, '-c', 'topology.workers=2']);
    assert.equal(submit.code, 0, submit.stderr);
    let acked = 0;
    for (let i = 0; i < 60 && acked !== 1000; i++) {
      const d = await runCli(['describe', 'wordcount', '--nimbus', nimbus, '--json']);
      acked = (JSON.parse(d.stdout) as { components: Array<{ id: string; acked: number }> }).components.find((c) => c.id === 'sentences')?.acked ?? 0;
      if (acked !== 1000) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(acked, 1000);
    assert.ok(processesUnder(join(dir, 'supervisor-1')).length + processesUnder(join(dir, 'supervisor-2')).length >= 2, 'workers running');
  });
});
