/**
 * Two nimbuses on a real ZooKeeper (test/helpers/zookeeper.ts): one leads, the follower refuses
 * mutations naming the leader (and NimbusClient follows it there), the follower copies the
 * package from the leader, and when the leader closes the follower takes over with the
 * assignments untouched. A watcher checks all along that two nimbuses never lead at once.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { ClusterState } from '../../src/coordination/cluster-state.js';
import { ZooKeeperStateStore } from '../../src/coordination/zk-store.js';
import { Nimbus } from '../../src/nimbus/nimbus.js';
import { createPackage } from '../../src/packages/create-package.js';
import { NimbusClient } from '../../src/rpc/client.js';
import { RpcError } from '../../src/rpc/errors.js';
import { eventually as pollFor } from '../helpers/turns.js';
import { startZooKeeper, type ZkServer } from '../helpers/zookeeper.js';

let zk: ZkServer;
before(async () => { zk = await startZooKeeper(); });
after(async () => { await zk[Symbol.asyncDispose](); });
const scratch = mkdtempSync(join(tmpdir(), 'squall-nimbus-zk-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const WORDCOUNT = new URL('../../examples/wordcount-js/', import.meta.url).pathname;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Waits on the ZooKeeper-backed cluster: a longer cap and a slower poll than the helper's defaults. */
const eventually = <T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, capMs = 15_000): Promise<T> =>
  pollFor(probe, what, capMs, 20);

/** Stores under one fresh chroot, all closed at the end. */
function scope() {
  const chroot = `/nimbus-${process.pid}-${Date.now()}`;
  const closers: Array<() => Promise<unknown>> = [];
  return {
    async connect(): Promise<ZooKeeperStateStore> {
      const s = await ZooKeeperStateStore.connect({ servers: [zk.connectString], chroot, sessionTimeoutMs: 2_000, spinDelayMs: 100, shutdownGraceMs: 2_000 });
      closers.push(() => s.close());
      return s;
    },
    async nimbus(): Promise<{ nimbus: Nimbus; localDir: string }> {
      const localDir = mkdtempSync(join(scratch, 'nimbus-'));
      const nimbus = await Nimbus.start({ store: await this.connect(), localDir, port: 0, monitorFreqMs: 300 });
      closers.push(() => nimbus.close());
      return { nimbus, localDir };
    },
    defer(fn: () => Promise<unknown>): void {
      closers.push(fn);
    },
    async [Symbol.asyncDispose](): Promise<void> {
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
}

/** Polls who leads every 10 ms; records any moment with two leaders. */
function watchLeaders(nimbuses: () => Nimbus[]) {
  const violations: string[] = [];
  let checks = 0;
  const timer = setInterval(() => {
    checks++;
    const leading = nimbuses().filter((n) => n.state === 'running' && n.isLeader);
    if (leading.length > 1) violations.push(`${leading.length} leaders at check ${checks}: ${leading.map((n) => n.id).join(', ')}`);
  }, 10);
  return { violations, checks: () => checks, stop: () => clearInterval(timer) };
}

describe('nimbus failover on a real ZooKeeper', () => {
  test('the follower refuses a submit naming the leader; closing the leader hands over with the assignments kept', async () => {
    await using sc = scope();
    const a = await sc.nimbus();
    const b = await sc.nimbus();
    const nimbuses = [a.nimbus, b.nimbus];
    const leaders = watchLeaders(() => nimbuses);
    sc.defer(async () => leaders.stop());
    assert.ok(a.nimbus.isLeader, 'the first nimbus leads');
    assert.ok(!b.nimbus.isLeader);
    const admin = await ClusterState.create(await sc.connect());
    const supervisorState = await ClusterState.create(await sc.connect());
    for (const id of ['sup-a', 'sup-b']) {
      await supervisorState.registerSupervisor({ id, host: `host-${id}`, ports: [6700, 6701], usedPorts: [], address: `host-${id}`, version: '0.1.0', startedAtMs: Date.now() });
    }

    // The follower names the leader...
    const direct = await NimbusClient.connect(b.nimbus.address, { maxRedirects: 0 });
    sc.defer(() => direct.close());
    const refused = await direct.submit({ name: 'wc', packageId: 'a'.repeat(64), topologyFile: 'topology.yaml' }).catch((e: unknown) => e);
    assert.ok(refused instanceof RpcError);
    assert.equal(refused.code, 'E_NOT_LEADER');
    assert.equal(refused.grpcCode, Status.FAILED_PRECONDITION);
    assert.equal(refused.leaderAddress, a.nimbus.address);
    assert.ok(refused.message.includes(a.nimbus.address));
    const heartbeat = await direct.supervisorHeartbeat({ supervisorId: 'sup-a', host: 'host-sup-a', uptimeSecs: 1, workers: [] }).catch((e: unknown) => e);
    assert.ok(heartbeat instanceof RpcError && heartbeat.code === 'E_NOT_LEADER');
    // ...and a client that only knows the follower is taken there.
    const client = await NimbusClient.connect(b.nimbus.address);
    sc.defer(() => client.close());
    const { packageId } = await client.uploadPackage(await createPackage(WORDCOUNT), { name: 'wc' });
    const { topologyId } = await client.submit({ name: 'wc', packageId, topologyFile: 'topology.yaml', configOverrides: { 'topology.workers': 2 } });
    assert.equal(client.currentAddress, a.nimbus.address);
    assert.deepEqual((await client.supervisorHeartbeat({ supervisorId: 'sup-a', host: 'host-sup-a', uptimeSecs: 1, workers: [] })).leaderAddress, a.nimbus.address);
    const before = (await admin.assignment(topologyId))!;
    assert.equal(new Set(before.value.executors.map((e) => e.supervisorId)).size, 2);

    // The follower reads from ZooKeeper and copies the package from the leader.
    assert.deepEqual((await direct.list()).map((t) => [t.id, t.status]), [[topologyId, 'ACTIVE']]);
    await eventually(() => existsSync(join(b.localDir, 'nimbus', 'packages', `${packageId}.tar.gz`)), 'the follower to copy the package');
    await eventually(async () => (await admin.packageReplicas(packageId)).length === 2, 'both replicas registered');

    await a.nimbus.close();
    await eventually(() => b.nimbus.isLeader, 'the follower to take over');
    assert.equal((await admin.leaderInfo()).value.nimbusId, b.nimbus.id);
    const summary = await direct.clusterSummary();
    assert.deepEqual(summary.nimbuses.map((n) => [n.port, n.isLeader]), [[b.nimbus.port, true]]);

    // Several monitor passes later the assignment is the one the old leader wrote.
    await sleep(1_500);
    await b.nimbus.currentLeader()!.idle();
    const kept = (await admin.assignment(topologyId))!;
    assert.equal(kept.version, before.version);
    assert.deepEqual(kept.value, before.value);
    const described = await direct.describe('wc');
    assert.deepEqual(described.components.map((c) => c.id).sort(), ['__acker', 'count', 'sentences', 'split'], 'the new leader loaded the plan from its copy');

    // The client's leader is gone; an idempotent call fails over to the new one.
    assert.deepEqual(await client.deactivate('wc'), { topologyId, status: 'INACTIVE' });

    // The old leader comes back as a follower.
    const again = await Nimbus.start({ store: await sc.connect(), localDir: a.localDir, port: 0, monitorFreqMs: 300 });
    sc.defer(() => again.close());
    nimbuses.push(again);
    await sleep(500);
    assert.ok(b.nimbus.isLeader && !again.isLeader);
    leaders.stop();
    assert.ok(leaders.checks() > 50, 'the watcher ran');
    assert.deepEqual(leaders.violations, []);
  });
});
