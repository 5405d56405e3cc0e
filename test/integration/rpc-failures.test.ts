/**
 * The cluster API when things go wrong, over real gRPC on 127.0.0.1: a non-leader sends the
 * client to the leader (two servers); an unreachable nimbus gives one clear line; the next
 * address is tried; an oversized message is RESOURCE_EXHAUSTED and the server keeps serving;
 * a deadline gives a typed error; a caller's signal cancels.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { describeError, SquallError } from '../../src/common/errors.js';
import { MemoryLogger } from '../../src/common/logger.js';
import { NimbusClient } from '../../src/rpc/client.js';
import { NotLeaderError, RpcError } from '../../src/rpc/errors.js';
import { startRpcServer, type RpcServer } from '../../src/rpc/server.js';
import type { NimbusHandlers, TopologySummary } from '../../src/rpc/types.js';

const topology: TopologySummary = {
  id: 't-1-1', name: 't', status: 'ACTIVE', uptimeSecs: 1, numWorkers: 1, numExecutors: 1, numTasks: 1, scheduleMessage: '',
};

/** A port nothing listens on: bound once to learn a free number, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<RpcError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof RpcError, `expected an RpcError, got ${String(err)}`);
  return err;
}

/** A follower: every call that needs the leader is refused with the leader's address. */
function follower(leader: () => string, calls: string[]): Partial<NimbusHandlers> {
  const refuse = async (): Promise<never> => { throw new NotLeaderError(leader()); };
  return {
    submitTopology: async () => { calls.push('follower:submit'); return refuse(); },
    uploadPackage: async () => { calls.push('follower:upload'); return refuse(); },
    supervisorHeartbeat: async () => { calls.push('follower:heartbeat'); return refuse(); },
    listTopologies: async () => { calls.push('follower:list'); return [topology]; },
  };
}

function leaderHandlers(self: () => string, calls: string[]): Partial<NimbusHandlers> {
  return {
    submitTopology: async (req) => { calls.push('leader:submit'); return { topologyId: `${req.name}-1-1` }; },
    uploadPackage: async ({ chunks }) => {
      calls.push('leader:upload');
      let n = 0;
      for await (const c of chunks) n += c.byteLength;
      return { packageId: `pkg-${n}` };
    },
    supervisorHeartbeat: async () => { calls.push('leader:heartbeat'); return { ack: true, leaderAddress: self() }; },
  };
}

describe('leader redirect', () => {
  test('a non-leader answers FAILED_PRECONDITION naming the leader, and the client follows', async () => {
    const calls: string[] = [];
    let leaderAddress = '';
    await using leader = await startRpcServer({ port: 0, handlers: leaderHandlers(() => leaderAddress, calls) });
    leaderAddress = leader.address;
    await using other = await startRpcServer({ port: 0, handlers: follower(() => leaderAddress, calls) });
    const logger = new MemoryLogger();
    await using client = await NimbusClient.connect(other.address, { logger });

    assert.deepEqual(await client.submit({ name: 'w', packageId: 'p', topologyFile: 't.yaml' }), { topologyId: 'w-1-1' });
    assert.deepEqual(calls, ['follower:submit', 'leader:submit']);
    assert.equal(client.currentAddress, leader.address, 'the leader is remembered');
    assert.ok(logger.records.some((r) => r.msg === 'following nimbus to its leader' && r.meta.to === leader.address));

    calls.length = 0;
    assert.deepEqual(await client.supervisorHeartbeat({ supervisorId: 's', host: 'h', uptimeSecs: 1, workers: [] }), { ack: true, leaderAddress: leader.address });
    assert.deepEqual(calls, ['leader:heartbeat'], 'later calls go straight to the leader');
  });

  test('an upload is redirected before its source is read; a Buffer upload too', async () => {
    const calls: string[] = [];
    let leaderAddress = '';
    await using leader = await startRpcServer({ port: 0, handlers: leaderHandlers(() => leaderAddress, calls) });
    leaderAddress = leader.address;
    await using other = await startRpcServer({ port: 0, handlers: follower(() => leaderAddress, calls) });
    const data = randomBytes(300_000);
    const sha256 = createHash('sha256').update(data).digest('hex');

    await using viaStream = await NimbusClient.connect(other.address);
    let reads = 0;
    const source = (async function* () { reads++; yield data.subarray(0, 100_000); yield data.subarray(100_000); })();
    assert.deepEqual(await viaStream.uploadPackage(source, { name: 'p', size: data.length, sha256 }), { packageId: `pkg-${data.length}` });
    assert.equal(reads, 1, 'the one-shot source was read once, by the leader');

    await using viaBuffer = await NimbusClient.connect(other.address);
    assert.deepEqual(await viaBuffer.uploadPackage(data, { name: 'p' }), { packageId: `pkg-${data.length}` });
    assert.deepEqual(calls, ['follower:upload', 'leader:upload', 'follower:upload', 'leader:upload']);
  });

  test('redirects are bounded: two followers naming each other give up with E_NOT_LEADER', async () => {
    const calls: string[] = [];
    const addresses: string[] = [];
    await using a = await startRpcServer({ port: 0, handlers: follower(() => addresses[1]!, calls) });
    await using b = await startRpcServer({ port: 0, handlers: follower(() => addresses[0]!, calls) });
    addresses.push(a.address, b.address);
    await using client = await NimbusClient.connect(a.address, { maxRedirects: 2 });
    const err = await failure(client.submit({ name: 'w', packageId: 'p', topologyFile: 't' }));
    assert.equal(err.code, 'E_NOT_LEADER');
    assert.equal(err.grpcCode, 9 /* FAILED_PRECONDITION */);
    assert.equal(calls.length, 3, 'the first try plus two redirects');
    assert.match(err.message, /not the leader; the leader is 127\.0\.0\.1:\d+/);
    assert.ok(err.retriable);
  });

  test('a non-leader that knows no leader sends the client to its next address', async () => {
    const calls: string[] = [];
    let leaderAddress = '';
    await using leader = await startRpcServer({ port: 0, handlers: leaderHandlers(() => leaderAddress, calls) });
    leaderAddress = leader.address;
    await using lost = await startRpcServer({ port: 0, handlers: { submitTopology: async () => { calls.push('lost'); throw new NotLeaderError(undefined); } } });
    await using client = await NimbusClient.connect([lost.address, leader.address]);
    assert.deepEqual(await client.submit({ name: 'w', packageId: 'p', topologyFile: 't' }), { topologyId: 'w-1-1' });
    assert.deepEqual(calls, ['lost', 'leader:submit']);
  });
});

describe('unreachable nimbus', () => {
  test('gives one clear line, not a stack', async () => {
    const port = await closedPort();
    await using client = await NimbusClient.connect(`127.0.0.1:${port}`);
    const err = await failure(client.list());
    assert.equal(err.code, 'E_NIMBUS_UNREACHABLE');
    assert.equal(err.message, `cannot reach nimbus at 127.0.0.1:${port}: connection refused — is \`squall nimbus\` running?`);
    assert.ok(err.retriable);
    assert.equal(describeError(err), `error: ${err.message}`, 'what the CLI prints: one line');
    assert.match(err.stack ?? '', /for call at\n[\s\S]*rpc-failures\.test\.ts/, 'the stack (for debugging) is the caller\'s');
  });

  test('the next address is tried; all down names them all', async () => {
    const [p1, p2] = [await closedPort(), await closedPort()];
    await using server = await startRpcServer({ port: 0, handlers: { listTopologies: async () => [topology] } });
    await using client = await NimbusClient.connect([`127.0.0.1:${p1}`, server.address]);
    assert.deepEqual(await client.list(), [topology]);
    assert.equal(client.currentAddress, server.address);

    await using down = await NimbusClient.connect([`127.0.0.1:${p1}`, `localhost:${p2}`]);
    const err = await failure(down.submit({ name: 'w', packageId: 'p', topologyFile: 't' }));
    assert.equal(err.message, `cannot reach nimbus at 127.0.0.1:${p1}, localhost:${p2}: connection refused — is \`squall nimbus\` running?`);
  });
});

describe('limits and deadlines', () => {
  test('a message over the limit is RESOURCE_EXHAUSTED and the server keeps serving', async () => {
    const seen: string[] = [];
    await using server = await startRpcServer({
      port: 0,
      maxMessageBytes: 64 * 1024,
      handlers: {
        submitTopology: async (req) => { seen.push(req.name); return { topologyId: req.name }; },
        uploadPackage: async ({ chunks }) => { for await (const c of chunks) void c; return { packageId: 'p' }; },
      },
    });
    await using client = await NimbusClient.connect(server.address, { maxMessageBytes: 1024 * 1024, chunkBytes: 256 * 1024 });
    const big = { blob: 'x'.repeat(100 * 1024) };
    const err = await failure(client.submit({ name: 'big', packageId: 'p', topologyFile: 't', configOverrides: big }));
    assert.equal(err.code, 'E_RPC_TOO_LARGE');
    assert.equal(err.grpcCode, 8 /* RESOURCE_EXHAUSTED */);
    assert.match(err.message, /larger than max/i);
    assert.equal(err.message.includes('\n'), false);
    assert.deepEqual(seen, [], 'the handler never saw it');

    const upload = await failure(client.uploadPackage(randomBytes(600 * 1024), { name: 'p' }));
    assert.equal(upload.grpcCode, 8 /* RESOURCE_EXHAUSTED */);

    assert.deepEqual(await client.submit({ name: 'small', packageId: 'p', topologyFile: 't' }), { topologyId: 'small' });
    assert.deepEqual(seen, ['small']);
  });

  test('an announced package over maxPackageBytes is refused before its bytes are sent', async () => {
    await using server = await startRpcServer({ port: 0, maxPackageBytes: 1000, handlers: { uploadPackage: async () => ({ packageId: 'never' }) } });
    await using client = await NimbusClient.connect(server.address);
    const err = await failure(client.uploadPackage(randomBytes(1001), { name: 'p' }));
    assert.equal(err.code, 'E_PACKAGE_TOO_LARGE');
    assert.equal(err.grpcCode, 8 /* RESOURCE_EXHAUSTED */);
  });

  test('a deadline that passes is a typed, retriable error', async () => {
    let aborted = false;
    await using server = await startRpcServer({
      port: 0,
      handlers: {
        describeTopology: async (_req, ctx) => {
          await new Promise((r) => ctx.signal.addEventListener('abort', r));
          aborted = true;
          throw ctx.signal.reason;
        },
      },
    });
    await using client = await NimbusClient.connect(server.address, { deadlineMs: 150 });
    const err = await failure(client.describe('slow'));
    assert.equal(err.code, 'E_RPC_DEADLINE');
    assert.equal(err.grpcCode, 4 /* DEADLINE_EXCEEDED */);
    assert.equal(err.message, `nimbus at ${server.address} did not answer DescribeTopology within 150 ms`);
    assert.ok(err.retriable);
    await assert.rejects(client.describe('slow', { deadlineMs: 50 }), (e: unknown) => e instanceof RpcError && /within 50 ms/.test(e.message));
    const since = Date.now();
    while (!aborted && Date.now() - since < 5000) await new Promise((r) => setTimeout(r, 5));
    assert.equal(aborted, true, 'the handler saw its signal abort');
  });

  test('the caller\'s signal cancels a call', async () => {
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => { entered = r; });
    await using server = await startRpcServer({
      port: 0,
      handlers: { listTopologies: async (ctx) => { entered(); await new Promise((r) => ctx.signal.addEventListener('abort', r)); return []; } },
    });
    await using client = await NimbusClient.connect(server.address);
    const abort = new AbortController();
    const pending = failure(client.list({ signal: abort.signal }));
    await inHandler;
    abort.abort();
    const err = await pending;
    assert.equal(err.code, 'E_RPC_CANCELLED');
    assert.equal(err.message, `ListTopologies to nimbus at ${server.address} was cancelled`);
  });

  test('a port in use is a clear E_RPC_LISTEN error', async () => {
    await using first: RpcServer = await startRpcServer({ port: 0, handlers: {} });
    await assert.rejects(startRpcServer({ port: first.port, handlers: {} }), (e: unknown) => {
      assert.ok(e instanceof SquallError);
      assert.equal(e.code, 'E_RPC_LISTEN');
      assert.equal(e.message, `cannot listen on ${first.address}: address already in use`);
      return true;
    });
  });
});
