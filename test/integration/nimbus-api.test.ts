/**
 * The nimbus API end to end over real gRPC on 127.0.0.1:0, coordination in memory: upload a
 * package built with createPackage from examples/wordcount-js, submit it, and see the record,
 * the assignment over two fake supervisors (registered in ClusterState like real ones), list
 * and describe with statistics fed through SupervisorHeartbeat. Refusals: an invalid topology
 * (every file:line:column problem in the answer), a package with `../` entries (nothing kept),
 * bad and duplicate names, unknown packages and topologies. Status commands: activate and
 * deactivate, kill with a wait (fake clock) and kill waiting for removal.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { status as Status } from '@grpc/grpc-js';
import { Header } from 'tar';
import { FakeClock } from '../../src/common/clock.js';
import { ClusterState } from '../../src/coordination/cluster-state.js';
import { InMemoryStateStore } from '../../src/coordination/memory-store.js';
import { InMemoryZooKeeper } from '../../src/coordination/memory-tree.js';
import { Nimbus } from '../../src/nimbus/nimbus.js';
import type { NimbusOptions } from '../../src/nimbus/options.js';
import { createPackage } from '../../src/packages/create-package.js';
import { NimbusClient } from '../../src/rpc/client.js';
import { RpcError } from '../../src/rpc/errors.js';
import { startMemoryNimbus } from '../helpers/memory-nimbus.js';
import { eventually } from '../helpers/turns.js';

const scratch = mkdtempSync(join(tmpdir(), 'squall-nimbus-api-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const WORDCOUNT = new URL('../../examples/wordcount-js/', import.meta.url).pathname;
const INVALID = new URL('../fixtures/invalid.yaml', import.meta.url).pathname;

/** One nimbus on an in-memory tree (test/helpers/memory-nimbus.ts), a client, an admin view, and fake supervisors. */
async function cluster(opts: Partial<NimbusOptions> = {}) {
  const memory = await startMemoryNimbus(scratch, opts);
  const client = await NimbusClient.connect(memory.nimbus.address);
  const admin = await ClusterState.create(await memory.open());
  return {
    nimbus: memory.nimbus, client, admin, localDir: memory.localDir,
    /** Registers a supervisor the way a real one does: an ephemeral node of its own session. */
    async addSupervisor(id: string, host: string, ports: number[]): Promise<void> {
      await memory.addSupervisor(id, host, ports);
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await client.close();
      await memory[Symbol.asyncDispose]();
    },
  };
}

async function wordcountPackage(): Promise<Buffer> {
  return createPackage(WORDCOUNT);
}

async function rejection(p: Promise<unknown>): Promise<RpcError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof RpcError, `expected an RpcError, got ${String(err)}`);
  return err;
}

/** A tar.gz whose entries are written header by header, so it can hold what a hostile client sends. */
function hostileTgz(entries: Array<{ path: string; body: string }>): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body);
    const header = new Header({ path: e.path, type: 'File', size: body.length, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 });
    header.encode();
    blocks.push(header.block!, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

describe('nimbus API', () => {
  test('upload and submit: record ACTIVE, workers spread over two supervisors, list and describe with heartbeat stats', async () => {
    await using c = await cluster();
    await c.addSupervisor('sup-a', 'host-a', [6700, 6701]);
    await c.addSupervisor('sup-b', 'host-b', [6700, 6701]);
    const { packageId } = await c.client.uploadPackage(await wordcountPackage(), { name: 'wordcount-js' });
    assert.match(packageId, /^[0-9a-f]{64}$/);
    assert.ok(readdirSync(join(c.localDir, 'nimbus', 'packages')).includes(`${packageId}.tar.gz`));
    assert.deepEqual((await c.admin.packageReplicas(packageId)).map((r) => r.nimbusId), [c.nimbus.id]);

    const { topologyId } = await c.client.submit({ name: 'wc', packageId, topologyFile: 'topology.yaml', configOverrides: { 'topology.workers': 2 } });
    assert.match(topologyId, /^wc-1-\d+$/);
    const record = (await c.admin.topology(topologyId))!.value;
    assert.equal(record.status, 'ACTIVE');
    assert.equal(record.numWorkers, 2);
    assert.deepEqual(record.componentExecutors, { __acker: 2, count: 2, sentences: 1, split: 2 });
    assert.deepEqual(record.configOverrides, { 'topology.workers': 2 });

    const assignment = (await c.admin.assignment(topologyId))!.value;
    const slots = [...new Set(assignment.executors.map((e) => `${e.supervisorId}:${e.port}`))].sort();
    assert.equal(slots.length, 2);
    assert.deepEqual(slots.map((s) => s.split(':')[0]), ['sup-a', 'sup-b'], 'one worker on each supervisor');
    assert.deepEqual(assignment.nodeHost, { 'sup-a': 'host-a', 'sup-b': 'host-b' });
    const tasks = assignment.executors.flatMap((e) => Array.from({ length: e.endTask - e.startTask + 1 }, (_, i) => e.startTask + i)).sort((a, b) => a - b);
    assert.deepEqual(tasks, [1, 2, 3, 4, 5, 6, 7]);

    // Each supervisor reports its worker with counters; describe sums them.
    for (const sup of ['sup-a', 'sup-b']) {
      const mine = assignment.executors.filter((e) => e.supervisorId === sup);
      const ack = await c.client.supervisorHeartbeat({
        supervisorId: sup, host: sup === 'sup-a' ? 'host-a' : 'host-b', uptimeSecs: 5,
        workers: [{
          topologyId, port: mine[0]!.port, executors: mine.map((e) => [e.startTask, e.endTask] as const), uptimeSecs: 4,
          components: [
            { componentId: 'split', emitted: 100, transferred: 100, executed: 10, acked: 10, failed: 1, completeLatencyMsSum: 0, executeLatencyMsSum: 20, errors: 0 },
            { componentId: 'sentences', emitted: 10, transferred: 10, executed: 0, acked: 8, failed: 0, completeLatencyMsSum: 80, executeLatencyMsSum: 0, errors: 0 },
          ],
        }],
      });
      assert.deepEqual(ack, { ack: true, leaderAddress: c.nimbus.address });
    }
    await c.admin.reportError(topologyId, 'count', { message: 'boom', timeMs: 1_700_000_000_000, host: 'host-a', port: 6700, taskId: 3 });

    const list = await c.client.list();
    assert.equal(list.length, 1);
    assert.deepEqual({ ...list[0], uptimeSecs: 0 }, {
      id: topologyId, name: 'wc', status: 'ACTIVE', uptimeSecs: 0, numWorkers: 2, numExecutors: 7, numTasks: 7,
      scheduleMessage: 'fully scheduled on 2 workers',
    });

    const details = await c.client.describe('wc');
    assert.equal(details.id, topologyId);
    assert.equal(details.status, 'ACTIVE');
    assert.deepEqual(details.workers.map((w) => [w.supervisorId, w.host, w.uptimeSecs]).sort(), [['sup-a', 'host-a', 4], ['sup-b', 'host-b', 4]]);
    assert.equal(details.workers.reduce((n, w) => n + w.numTasks, 0), 7);
    const split = details.components.find((x) => x.id === 'split')!;
    assert.deepEqual([split.kind, split.numExecutors, split.numTasks, split.emitted, split.executed, split.failed, split.executeLatencyMs], ['bolt', 2, 2, 200, 20, 2, 2]);
    const spout = details.components.find((x) => x.id === 'sentences')!;
    assert.deepEqual([spout.kind, spout.acked, spout.completeLatencyMs], ['spout', 16, 10]);
    const count = details.components.find((x) => x.id === 'count')!;
    assert.deepEqual(count.lastErrors, [{ timeMs: 1_700_000_000_000, task: 3, host: 'host-a', port: 6700, message: 'boom' }]);
    assert.equal(details.config['topology.workers'], 2);
    assert.equal(details.config['topology.message.timeout.secs'], 30);

    const summary = await c.client.clusterSummary();
    assert.deepEqual(summary.nimbuses.map((n) => [n.port, n.isLeader]), [[c.nimbus.port, true]]);
    assert.deepEqual(summary.supervisors.map((s) => [s.id, s.slotsTotal, s.slotsUsed, s.slotsFree]), [['sup-a', 2, 1, 1], ['sup-b', 2, 1, 1]]);

    // The package comes back byte for byte (what supervisors download).
    const download = await c.client.downloadPackageBuffer(packageId);
    assert.deepEqual(download.data, await wordcountPackage());
  });

  test('an invalid topology is refused at submit with every file:line:column problem; nothing is recorded', async () => {
    await using c = await cluster();
    const dir = mkdtempSync(join(scratch, 'invalid-'));
    cpSync(INVALID, join(dir, 'topology.yaml'));
    const { packageId } = await c.client.uploadPackage(await createPackage(dir), { name: 'broken' });
    const err = await rejection(c.client.submit({ name: 'broken', packageId, topologyFile: 'topology.yaml' }));
    assert.equal(err.grpcCode, Status.INVALID_ARGUMENT);
    assert.equal(err.code, 'E_TOPOLOGY_INVALID');
    for (const where of ['topology.yaml:3:21: error:', 'topology.yaml:8:5: error:', 'topology.yaml:13:21: error:', 'topology.yaml:17:48: error:']) {
      assert.ok(err.message.includes(where), `missing ${where} in:\n${err.message}`);
    }
    assert.match(err.message, /did you mean "parallelism"/);
    assert.ok(!err.message.includes(scratch) && !err.message.includes(c.localDir), 'no server paths in the answer');
    assert.deepEqual(await c.admin.topologyIds(), []);

    const missing = await rejection(c.client.submit({ name: 'broken', packageId, topologyFile: 'nope.yaml' }));
    assert.equal(missing.grpcCode, Status.INVALID_ARGUMENT);
    const escape = await rejection(c.client.submit({ name: 'broken', packageId, topologyFile: '../../etc/passwd' }));
    assert.equal(escape.grpcCode, Status.INVALID_ARGUMENT);
    const overrides = await rejection(c.client.submit({ name: 'broken', packageId, topologyFile: 'topology.yaml', configOverrides: { 'topology.workers': 'many' } }));
    assert.equal(overrides.grpcCode, Status.INVALID_ARGUMENT);
    assert.deepEqual(readdirSync(join(c.localDir, 'nimbus', 'tmp')), [], 'temp extractions are removed');
  });

  test('a package with ../ entries is refused whole and nothing of it is kept', async () => {
    await using c = await cluster();
    const evil = hostileTgz([{ path: 'topology.yaml', body: 'name: x\n' }, { path: '../escape.txt', body: 'pwned' }]);
    const err = await rejection(c.client.uploadPackage(evil, { name: 'evil' }));
    assert.equal(err.grpcCode, Status.INVALID_ARGUMENT);
    assert.equal(err.code, 'E_PACKAGE_REJECTED');
    assert.match(err.message, /unsafe-path/);
    assert.deepEqual(readdirSync(join(c.localDir, 'nimbus', 'packages')), []);
    assert.deepEqual(readdirSync(join(c.localDir, 'nimbus', 'tmp')), []);
    assert.deepEqual(readdirSync(c.localDir).sort(), ['nimbus']);
    const notGzip = await rejection(c.client.uploadPackage(Buffer.from('plain text, not a package'), { name: 'junk' }));
    assert.equal(notGzip.code, 'E_PACKAGE_REJECTED');
  });

  test('bad names, duplicate names, unknown packages and unknown topologies are refused with their codes', async () => {
    await using c = await cluster();
    await c.addSupervisor('sup-a', 'host-a', [6700]);
    const { packageId } = await c.client.uploadPackage(await wordcountPackage(), { name: 'wc' });
    for (const name of ['../wc', 'wc;rm -rf', '', '-wc', 'x'.repeat(120)]) {
      const err = await rejection(c.client.submit({ name, packageId, topologyFile: 'topology.yaml' }));
      assert.equal(err.grpcCode, Status.INVALID_ARGUMENT, name);
      assert.equal(err.code, 'E_INVALID_NAME', name);
    }
    await c.client.submit({ name: 'wc', packageId, topologyFile: 'topology.yaml' });
    const dup = await rejection(c.client.submit({ name: 'wc', packageId, topologyFile: 'topology.yaml' }));
    assert.equal(dup.grpcCode, Status.ALREADY_EXISTS);
    assert.equal(dup.code, 'E_TOPOLOGY_EXISTS');
    assert.equal((await c.admin.topologyIds()).length, 1);

    const noPackage = await rejection(c.client.submit({ name: 'other', packageId: 'f'.repeat(64), topologyFile: 'topology.yaml' }));
    assert.equal(noPackage.grpcCode, Status.NOT_FOUND);
    assert.equal(noPackage.code, 'E_PACKAGE_NOT_FOUND');
    const noDownload = await rejection(c.client.downloadPackage('../../etc/passwd'));
    assert.equal(noDownload.code, 'E_PACKAGE_NOT_FOUND');
    for (const call of [c.client.kill({ name: 'ghost' }), c.client.activate('ghost'), c.client.rebalance({ name: 'ghost', numWorkers: 2 }), c.client.describe('ghost')]) {
      const err = await rejection(call);
      assert.equal(err.grpcCode, Status.NOT_FOUND);
      assert.equal(err.code, 'E_TOPOLOGY_NOT_FOUND');
    }
    const tooMany = await rejection(c.client.rebalance({ name: 'wc', executors: { split: 3 } }));
    assert.equal(tooMany.grpcCode, Status.INVALID_ARGUMENT, 'split has 2 tasks');
    const noComponent = await rejection(c.client.rebalance({ name: 'wc', executors: { nope: 1 } }));
    assert.equal(noComponent.grpcCode, Status.INVALID_ARGUMENT);
  });

  test('activate and deactivate move between ACTIVE and INACTIVE; a KILLED topology refuses them', async () => {
    await using c = await cluster();
    await c.addSupervisor('sup-a', 'host-a', [6700]);
    const { packageId } = await c.client.uploadPackage(await wordcountPackage(), { name: 'wc' });
    const { topologyId } = await c.client.submit({ name: 'wc', packageId, topologyFile: 'topology.yaml', startInactive: true });
    const status = async (): Promise<string | undefined> => (await c.admin.topology(topologyId))?.value.status;
    assert.equal(await status(), 'INACTIVE');
    assert.ok(await c.admin.assignment(topologyId), 'an inactive topology is placed too');
    assert.deepEqual(await c.client.activate('wc'), { topologyId, status: 'ACTIVE' });
    assert.equal(await status(), 'ACTIVE');
    assert.deepEqual(await c.client.activate('wc'), { topologyId, status: 'ACTIVE' }, 'activating an active topology is a no-op');
    assert.deepEqual(await c.client.deactivate('wc'), { topologyId, status: 'INACTIVE' });
    const record = (await c.admin.topology(topologyId))!.value;
    assert.deepEqual([record.status, record.prevStatus], ['INACTIVE', 'ACTIVE']);
    await c.client.kill({ name: 'wc', waitSecs: 600 });
    const refused = await rejection(c.client.activate('wc'));
    assert.equal(refused.grpcCode, Status.FAILED_PRECONDITION, refused.message);
    assert.equal(refused.code, 'E_INVALID_TRANSITION');
  });

  test('lifecycle: start → running; drain hands leadership to the standby, then closed; close is idempotent; bad options refused', async () => {
    const tree = new InMemoryZooKeeper();
    const stores = [await InMemoryStateStore.create({ tree }), await InMemoryStateStore.create({ tree })];
    try {
      const a = await Nimbus.start({ store: stores[0]!, localDir: mkdtempSync(join(scratch, 'life-')), port: 0, id: 'nimbus-a' });
      await using b = await Nimbus.start({ store: stores[1]!, localDir: mkdtempSync(join(scratch, 'life-')), port: 0, id: 'nimbus-b' });
      assert.deepEqual([a.state, a.isLeader, b.isLeader], ['running', true, false]);
      assert.equal(a.address, `127.0.0.1:${a.port}`);
      await a.drain();
      assert.equal(a.state, 'closed');
      assert.equal(await a.closed, undefined);
      await a.close();
      await eventually(async () => b.isLeader, 'the standby to lead');
      const registered = await (await ClusterState.create(stores[1]!)).nimbuses();
      assert.deepEqual(registered.map((n) => n.id), ['nimbus-b']);
      const gone = await NimbusClient.connect(a.address, { deadlineMs: 2_000 });
      const err = await rejection(gone.list());
      assert.equal(err.code, 'E_NIMBUS_UNREACHABLE');
      await gone.close();
      await assert.rejects(Nimbus.start({ store: stores[0]!, localDir: scratch, id: '../x' }), { code: 'E_CONFIG' });
      await assert.rejects(Nimbus.start({ store: stores[0]!, localDir: scratch, monitorFreqMs: 0 }), { code: 'E_CONFIG' });
    } finally {
      for (const s of stores) await s.close();
    }
  });

  test('kill: KILLED at once, removed with its assignment after the wait (fake clock); waitForRemoval answers once removed', async () => {
    const clock = new FakeClock(Date.now());
    await using c = await cluster({ clock });
    await c.addSupervisor('sup-a', 'host-a', [6700, 6701]);
    const { packageId } = await c.client.uploadPackage(await wordcountPackage(), { name: 'wc' });
    const { topologyId } = await c.client.submit({ name: 'wc', packageId, topologyFile: 'topology.yaml' });
    assert.ok(await c.admin.assignment(topologyId));

    assert.deepEqual(await c.client.kill({ name: 'wc', waitSecs: 30 }), { topologyId, status: 'KILLED', removed: false });
    const killed = (await c.admin.topology(topologyId))!.value;
    assert.equal(killed.status, 'KILLED');
    assert.equal(killed.statusDeadlineMs, Math.round(clock.now()) + 30_000);
    assert.ok(await c.admin.assignment(topologyId), 'workers keep their assignment while in-flight tuples drain');
    clock.advance(29_000);
    await c.nimbus.currentLeader()!.idle();
    assert.ok(await c.admin.topology(topologyId), 'not before the wait ends');
    const resubmit = await rejection(c.client.submit({ name: 'wc', packageId, topologyFile: 'topology.yaml' }));
    assert.equal(resubmit.code, 'E_TOPOLOGY_EXISTS', 'the name is taken until removal');
    clock.advance(1_000);
    await eventually(async () => (await c.admin.topology(topologyId)) === undefined, 'removal');
    assert.equal(await c.admin.assignment(topologyId), undefined);
    assert.deepEqual(await c.client.list(), []);
    // Its upload was consumed by the submit and nothing else uses the package: deleted.
    await eventually(async () => !readdirSync(join(c.localDir, 'nimbus', 'packages')).includes(`${packageId}.tar.gz`), 'the package deleted');

    // A second life under the same name gets the next number (uploaded again, as clients always
    // do before a submit); kill it waiting for removal.
    assert.equal((await c.client.uploadPackage(await wordcountPackage(), { name: 'wc' })).packageId, packageId);
    const second = await c.client.submit({ name: 'wc', packageId, topologyFile: 'topology.yaml' });
    assert.match(second.topologyId, /^wc-2-\d+$/);
    let answered = false;
    const answer = c.client.kill({ name: 'wc', waitSecs: 0, waitForRemoval: true }).finally(() => { answered = true; });
    // The removal timer is due at once, on the fake clock: let it fire once it is armed.
    await eventually(async () => { clock.advance(0); return answered; }, 'the kill to answer');
    assert.deepEqual(await answer, { topologyId: second.topologyId, status: 'KILLED', removed: true });
    assert.equal(await c.admin.topology(second.topologyId), undefined);
    assert.equal(await c.admin.assignment(second.topologyId), undefined);
  });
});
