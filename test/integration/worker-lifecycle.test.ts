/**
 * The worker role in this process (two Worker objects over one in-memory coordination store,
 * talking over real TCP): it reads its record and assignment, runs its slot's tasks, writes
 * heartbeat.json with exact counters, follows the topology status and the assignment (stops
 * itself when its slot goes or changes), and refuses to start when it has nothing to run.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SquallError } from '../../src/common/errors.js';
import { ClusterState, InMemoryStateStore, type Leadership } from '../../src/coordination/index.js';
import type { TopologyPlan } from '../../src/topology/plan.js';
import { Worker, type WorkerHeartbeat, type WorkerOptions } from '../../src/worker/index.js';
import {
  SENTENCES, WORDS_PER_ROUND, assignmentFor, becomeLeader, freePort, planOf, recordFor, waitUntil, writeWordCount,
} from '../fixtures/supervisor-cluster.js';

const REPEAT = 100;
let tmp: string;
let pkgDir: string;
let plan: TopologyPlan;
let store: InMemoryStateStore;
let cluster: ClusterState;
let lead: Leadership;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'squall-worker-'));
  pkgDir = join(tmp, 'package');
  await writeWordCount(pkgDir, { repeat: REPEAT });
  plan = await planOf(pkgDir);
  store = await InMemoryStateStore.create();
  cluster = await ClusterState.create(store);
  lead = await becomeLeader(cluster);
});

after(async () => {
  await store.close();
  await rm(tmp, { recursive: true, force: true });
});

async function heartbeatOf(workerDir: string): Promise<WorkerHeartbeat | undefined> {
  try {
    return JSON.parse(await readFile(join(workerDir, 'heartbeat.json'), 'utf8')) as WorkerHeartbeat;
  } catch {
    return undefined;
  }
}

function counter(hb: WorkerHeartbeat | undefined, component: string, key: 'executed' | 'acked' | 'emitted'): number {
  return hb?.stats.find((s) => s.componentId === component)?.[key] ?? 0;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function options(topologyId: string, supervisorId: string, port: number, workerDir: string): WorkerOptions {
  return { topologyId, supervisorId, port, host: '127.0.0.1', workerDir, packageDir: pkgDir, store, heartbeatIntervalMs: 100 };
}

describe('worker', () => {
  test('two workers run one topology: paused while INACTIVE, exact counts in heartbeat.json, stop when their slot goes', { timeout: 60_000 }, async () => {
    const topologyId = 'wc-1-100';
    const [portA, portB] = [await freePort(), await freePort()];
    await cluster.createTopology(lead, recordFor(topologyId, 'f'.repeat(64), 'INACTIVE'));
    await cluster.setAssignment(lead, assignmentFor(plan, topologyId, [
      { supervisorId: 'sa', host: '127.0.0.1', port: portA, components: ['sentences', 'split'] },
      { supervisorId: 'sb', host: '127.0.0.1', port: portB, components: ['count'] },
    ]));
    const [dirA, dirB] = [join(tmp, 'wa'), join(tmp, 'wb')];
    const a = await Worker.start(options(topologyId, 'sa', portA, dirA));
    const b = await Worker.start(options(topologyId, 'sb', portB, dirB));
    assert.equal(a.workerId, `${topologyId}-sa-${portA}`);
    assert.equal(a.state, 'running');

    const first = await heartbeatOf(dirA);
    assert.ok(first, 'the first heartbeat is written before start() resolves');
    assert.deepEqual({ ...first, timeMs: 0, stats: [] }, { workerId: a.workerId, topologyId, port: portA, pid: process.pid, timeMs: 0, tasks: a.tasks, stats: [] });
    assert.deepEqual(first.stats.map((s) => s.componentId).sort(), ['sentences', 'split']);
    assert.ok(Math.abs(first.timeMs - Date.now()) < 5000, 'timeMs is epoch milliseconds');

    await new Promise((r) => setTimeout(r, 400));
    assert.equal(counter(await heartbeatOf(dirA), 'sentences', 'emitted'), 0, 'INACTIVE: the spout does not emit');

    await cluster.setTopologyStatus(lead, topologyId, 'ACTIVE');
    await waitUntil(async () => counter(await heartbeatOf(dirA), 'sentences', 'acked') === SENTENCES.length * REPEAT, 'every sentence acked', 30_000);
    await waitUntil(async () => counter(await heartbeatOf(dirB), 'count', 'executed') === WORDS_PER_ROUND * REPEAT, 'every word counted', 10_000);
    const hbB = (await heartbeatOf(dirB))!;
    assert.equal(counter(hbB, 'count', 'acked'), WORDS_PER_ROUND * REPEAT);
    assert.equal(hbB.stats.find((s) => s.componentId === 'count')?.failed, 0);
    assert.ok(hbB.timeMs > first.timeMs, 'heartbeats keep coming');

    // Everything moves to A's slot: B's slot is gone, A's tasks changed — both stop by themselves.
    await cluster.setAssignment(lead, assignmentFor(plan, topologyId, [
      { supervisorId: 'sa', host: '127.0.0.1', port: portA, components: ['sentences', 'split', 'count'] },
    ]));
    assert.equal(await b.closed, undefined);
    assert.equal(b.stopReason, 'unassigned');
    assert.equal(await a.closed, undefined);
    assert.equal(a.stopReason, 'reassigned');
    assert.equal(a.state, 'closed');
    assert.ok(await canBind(portA) && await canBind(portB), 'both transport servers are closed');
    await a.close(); // idempotent
  });

  test('close() drains and closes; the status KILLED pauses the spouts first', { timeout: 30_000 }, async () => {
    const topologyId = 'solo-1-200';
    const port = await freePort();
    await cluster.createTopology(lead, recordFor(topologyId, 'f'.repeat(64)));
    await cluster.setAssignment(lead, assignmentFor(plan, topologyId, [
      { supervisorId: 'sa', host: '127.0.0.1', port, components: ['sentences', 'split', 'count'] },
    ]));
    const dir = join(tmp, 'solo');
    await using w = await Worker.start(options(topologyId, 'sa', port, dir));
    await waitUntil(async () => counter(await heartbeatOf(dir), 'count', 'executed') === WORDS_PER_ROUND * REPEAT, 'every word counted', 30_000);
    await cluster.setTopologyStatus(lead, topologyId, 'KILLED');
    await w.close();
    assert.equal(w.stopReason, 'closed');
    assert.equal(await w.closed, undefined);
    assert.ok(await canBind(port));
  });

  test('refuses to start without its topology, without its slot, or with a topology file outside the package', async () => {
    const port = await freePort();
    const code = (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (e: unknown) => (e instanceof SquallError ? e.code : String(e)));
    assert.equal(await code(Worker.start(options('nothing-1-1', 'sa', port, join(tmp, 'x1')))), 'E_WORKER_NO_TOPOLOGY');

    await cluster.createTopology(lead, recordFor('other-1-300', 'f'.repeat(64)));
    assert.equal(await code(Worker.start(options('other-1-300', 'sa', port, join(tmp, 'x2')))), 'E_WORKER_NOT_ASSIGNED', 'no assignment at all');
    await cluster.setAssignment(lead, assignmentFor(plan, 'other-1-300', [{ supervisorId: 'sz', host: '127.0.0.1', port, components: ['sentences', 'split', 'count'] }]));
    assert.equal(await code(Worker.start(options('other-1-300', 'sa', port, join(tmp, 'x3')))), 'E_WORKER_NOT_ASSIGNED', 'another slot');

    await cluster.createTopology(lead, { ...recordFor('evil-1-400', 'f'.repeat(64)), topologyFile: '../../etc/passwd' });
    await cluster.setAssignment(lead, assignmentFor(plan, 'evil-1-400', [{ supervisorId: 'sa', host: '127.0.0.1', port, components: ['sentences', 'split', 'count'] }]));
    assert.equal(await code(Worker.start(options('evil-1-400', 'sa', port, join(tmp, 'x4')))), 'E_WORKER_PACKAGE');
    assert.ok(await canBind(port), 'nothing was left listening');
  });
});
