/**
 * The coordination layer against a real ZooKeeper (Debian's package, started by
 * test/helpers/zookeeper.ts on a free loopback port with 200 ms ticks). Covers the TEST-PLANS
 * A5 rules end to end: typed errors and versions, ephemerals, sequential order, re-arming
 * watches, election without herd effect, fencing, and ZooKeeper restarts shorter and longer
 * than the session timeout. Each test works under its own chroot.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryLogger } from '../../src/common/logger.js';
import { ClusterState } from '../../src/coordination/cluster-state.js';
import {
  BadVersionError, FencedError, NoChildrenForEphemeralsError, NodeExistsError, NoNodeError, NotEmptyError,
  OperationTimeoutError,
} from '../../src/coordination/errors.js';
import type { LeaderElection } from '../../src/coordination/leader-election.js';
import type { Assignment, SupervisorInfo } from '../../src/coordination/records.js';
import type { DataWatchEvent, SessionEvent, StateStore } from '../../src/coordination/state-store.js';
import { ZooKeeperStateStore, type ZooKeeperStateStoreOptions } from '../../src/coordination/zk-store.js';
import { eventually } from '../helpers/turns.js';
import { startZkProxy, startZooKeeper, type ZkServer } from '../helpers/zookeeper.js';

let zk: ZkServer;
let chroots = 0;

before(async () => { zk = await startZooKeeper(); });
after(async () => { await zk[Symbol.asyncDispose](); });

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined => (b ? new TextDecoder().decode(b) : undefined);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Connects stores that share one fresh chroot; closes them all at the end of the test. */
function scope() {
  const chroot = `/t${++chroots}-${process.pid}`;
  const stores: ZooKeeperStateStore[] = [];
  return {
    async connect(opts: Partial<ZooKeeperStateStoreOptions> = {}): Promise<ZooKeeperStateStore> {
      const s = await ZooKeeperStateStore.connect({
        servers: [zk.connectString], chroot, sessionTimeoutMs: 2_000, spinDelayMs: 100, shutdownGraceMs: 2_000, ...opts,
      });
      stores.push(s);
      return s;
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await Promise.all(stores.map((s) => s.close()));
    },
  };
}

function recordSessions(store: StateStore): SessionEvent[] {
  const events: SessionEvent[] = [];
  store.onSession((ev) => events.push(ev));
  return events;
}

const supervisorInfo = (id: string): SupervisorInfo => ({
  id, host: '127.0.0.1', ports: [6700, 6701], usedPorts: [], address: '127.0.0.1:6628', version: '0.1.0', startedAtMs: 1,
});

const assignmentOf = (port: number): Assignment => ({
  topologyId: 'wc-1-1', nodeHost: { s1: '127.0.0.1' }, executors: [{ startTask: 1, endTask: 4, supervisorId: 's1', port }], assignedAtMs: 1,
});

describe('ZooKeeperStateStore against a real ZooKeeper', () => {
  test('versions, BadVersion and typed errors; multi honours an expected version of 0', async () => {
    await using sc = scope();
    const s = await sc.connect();
    await s.create('/a', bytes('1'), { mode: 'persistent' });
    assert.equal((await s.set('/a', bytes('2'), 0)).version, 1);
    const bad = await s.set('/a', bytes('3'), 0).catch((e: unknown) => e);
    assert.ok(bad instanceof BadVersionError);
    assert.equal(bad.code, 'E_STATE_BAD_VERSION');
    assert.equal(bad.retriable, false);
    await assert.rejects(s.set('/missing', bytes('x')), NoNodeError);
    await assert.rejects(s.create('/a', bytes('x'), { mode: 'persistent' }), NodeExistsError);
    await s.create('/d/e/f', bytes(''), { mode: 'persistent', parents: true });
    await assert.rejects(s.delete('/d'), NotEmptyError);
    await s.delete('/d', -1, { recursive: true });
    assert.equal(await s.exists('/d'), undefined);
    await s.create('/eph', bytes(''), { mode: 'ephemeral' });
    await assert.rejects(s.create('/eph/c', bytes(''), { mode: 'persistent' }), NoChildrenForEphemeralsError);

    // node-zookeeper-client turns a multi version of 0 into "any": our workaround must not.
    await s.create('/b', bytes('0'), { mode: 'persistent' });
    const ok = await s.multi([{ op: 'check', path: '/b', version: 0 }, { op: 'set', path: '/b', data: bytes('1'), version: 0 }]);
    assert.deepEqual(ok, [{ op: 'check' }, { op: 'set', version: 1 }]);
    const stale = await s.multi([
      { op: 'create', path: '/b/child', data: bytes(''), mode: 'persistent' },
      { op: 'check', path: '/b', version: 0 },
    ]).catch((e: unknown) => e);
    assert.ok(stale instanceof BadVersionError);
    assert.equal(stale.opIndex, 1);
    assert.equal(await s.exists('/b/child'), undefined, 'all or nothing');
  });

  test('ephemeral nodes vanish as soon as their client closes', async () => {
    await using sc = scope();
    const owner = await sc.connect();
    const observer = await sc.connect();
    await owner.create('/member', bytes('me'), { mode: 'ephemeral' });
    assert.equal((await observer.get('/member'))?.ephemeralOwner, owner.sessionId);
    await owner.close();
    assert.equal(owner.clientStats().live, 0);
    assert.equal(await observer.exists('/member'), undefined);
  });

  test('sequential nodes are numbered in creation order with 10 digits', async () => {
    await using sc = scope();
    const s = await sc.connect();
    await s.create('/q', bytes(''), { mode: 'persistent' });
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push(await s.create('/q/n-', bytes(String(i)), { mode: i % 2 ? 'ephemeral-sequential' : 'sequential' }));
    assert.deepEqual(made, [0, 1, 2, 3, 4].map((i) => `/q/n-${String(i).padStart(10, '0')}`));
    assert.deepEqual((await s.children('/q')).sort().map((n) => `/q/${n}`), made);
  });

  test('data and children watches fire, re-arm, and stop when closed', async () => {
    await using sc = scope();
    const watcher = await sc.connect();
    const writer = await sc.connect();
    const seen: Array<[string, string | undefined]> = [];
    const data = await watcher.watchData('/w', (ev) => seen.push([ev.type, text(ev.node?.data)]));
    await writer.create('/w', bytes('1'), { mode: 'persistent' });
    await eventually(() => seen.length === 1, 'created');
    await writer.set('/w', bytes('2'));
    await eventually(() => seen.length === 2, 'changed');
    await writer.set('/w', bytes('3'));
    await eventually(() => seen.length === 3, 'changed again');
    const lists: string[][] = [];
    const kids = await watcher.watchChildren('/w', (ev) => lists.push([...(ev.children ?? [])].sort()));
    for (const name of ['a', 'b', 'c']) {
      await writer.create(`/w/${name}`, bytes(''), { mode: 'persistent' });
      await eventually(() => lists.at(-1)?.includes(name) === true, `child ${name}`);
    }
    assert.deepEqual(lists.at(-1), ['a', 'b', 'c']);
    await writer.delete('/w', -1, { recursive: true });
    await eventually(() => seen.at(-1)?.[0] === 'deleted', 'deleted');
    assert.deepEqual(seen.slice(0, 3), [['created', '1'], ['changed', '2'], ['changed', '3']]);
    data.close();
    kids.close();
    const count = seen.length;
    await writer.create('/w', bytes('4'), { mode: 'persistent' });
    await sleep(200);
    assert.equal(seen.length, count, 'a closed watch stays silent');
  });

  test('leader election: one leader at every check, hand-over on close without waiting for a session expiry, no herd', async () => {
    await using sc = scope();
    const stores = [await sc.connect(), await sc.connect(), await sc.connect()];
    const elections: LeaderElection[] = [];
    const states: ClusterState[] = [];
    for (const [i, store] of stores.entries()) {
      const state = await ClusterState.create(store);
      states.push(state);
      elections.push(await state.joinElection(`nimbus-${i}`));
    }
    const [e0, e1, e2] = elections as [LeaderElection, LeaderElection, LeaderElection];
    const leaders = (): number => elections.filter((e) => e.isLeader()).length;
    let violations = 0;
    const sampler = setInterval(() => { if (leaders() > 1) violations++; }, 2);
    try {
      assert.equal(leaders(), 1);
      assert.equal(e0.isLeader(), true);
      await stores[0]!.close(); // the leader "dies"
      // A closed session's candidate node is gone at once: the hand-over needs no session expiry.
      assert.equal((await stores[1]!.children(states[1]!.paths.leaderLock)).length, 2, 'the old leader\'s candidate node was removed by close()');
      await eventually(() => e1.isLeader(), 'successor leads');
      assert.equal(leaders(), 1);
      assert.equal(e1.stats().wakeups, 1, 'successor woken once');
      assert.equal(e2.stats().wakeups, 0, 'third candidate not woken (no herd)');
      await e1.close();
      await eventually(() => e2.isLeader(), 'last candidate leads');
      assert.equal(leaders(), 1);
      assert.deepEqual([e1.isLeader(), e2.leadership()?.epoch], [false, 3]);
    } finally {
      clearInterval(sampler);
    }
    assert.equal(violations, 0, 'never two leaders at once');
  });

  test('fencing: a stale leader\'s write is rejected by ZooKeeper', async () => {
    await using sc = scope();
    const [sa, sb] = [await sc.connect(), await sc.connect()];
    const [ca, cb] = [await ClusterState.create(sa), await ClusterState.create(sb)];
    const [ea, eb] = [await ca.joinElection('nimbus-a'), await cb.joinElection('nimbus-b')];
    const la = ea.leadership()!;
    assert.equal(await ca.setAssignment(la, assignmentOf(6700)), 0);
    // nimbus-a stalls (GC pause, partition) and keeps believing in its leadership while
    // its election node disappears, as it does when the server expires its session.
    const stalled = { ...la, signal: new AbortController().signal };
    await sb.delete(la.candidatePath);
    await eventually(() => eb.isLeader(), 'nimbus-b takes over');
    const lb = eb.leadership()!;
    assert.ok(lb.epoch > la.epoch);
    const err = await ca.setAssignment(stalled, assignmentOf(6999)).catch((e: unknown) => e);
    assert.ok(err instanceof FencedError, String(err));
    assert.equal(err.code, 'E_FENCED');
    assert.equal((await cb.assignment('wc-1-1'))?.value.executors[0]?.port, 6700, 'the stale write was not applied');
    assert.equal(await cb.setAssignment(lb, assignmentOf(6701), 0), 1);
    assert.equal(ea.isLeader(), false);
  });

  test('connecting to a port where nothing listens fails with a typed timeout', async () => {
    const err = await ZooKeeperStateStore.connect({ servers: ['127.0.0.1:1'], connectTimeoutMs: 500, spinDelayMs: 100 }).catch((e: unknown) => e);
    assert.ok(err instanceof OperationTimeoutError, String(err));
    assert.match(err.message, /could not connect to ZooKeeper at 127\.0\.0\.1:1/);
  });
});

describe('ZooKeeper restarts', () => {
  test('stopped for less than the session timeout: same session, no expiry, ephemerals and watches intact', async () => {
    await using sc = scope();
    // The harness's longest session: restarting ZooKeeper's JVM on a loaded machine took 6 s once.
    const s = await sc.connect({ sessionTimeoutMs: 10_000 });
    const observer = await sc.connect({ sessionTimeoutMs: 10_000 });
    const events = recordSessions(s);
    const session = s.sessionId;
    await s.create('/me', bytes('x'), { mode: 'ephemeral' });
    const watched: DataWatchEvent[] = [];
    await s.watchData('/flag', (ev) => watched.push(ev));
    await zk.stop();
    await eventually(() => s.state === 'disconnected', 'client notices');
    await sleep(300);
    await zk.start();
    await eventually(() => s.state === 'connected' && observer.state === 'connected', 'reconnected');
    assert.deepEqual(events.map((e) => e.type), ['disconnected', 'connected']);
    assert.equal(s.sessionId, session);
    assert.deepEqual(s.clientStats(), { created: 1, live: 1 });
    assert.equal((await observer.get('/me'))?.ephemeralOwner, session);
    await observer.create('/flag', bytes('up'), { mode: 'persistent' });
    await eventually(() => watched.some((e) => e.type === 'created'), 'watch still armed');
  });

  test('stopped for longer: expired, one new client, ephemerals recreated over stale ones, watches and election re-armed', async () => {
    await using sc = scope();
    const logs = new MemoryLogger();
    const s = await sc.connect({ sessionTimeoutMs: 1_500, logger: logs });
    const cs = await ClusterState.create(s);
    const events = recordSessions(s);
    const old = s.sessionId;
    await cs.registerSupervisor(supervisorInfo('s1'));
    const election = await cs.joinElection('nimbus-a');
    assert.equal(election.isLeader(), true);
    const watched: DataWatchEvent[] = [];
    await s.watchData('/flag', (ev) => watched.push(ev));

    await zk.stop();
    await eventually(() => events.some((e) => e.type === 'expired'), 'local-timer expiry', 5_000);
    assert.deepEqual(events.find((e) => e.type === 'expired')?.reason, 'local-timer');
    assert.equal(election.isLeader(), false, 'leadership dropped at expiry');
    await zk.start();
    await eventually(() => events.some((e) => e.type === 'reconnected-new-session'), 'new session', 10_000);

    assert.notEqual(s.sessionId, old);
    await eventually(() => s.clientStats().live === 1, 'old client closed');
    assert.deepEqual(s.clientStats(), { created: 2, live: 1 });
    const observer = await sc.connect();
    const node = await observer.get(cs.paths.supervisor('s1'));
    assert.equal(node?.ephemeralOwner, s.sessionId, 'recreated under the new session');
    // Whether a stale node from the old session was still there depends on how long the restart
    // took (ZooKeeper expires the old session itself past its timeout); the owner check that
    // clears it is covered deterministically by the in-memory suite.
    await observer.create('/flag', bytes('up'), { mode: 'persistent' });
    await eventually(() => watched.some((e) => e.type === 'created'), 'watch re-armed on the new session');
    await eventually(() => election.isLeader(), 'rejoined the election and leads again');
    assert.equal(election.leadership()?.epoch, 2);
  });

  test('silently partitioned for longer than the session timeout: the leader steps down before a successor takes over', async () => {
    await using sc = scope();
    await using proxy = await startZkProxy(zk.port);
    const sa = await sc.connect({ servers: [proxy.connectString], sessionTimeoutMs: 1_500 });
    const sb = await sc.connect({ sessionTimeoutMs: 1_500 });
    const [ca, cb] = [await ClusterState.create(sa), await ClusterState.create(sb)];
    await ca.registerSupervisor(supervisorInfo('sa'));
    const [ea, eb] = [await ca.joinElection('nimbus-a'), await cb.joinElection('nimbus-b')];
    assert.equal(ea.isLeader(), true);
    let aDroppedAt = 0;
    let bGainedAt = 0;
    ea.onLeadership((l) => { if (!l) aDroppedAt = Date.now(); });
    eb.onLeadership((l) => { if (l) bGainedAt = Date.now(); });
    const events = recordSessions(sa);

    proxy.blackhole(true); // no FIN, no RST: only the watchdog can notice
    await eventually(() => eb.isLeader(), 'the server expired nimbus-a and nimbus-b took over', 8_000);
    await eventually(() => events.some((e) => e.type === 'expired'), 'nimbus-a assumed expiry', 3_000);
    assert.deepEqual(events.slice(0, 2).map((e) => [e.type, e.reason]), [['disconnected', undefined], ['expired', 'local-timer']]);
    assert.ok(aDroppedAt > 0 && aDroppedAt <= bGainedAt, `nimbus-a stepped down at ${aDroppedAt}, nimbus-b took over at ${bGainedAt}`);
    assert.deepEqual((await cb.supervisors()).map((x) => x.id), [], 'the server deleted nimbus-a\'s ephemerals');

    proxy.blackhole(false);
    await eventually(() => events.some((e) => e.type === 'reconnected-new-session'), 'nimbus-a has a new session', 10_000);
    assert.deepEqual((await cb.supervisors()).map((x) => x.id), ['sa'], 'ephemeral recreated');
    await eventually(async () => (await sb.children(cb.paths.leaderLock)).length === 2, 'nimbus-a rejoined the election');
    assert.deepEqual([ea.isLeader(), eb.isLeader()], [false, true]);
    await eventually(() => sa.clientStats().live === 1, 'retired client closed');
    assert.deepEqual(sa.clientStats(), { created: 2, live: 1 });
  });
});
