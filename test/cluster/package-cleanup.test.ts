/**
 * Disk cleanup across a real cluster: a real ZooKeeper, two nimbuses (a leader and a follower
 * copying packages), one supervisor running REAL worker processes (from the sources, through
 * test/fixtures/worker-entry.ts). Three topologies from two packages — beta and gamma share one.
 *
 * Killing alpha removes its package from both nimbuses and its extraction from the supervisor
 * (only once its worker has exited), while beta's package stays; killing gamma keeps the package
 * beta still runs from; an upload nobody submits disappears after nimbus.inbox.jar.expiration.secs
 * (set small through the cluster config); killing beta leaves no package anywhere.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { MemoryLogger } from '../../src/common/logger.js';
import { loadClusterConfig } from '../../src/config/cluster-config.js';
import { ZooKeeperStateStore } from '../../src/coordination/index.js';
import { Nimbus } from '../../src/nimbus/nimbus.js';
import { NimbusClient } from '../../src/rpc/client.js';
import { processSpawner, Supervisor } from '../../src/supervisor/index.js';
import { alive, freePort, packDir, waitUntil, writeWordCount } from '../fixtures/supervisor-cluster.js';
import { startZooKeeper, type ZkServer } from '../helpers/zookeeper.js';

const ROOT = `/pkg-cleanup-${process.pid}`;
const WORKER_ENTRY = fileURLToPath(new URL('../fixtures/worker-entry.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const SUP = 'sup-clean';

let zk: ZkServer;
let tmp: string;
const stores: ZooKeeperStateStore[] = [];
const closers: Array<() => Promise<unknown>> = [];
const workerPids = new Set<number>();
const logger = new MemoryLogger();
let leader: Nimbus;
let follower: Nimbus;
let supervisor: Supervisor;
let client: NimbusClient;
const pkg: Record<'alpha' | 'beta' | 'orphan', { data: Buffer; packageId: string }> = {} as never;

async function connect(): Promise<ZooKeeperStateStore> {
  const s = await ZooKeeperStateStore.connect({ servers: [zk.connectString], chroot: ROOT, sessionTimeoutMs: 4000, spinDelayMs: 100, shutdownGraceMs: 2000 });
  stores.push(s);
  return s;
}

const nimbusHas = (n: Nimbus, id: string): boolean => existsSync(n.packages.path(id));
const supervisorPackages = (): string[] => readdirSync(join(tmp, 'sup', 'supervisor', 'packages')).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort();
const workersDir = join('supervisor', 'workers');

/** The worker pid running `topology` on the supervisor, once it runs. */
async function workerOf(topology: string): Promise<number> {
  let pid: number | undefined;
  await waitUntil(() => {
    const slot = supervisor.slots().find((s) => s.phase.kind === 'running' && s.phase.worker.assignment.topologyId.startsWith(`${topology}-`));
    pid = slot?.phase.kind === 'running' ? slot.phase.worker.pid : undefined;
    return pid !== undefined;
  }, `a running worker of ${topology}`, 60_000);
  workerPids.add(pid!);
  return pid!;
}

async function submit(name: string, p: { data: Buffer; packageId: string }): Promise<void> {
  const { packageId } = await client.uploadPackage(p.data, { name });
  assert.equal(packageId, p.packageId);
  await client.submit({ name, packageId, topologyFile: 'topology.yaml', configOverrides: { 'topology.workers': 1 } });
}

before(async () => {
  zk = await startZooKeeper();
  tmp = await mkdtemp(join(tmpdir(), 'squall-pkg-cleanup-'));
  for (const name of ['alpha', 'beta', 'orphan'] as const) {
    const dir = join(tmp, 'src', name);
    await writeWordCount(dir, { repeat: 2, name });
    pkg[name] = await packDir(dir);
  }
  // The two Storm keys through the cluster config, small so the expiry happens during the test.
  const config = await loadClusterConfig({
    searchDefaultFile: false, env: {},
    overrides: ['nimbus.inbox.jar.expiration.secs=5', 'nimbus.cleanup.inbox.freq.secs=0.5'],
  });
  const nimbusOptions = {
    port: 0, monitorFreqMs: 300, logger,
    inboxExpirationMs: config.nimbus.inboxExpirationMs, cleanupInboxFreqMs: config.nimbus.cleanupInboxFreqMs,
  };
  leader = await Nimbus.start({ ...nimbusOptions, store: await connect(), localDir: join(tmp, 'nimbus-a') });
  closers.push(() => leader.close());
  await waitUntil(() => leader.isLeader, 'the first nimbus leads');
  follower = await Nimbus.start({ ...nimbusOptions, store: await connect(), localDir: join(tmp, 'nimbus-b') });
  closers.push(() => follower.close());
  const ports = [await freePort(), await freePort(), await freePort()];
  supervisor = await Supervisor.start({
    id: SUP, host: '127.0.0.1', ports, localDir: join(tmp, 'sup'), store: await connect(), nimbus: [leader.address, follower.address],
    workerClusterConfig: {
      'storm.zookeeper.servers': [zk.connectString], 'storm.zookeeper.root': ROOT, 'storm.zookeeper.session.timeout': 4000,
      'storm.zookeeper.connection.timeout': 10_000, 'worker.heartbeat.frequency.secs': 0.25,
    },
    workerEnv: { ...process.env, SQUALL_LOG_LEVEL: 'info' },
    spawnWorker: processSpawner({ args: ['--import', TSX, WORKER_ENTRY] }),
    monitorFrequencyMs: 250, workerTimeoutMs: 10_000, workerStartTimeoutMs: 60_000, killGraceMs: 5000, restartDelayMs: 200,
    nimbusHeartbeatMs: 250, assignmentSyncMs: 2000, logger: logger.child({ supervisor: SUP }),
  });
  closers.push(() => supervisor.close({ killWorkers: true }));
  client = await NimbusClient.connect([leader.address]);
  closers.push(() => client.close());
}, { timeout: 60_000 });

after(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  for (const pid of workerPids) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  for (const s of stores) await s.close().catch(() => undefined);
  await zk?.[Symbol.asyncDispose]();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('package cleanup on a real cluster', { timeout: 180_000 }, () => {
  test('a killed topology\'s package leaves both nimbuses and the supervisor; a shared one stays while used', async () => {
    await submit('alpha', pkg.alpha);
    await submit('beta', pkg.beta);
    await submit('gamma', pkg.beta); // same bytes as beta: one package, two topologies
    const alphaPid = await workerOf('alpha');
    await workerOf('beta');
    const gammaPid = await workerOf('gamma');
    await waitUntil(() => nimbusHas(follower, pkg.alpha.packageId) && nimbusHas(follower, pkg.beta.packageId), 'the follower copied both packages');
    assert.deepEqual(supervisorPackages(), [pkg.alpha.packageId, pkg.beta.packageId].sort());
    assert.ok(!follower.isLeader);

    const alphaDir = join(tmp, 'sup', 'supervisor', 'packages', pkg.alpha.packageId);
    assert.ok(existsSync(alphaDir));
    const killed = await client.kill({ name: 'alpha', waitSecs: 0, waitForRemoval: true });
    assert.equal(killed.removed, true);
    await waitUntil(() => !existsSync(alphaDir), 'the supervisor removed alpha\'s extracted package', 30_000);
    assert.ok(!alive(alphaPid), 'the extraction went only after alpha\'s worker had exited');
    assert.ok(readdirSync(join(tmp, 'sup', workersDir)).every((d) => !d.startsWith('alpha-')), 'alpha\'s worker directory is gone');
    await waitUntil(() => !nimbusHas(leader, pkg.alpha.packageId), 'the leader deleted alpha\'s package');
    await waitUntil(() => !nimbusHas(follower, pkg.alpha.packageId), 'the follower deleted its copy');
    assert.deepEqual(await leader.cluster.packageReplicas(pkg.alpha.packageId), [], 'no nimbus announces it any more');
    assert.ok(nimbusHas(leader, pkg.beta.packageId) && nimbusHas(follower, pkg.beta.packageId), 'beta\'s package stays on both nimbuses');
    assert.deepEqual(supervisorPackages(), [pkg.beta.packageId], 'beta\'s extraction stays');

    await client.kill({ name: 'gamma', waitSecs: 0, waitForRemoval: true });
    await waitUntil(() => !alive(gammaPid) && readdirSync(join(tmp, 'sup', workersDir)).every((d) => !d.startsWith('gamma-')), 'gamma\'s worker gone');
    // One more pass on each nimbus, after the removal: the shared package must survive them.
    await leader.packageCleanup.run();
    await follower.packageCleanup.run();
    assert.ok(nimbusHas(leader, pkg.beta.packageId) && nimbusHas(follower, pkg.beta.packageId), 'beta still uses the package gamma shared');
    assert.deepEqual(supervisorPackages(), [pkg.beta.packageId], 'and beta\'s worker still runs from its extraction');
  });

  test('an upload nobody submits is deleted after nimbus.inbox.jar.expiration.secs; used packages stay', async () => {
    const { packageId } = await client.uploadPackage(pkg.orphan.data, { name: 'orphan' });
    assert.ok(nimbusHas(leader, packageId), 'stored');
    await waitUntil(() => !nimbusHas(leader, packageId), 'the unsubmitted upload expired', 30_000);
    assert.ok(logger.records.some((r) => r.msg === 'package deleted' && r.meta?.packageId === packageId
      && String(r.meta.reason).includes('nimbus.inbox.jar.expiration.secs')), 'deleted as an expired upload');
    assert.ok(nimbusHas(leader, pkg.beta.packageId) && nimbusHas(follower, pkg.beta.packageId), 'beta\'s package outlives the expiration');
    assert.deepEqual(supervisorPackages(), [pkg.beta.packageId]);
  });

  test('with the last topology killed, no package is left anywhere', async () => {
    await client.kill({ name: 'beta', waitSecs: 0, waitForRemoval: true });
    await waitUntil(() => supervisorPackages().length === 0, 'the supervisor holds no package', 30_000);
    await waitUntil(() => leader.packages.list().then((l) => l.length === 0), 'the leader holds no package');
    await waitUntil(() => follower.packages.list().then((l) => l.length === 0), 'the follower holds no package');
    assert.deepEqual(readdirSync(join(tmp, 'sup', workersDir)), [], 'no worker directory left');
  });
});
