/**
 * The leader's scheduling loop and status timers, over real gRPC with coordination in memory
 * and a fake clock (Storm's defaults: monitor every 10 s, task timeout 30 s, launch grace
 * 120 s): rebalance keeps task ids, a supervisor whose ephemeral node vanishes loses its
 * executors to another, a worker missing from heartbeats is moved (never within its launch
 * grace), and a new leader resumes a kill's wait from the persisted deadline.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { FakeClock } from '../../src/common/clock.js';
import { ClusterState } from '../../src/coordination/cluster-state.js';
import { InMemoryStateStore } from '../../src/coordination/memory-store.js';
import { InMemoryZooKeeper } from '../../src/coordination/memory-tree.js';
import type { Assignment } from '../../src/coordination/records.js';
import { Nimbus } from '../../src/nimbus/nimbus.js';
import { createPackage } from '../../src/packages/create-package.js';
import { NimbusClient } from '../../src/rpc/client.js';
import { RpcError } from '../../src/rpc/errors.js';
import { eventually } from '../helpers/turns.js';

const scratch = mkdtempSync(join(tmpdir(), 'squall-nimbus-sched-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const WORDCOUNT = new URL('../../examples/wordcount-js/', import.meta.url).pathname;
const MONITOR_MS = 10_000;


/** Nimbuses on one in-memory tree and one fake clock, fake supervisors, an admin view. */
async function cluster() {
  const clock = new FakeClock(Date.now());
  const tree = new InMemoryZooKeeper();
  const stores: InMemoryStateStore[] = [];
  const nimbuses: Nimbus[] = [];
  const clients: NimbusClient[] = [];
  const open = async (): Promise<InMemoryStateStore> => {
    const s = await InMemoryStateStore.create({ tree });
    stores.push(s);
    return s;
  };
  const supervisors = new Map<string, InMemoryStateStore>();
  const c = {
    clock,
    admin: await ClusterState.create(await open()),
    async startNimbus(): Promise<{ nimbus: Nimbus; client: NimbusClient }> {
      const nimbus = await Nimbus.start({ store: await open(), localDir: mkdtempSync(join(scratch, 'nimbus-')), port: 0, clock, monitorFreqMs: MONITOR_MS });
      nimbuses.push(nimbus);
      const client = await NimbusClient.connect(nimbus.address);
      clients.push(client);
      return { nimbus, client };
    },
    async addSupervisor(id: string, ports: number[]): Promise<void> {
      const store = await open();
      await (await ClusterState.create(store)).registerSupervisor({ id, host: `host-${id}`, ports, usedPorts: [], address: `host-${id}`, version: '0.1.0', startedAtMs: Date.now() });
      supervisors.set(id, store);
    },
    /** The supervisor's session ends: its ephemeral node vanishes. */
    async loseSupervisor(id: string): Promise<void> {
      await supervisors.get(id)!.close();
    },
    async assignment(topologyId: string): Promise<Assignment> {
      return (await c.admin.assignment(topologyId))!.value;
    },
    async [Symbol.asyncDispose](): Promise<void> {
      for (const cl of clients) await cl.close();
      for (const n of nimbuses) await n.close();
      for (const s of stores) await s.close();
    },
  };
  return c;
}

type Cluster = Awaited<ReturnType<typeof cluster>>;

/** Moves the fake clock in monitor periods, letting each period's pass finish. */
async function elapse(c: Cluster, nimbus: Nimbus, ms: number): Promise<void> {
  for (let done = 0; done < ms; done += MONITOR_MS) {
    c.clock.advance(Math.min(MONITOR_MS, ms - done));
    await nimbus.currentLeader()?.idle();
  }
}

const slotsOf = (a: Assignment): string[] => [...new Set(a.executors.map((e) => `${e.supervisorId}:${e.port}`))].sort();
const tasksOf = (a: Assignment): number[] =>
  a.executors.flatMap((e) => Array.from({ length: e.endTask - e.startTask + 1 }, (_, i) => e.startTask + i)).sort((x, y) => x - y);

async function submitWordcount(client: NimbusClient, name = 'wc'): Promise<string> {
  const { packageId } = await client.uploadPackage(await createPackage(WORDCOUNT), { name });
  return (await client.submit({ name, packageId, topologyFile: 'topology.yaml' })).topologyId;
}

/** One supervisor heartbeat listing the worker of `topologyId` on `slot`. */
async function beat(client: NimbusClient, a: Assignment, slot: string): Promise<void> {
  const [supervisorId, port] = slot.split(':') as [string, string];
  const executors = a.executors.filter((e) => `${e.supervisorId}:${e.port}` === slot).map((e) => [e.startTask, e.endTask] as const);
  await client.supervisorHeartbeat({
    supervisorId, host: `host-${supervisorId}`, uptimeSecs: 1,
    workers: [{ topologyId: a.topologyId, port: Number(port), executors, uptimeSecs: 1, components: [] }],
  });
}

describe('nimbus scheduling', () => {
  test('rebalance 1 → 2 workers: REBALANCING with the assignment frozen for the wait, then two workers, same task ids', async () => {
    await using c = await cluster();
    const { nimbus, client } = await c.startNimbus();
    await c.addSupervisor('a', [6700]);
    await c.addSupervisor('b', [6700]);
    const id = await submitWordcount(client);
    const before = await c.assignment(id);
    assert.equal(slotsOf(before).length, 1);
    assert.deepEqual(tasksOf(before), [1, 2, 3, 4, 5, 6]);
    const version = (await c.admin.assignment(id))!.version;

    assert.deepEqual(await client.rebalance({ name: 'wc', numWorkers: 2, executors: { count: 1 }, waitSecs: 20 }), { topologyId: id, status: 'REBALANCING' });
    const pending = (await c.admin.topology(id))!.value;
    assert.deepEqual([pending.status, pending.prevStatus, pending.numWorkers, pending.componentExecutors.count], ['REBALANCING', 'ACTIVE', 2, 1]);
    assert.equal(pending.statusDeadlineMs, Math.round(c.clock.now()) + 20_000);
    const again = await client.rebalance({ name: 'wc', numWorkers: 3 }).catch((e: unknown) => e);
    assert.ok(again instanceof RpcError && again.grpcCode === Status.FAILED_PRECONDITION && again.retriable);

    await elapse(c, nimbus, 10_000);
    assert.equal((await c.admin.assignment(id))!.version, version, 'nothing moves during the wait');
    await elapse(c, nimbus, 10_000);
    const rebalanced = await eventually(async () => {
      const a = await c.assignment(id);
      return slotsOf(a).length === 2 ? a : undefined;
    }, 'two workers');
    assert.deepEqual(slotsOf(rebalanced), ['a:6700', 'b:6700']);
    assert.deepEqual(tasksOf(rebalanced), tasksOf(before), 'task ids never change');
    assert.ok(rebalanced.executors.some((e) => e.endTask - e.startTask === 1), 'count now runs its two tasks in one executor');
    const done = (await c.admin.topology(id))!.value;
    assert.deepEqual([done.status, done.numWorkers, done.statusDeadlineMs], ['ACTIVE', 2, undefined]);
  });

  test("a supervisor gone from ZooKeeper keeps its slots for nimbus.supervisor.timeout.secs, then its executors move", async () => {
    await using c = await cluster();
    const { nimbus, client } = await c.startNimbus();
    await c.addSupervisor('a', [6700]);
    await c.addSupervisor('b', [6700]);
    const id = await submitWordcount(client);
    const [slot] = slotsOf(await c.assignment(id));
    const lost = slot!.split(':')[0]!;
    const other = lost === 'a' ? 'b' : 'a';
    await c.loseSupervisor(lost);
    // A supervisor restarted after a crash re-registers and adopts its workers meanwhile.
    await elapse(c, nimbus, 50_000);
    assert.deepEqual(slotsOf(await c.assignment(id)), [slot], 'within the 60 s supervisor timeout nothing moves');
    await elapse(c, nimbus, 20_000);
    const moved = await eventually(async () => {
      const a = await c.assignment(id);
      return slotsOf(a)[0]?.startsWith(`${other}:`) ? a : undefined;
    }, 'executors moved once the supervisor timeout passed');
    assert.deepEqual(slotsOf(moved), [`${other}:6700`]);
    assert.deepEqual(tasksOf(moved), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Object.keys(moved.nodeHost), [other]);
  });

  test('a new leader gives a supervisor it never saw registered, but the assignment uses, the same supervisor timeout', async () => {
    await using c = await cluster();
    const first = await c.startNimbus();
    const second = await c.startNimbus();
    await c.addSupervisor('a', [6700]);
    await c.addSupervisor('b', [6700]);
    const id = await submitWordcount(first.client);
    const [slot] = slotsOf(await c.assignment(id));
    const lost = slot!.split(':')[0]!;
    const { packageId } = (await c.admin.topology(id))!.value;
    c.clock.advance(MONITOR_MS); // the follower copies the package on its monitor tick
    await eventually(() => second.nimbus.packages.has(packageId), 'the follower to hold the package');
    // The supervisor's node goes (a ZooKeeper outage, a restart) and so does the leader.
    await c.loseSupervisor(lost);
    await first.nimbus.close();
    await eventually(async () => second.nimbus.isLeader, 'the follower to take over');
    await second.nimbus.currentLeader()!.idle();
    await elapse(c, second.nimbus, 50_000);
    assert.deepEqual(slotsOf(await c.assignment(id)), [slot], 'within the 60 s supervisor timeout nothing moves');
    await elapse(c, second.nimbus, 20_000);
    await eventually(async () => !slotsOf(await c.assignment(id)).includes(slot!), 'executors moved once the supervisor timeout passed');
  });

  test('a worker missing from heartbeats is moved: after the launch grace when it never reported, after the task timeout once it has', async () => {
    await using c = await cluster();
    const { nimbus, client } = await c.startNimbus();
    await c.addSupervisor('a', [6700]);
    await c.addSupervisor('b', [6700]);
    const id = await submitWordcount(client);
    const [first] = slotsOf(await c.assignment(id));

    await elapse(c, nimbus, 110_000);
    assert.deepEqual(slotsOf(await c.assignment(id)), [first], 'within the 120 s launch grace nothing moves');
    await elapse(c, nimbus, 20_000);
    const second = slotsOf(await c.assignment(id));
    assert.equal(second.length, 1);
    assert.notDeepEqual(second, [first], 'never heartbeated: moved after the launch grace');

    // The new worker reports every 10 s, well past its own grace: it stays.
    for (let i = 0; i < 17; i++) {
      await beat(client, await c.assignment(id), second[0]!);
      await elapse(c, nimbus, 10_000);
    }
    assert.deepEqual(slotsOf(await c.assignment(id)), second, 'a reporting worker stays');
    // It goes silent: moved once the 30 s task timeout has passed, not before.
    await beat(client, await c.assignment(id), second[0]!);
    await elapse(c, nimbus, 30_000);
    assert.deepEqual(slotsOf(await c.assignment(id)), second, 'not within the task timeout');
    await elapse(c, nimbus, 10_000);
    assert.deepEqual(slotsOf(await c.assignment(id)), [first], 'moved after the task timeout');
  });

  test('a new leader re-arms a pending kill from its persisted deadline; the follower refused it meanwhile', async () => {
    await using c = await cluster();
    const first = await c.startNimbus();
    const second = await c.startNimbus();
    assert.ok(first.nimbus.isLeader && !second.nimbus.isLeader);
    await c.addSupervisor('a', [6700]);
    const id = await submitWordcount(first.client);
    const direct = await NimbusClient.connect(second.nimbus.address, { maxRedirects: 0 });
    try {
      const refused = await direct.kill({ name: 'wc', waitSecs: 60 }).catch((e: unknown) => e);
      assert.ok(refused instanceof RpcError && refused.code === 'E_NOT_LEADER');
      assert.equal(refused.leaderAddress, first.nimbus.address);
      // The follower has not copied the package yet (no monitor tick): downloads go to the leader.
      const { packageId } = (await c.admin.topology(id))!.value;
      const notHere = await direct.downloadPackage(packageId).catch((e: unknown) => e);
      assert.ok(notHere instanceof RpcError && notHere.code === 'E_NOT_LEADER' && notHere.leaderAddress === first.nimbus.address);
      assert.equal((await second.client.downloadPackageBuffer(packageId)).metadata.sha256, packageId);
    } finally {
      await direct.close();
    }
    await second.client.kill({ name: 'wc', waitSecs: 60 }); // follows the redirect to the leader
    const deadline = (await c.admin.topology(id))!.value.statusDeadlineMs!;

    c.clock.advance(30_000);
    await first.nimbus.close();
    await eventually(async () => second.nimbus.isLeader, 'the follower to take over');
    await second.nimbus.currentLeader()!.idle();
    assert.ok(await c.admin.topology(id), 'the wait is not restarted, nor cut short');
    c.clock.advance(deadline - Math.round(c.clock.now()) - 1);
    await second.nimbus.currentLeader()!.idle();
    assert.ok(await c.admin.topology(id));
    c.clock.advance(1);
    await eventually(async () => (await c.admin.topology(id)) === undefined, 'removal by the new leader');
    assert.equal(await c.admin.assignment(id), undefined);
  });
});
