/**
 * ZooKeeper stopped for longer than the session timeout while a ledger topology runs
 * (test/fixtures/ledger): every session of the cluster — two nimbuses, two supervisors, the
 * workers — expires. When ZooKeeper returns (same port, same data) everything must come back
 * on new sessions: exactly one nimbus leads, both supervisors are registered again and listed
 * by the cluster summary, the workers heartbeat, processing resumes, and the ledger shows
 * every emitted id acked exactly once and received by the sink.
 *
 * The workers' data plane is TCP between workers, so processing should not even stop while
 * ZooKeeper is away; what the outage may not do is make nimbus move (or drop) the workers of
 * supervisors that merely re-register late. To make one surely late, the second supervisor is
 * frozen (SIGSTOP) through the outage and until the new leader has run scheduling passes
 * without it; its worker keeps running meanwhile. No timing is asserted.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { NimbusClient } from '../../src/rpc/client.js';
import { LedgerCluster, ledgerTopology, waitUntil } from '../fixtures/ledger/cluster.js';

const SESSION_MS = 4000;
/** Longer than the session timeout, so every session expires (client- and server-side). */
const OUTAGE_MS = 2.5 * SESSION_MS;

let c: LedgerCluster;

before(async () => {
  c = await LedgerCluster.start({
    zkRoot: '/zk-outage', sessionMs: SESSION_MS, nimbuses: 2, supervisors: 2, workers: 2,
    topologyYaml: (ledger) => ledgerTopology(ledger, { workers: 2 }),
  });
}, { timeout: 90_000 });

after(async () => {
  await c?.close();
});

test('ZooKeeper down for longer than the session timeout: everything re-registers, processing resumes, nothing lost', { timeout: 90_000 }, async () => {
  const client = await NimbusClient.connect(c.nimbusPorts.map((p) => `127.0.0.1:${p}`));
  try {
    const pidsBefore = c.sups.map((s) => c.workerPids(s));
    const late = c.sups[1]!;
    const lateDaemon = c.daemons.get(late.id)!;
    lateDaemon.kill('SIGSTOP');
    await c.zk.stop();
    const stoppedAt = Date.now();
    await c.acksIncrease(100, 'processing while ZooKeeper is down');
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt))));
    // Every daemon noticed that its session is gone (the local expiry timer, A5 rule 4).
    for (const name of ['nimbus0', 'nimbus1', c.sups[0]!.id]) {
      assert.match(c.logs.get(name)!, /session expired/, `${name} saw its session expire`);
    }
    await c.zk.start();
    const ackedAtRestart = c.ackedCount();
    // The new leadership (epoch 2; the summary may still show the old leader-info meanwhile),
    // then a few of its scheduling passes (nimbus.monitor.freq.secs is 1) without the late
    // supervisor registered; then it wakes up.
    const leaderships = (): number => [...c.logs.values()].join('').match(/leading the cluster/g)?.length ?? 0;
    await waitUntil(() => leaderships() >= 2, 'a nimbus leads again', 40_000);
    await new Promise((r) => setTimeout(r, 4000));
    lateDaemon.kill('SIGCONT');

    await waitUntil(async () => {
      const ids = (await c.cluster.supervisors()).map((s) => s.id).sort();
      return JSON.stringify(ids) === JSON.stringify(c.sups.map((s) => s.id));
    }, 'both supervisors registered again', 40_000);
    for (const s of c.sups) {
      const node = await c.cluster.store.get(c.cluster.paths.supervisor(s.id));
      assert.ok(node?.ephemeralOwner, `${s.id}'s node is an ephemeral again`);
    }
    await waitUntil(async () => {
      try {
        const summary = await client.clusterSummary({ deadlineMs: 2000 });
        return summary.nimbuses.filter((n) => n.isLeader).length === 1
          && c.sups.every((s) => summary.supervisors.some((x) => x.id === s.id));
      } catch {
        return false;
      }
    }, 'one leader, and the cluster summary lists both supervisors', 40_000);
    await waitUntil(() => c.heartbeatingWorkers(3000) === 2, 'both workers heartbeat', 30_000);
    await c.acksIncrease(300, 'processing after ZooKeeper is back');
    assert.ok(c.ackedCount() > ackedAtRestart, 'acks rose after the outage');

    // One leader, stable over several polls (no flapping between the two nimbuses).
    for (let i = 0; i < 5; i++) {
      const s = await client.clusterSummary({ deadlineMs: 2000 });
      assert.equal(s.nimbuses.filter((n) => n.isLeader).length, 1, `exactly one leader: ${JSON.stringify(s.nimbuses)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const listed = await c.cli(['list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /ledger\s+ledger-1-\d+\s+ACTIVE/);
    // Supervisors that re-register after the outage keep their workers: nothing was moved.
    assert.deepEqual(c.sups.map((s) => c.workerPids(s)), pidsBefore, 'the same workers run on the same supervisors');
    await c.nothingLostAtAll();
  } finally {
    await client.close();
  }
});
