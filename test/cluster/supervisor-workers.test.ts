/**
 * Supervisors and REAL worker processes against a real ZooKeeper. Two supervisors, as on two
 * machines (advertising 127.0.0.2 and 127.0.0.3, each with its own ZooKeeper session and local
 * dir), run one word count split over their two workers: a JS spout with a Python split bolt
 * (component processes) on the first, the count bolt on the second. The test plays nimbus:
 * it writes the topology record and the assignment through ClusterState and serves packages
 * and heartbeats with a fake gRPC nimbus, where it reads the workers' counters.
 *
 * In order: exact counts; kill -9 of a worker → restarted, processing resumes; a supervisor
 * replaced by a new one → it adopts its worker (same pid); a slot unassigned → its worker and
 * its component processes are gone, the other worker restarts with all the tasks.
 *
 * Workers run from the sources: `node --import tsx test/fixtures/worker-entry.ts worker …`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { MemoryLogger } from '../../src/common/logger.js';
import { ClusterState, ZooKeeperStateStore, type Leadership } from '../../src/coordination/index.js';
import { processSpawner, Supervisor, type SlotState } from '../../src/supervisor/index.js';
import type { TopologyPlan } from '../../src/topology/plan.js';
import {
  SENTENCES, WORDS_PER_ROUND, alive, assignmentFor, becomeLeader, descendants, freePort, packDir, planOf, recordFor, reported,
  startFakeNimbus, waitUntil, writeWordCount, type FakeNimbus, type TestSlot,
} from '../fixtures/supervisor-cluster.js';
import { startZooKeeper, type ZkServer } from '../helpers/zookeeper.js';

const REPEAT = 100;
const TOPOLOGY = 'svwc-1-1700000000';
const ROOT = `/sv-${process.pid}`;
const WORKER_ENTRY = fileURLToPath(new URL('../fixtures/worker-entry.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

let zk: ZkServer;
let tmp: string;
let plan: TopologyPlan;
let nimbus: FakeNimbus;
let packageId: string;
let leaderStore: ZooKeeperStateStore;
let cluster: ClusterState;
let lead: Leadership;
const stores: ZooKeeperStateStore[] = [];
const supervisors: Supervisor[] = [];
const seenPids = new Set<number>();
const logger = new MemoryLogger();

interface Machine {
  id: string;
  host: string;
  port: number;
  localDir: string;
}
let m1: Machine;
let m2: Machine;
let s1: Supervisor;
let s2: Supervisor;

async function connect(): Promise<ZooKeeperStateStore> {
  const s = await ZooKeeperStateStore.connect({ servers: [zk.connectString], chroot: ROOT, sessionTimeoutMs: 4000, spinDelayMs: 100, shutdownGraceMs: 2000 });
  stores.push(s);
  return s;
}

/** A supervisor as `squall supervisor` would run it, with fast timers and workers from the sources. */
async function startSupervisor(m: Machine): Promise<Supervisor> {
  const s = await Supervisor.start({
    id: m.id, host: m.host, ports: [m.port], localDir: m.localDir, store: await connect(), nimbus: nimbus.address,
    workerClusterConfig: {
      'storm.zookeeper.servers': [zk.connectString], 'storm.zookeeper.root': ROOT, 'storm.zookeeper.session.timeout': 4000,
      'storm.zookeeper.connection.timeout': 10_000, 'worker.heartbeat.frequency.secs': 0.25,
    },
    workerEnv: { ...process.env, SQUALL_LOG_LEVEL: 'info' },
    spawnWorker: processSpawner({ args: ['--import', TSX, WORKER_ENTRY] }),
    monitorFrequencyMs: 250, workerTimeoutMs: 5000, workerStartTimeoutMs: 30_000, killGraceMs: 5000, restartDelayMs: 200,
    nimbusHeartbeatMs: 250, assignmentSyncMs: 2000, logger: logger.child({ supervisor: m.id }),
  });
  supervisors.push(s);
  return s;
}

const workerPid = (s: Supervisor): number | undefined => {
  const p = (s.slots()[0] as SlotState).phase;
  return p.kind === 'running' ? p.worker.pid : undefined;
};

/** The pid of the running worker, once it runs (and is not `not`). */
async function runningPid(s: Supervisor, not?: number): Promise<number> {
  await waitUntil(() => workerPid(s) !== undefined && workerPid(s) !== not, `a running worker on ${s.id}`, 40_000);
  const pid = workerPid(s)!;
  seenPids.add(pid);
  return pid;
}

const slotOf = (m: Machine, components: string[]): TestSlot => ({ supervisorId: m.id, host: m.host, port: m.port, components });

before(async () => {
  zk = await startZooKeeper();
  tmp = await mkdtemp(join(tmpdir(), 'squall-sv-cluster-'));
  const dir = join(tmp, 'topology');
  await writeWordCount(dir, { repeat: REPEAT, pythonSplit: true });
  plan = await planOf(dir);
  const pkg = await packDir(dir);
  packageId = pkg.packageId;
  nimbus = await startFakeNimbus(new Map([[packageId, pkg.data]]));
  leaderStore = await connect();
  cluster = await ClusterState.create(leaderStore);
  lead = await becomeLeader(cluster);
  m1 = { id: 'machine-a', host: '127.0.0.2', port: await freePort('127.0.0.2'), localDir: join(tmp, 'a') };
  m2 = { id: 'machine-b', host: '127.0.0.3', port: await freePort('127.0.0.3'), localDir: join(tmp, 'b') };
});

after(async () => {
  for (const s of supervisors) if (s.state === 'running') await s.close({ killWorkers: true }).catch(() => {});
  for (const pid of seenPids) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  for (const s of stores) await s.close().catch(() => {});
  await nimbus?.[Symbol.asyncDispose]();
  await zk?.[Symbol.asyncDispose]();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('supervisors with real workers', { timeout: 90_000 }, () => {
  test('two supervisors on 127.0.0.2 and 127.0.0.3 run a word count across their workers: exact counts', async () => {
    await cluster.createTopology(lead, recordFor(TOPOLOGY, packageId));
    await cluster.setAssignment(lead, assignmentFor(plan, TOPOLOGY, [slotOf(m1, ['sentences', 'split']), slotOf(m2, ['count'])]));
    [s1, s2] = await Promise.all([startSupervisor(m1), startSupervisor(m2)]);
    await Promise.all([runningPid(s1), runningPid(s2)]);
    await waitUntil(() => reported(nimbus, 'sentences', 'acked', [m1.id]) === SENTENCES.length * REPEAT, 'every sentence acked', 40_000);
    await waitUntil(() => reported(nimbus, 'count', 'executed', [m2.id]) === WORDS_PER_ROUND * REPEAT, 'every word counted', 10_000);
    assert.equal(reported(nimbus, 'split', 'executed', [m1.id]), SENTENCES.length * REPEAT, 'the Python split bolt saw every sentence');
    assert.equal(reported(nimbus, 'sentences', 'failed'), 0);
    const infos = await cluster.supervisors();
    assert.deepEqual(infos.map((i) => [i.id, i.address, i.usedPorts]), [[m1.id, m1.host, [m1.port]], [m2.id, m2.host, [m2.port]]]);
  });

  test('kill -9 of a worker: its supervisor restarts it, reaps its component processes, and processing resumes', async () => {
    const old = await runningPid(s1);
    const components = descendants(old);
    assert.ok(components.length >= 2, 'the Python split tasks run as processes under the worker');
    process.kill(old, 'SIGKILL');
    const fresh = await runningPid(s1, old);
    assert.notEqual(fresh, old);
    await waitUntil(() => components.every((pid) => !alive(pid)), 'the dead worker\'s component processes reaped');
    // The new spout replays the fixed input from the start; the count worker kept running.
    await waitUntil(() => reported(nimbus, 'sentences', 'acked', [m1.id]) === SENTENCES.length * REPEAT
      && reported(nimbus, 'count', 'executed', [m2.id]) === 2 * WORDS_PER_ROUND * REPEAT, 'the input processed again', 40_000);
  });

  test('a supervisor replaced by a new one adopts its running worker (same pid, same counters)', async () => {
    const pid = await runningPid(s2);
    await s2.close(); // workers stay
    assert.ok(alive(pid));
    nimbus.heartbeats.delete(m2.id);
    s2 = await startSupervisor(m2);
    assert.equal(workerPid(s2), pid, 'adopted at start, not restarted');
    await waitUntil(() => reported(nimbus, 'count', 'executed', [m2.id]) === 2 * WORDS_PER_ROUND * REPEAT, 'the adopted worker reported by the new supervisor');
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(workerPid(s2), pid, 'still the same process after several monitor rounds');
    assert.ok(logger.records.some((r) => r.msg.includes('adopted running worker')));
  });

  test('a slot unassigned: its worker and component processes are gone; the other worker restarts with every task', async () => {
    const [pid1, pid2] = [await runningPid(s1), await runningPid(s2)];
    const components = descendants(pid1);
    assert.ok(components.length >= 2);
    await cluster.setAssignment(lead, assignmentFor(plan, TOPOLOGY, [slotOf(m2, ['sentences', 'split', 'count'])]));
    await waitUntil(() => s1.slots()[0]!.phase.kind === 'empty' && !alive(pid1), 'the unassigned worker stopped', 20_000);
    await waitUntil(() => components.every((pid) => !alive(pid)), 'its component processes gone');
    await waitUntil(async () => (await readdir(join(m1.localDir, 'supervisor', 'workers'))).length === 0, 'its directory removed');
    const fresh = await runningPid(s2, pid2);
    assert.ok(!alive(pid2), 'the reassigned worker exited by itself and was restarted');
    await waitUntil(() => reported(nimbus, 'count', 'executed', [m2.id]) === WORDS_PER_ROUND * REPEAT
      && reported(nimbus, 'sentences', 'acked', [m2.id]) === SENTENCES.length * REPEAT, 'the whole topology in one worker', 40_000);
    assert.deepEqual((await cluster.supervisor(m1.id))?.usedPorts, []);

    // Finally stop everything: not one worker or component process may remain.
    const all = [fresh, ...descendants(fresh)];
    await Promise.all([s1.close({ killWorkers: true }), s2.close({ killWorkers: true })]);
    for (const pid of [...seenPids, ...all]) assert.ok(!alive(pid), `process ${pid} is gone`);
    assert.ok(!logger.records.some((r) => r.msg.includes('ignored SIGTERM')), 'every worker stopped on SIGTERM or by itself, none needed SIGKILL');
    assert.ok(!existsSync(join(m2.localDir, 'supervisor', 'workers', `${TOPOLOGY}-${m2.id}-${m2.port}`)));
  });
});

describe('the squall supervisor command', { timeout: 30_000 }, () => {
  test('registers in ZooKeeper, says once that nimbus is unreachable, and exits 0 on SIGTERM', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SQUALL_')));
    const child = spawn(process.execPath, [
      '--import', TSX, WORKER_ENTRY, 'supervisor', '--id', 'cli-sup', '--host', '127.0.0.2', '--ports', '6700,6701',
      '--local-dir', join(tmp, 'cli'), '-c', `storm.zookeeper.servers=${zk.connectString}`, '-c', `storm.zookeeper.root=${ROOT}`,
      '-c', 'nimbus.seeds=127.0.0.1:1',
    ], { cwd: tmp, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      await waitUntil(async () => (await cluster.supervisor('cli-sup')) !== undefined, 'the CLI supervisor registered', 20_000);
      const info = (await cluster.supervisor('cli-sup'))!;
      assert.deepEqual([info.host, info.address, info.ports, info.usedPorts], ['127.0.0.2', '127.0.0.2', [6700, 6701], []]);
      await waitUntil(() => /supervisor cli-sup running: slots 6700, 6701 on 127\.0\.0\.2/.test(stdout), 'the running line');
      await waitUntil(() => stderr.includes('cannot send heartbeats to nimbus'), 'the nimbus warning');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(stderr.split('cannot send heartbeats to nimbus').length - 1, 1, `one warning per outage, not per second:\n${stderr}`);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    assert.equal(await cluster.supervisor('cli-sup'), undefined, 'unregistered on exit');
  });
});
