/**
 * The supervisor deletes an extracted package only when nothing on this machine runs from it,
 * across a restart: real processes (a tiny fake worker that heartbeats and ignores SIGTERM),
 * in-memory coordination, a fake nimbus serving the packages.
 *
 * A restarted supervisor adopts a worker whose topology was removed while no supervisor ran: the
 * package stays while that worker is being killed (it ignores SIGTERM, so it lives through the
 * kill grace) and goes once it has exited; a package no slot needs (left from an older topology)
 * goes at start; the package of the topology still assigned stays.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MemoryLogger } from '../../src/common/logger.js';
import { ClusterState, InMemoryStateStore } from '../../src/coordination/index.js';
import { processSpawner, Supervisor, type SupervisorOptions } from '../../src/supervisor/index.js';
import {
  alive, assignmentFor, becomeLeader, packDir, planOf, recordFor, startFakeNimbus, waitUntil, writeWordCount, type FakeNimbus,
} from '../fixtures/supervisor-cluster.js';

/** Heartbeats every 100 ms; ignores SIGTERM, so a kill has to wait for the grace and SIGKILL. */
const FAKE_WORKER = String.raw`
const fs = require('fs'), path = require('path');
const args = process.argv.slice(1);
const flag = (n) => args[args.indexOf(n) + 1];
const dir = flag('--worker-dir'), port = Number(flag('--port')), topologyId = flag('--topology-id');
const beat = () => {
  const hb = { workerId: path.basename(dir), topologyId, port, pid: process.pid, timeMs: Date.now(), tasks: [1], stats: [] };
  fs.writeFileSync(path.join(dir, 'hb.tmp'), JSON.stringify(hb));
  fs.renameSync(path.join(dir, 'hb.tmp'), path.join(dir, 'heartbeat.json'));
};
beat();
setInterval(beat, 100);
process.on('SIGTERM', () => {});
`;

const SUP = 'sup-p';
let tmp: string;
let nimbus: FakeNimbus;
const pids = new Set<number>();
const packs: Array<{ data: Buffer; packageId: string; dir: string }> = [];

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'squall-sup-pkg-'));
  for (const name of ['one', 'two']) {
    const dir = join(tmp, 'src', name);
    await writeWordCount(dir, { repeat: 1, name });
    packs.push({ ...(await packDir(dir)), dir });
  }
  nimbus = await startFakeNimbus(new Map(packs.map((p) => [p.packageId, p.data])));
});

after(async () => {
  for (const pid of pids) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  await nimbus[Symbol.asyncDispose]();
  await rm(tmp, { recursive: true, force: true });
});

test('a restarted supervisor keeps a package while an adopted worker still runs from it, then deletes it; stale packages go at start', { timeout: 60_000 }, async () => {
  const store = await InMemoryStateStore.create();
  const cluster = await ClusterState.create(store);
  const lead = await becomeLeader(cluster);
  const localDir = join(tmp, 'local');
  const packagesDir = join(localDir, 'supervisor', 'packages');
  const [one, two] = packs as [typeof packs[0], typeof packs[0]];
  const base = processSpawner({ args: ['-e', FAKE_WORKER] });
  const supervisors: Supervisor[] = [];
  const start = async (): Promise<Supervisor> => {
    const options: SupervisorOptions = {
      id: SUP, ports: [6700, 6701], localDir, store, nimbus: nimbus.address, workerClusterConfig: { 'storm.zookeeper.servers': ['127.0.0.1:1'] },
      spawnWorker: async (l) => { const w = await base(l); pids.add(w.pid); return w; },
      logger: new MemoryLogger(), monitorFrequencyMs: 100, workerTimeoutMs: 5000, workerStartTimeoutMs: 5000, killGraceMs: 1500,
      restartDelayMs: 100, nimbusHeartbeatMs: 200, assignmentSyncMs: 1000,
    };
    const s = await Supervisor.start(options);
    supervisors.push(s);
    return s;
  };
  try {
    for (const [topologyId, p, port] of [['one-1-1', one, 6700], ['two-2-1', two, 6701]] as const) {
      await cluster.createTopology(lead, recordFor(topologyId, p.packageId));
      await cluster.setAssignment(lead, assignmentFor(await planOf(p.dir), topologyId, [{ supervisorId: SUP, host: '127.0.0.1', port, components: ['sentences', 'split', 'count'] }]));
    }
    const s1 = await start();
    await waitUntil(() => s1.slots().every((s) => s.phase.kind === 'running'), 'both workers running');
    const onePid = (s1.slots().find((s) => s.port === 6700)!.phase as { worker: { pid: number } }).worker.pid;
    await s1.close(); // the workers keep running

    // While no supervisor runs: topology one is removed, and an old package lies around.
    await cluster.removeTopology(lead, 'one-1-1');
    const stale = join(packagesDir, 'f'.repeat(64));
    await mkdir(stale);
    await cp(one.dir, stale, { recursive: true });

    const s2 = await start();
    const slot = (): string => s2.slots().find((s) => s.port === 6700)!.phase.kind;
    assert.equal(slot(), 'killing', 'the adopted worker of the removed topology is being stopped');
    await waitUntil(() => !existsSync(stale), 'the stale package deleted at start');
    assert.ok(alive(onePid), 'the worker ignores SIGTERM and runs through the kill grace');
    assert.ok(existsSync(join(packagesDir, one.packageId)), 'its package stays while it runs');
    await waitUntil(() => slot() === 'empty', 'the adopted worker gone', 15_000);
    await waitUntil(() => !existsSync(join(packagesDir, one.packageId)), 'then its package deleted');
    assert.ok(!alive(onePid));
    assert.ok(existsSync(join(packagesDir, two.packageId)), 'the package of the topology still running stays');
    assert.equal(s2.slots().find((s) => s.port === 6701)!.phase.kind, 'running');
  } finally {
    for (const s of supervisors) if (s.state === 'running') await s.close({ killWorkers: true }).catch(() => undefined);
    await store.close();
  }
});
