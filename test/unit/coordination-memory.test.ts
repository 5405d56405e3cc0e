/**
 * The coordination layer on the in-memory store, time driven by a FakeClock: StateStore
 * semantics (versions, modes, multi, watches, sessions, timeouts), ClusterState records, and
 * leader election with fencing. The same behaviours run against a real ZooKeeper in
 * test/cluster/coordination-zk.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../src/common/clock.js';
import { MemoryLogger } from '../../src/common/logger.js';
import { ClusterState } from '../../src/coordination/cluster-state.js';
import {
  BadVersionError, FencedError, InvalidPathError, NoChildrenForEphemeralsError, NodeExistsError, NoNodeError,
  NotEmptyError, OperationTimeoutError, StateFormatError, StoreClosedError,
} from '../../src/coordination/errors.js';
import { InMemoryStateStore } from '../../src/coordination/memory-store.js';
import { InMemoryZooKeeper } from '../../src/coordination/memory-tree.js';
import { ClusterPaths } from '../../src/coordination/paths.js';
import type { Assignment, SupervisorInfo, TopologyRecord } from '../../src/coordination/records.js';
import type { DataWatchEvent, SessionEvent, StateStore } from '../../src/coordination/state-store.js';

// ---- helpers ----

const SESSION_MS = 1_000;
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined): string | undefined => (b ? new TextDecoder().decode(b) : undefined);

/** Lets queued microtasks and immediates run (watch deliveries, re-arming, election steps). */
async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** Waits, without moving fake time, until `cond` holds. */
async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await cond()) return;
    await flush(2);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

/** Moves fake time in steps, letting async flows run in between. */
async function advance(clock: FakeClock, ms: number, stepMs = 50): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(Math.min(stepMs, ms - t));
    await flush(3);
  }
}

function recordSessions(store: StateStore): SessionEvent[] {
  const events: SessionEvent[] = [];
  store.onSession((ev) => events.push(ev));
  return events;
}

/** Several client stores (sessions) on one tree, closed together. */
function memoryCluster() {
  const clock = new FakeClock();
  const tree = new InMemoryZooKeeper({ clock });
  const logs = new MemoryLogger();
  const stores: InMemoryStateStore[] = [];
  return {
    clock, tree, logs,
    async connect(): Promise<InMemoryStateStore> {
      const s = await InMemoryStateStore.create({ tree, clock, logger: logs, sessionTimeoutMs: SESSION_MS });
      stores.push(s);
      return s;
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await Promise.all(stores.map((s) => s.close()));
    },
  };
}

const supervisorInfo = (id: string, ports = [6700, 6701]): SupervisorInfo => ({
  id, host: `${id}.local`, ports, usedPorts: [], address: `${id}.local:6628`, version: '0.1.0', startedAtMs: 1,
});

const topologyRecord = (id: string): TopologyRecord => ({
  id, name: id.split('-')[0]!, status: 'ACTIVE', numWorkers: 2, componentExecutors: { spout: 1, bolt: 2 }, launchTimeMs: 5,
  packageId: 'pkg-1', topologyFile: 'topology.yaml', configOverrides: { 'topology.workers': 2 },
});

const assignmentOf = (topologyId: string, port: number): Assignment => ({
  topologyId, nodeHost: { s1: 's1.local' }, executors: [{ startTask: 1, endTask: 2, supervisorId: 's1', port }], assignedAtMs: 9,
});

// ---- StateStore ----

describe('InMemoryStateStore: nodes and versions', () => {
  test('create, get, set with versions; BadVersion is typed and not retriable', async () => {
    await using c = memoryCluster();
    const s = await c.connect();
    assert.equal(await s.create('/a', bytes('one'), { mode: 'persistent' }), '/a');
    const got = await s.get('/a');
    assert.equal(text(got?.data), 'one');
    assert.equal(got?.version, 0);
    assert.equal((await s.set('/a', bytes('two'), 0)).version, 1);
    const err = await s.set('/a', bytes('three'), 0).catch((e: unknown) => e);
    assert.ok(err instanceof BadVersionError);
    assert.equal(err.code, 'E_STATE_BAD_VERSION');
    assert.equal(err.retriable, false);
    assert.equal(err.path, '/a');
    assert.equal((await s.set('/a', bytes('three'))).version, 2);
    assert.equal(await s.get('/missing'), undefined);
    assert.equal(await s.exists('/missing'), undefined);
    await assert.rejects(s.set('/missing', bytes('x')), NoNodeError);
    await assert.rejects(s.create('/a', bytes('x'), { mode: 'persistent' }), NodeExistsError);
    await assert.rejects(s.create('/no/parent', bytes('x'), { mode: 'persistent' }), NoNodeError);
    await assert.rejects(s.get('relative'), InvalidPathError);
    await assert.rejects(s.get('/a/../b'), InvalidPathError);
  });

  test('parents, children, delete with version, NotEmpty and recursive delete', async () => {
    await using c = memoryCluster();
    const s = await c.connect();
    await s.create('/x/y/z', bytes(''), { mode: 'persistent', parents: true });
    await s.create('/x/y/w', bytes(''), { mode: 'persistent' });
    assert.deepEqual((await s.children('/x/y')).sort(), ['w', 'z']);
    await assert.rejects(s.children('/nope'), NoNodeError);
    await assert.rejects(s.delete('/x/y'), NotEmptyError);
    await assert.rejects(s.delete('/x/y/z', 3), BadVersionError);
    await s.delete('/x/y/z', 0);
    await s.delete('/x', -1, { recursive: true });
    assert.equal(await s.exists('/x'), undefined);
  });

  test('sequential names have 10 zero-padded digits and keep increasing across deletes', async () => {
    await using c = memoryCluster();
    const s = await c.connect();
    await s.create('/q', bytes(''), { mode: 'persistent' });
    const a = await s.create('/q/n-', bytes(''), { mode: 'sequential' });
    const b = await s.create('/q/n-', bytes(''), { mode: 'ephemeral-sequential' });
    assert.equal(a, '/q/n-0000000000');
    assert.equal(b, '/q/n-0000000001');
    await s.delete(a);
    const d = await s.create('/q/n-', bytes(''), { mode: 'sequential' });
    assert.ok(d > b, `${d} sorts after ${b}`);
    assert.match(d, /^\/q\/n-\d{10}$/);
  });

  test('ephemerals belong to the session: no children, gone on close and on expiry', async () => {
    await using c = memoryCluster();
    const owner = await c.connect();
    const other = await c.connect();
    await owner.create('/e', bytes('mine'), { mode: 'ephemeral' });
    assert.equal((await other.get('/e'))?.ephemeralOwner, owner.sessionId);
    await assert.rejects(owner.create('/e/child', bytes(''), { mode: 'persistent' }), NoChildrenForEphemeralsError);
    await owner.close();
    assert.equal(await other.exists('/e'), undefined);

    const second = await c.connect();
    await second.create('/e2', bytes(''), { mode: 'ephemeral', recreateOnNewSession: false });
    second.expireSession();
    assert.equal(await other.exists('/e2'), undefined);
  });

  test('multi applies all operations or none and names the failing one', async () => {
    await using c = memoryCluster();
    const s = await c.connect();
    await s.create('/m', bytes('0'), { mode: 'persistent' });
    const ok = await s.multi([
      { op: 'check', path: '/m', version: 0 },
      { op: 'create', path: '/m/a', data: bytes('a'), mode: 'persistent' },
      { op: 'set', path: '/m', data: bytes('1'), version: 0 },
    ]);
    assert.deepEqual(ok, [{ op: 'check' }, { op: 'create', path: '/m/a' }, { op: 'set', version: 1 }]);
    const err = await s.multi([
      { op: 'create', path: '/m/b', data: bytes('b'), mode: 'persistent' },
      { op: 'delete', path: '/m/a' },
      { op: 'check', path: '/m', version: 0 },
    ]).catch((e: unknown) => e);
    assert.ok(err instanceof BadVersionError);
    assert.equal(err.opIndex, 2);
    assert.equal(await s.exists('/m/b'), undefined, 'the create was rolled back');
    assert.ok(await s.exists('/m/a'), 'the delete was rolled back');
  });
});

describe('InMemoryStateStore: watches', () => {
  test('a data watch fires on every change with the value it re-armed with, and stops when closed', async () => {
    await using c = memoryCluster();
    const watcher = await c.connect();
    const writer = await c.connect();
    const seen: Array<[string, string | undefined]> = [];
    const h = await watcher.watchData('/w', (ev) => seen.push([ev.type, text(ev.node?.data)]));
    assert.equal(h.initial, undefined);
    await writer.create('/w', bytes('1'), { mode: 'persistent' });
    await until(() => seen.length === 1, 'created');
    await writer.set('/w', bytes('2'));
    await until(() => seen.length === 2, 'changed');
    await writer.set('/w', bytes('3'));
    await until(() => seen.length === 3, 'changed again');
    await writer.delete('/w');
    await until(() => seen.length === 4, 'deleted');
    assert.deepEqual(seen, [['created', '1'], ['changed', '2'], ['changed', '3'], ['deleted', undefined]]);
    h.close();
    await writer.create('/w', bytes('4'), { mode: 'persistent' });
    await flush();
    assert.equal(seen.length, 4);
  });

  test('a children watch re-arms and sees the latest children', async () => {
    await using c = memoryCluster();
    const s = await c.connect();
    const lists: string[][] = [];
    await s.create('/p', bytes(''), { mode: 'persistent' });
    const h = await s.watchChildren('/p', (ev) => lists.push([...(ev.children ?? [])].sort()));
    assert.deepEqual(h.initial, []);
    await s.create('/p/a', bytes(''), { mode: 'persistent' });
    await until(() => lists.length === 1, 'first child');
    await s.create('/p/b', bytes(''), { mode: 'ephemeral' });
    await until(() => lists.length === 2, 'second child');
    assert.deepEqual(lists, [['a'], ['a', 'b']]);
    h.close();
  });
});

describe('InMemoryStateStore: sessions', () => {
  test('a disconnect shorter than the session timeout keeps the session and its ephemerals', async () => {
    await using c = memoryCluster();
    const s = await c.connect();
    const other = await c.connect();
    const events = recordSessions(s);
    const session = s.sessionId;
    await s.create('/eph', bytes('x'), { mode: 'ephemeral' });
    const watched: DataWatchEvent[] = [];
    await s.watchData('/eph', (ev) => watched.push(ev));
    s.simulateDisconnect();
    const pendingRead = s.get('/eph'); // issued while disconnected: waits, as with ZooKeeper
    await advance(c.clock, SESSION_MS - 200);
    s.simulateReconnect();
    assert.equal(text((await pendingRead)?.data), 'x');
    assert.deepEqual(events.map((e) => e.type), ['disconnected', 'connected']);
    assert.equal(s.sessionId, session);
    assert.equal((await other.get('/eph'))?.ephemeralOwner, session);
    await until(() => watched.some((e) => e.type === 'resync'), 'watch resync on reconnect');
  });

  test('a disconnect longer than the timeout: local-timer expiry, then a new session recreates ephemerals and re-arms watches', async () => {
    await using c = memoryCluster();
    const s = await c.connect();
    const other = await c.connect();
    const events = recordSessions(s);
    const old = s.sessionId;
    await s.create('/svc/me', bytes('v1'), { mode: 'ephemeral', parents: true });
    await s.set('/svc/me', bytes('v2'));
    const watched: DataWatchEvent[] = [];
    await s.watchData('/flag', (ev) => watched.push(ev));
    s.simulateDisconnect();
    await advance(c.clock, SESSION_MS + 100);
    assert.deepEqual(events.map((e) => [e.type, e.reason]), [['disconnected', undefined], ['expired', 'local-timer']]);
    assert.equal(await other.exists('/svc/me'), undefined, 'the server expired the session too');
    s.simulateReconnect();
    await until(() => events.some((e) => e.type === 'reconnected-new-session'), 'new session');
    assert.notEqual(s.sessionId, old);
    const node = await other.get('/svc/me');
    assert.equal(text(node?.data), 'v2', 'recreated with the latest data');
    assert.equal(node?.ephemeralOwner, s.sessionId);
    assert.ok(watched.some((e) => e.type === 'resync'));
    await other.create('/flag', bytes('up'), { mode: 'persistent' });
    await until(() => watched.some((e) => e.type === 'created'), 'watch re-armed on the new session');
  });

  test('a server-side expiry with a lingering stale ephemeral: deleted by owner check and recreated', async () => {
    await using c = memoryCluster();
    const s = await c.connect();
    const other = await c.connect();
    const events = recordSessions(s);
    await s.create('/me', bytes('x'), { mode: 'ephemeral' });
    const old = s.sessionId;
    s.expireSession({ keepEphemeralsForMs: 60_000 });
    await until(() => events.some((e) => e.type === 'reconnected-new-session'), 'new session');
    assert.deepEqual(events.map((e) => [e.type, e.reason]).slice(0, 1), [['expired', 'server']]);
    const node = await other.get('/me');
    assert.equal(node?.ephemeralOwner, s.sessionId);
    assert.notEqual(node?.ephemeralOwner, old);
    assert.ok(c.logs.records.some((r) => r.msg.includes('stale ephemeral')));
  });

  test('a node held by another live session is waited for, then claimed', async () => {
    await using c = memoryCluster();
    const s = await c.connect();
    const intruder = await c.connect();
    const events = recordSessions(s);
    await s.create('/me', bytes('x'), { mode: 'ephemeral' });
    s.simulateDisconnect();
    await advance(c.clock, SESSION_MS + 100);
    // While we are away and expired, someone else takes the name.
    await intruder.create('/me', bytes('theirs'), { mode: 'ephemeral', recreateOnNewSession: false });
    s.simulateReconnect();
    await advance(c.clock, 300);
    assert.equal((await intruder.get('/me'))?.ephemeralOwner, intruder.sessionId, 'not stolen: still waiting');
    assert.ok(!events.some((e) => e.type === 'reconnected-new-session'));
    await intruder.close();
    await advance(c.clock, 300);
    await until(() => events.some((e) => e.type === 'reconnected-new-session'), 'recreated');
    assert.equal((await s.get('/me'))?.ephemeralOwner, s.sessionId);
  });

  test('operations time out, honour AbortSignal, and fail once closed', async () => {
    await using c = memoryCluster();
    const s = await c.connect();
    s.simulateDisconnect();
    const slow = s.get('/x', { timeoutMs: 200 });
    const ac = new AbortController();
    const aborted = s.get('/x', { signal: ac.signal });
    ac.abort(new Error('caller gave up'));
    await assert.rejects(aborted, /caller gave up/);
    await advance(c.clock, 250);
    const err = await slow.catch((e: unknown) => e);
    assert.ok(err instanceof OperationTimeoutError);
    assert.equal(err.ambiguous, true);
    s.simulateReconnect();
    await s.close();
    await s.close(); // idempotent
    assert.equal(s.state, 'closed');
    assert.equal(await s.closed, undefined);
    await assert.rejects(s.get('/x'), StoreClosedError);
  });
});

// ---- ClusterState ----

describe('ClusterState on the in-memory store', () => {
  test('nimbuses and supervisors register as ephemerals; watches see membership', async () => {
    await using c = memoryCluster();
    const a = await ClusterState.create(await c.connect());
    const bStore = await c.connect();
    const b = await ClusterState.create(bStore);
    await a.registerNimbus({ id: 'nimbus-a', host: 'a', port: 6627, version: '0.1.0', startedAtMs: 1 });
    const memberships: string[][] = [];
    const h = await a.watchSupervisors((ids) => memberships.push([...ids].sort()));
    await b.registerSupervisor(supervisorInfo('s1'));
    await b.registerSupervisor(supervisorInfo('s1', [6700])); // re-register: ours, replaced
    await b.updateSupervisor({ ...supervisorInfo('s1', [6700]), usedPorts: [6700] });
    assert.deepEqual((await a.supervisor('s1'))?.usedPorts, [6700]);
    assert.deepEqual((await a.nimbuses()).map((n) => n.id), ['nimbus-a']);
    await until(() => memberships.length >= 1, 'membership change');
    await bStore.close();
    await until(() => memberships.at(-1)?.length === 0, 'supervisor gone with its session');
    assert.deepEqual(await a.supervisors(), []);
    h.close();
    await assert.rejects(a.registerSupervisor(supervisorInfo('../etc')), InvalidPathError);
  });

  test('errors are kept newest first and bounded; system component ids are allowed', async () => {
    await using c = memoryCluster();
    const cs = await ClusterState.create(await c.connect(), { maxErrorsPerComponent: 3 });
    for (let i = 1; i <= 5; i++) await cs.reportError('wc-1-1', '__acker', { message: `boom ${i}`, timeMs: i });
    assert.deepEqual((await cs.errors('wc-1-1', '__acker')).map((e) => e.message), ['boom 5', 'boom 4', 'boom 3']);
    assert.deepEqual(await cs.errors('wc-1-1', 'other'), []);
  });

  test('records are versioned JSON: a foreign envelope version is refused', async () => {
    await using c = memoryCluster();
    const store = await c.connect();
    const cs = await ClusterState.create(store);
    await store.create(cs.paths.supervisor('s9'), bytes(JSON.stringify({ v: 2, id: 's9' })), { mode: 'ephemeral' });
    await assert.rejects(cs.supervisor('s9'), StateFormatError);
    assert.deepEqual(await cs.supervisors(), [], 'lists skip unreadable records');
  });

  test('paths live under the configured root and reject names that could escape', () => {
    const p = new ClusterPaths('/custom');
    assert.equal(p.assignment('wc-1-2'), '/custom/assignments/wc-1-2');
    assert.equal(p.componentErrors('wc-1-2', '__system'), '/custom/errors/wc-1-2/__system');
    assert.equal(p.packageReplica('wc-1-2', 'nimbus.a-1'), '/custom/packages/wc-1-2/nimbus.a-1');
    for (const bad of ['', '..', 'a/b', 'a..b', '__', '-x']) assert.throws(() => p.topology(bad), InvalidPathError, bad);
    assert.throws(() => new ClusterPaths('squall'), InvalidPathError);
  });
});

// ---- leader election and fencing ----

describe('leader election on the in-memory store', () => {
  async function threeCandidates(c: ReturnType<typeof memoryCluster>) {
    const states = await Promise.all([0, 1, 2].map(async () => ClusterState.create(await c.connect())));
    const elections = [];
    for (const [i, cs] of states.entries()) elections.push(await cs.joinElection(`nimbus-${i}`));
    return { states, elections };
  }

  test('exactly one leader; closing it hands over to its successor only (no herd)', async () => {
    await using c = memoryCluster();
    const { elections } = await threeCandidates(c);
    const [e0, e1, e2] = elections as [typeof elections[0], typeof elections[0], typeof elections[0]];
    assert.deepEqual(elections.map((e) => e.isLeader()), [true, false, false]);
    assert.equal(e0.leadership()?.epoch, 1);
    await e0.close();
    await until(() => e1.isLeader(), 'successor leads');
    assert.deepEqual(elections.map((e) => e.isLeader()), [false, true, false]);
    assert.equal(e1.leadership()?.epoch, 2);
    assert.equal(e1.stats().wakeups, 1, 'the successor woke once');
    assert.equal(e2.stats().wakeups, 0, 'the third candidate was not woken');
    await e1.close();
    await until(() => e2.isLeader(), 'last candidate leads');
    assert.equal(e2.leadership()?.epoch, 3);
  });

  test('fencing: a stale leader\'s write is rejected even if it has not noticed', async () => {
    await using c = memoryCluster();
    const { states, elections } = await threeCandidates(c);
    const [cs0, cs1] = states as [ClusterState, ClusterState];
    const [e0, e1] = elections as [typeof elections[0], typeof elections[0]];
    const l0 = e0.leadership()!;
    await cs0.createTopology(l0, topologyRecord('wc-1-1'));
    assert.equal(await cs0.setAssignment(l0, assignmentOf('wc-1-1', 6700)), 0);
    // The old leader is paused (think GC) while its election node is removed, as a server
    // does when it expires a partitioned session; it keeps a leadership it believes in.
    const paused = { ...l0, signal: new AbortController().signal };
    await cs1.store.delete(l0.candidatePath);
    await until(() => e1.isLeader(), 'takeover');
    const l1 = e1.leadership()!;
    assert.ok(l1.epoch > l0.epoch);
    await assert.rejects(cs0.setAssignment(paused, assignmentOf('wc-1-1', 6999)), FencedError);
    await assert.rejects(cs0.setTopologyStatus(paused, 'wc-1-1', 'KILLED'), FencedError);
    assert.equal((await cs1.assignment('wc-1-1'))?.value.executors[0]?.port, 6700, 'nothing was written');
    assert.equal(await cs1.setAssignment(l1, assignmentOf('wc-1-1', 6701), 0), 1);
    assert.equal((await cs1.setTopologyStatus(l1, 'wc-1-1', 'INACTIVE')).value.prevStatus, 'ACTIVE');
    await assert.rejects(cs1.setAssignment(l1, assignmentOf('wc-1-1', 6702), 0), BadVersionError);
    await assert.rejects(cs0.setAssignment(l0, assignmentOf('wc-1-1', 6999)), FencedError);
    assert.equal(e0.isLeader(), false);
    await cs1.removeTopology(l1, 'wc-1-1');
    assert.deepEqual(await cs1.topologyIds(), []);
  });

  test('leadership drops at the local timer on a long disconnect, and survives a short one', async () => {
    await using c = memoryCluster();
    const { states, elections } = await threeCandidates(c);
    const store0 = states[0]!.store as InMemoryStateStore;
    const [e0, e1] = elections as [typeof elections[0], typeof elections[0]];
    const changes: boolean[] = [];
    e0.onLeadership((l) => changes.push(l !== undefined));

    store0.simulateDisconnect();
    await advance(c.clock, SESSION_MS / 2);
    assert.equal(e0.isLeader(), true, 'a disconnect is not an expiry');
    store0.simulateReconnect();
    await flush();
    assert.equal(e0.isLeader(), true);

    store0.simulateDisconnect();
    await advance(c.clock, SESSION_MS + 50);
    assert.equal(e0.isLeader(), false, 'dropped when the session timeout passed');
    await until(() => e1.isLeader(), 'successor takes over');
    store0.simulateReconnect();
    await until(async () => (await states[0]!.store.children(states[0]!.paths.leaderLock)).length === 3, 'rejoined');
    assert.equal(e0.isLeader(), false);
    assert.deepEqual(changes, [false]);
  });
});
