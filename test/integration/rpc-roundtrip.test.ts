/**
 * The cluster API over real gRPC on 127.0.0.1 port 0: every RPC round-trips through a fake
 * handler set with typed values (uint64 counters beyond 2^32, JSON config values, optional
 * fields absent and present); a few MiB upload in chunks with the sha256 checked by the
 * handler and streamed back; handler errors arrive with their code; missing handlers answer
 * UNIMPLEMENTED; close() leaves no handles.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { describeError, SquallError, UsageError } from '../../src/common/errors.js';
import { NimbusClient } from '../../src/rpc/client.js';
import { RpcError } from '../../src/rpc/errors.js';
import { startRpcServer, type RpcServer } from '../../src/rpc/server.js';
import type {
  CallContext, ClusterSummary, KillTopologyRequest, NimbusHandlers, PackageMetadata, RebalanceTopologyRequest,
  SubmitTopologyRequest, SupervisorHeartbeat, TopologyDetails, TopologySummary,
} from '../../src/rpc/types.js';
import { pollUntil, tcpHandles } from '../helpers/turns.js';

const BIG = 2 ** 40 + 7;            // beyond 2^32: must survive as an exact number
const BIGGEST = Number.MAX_SAFE_INTEGER;

/** Polls a condition every 5 ms; the 10 s cap only turns a hang into a clear failure. */
const waitFor = (cond: () => boolean, what: string): Promise<void> => pollUntil(cond, what, 10_000, 5);

const summary: TopologySummary = {
  id: 'wordcount-1-1700000000', name: 'wordcount', status: 'REBALANCING', uptimeSecs: BIG,
  numWorkers: 2, numExecutors: 9, numTasks: 12, scheduleMessage: 'fully scheduled on 2 workers',
};

const details: TopologyDetails = {
  id: summary.id, name: 'wordcount', status: 'ACTIVE', uptimeSecs: 3600,
  workers: [{ host: 'h1', port: 6700, supervisorId: 'sup-1', uptimeSecs: 12, numExecutors: 4, numTasks: 6 }],
  components: [
    {
      id: 'sentences', kind: 'spout', numExecutors: 1, numTasks: 1, emitted: BIG, transferred: BIG * 2, executed: 0,
      acked: BIGGEST, failed: 3, completeLatencyMs: 12.5, executeLatencyMs: 0, errorsCount: 1,
      lastErrors: [{ timeMs: 1_700_000_000_123, task: 3, host: 'h1', port: 6700, message: 'boom ☃' }],
    },
    {
      id: 'split', kind: 'bolt', numExecutors: 4, numTasks: 8, emitted: 0, transferred: 0, executed: 2 ** 33,
      acked: 2 ** 33, failed: 0, completeLatencyMs: 0, executeLatencyMs: 0.25, errorsCount: 0, lastErrors: [],
    },
  ],
  config: { 'topology.workers': 2, 'topology.debug': false, nested: { a: [1, 'x', null] } },
  scheduleMessage: '',
};

const cluster: ClusterSummary = {
  nimbuses: [
    { host: 'n1', port: 6627, isLeader: true, uptimeSecs: BIG, version: '0.1.0' },
    { host: 'n2', port: 6628, isLeader: false, uptimeSecs: 5, version: '0.1.0' },
  ],
  supervisors: [{ id: 'sup-1', host: 'h1', slotsTotal: 4, slotsUsed: 1, slotsFree: 3, uptimeSecs: 99 }],
};

const heartbeat: SupervisorHeartbeat = {
  supervisorId: 'sup-1', host: 'h1', uptimeSecs: 77,
  workers: [{
    topologyId: summary.id, port: 6700, executors: [[1, 1], [2, 5]], uptimeSecs: 70,
    components: [{
      componentId: 'split', emitted: BIG, transferred: BIG + 1, executed: 2 ** 32, acked: 2 ** 32 + 1, failed: 0,
      completeLatencyMsSum: 0, executeLatencyMsSum: 1234.5, errors: BIGGEST,
    }],
  }],
};

/** A fake nimbus that records what it was given and answers from the fixtures above. */
function fakeNimbus(): { handlers: NimbusHandlers; seen: Record<string, unknown>; stored: Map<string, Buffer> } {
  const seen: Record<string, unknown> = {};
  const stored = new Map<string, Buffer>();
  const handlers: NimbusHandlers = {
    async uploadPackage({ metadata, chunks }) {
      const hash = createHash('sha256');
      const parts: Buffer[] = [];
      let count = 0;
      for await (const chunk of chunks) {
        hash.update(chunk);
        parts.push(Buffer.from(chunk));
        count++;
      }
      assert.equal(hash.digest('hex'), metadata.sha256, 'the handler checks the sha256 itself');
      const id = `pkg-${stored.size + 1}`;
      stored.set(id, Buffer.concat(parts));
      seen.upload = { metadata, count };
      return { packageId: id };
    },
    async downloadPackage({ packageId }) {
      const data = stored.get(packageId);
      if (!data) throw new SquallError('E_PACKAGE_NOT_FOUND', `no package ${packageId}`);
      const metadata: PackageMetadata = { name: 'wordcount', size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
      // One big chunk: the server must cut it to the message size itself.
      return { metadata, chunks: Readable.from([data]) };
    },
    async submitTopology(req: SubmitTopologyRequest) {
      seen.submit = req;
      if (req.name === 'taken') throw new SquallError('E_TOPOLOGY_EXISTS', 'a topology named "taken" is already running', { hint: 'kill it first', context: { topology: 'taken' } });
      return { topologyId: `${req.name}-1-1700000000` };
    },
    async killTopology(req: KillTopologyRequest) {
      seen.kill = req;
      return { topologyId: summary.id, status: 'KILLED', removed: req.waitForRemoval };
    },
    async activateTopology({ name }) {
      if (name === 'nope') throw new SquallError('E_TOPOLOGY_NOT_FOUND', 'no topology named "nope"');
      return { topologyId: summary.id, status: 'ACTIVE' };
    },
    async deactivateTopology() {
      return { topologyId: summary.id, status: 'INACTIVE' };
    },
    async rebalanceTopology(req: RebalanceTopologyRequest) {
      seen.rebalance = req;
      if (req.numWorkers === 0) throw new UsageError('numWorkers must be at least 1');
      return { topologyId: summary.id, status: 'REBALANCING' };
    },
    async listTopologies(ctx: CallContext) {
      seen.listCtx = ctx;
      return [summary, { ...summary, id: 'b-2-1', name: 'b', status: 'INACTIVE', uptimeSecs: 0 }];
    },
    async describeTopology({ name }) {
      if (name === 'bug') throw new TypeError('Cannot read properties of undefined (reading "x")');
      return details;
    },
    async clusterSummary() {
      return cluster;
    },
    async supervisorHeartbeat(hb) {
      seen.heartbeat = hb;
      return { ack: true, leaderAddress: '127.0.0.1:6627' };
    },
  };
  return { handlers, seen, stored };
}

describe('cluster API round trips', () => {
  let server: RpcServer;
  let client: NimbusClient;
  const fake = fakeNimbus();

  before(async () => {
    server = await startRpcServer({ port: 0, handlers: fake.handlers, maxMessageBytes: 256 * 1024, chunkBytes: 32 * 1024 });
    client = await NimbusClient.connect(server.address, { chunkBytes: 48 * 1024, maxMessageBytes: 256 * 1024 });
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  test('the server listens on 127.0.0.1 with the port it was given', () => {
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    assert.ok(server.port > 0);
    assert.equal(server.state, 'serving');
  });

  test('submit carries typed config overrides and the inactive flag', async () => {
    const overrides = { 'topology.workers': 3, 'topology.debug': true, 'x.s': '3', 'x.list': [1, { a: null }], __proto__x: 1 };
    const res = await client.submit({ name: 'wordcount', packageId: 'pkg-9', topologyFile: 'topology.yaml', configOverrides: overrides, startInactive: true });
    assert.deepEqual(res, { topologyId: 'wordcount-1-1700000000' });
    assert.deepEqual(fake.seen.submit, { name: 'wordcount', packageId: 'pkg-9', topologyFile: 'topology.yaml', configOverrides: overrides, startInactive: true });
    await client.submit({ name: 'plain', packageId: 'p', topologyFile: 't.yaml' });
    assert.deepEqual(fake.seen.submit, { name: 'plain', packageId: 'p', topologyFile: 't.yaml', configOverrides: {}, startInactive: false });
  });

  test('kill: wait absent stays absent, zero stays zero', async () => {
    assert.deepEqual(await client.kill({ name: 'wordcount' }), { topologyId: summary.id, status: 'KILLED', removed: false });
    assert.deepEqual(fake.seen.kill, { name: 'wordcount', waitForRemoval: false });
    assert.ok(!('waitSecs' in (fake.seen.kill as object)));
    assert.deepEqual(await client.kill({ name: 'wordcount', waitSecs: 0, waitForRemoval: true }), { topologyId: summary.id, status: 'KILLED', removed: true });
    assert.deepEqual(fake.seen.kill, { name: 'wordcount', waitSecs: 0, waitForRemoval: true });
  });

  test('activate, deactivate and rebalance', async () => {
    assert.deepEqual(await client.activate('wordcount'), { topologyId: summary.id, status: 'ACTIVE' });
    assert.deepEqual(await client.deactivate('wordcount'), { topologyId: summary.id, status: 'INACTIVE' });
    assert.deepEqual(await client.rebalance({ name: 'wordcount', waitSecs: 5, numWorkers: 4, executors: { split: 8, count: 2 } }), { topologyId: summary.id, status: 'REBALANCING' });
    assert.deepEqual(fake.seen.rebalance, { name: 'wordcount', waitSecs: 5, numWorkers: 4, executors: { split: 8, count: 2 } });
    await client.rebalance({ name: 'wordcount' });
    assert.deepEqual(fake.seen.rebalance, { name: 'wordcount', executors: {} });
  });

  test('list, describe and cluster summary come back exactly, counters beyond 2^32 included', async () => {
    const list = await client.list();
    assert.deepEqual(list[0], summary);
    assert.equal(list[1]?.status, 'INACTIVE');
    assert.deepEqual(await client.describe('wordcount'), details);
    assert.deepEqual(await client.clusterSummary(), cluster);
  });

  test('the handler context has the peer, the deadline and a live signal', async () => {
    const before = Date.now();
    await client.list({ deadlineMs: 60_000 });
    const ctx = fake.seen.listCtx as CallContext;
    assert.equal(ctx.rpc, 'ListTopologies');
    assert.match(ctx.peer, /127\.0\.0\.1/);
    assert.ok(ctx.deadlineMs >= before + 59_000 && ctx.deadlineMs <= Date.now() + 60_000, `deadline ${ctx.deadlineMs}`);
    assert.equal(ctx.signal.aborted, false);
  });

  test('supervisor heartbeat: executor ranges and uint64 counters intact', async () => {
    assert.deepEqual(await client.supervisorHeartbeat(heartbeat), { ack: true, leaderAddress: '127.0.0.1:6627' });
    assert.deepEqual(fake.seen.heartbeat, heartbeat);
  });

  test('a few MiB upload in chunks, verified by the handler, and streamed back', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 123);
    const { packageId } = await client.uploadPackage(data, { name: 'wordcount' });
    const upload = fake.seen.upload as { metadata: PackageMetadata; count: number };
    assert.equal(upload.metadata.size, data.length);
    assert.equal(upload.metadata.sha256, createHash('sha256').update(data).digest('hex'));
    assert.equal(upload.count, Math.ceil(data.length / (48 * 1024)), 'cut into the client chunk size');
    assert.ok(fake.stored.get(packageId)?.equals(data));

    const download = await client.downloadPackage(packageId);
    assert.deepEqual(download.metadata, upload.metadata);
    let chunks = 0;
    const parts: Uint8Array[] = [];
    for await (const chunk of download.chunks) {
      assert.ok(chunk.byteLength <= 32 * 1024, 'cut into the server chunk size');
      parts.push(chunk);
      chunks++;
    }
    assert.ok(chunks > 90);
    assert.ok(Buffer.concat(parts).equals(data));
    assert.ok((await client.downloadPackageBuffer(packageId)).data.equals(data));
  });

  test('an upload from a stream needs size and sha256, and is checked against them', async () => {
    const data = randomBytes(200_000);
    const sha256 = createHash('sha256').update(data).digest('hex');
    await assert.rejects(client.uploadPackage(Readable.from([data]), { name: 'x' }), UsageError);
    const ok = await client.uploadPackage(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), { name: 'x', size: data.length, sha256 });
    assert.ok(fake.stored.get(ok.packageId)?.equals(data));
    const wrong = Buffer.from(data);
    wrong[5] = wrong[5]! ^ 1;
    const err = await client.uploadPackage(Readable.from([wrong]), { name: 'x', size: data.length, sha256 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RpcError);
    assert.equal(err.code, 'E_PACKAGE_MISMATCH');
    assert.match(err.message, /sha256/);
    const short = await client.uploadPackage(Readable.from([data.subarray(1)]), { name: 'x', size: data.length, sha256 }).then(() => undefined, (e: unknown) => e);
    assert.equal((short as RpcError).code, 'E_PACKAGE_MISMATCH');
    assert.match((short as RpcError).message, /ended after 199999 of 200000 bytes/);
  });

  test('a SquallError thrown by a handler arrives with its code, hint and context', async () => {
    const err = await client.submit({ name: 'taken', packageId: 'p', topologyFile: 't' }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RpcError);
    assert.equal(err.code, 'E_TOPOLOGY_EXISTS');
    assert.equal(err.grpcCode, 6 /* ALREADY_EXISTS */);
    assert.equal(err.message, 'a topology named "taken" is already running');
    assert.equal(err.hint, 'kill it first');
    assert.deepEqual(err.context, { topology: 'taken' });
    assert.match(err.stack ?? '', /for call at\n[\s\S]*rpc-roundtrip\.test\.ts/, 'the stack points at the caller');

    const notFound = await client.activate('nope').then(() => undefined, (e: unknown) => e) as RpcError;
    assert.equal(notFound.code, 'E_TOPOLOGY_NOT_FOUND');
    assert.equal(notFound.grpcCode, 5 /* NOT_FOUND */);
    const usage = await client.rebalance({ name: 'w', numWorkers: 0 }).then(() => undefined, (e: unknown) => e) as RpcError;
    assert.equal(usage.code, 'E_USAGE');
    assert.equal(usage.grpcCode, 3 /* INVALID_ARGUMENT */);
    const missing = await client.downloadPackage('pkg-404').then(() => undefined, (e: unknown) => e) as RpcError;
    assert.equal(missing.code, 'E_PACKAGE_NOT_FOUND');
  });

  test('a bug in a handler is INTERNAL with its message and without its stack', async () => {
    const err = await client.describe('bug').then(() => undefined, (e: unknown) => e) as RpcError;
    assert.equal(err.code, 'E_INTERNAL');
    assert.equal(err.grpcCode, 13 /* INTERNAL */);
    assert.equal(err.message, 'internal error in nimbus: Cannot read properties of undefined (reading "x")');
    assert.doesNotMatch(err.details, /\bat \S+ \(/, 'no server stack frames');
    assert.doesNotMatch(describeError(err), /\n\s+at /);
  });

  test('a bad value is refused before anything is sent', async () => {
    await assert.rejects(client.kill({ name: 'w', waitSecs: -1 }), (e: unknown) => e instanceof UsageError && /waitSecs/.test(e.message));
    await assert.rejects(client.rebalance({ name: 'w', executors: { split: 1.5 } }), /executors\["split"\]/);
    await assert.rejects(client.submit({ name: 'w', packageId: 'p', topologyFile: 't', configOverrides: { f: () => 1 } }), /has no JSON form/);
  });
});

describe('a server without a handler', () => {
  test('answers UNIMPLEMENTED with a clear message, also for streams', async () => {
    await using server = await startRpcServer({ port: 0, handlers: { clusterSummary: async () => cluster } });
    await using client = await NimbusClient.connect(server.address);
    assert.deepEqual(await client.clusterSummary(), cluster);
    const err = await client.kill({ name: 'w' }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RpcError);
    assert.equal(err.code, 'E_RPC_UNIMPLEMENTED');
    assert.equal(err.grpcCode, 12 /* UNIMPLEMENTED */);
    assert.equal(err.message, 'this nimbus does not serve KillTopology: no handler is registered for it');
    let read = false;
    const source = (async function* () { read = true; yield Buffer.from('x'); })();
    const up = await client.uploadPackage(source, { name: 'p', size: 1, sha256: createHash('sha256').update('x').digest('hex') }).then(() => undefined, (e: unknown) => e) as RpcError;
    assert.equal(up.code, 'E_RPC_UNIMPLEMENTED');
    assert.equal(read, false, 'a refused upload does not read its source');
    const down = await client.downloadPackage('p').then(() => undefined, (e: unknown) => e) as RpcError;
    assert.equal(down.code, 'E_RPC_UNIMPLEMENTED');
  });
});

describe('lifecycle', () => {
  test('close() is idempotent and leaves no TCP handles behind', async () => {
    const baseline = tcpHandles();
    const server = await startRpcServer({ port: 0, handlers: fakeNimbus().handlers });
    const client = await NimbusClient.connect([server.address]);
    await client.list();
    await client.uploadPackage(randomBytes(100_000), { name: 'p' });
    assert.ok(tcpHandles() > baseline);
    await client.close();
    await client.close();
    await server.close();
    await server.close();
    assert.equal(server.state, 'closed');
    await server.closed;
    // At most the baseline: connections of earlier tests may still be closing when it was taken.
    await waitFor(() => tcpHandles() <= baseline, `TCP handles back to ${baseline} (now ${tcpHandles()})`);
    await assert.rejects(client.list(), /closed nimbus client/);
  });

  test('drain() waits for a call in flight; close() cancels one that outlives the grace', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => { entered = r; });
    let aborted = false;
    const server = await startRpcServer({
      port: 0,
      handlers: {
        listTopologies: async (ctx) => {
          ctx.signal.addEventListener('abort', () => { aborted = true; });
          entered();
          await gate;
          return [];
        },
      },
    });
    await using client = await NimbusClient.connect(server.address);
    const listing = client.list();
    await inHandler;
    const draining = server.drain();
    assert.equal(server.state, 'draining');
    release();
    assert.deepEqual(await listing, []);
    await draining;
    assert.equal(aborted, false);
    assert.equal(server.state, 'closed');

    let enteredStuck!: () => void;
    const inStuck = new Promise<void>((r) => { enteredStuck = r; });
    const stuck = await startRpcServer({
      port: 0,
      shutdownGraceMs: 100,
      handlers: {
        clusterSummary: async (ctx) => {
          enteredStuck();
          await new Promise((r) => ctx.signal.addEventListener('abort', r));
          throw ctx.signal.reason;
        },
      },
    });
    await using client2 = await NimbusClient.connect(stuck.address);
    const pending = client2.clusterSummary().then(() => undefined, (e: unknown) => e);
    await inStuck;
    // close() returns although the handler never finishes on its own: the grace ends it.
    await stuck.close();
    const err = await pending;
    assert.ok(err instanceof RpcError, String(err));
    assert.equal(err.code, 'E_RPC_CANCELLED');
  });
});
