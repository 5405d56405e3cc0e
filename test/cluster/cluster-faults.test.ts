/**
 * Faults on a real cluster: ZooKeeper, two `squall nimbus` and two `squall supervisor` daemons
 * as processes, running a ledger topology (test/fixtures/ledger): a spout that writes every
 * emit/ack/fail of its numbered messages to a ledger file and replays failed ids, and a sink
 * bolt that writes every id it receives. The test kills things with SIGKILL and then reads the
 * ledgers: processing resumes, every emitted id is acked at the spout exactly once and reached
 * the sink at least once.
 *
 * The scenarios share one cluster and run in order: a worker killed, the leader nimbus killed
 * (failover), ZooKeeper down for less than the session timeout, a supervisor killed and
 * restarted (adoption). No timing is asserted; every wait is for a condition. The time from
 * the kill of the spout's worker to the restarted spout's first ack is printed (diagnostic).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { NimbusClient } from '../../src/rpc/client.js';
import { alive, LedgerCluster, ledgerTopology, waitUntil } from '../fixtures/ledger/cluster.js';

const SESSION_MS = 6000;

let c: LedgerCluster;

before(async () => {
  c = await LedgerCluster.start({
    zkRoot: '/faults', sessionMs: SESSION_MS, nimbuses: 2, supervisors: 2, workers: 2,
    topologyYaml: (ledger) => ledgerTopology(ledger, { workers: 2 }),
  });
}, { timeout: 90_000 });

after(async () => {
  await c?.close();
});

test('kill -9 of a worker under load: restarted, processing resumes, nothing lost', { timeout: 90_000 }, async (t) => {
  const before = c.sups.map((s) => c.workerPids(s)).flat();
  // The spout's worker first: its pending ids die with it and the new spout replays them.
  const spoutPid = c.readLedger().opens.at(-1)!;
  assert.ok(before.includes(spoutPid), 'the spout runs in one of the workers');
  const other = before.find((p) => p !== spoutPid)!;
  for (const victim of [spoutPid, other]) {
    const owner = c.sups.find((s) => c.workerPids(s).includes(victim))!;
    // A worker in its steady state, which its supervisor has seen heartbeat (monitor period 1 s).
    await waitUntil(() => c.processAgeMs(victim) > 3000, `worker ${victim} has run for a while`);
    process.kill(victim, 'SIGKILL');
    const killedAt = Date.now();
    await waitUntil(() => !alive(victim), `worker ${victim} dead`);
    if (victim === spoutPid) {
      // Only the spout writes acks, so the next ack line is the new spout's: processing resumed.
      const acksAtKill = c.readLedger().ackLines;
      await waitUntil(() => c.readLedger().ackLines > acksAtKill, 'the restarted spout acks', 40_000);
      t.diagnostic(`kill -9 of the spout's worker -> first ack of the restarted spout: ${Date.now() - killedAt} ms`);
    }
    await waitUntil(() => c.workerPids(owner).some((p) => p !== victim && alive(p)), `${owner.id} restarted its worker`, 40_000);
    await c.acksIncrease(200, `processing resumed after kill -9 of worker ${victim}`);
  }
  assert.ok(c.readLedger().opens.length >= 2, 'the spout was reopened in the restarted worker');
  await c.nothingLostSoFar();
});

test('two nimbuses, kill -9 of the leader: the other leads, one leader at every poll, the topology keeps running', { timeout: 90_000 }, async () => {
  const client = await NimbusClient.connect(c.nimbusPorts.map((p) => `127.0.0.1:${p}`));
  try {
    const first = await client.clusterSummary();
    const leaders = first.nimbuses.filter((n) => n.isLeader);
    assert.equal(leaders.length, 1, 'one leader');
    const leaderIndex = c.nimbusPorts.indexOf(leaders[0]!.port);
    assert.ok(leaderIndex >= 0);
    const survivorPort = c.nimbusPorts[1 - leaderIndex]!;
    // Leaders each answer reported, by phase. Between the old leader's session ending and the
    // survivor taking over there is, truthfully, no leader; two leaders would be split brain.
    const polls: { phase: 'before' | 'handover' | 'after'; leaders: number }[] = [];
    let phase: 'before' | 'handover' | 'after' = 'before';
    let polling = true;
    const poller = (async () => {
      while (polling) {
        try {
          const asked = phase;
          const s = await client.clusterSummary({ deadlineMs: 2000 });
          polls.push({ phase: asked === phase ? asked : 'handover', leaders: s.nimbuses.filter((n) => n.isLeader).length });
        } catch {
          // no answer during the handover
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await waitUntil(() => polls.length >= 3, 'answers before the kill', 10_000);
    phase = 'handover';
    await c.kill9(c.daemons.get(`nimbus${leaderIndex}`)!);
    await c.acksIncrease(200, 'processing right after the leader died');
    await waitUntil(async () => {
      try {
        const s = await client.clusterSummary();
        return s.nimbuses.some((n) => n.isLeader && n.port === survivorPort);
      } catch {
        return false;
      }
    }, 'the surviving nimbus leads', 40_000);
    phase = 'after';
    const listed = await c.cli(['list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /ledger\s+ledger-1-\d+\s+ACTIVE/);
    await c.acksIncrease(200, 'processing under the new leader');
    polling = false;
    await poller;
    const shown = JSON.stringify(polls.map((p) => `${p.phase[0]}${p.leaders}`));
    assert.ok(polls.some((p) => p.phase === 'before') && polls.some((p) => p.phase === 'after'), `answers before and after the handover: ${shown}`);
    assert.deepEqual(polls.filter((p) => p.leaders > 1), [], `never two leaders: ${shown}`);
    assert.deepEqual(polls.filter((p) => p.phase !== 'handover' && p.leaders !== 1), [], `exactly one leader outside the handover: ${shown}`);
    await c.nothingLostSoFar();
  } finally {
    await client.close();
  }
});

test('ZooKeeper down for less than the session timeout: no reassignment, processing continues', { timeout: 90_000 }, async () => {
  const version = await c.assignmentVersion();
  const pids = c.sups.map((s) => c.workerPids(s)).flat();
  await c.zk.stop();
  const stoppedAt = Date.now();
  await c.acksIncrease(100, 'processing while ZooKeeper is down');
  // The outage lasts 2 s of the 6 s session timeout.
  await new Promise((r) => setTimeout(r, Math.max(0, 2000 - (Date.now() - stoppedAt))));
  await c.zk.start();
  await c.acksIncrease(200, 'processing after ZooKeeper is back');
  await waitUntil(async () => (await c.cluster.supervisors()).length === 2, 'both supervisors still registered', 20_000);
  assert.equal(await c.assignmentVersion(), version, 'assignment znode version unchanged');
  assert.deepEqual(c.sups.map((s) => c.workerPids(s)).flat(), pids, 'same workers');
  assert.ok(pids.every(alive));
});

test('kill -9 of a supervisor: its worker keeps processing; restarted, it adopts the worker, also past its old session', { timeout: 90_000 }, async () => {
  const s = c.sups[1]!;
  const before = c.workerPids(s);
  assert.equal(before.length, 1);
  await c.kill9(c.daemons.get(s.id)!);
  await c.acksIncrease(100, 'the worker keeps processing without its supervisor');
  c.startSupervisor(s);
  // The restarted supervisor registers once its old session has expired (its old node gone);
  // nimbus keeps the slots meanwhile (nimbus.supervisor.timeout.secs), so nothing is moved.
  await waitUntil(async () => {
    const regs = await c.cluster.supervisors();
    return regs.some((x) => x.id === s.id) && c.logs.get(s.id)!.includes('running');
  }, 'the supervisor re-registered', 40_000);
  await c.acksIncrease(200, 'processing continues after the re-registration');
  assert.deepEqual(c.workerPids(s), before, 'the restarted supervisor adopted its worker (same pid)');
  await c.nothingLostSoFar();
});

test('finally: the spout stops emitting and every id ever emitted is acked exactly once and reached the sink', { timeout: 60_000 }, async () => {
  await c.nothingLostAtAll();
});
