/**
 * The supervisor with real processes but fake workers: a tiny Node script that writes
 * heartbeat.json like a worker (and can hang, ignore SIGTERM, or leave a detached "component"
 * process behind), started through the injectable spawner. Coordination is in memory, the
 * nimbus a fake gRPC server. Covers downloads (once per package, checked, safely extracted),
 * worker.json, used ports, nimbus reports, restarts after death or a stale heartbeat, stopping
 * unassigned workers (SIGTERM, then SIGKILL), adoption by a restarted supervisor, and leftovers.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { MemoryLogger } from '../../src/common/logger.js';
import { ClusterState, InMemoryStateStore, type Leadership } from '../../src/coordination/index.js';
import { processSpawner, Supervisor, type SlotState, type SpawnWorker, type SupervisorOptions, type WorkerLaunch } from '../../src/supervisor/index.js';
import type { TopologyPlan } from '../../src/topology/plan.js';
import {
  alive, assignmentFor, becomeLeader, packDir, planOf, recordFor, startFakeNimbus, waitUntil, writeWordCount, type FakeNimbus,
} from '../fixtures/supervisor-cluster.js';

/**
 * A fake worker. Its mode is read at start from $FAKE_MODE_FILE: ok, hang (two heartbeats, then
 * silence), ignore-term. It also starts a detached `sleep` recorded as a component process
 * (runs/<run id>/task-1/<pid>, SQUALL_RUN_ID in its environment), as a shell component would.
 */
const FAKE_WORKER = String.raw`
const fs = require('fs'), path = require('path'), cp = require('child_process');
const args = process.argv.slice(1);
const flag = (n) => args[args.indexOf(n) + 1];
const dir = flag('--worker-dir'), port = Number(flag('--port')), topologyId = flag('--topology-id');
let mode = 'ok';
try { mode = fs.readFileSync(process.env.FAKE_MODE_FILE, 'utf8').trim(); } catch {}
const runId = process.pid + '-fake';
const taskDir = path.join(dir, 'runs', runId, 'task-1');
fs.mkdirSync(taskDir, { recursive: true });
const child = cp.spawn('sleep', ['300'], { detached: true, stdio: 'ignore', env: { ...process.env, SQUALL_RUN_ID: runId } });
fs.writeFileSync(path.join(taskDir, String(child.pid)), '');
child.unref();
fs.writeFileSync(path.join(dir, 'component.pid'), String(child.pid));
let n = 0;
const beat = () => {
  n++;
  if (mode === 'hang' && n > 2) return;
  const hb = { workerId: path.basename(dir), topologyId, port, pid: process.pid, timeMs: Date.now(), tasks: [1],
    stats: [{ componentId: 'count', kind: 'bolt', emitted: n, transferred: n, executed: n, acked: n, failed: 0, completeLatencyMs: null, errors: 0 }] };
  fs.writeFileSync(path.join(dir, 'hb.tmp'), JSON.stringify(hb));
  fs.renameSync(path.join(dir, 'hb.tmp'), path.join(dir, 'heartbeat.json'));
};
console.log('fake worker ' + process.pid + ' started (' + mode + ')');
beat();
setInterval(beat, 100);
process.on('SIGTERM', () => { console.log('SIGTERM'); if (mode !== 'ignore-term') process.exit(0); });
`;

const SUP = 'sup-a';
const TOPOLOGY = 'wc-1-100';
let tmp: string;
let plan: TopologyPlan;
let pkg: { data: Buffer; packageId: string };
let nimbus: FakeNimbus;
const stray: number[] = [];

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'squall-supervisor-'));
  const dir = join(tmp, 'topology');
  await writeWordCount(dir, { repeat: 1 });
  plan = await planOf(dir);
  pkg = await packDir(dir);
  nimbus = await startFakeNimbus(new Map([[pkg.packageId, pkg.data]]));
});

after(async () => {
  for (const pid of stray) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  await nimbus[Symbol.asyncDispose]();
  await rm(tmp, { recursive: true, force: true });
});

/** One test's world: a store, a leader, a local dir, a mode file, launches seen. */
async function world(name: string) {
  const store = await InMemoryStateStore.create();
  const cluster = await ClusterState.create(store);
  const lead: Leadership = await becomeLeader(cluster);
  const localDir = join(tmp, name);
  await mkdir(localDir, { recursive: true });
  const modeFile = join(localDir, 'mode');
  await writeFile(modeFile, 'ok');
  const launches: WorkerLaunch[] = [];
  const base = processSpawner({ args: ['-e', FAKE_WORKER] });
  const spawnWorker: SpawnWorker = async (l) => {
    launches.push(l);
    const w = await base(l);
    stray.push(w.pid);
    return w;
  };
  const logger = new MemoryLogger();
  const downloadsBefore = nimbus.downloads.get(pkg.packageId) ?? 0;
  const downloads = (): number => (nimbus.downloads.get(pkg.packageId) ?? 0) - downloadsBefore;
  const supervisors: Supervisor[] = [];
  const start = async (extra: Partial<SupervisorOptions> = {}): Promise<Supervisor> => {
    const s = await Supervisor.start({
      id: SUP, ports: [6700, 6701], localDir, store, nimbus: nimbus.address, workerClusterConfig: { 'storm.zookeeper.servers': ['127.0.0.1:1'] },
      workerEnv: { ...process.env, FAKE_MODE_FILE: modeFile }, spawnWorker, logger,
      monitorFrequencyMs: 100, workerTimeoutMs: 1000, workerStartTimeoutMs: 3000, killGraceMs: 800, restartDelayMs: 100,
      nimbusHeartbeatMs: 200, assignmentSyncMs: 1000, ...extra,
    });
    supervisors.push(s);
    return s;
  };
  const assign = async (slots: Array<{ port: number; components: string[] }>, packageId = pkg.packageId): Promise<void> => {
    if (!(await cluster.topology(TOPOLOGY))) await cluster.createTopology(lead, recordFor(TOPOLOGY, packageId));
    await cluster.setAssignment(lead, assignmentFor(plan, TOPOLOGY, slots.map((s) => ({ supervisorId: SUP, host: '127.0.0.1', ...s }))));
  };
  const dispose = async (): Promise<void> => {
    for (const s of supervisors) if (s.state === 'running') await s.close({ killWorkers: true });
    await store.close();
  };
  return { store, cluster, lead, localDir, modeFile, launches, logger, downloads, start, assign, dispose, workersDir: join(localDir, 'supervisor', 'workers') };
}

let current: Awaited<ReturnType<typeof world>> | undefined;
afterEach(async () => {
  await current?.dispose();
  current = undefined;
});

const slot = (s: Supervisor, port: number): SlotState => s.slots().find((x) => x.port === port)!;
const pidOf = (s: Supervisor, port: number): number | undefined => {
  const p = slot(s, port).phase;
  return p.kind === 'running' || p.kind === 'starting' || p.kind === 'killing' ? p.worker.pid : undefined;
};
const running = (s: Supervisor, port: number): boolean => slot(s, port).phase.kind === 'running';
const workerId = (port: number): string => `${TOPOLOGY}-${SUP}-${port}`;

describe('supervisor', () => {
  test('starts the workers of its slots: one checked download, worker.json, used ports, nimbus reports; close({killWorkers}) leaves nothing', { timeout: 30_000 }, async () => {
    const w = current = await world('start');
    await w.assign([{ port: 6700, components: ['sentences', 'split'] }, { port: 6701, components: ['count'] }]);
    const s = await w.start();
    await waitUntil(() => running(s, 6700) && running(s, 6701), 'both workers running');
    assert.equal(w.downloads(), 1, 'one download for the two slots of one package');
    assert.ok(existsSync(join(w.localDir, 'supervisor', 'packages', pkg.packageId, 'topology.yaml')), 'extracted');
    const record = JSON.parse(await readFile(join(w.workersDir, workerId(6700), 'worker.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual({ ...record, startedAtMs: 0 }, { workerId: workerId(6700), topologyId: TOPOLOGY, port: 6700, packageId: pkg.packageId, startedAtMs: 0, pid: pidOf(s, 6700) });
    assert.deepEqual(w.launches.map((l) => [l.port, l.host, l.topologyId, l.supervisorId]).sort(), [[6700, '127.0.0.1', TOPOLOGY, SUP], [6701, '127.0.0.1', TOPOLOGY, SUP]]);
    await waitUntil(async () => (await w.cluster.supervisor(SUP))?.usedPorts.join() === '6700,6701', 'used ports in ZooKeeper');
    const info = (await w.cluster.supervisor(SUP))!;
    assert.deepEqual([info.host, info.address, info.ports], ['127.0.0.1', '127.0.0.1', [6700, 6701]]);
    await waitUntil(() => (nimbus.heartbeats.get(SUP)?.workers.length ?? 0) === 2, 'both workers reported to nimbus');
    const report = nimbus.heartbeats.get(SUP)!.workers.find((r) => r.port === 6701)!;
    assert.equal(report.topologyId, TOPOLOGY);
    assert.deepEqual(report.executors, plan.components.get('count')!.executors.map((e) => [e[0], e.at(-1)]).concat([[plan.ackerTasks[1]!, plan.ackerTasks[1]!]]).sort((a, b) => a[0]! - b[0]!));
    assert.ok(report.components.find((c) => c.componentId === 'count')!.executed > 0, 'counters from heartbeat.json');

    const pids = [pidOf(s, 6700)!, pidOf(s, 6701)!];
    const components = await Promise.all([6700, 6701].map(async (p) => Number(await readFile(join(w.workersDir, workerId(p), 'component.pid'), 'utf8'))));
    await s.close({ killWorkers: true });
    assert.equal(s.state, 'closed');
    for (const pid of [...pids, ...components]) assert.ok(!alive(pid), `process ${pid} is gone`);
    assert.deepEqual(await readdir(w.workersDir), [], 'worker directories removed');
    assert.equal(await w.cluster.supervisor(SUP), undefined, 'unregistered');
  });

  test('restarts a worker that died or stopped heartbeating, reaps its component processes, keeps its log', { timeout: 30_000 }, async () => {
    const w = current = await world('restart');
    await w.assign([{ port: 6700, components: ['sentences', 'split', 'count'] }]);
    const s = await w.start();
    await waitUntil(() => running(s, 6700), 'worker running');
    const first = pidOf(s, 6700)!;
    const dir = join(w.workersDir, workerId(6700));
    const component = Number(await readFile(join(dir, 'component.pid'), 'utf8'));

    await writeFile(w.modeFile, 'hang'); // the next incarnation stops heartbeating
    process.kill(first, 'SIGKILL');
    await waitUntil(() => (pidOf(s, 6700) ?? first) !== first, 'a new worker after the kill');
    const second = pidOf(s, 6700)!;
    await waitUntil(() => !alive(component), 'the dead worker\'s component process was reaped');
    await waitUntil(async () => (await readFile(join(dir, 'worker.log'), 'utf8')).includes(`${second} started (hang)`), 'the second worker hangs');
    await writeFile(w.modeFile, 'ok');
    await waitUntil(() => running(s, 6700) && pidOf(s, 6700) !== second, 'the hanging worker replaced', 10_000);
    assert.ok(!alive(second), 'the hanging worker was killed');
    assert.ok(w.logger.records.some((r) => r.level === 'warn' && r.msg.includes('has not heartbeated')));
    const log = await readFile(join(dir, 'worker.log'), 'utf8');
    assert.equal(log.match(/fake worker \d+ started/g)?.length, 3, 'worker.log kept across restarts');
    assert.equal(w.launches.length, 3);
    assert.equal(w.downloads(), 1, 'the package is not downloaded again');
  });

  test('stops an unassigned worker (SIGKILL when it ignores SIGTERM), removes its directory and unused package', { timeout: 30_000 }, async () => {
    const w = current = await world('unassign');
    await writeFile(w.modeFile, 'ignore-term');
    await w.assign([{ port: 6701, components: ['sentences', 'split', 'count'] }]);
    const s = await w.start();
    await waitUntil(() => running(s, 6701), 'worker running');
    const pid = pidOf(s, 6701)!;
    const dir = join(w.workersDir, workerId(6701));
    const component = Number(await readFile(join(dir, 'component.pid'), 'utf8'));
    await w.cluster.removeTopology(w.lead, TOPOLOGY);
    await waitUntil(() => slot(s, 6701).phase.kind === 'empty', 'slot empty', 10_000);
    // SIGTERM first; SIGKILL only once the worker had ignored it for the whole grace.
    const msgs = w.logger.records.map((r) => r.msg);
    const stopping = msgs.findIndex((m) => m.startsWith('stopping worker') && m.includes('no longer assigned'));
    const killed = msgs.findIndex((m) => m.includes('ignored SIGTERM for 800 ms: SIGKILL'));
    assert.ok(stopping >= 0 && killed > stopping, `SIGTERM, then SIGKILL after the grace:\n${msgs.join('\n')}`);
    assert.ok(!alive(pid), 'worker gone');
    await waitUntil(() => !alive(component), 'its component process reaped');
    await waitUntil(() => !existsSync(dir), 'worker directory removed');
    await waitUntil(async () => (await readdir(join(w.localDir, 'supervisor', 'packages'))).length === 0, 'unused package removed');
    await waitUntil(async () => (await w.cluster.supervisor(SUP))?.usedPorts.length === 0, 'no used ports in ZooKeeper');
    assert.ok(w.logger.records.some((r) => r.msg.includes('ignored SIGTERM')));
  });

  test('a restarted supervisor adopts its live workers, relaunches dead ones and reaps orphans', { timeout: 30_000 }, async () => {
    const w = current = await world('adopt');
    await w.assign([{ port: 6700, components: ['sentences', 'split'] }, { port: 6701, components: ['count'] }]);
    const s1 = await w.start();
    await waitUntil(() => running(s1, 6700) && running(s1, 6701), 'both workers running');
    const [keep, lost] = [pidOf(s1, 6700)!, pidOf(s1, 6701)!];
    await s1.close();
    assert.ok(alive(keep) && alive(lost), 'close() leaves the workers running');

    process.kill(lost, 'SIGKILL'); // dies while no supervisor watches
    const orphan = join(w.workersDir, 'old-1-1-sup-a-6799');
    await mkdir(orphan, { recursive: true });
    await writeFile(join(orphan, 'worker.json'), JSON.stringify({ workerId: 'old-1-1-sup-a-6799', topologyId: 'old-1-1', port: 6799, packageId: pkg.packageId, pid: 999_999, startedAtMs: 0 }));
    const launchesBefore = w.launches.length;

    nimbus.heartbeats.delete(SUP);
    const s2 = await w.start();
    assert.equal(pidOf(s2, 6700), keep, 'adopted: same process');
    assert.ok(w.logger.records.some((r) => r.msg.includes(`adopted running worker ${workerId(6700)}`)));
    assert.ok(!existsSync(orphan), 'orphan directory removed');
    await waitUntil(() => running(s2, 6701) && pidOf(s2, 6701) !== lost, 'the dead worker relaunched');
    assert.equal(w.launches.length, launchesBefore + 1, 'only the dead one was launched again');
    await new Promise((r) => setTimeout(r, 500)); // several monitor rounds
    assert.equal(pidOf(s2, 6700), keep, 'still the adopted process');
    await waitUntil(() => nimbus.heartbeats.get(SUP)?.workers.some((r) => r.port === 6700) === true, 'the adopted worker is reported');
  });

  test('a package whose bytes do not match its id is never extracted nor run', { timeout: 30_000 }, async () => {
    const w = current = await world('digest');
    const fakeId = 'c'.repeat(64);
    const served = new Map([[fakeId, pkg.data]]);
    await using liar = await startFakeNimbus(served);
    await w.assign([{ port: 6700, components: ['sentences', 'split', 'count'] }], fakeId);
    const s = await w.start({ nimbus: liar.address });
    await waitUntil(() => (liar.downloads.get(fakeId) ?? 0) >= 2, 'download retried');
    assert.equal(w.launches.length, 0);
    assert.ok(!existsSync(join(w.localDir, 'supervisor', 'packages', fakeId)));
    assert.deepEqual((await readdir(join(w.localDir, 'supervisor', 'packages'))).filter((n) => !n.startsWith('.')), []);
    assert.ok(w.logger.records.some((r) => r.level === 'error' && r.msg.includes('could not fetch package') && r.msg.includes('sha256')));
    assert.equal(s.usedPorts.length, 0);
  });
});
