/**
 * Transport over real sockets on 127.0.0.1 ephemeral ports: 100k runtime tuples with every
 * value type and their anchors cross intact and in order; routing by task follows the
 * assignment, including reassignment; drain delivers what was held; close leaves no handles.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { MemoryLogger } from '../../src/common/logger.js';
import { createHostFactory } from '../../src/hosts/factory.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { Fields, TupleImpl } from '../../src/runtime/tuple.js';
import { compilePlan } from '../../src/topology/plan.js';
import { NoRouteError } from '../../src/transport/errors.js';
import type { DecodedTuple } from '../../src/transport/frame-types.js';
import { TcpRemoteTransport, type WorkerAddress } from '../../src/transport/remote.js';
import { TransportServer, type TuplesHandler } from '../../src/transport/server.js';
import { board, makeSpec } from '../helpers/spec.js';
import { pollUntil as waitFor, tcpHandles, turn } from '../helpers/turns.js';

const TOPOLOGY = 'roundtrip-1';
const FIELDS = new Fields(['i', 'text', 'big', 'bytes', 'nested', 'huge']);

function valuesFor(i: number): unknown[] {
  const bytes = new Uint8Array(i % 17);
  for (let k = 0; k < bytes.length; k++) bytes[k] = (i + k) & 0xff;
  return [
    i,
    `tuple ${i} ☃`,
    BigInt(i) * 2n ** 60n + 1n,
    bytes,
    { n: [i, null, true, 0.25 - i / 4], s: { deep: [[String(i)]] } },
    i % 1000 === 0 ? -(2n ** 100n) - BigInt(i) : 2 ** 40 + i,
  ];
}

function anchorsFor(i: number): number[] | null {
  if (i % 5 === 0) return null;
  return i % 7 === 0
    ? [(i % 9) * 2 ** 32 + i, (i * 2654435761) >>> 0, i >>> 0, 2 ** 53 - 1 - i, 0xffffffff, 0]
    : [(i % 9) * 2 ** 32 + i, (i * 2654435761) >>> 0, i >>> 0];
}

function tupleFor(i: number, destTask: number): TupleImpl {
  return new TupleImpl(valuesFor(i), i % 2 ? 'split' : 'sentences', i % 3 ? 'default' : 'words', 10 + (i % 4), FIELDS, destTask, anchorsFor(i));
}

function normalise(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: [...v] };
  if (Array.isArray(v)) return v.map(normalise);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  return v;
}

async function server(onTuples: TuplesHandler, workerId = 'receiver'): Promise<TransportServer> {
  return TransportServer.start({ topologyId: TOPOLOGY, workerId, onTuples });
}

const baselineHandles = tcpHandles();
after(async () => {
  // Every test closes what it opened; nothing may keep the process alive. (libuv releases a
  // closed handle a moment after its 'close' callback, hence the wait.)
  await waitFor(() => tcpHandles() === baselineHandles, `TCP handles back to ${baselineHandles} (now ${tcpHandles()})`, 5000);
});

describe('transport round trip', () => {
  test('100k tuples of every value type arrive intact, in order, anchors included', async () => {
    const received: DecodedTuple[] = [];
    await using srv = await server((tuples) => { received.push(...tuples); });
    const addr: WorkerAddress = srv.address;
    await using transport = TcpRemoteTransport.start({ topologyId: TOPOLOGY, workerId: 'sender', assignment: new Map([[4, addr], [5, addr]]) });
    const N = 100_000;
    const c4 = transport.congestion(4);
    const c5 = transport.congestion(5);
    for (let i = 0; i < N; i++) {
      // As the runtime does: a producer waits while a destination is full.
      while (c4.isFull() || c5.isFull()) await turn();
      transport.send(tupleFor(i, 4 + (i % 2)));
      if (i % 500 === 499) await turn();
    }
    await waitFor(() => received.length === N, `${N} tuples (got ${received.length})`);
    for (let i = 0; i < N; i++) {
      const got = received[i]!;
      const want = tupleFor(i, 4 + (i % 2));
      assert.equal(got.destTask, want.destTask);
      assert.equal(got.sourceComponent, want.sourceComponent);
      assert.equal(got.sourceStreamId, want.sourceStreamId);
      assert.equal(got.sourceTask, want.sourceTask);
      assert.deepStrictEqual(got.anchors, want.anchors, `anchors of tuple ${i}`);
      assert.deepStrictEqual(normalise(got.values), normalise(want.values), `values of tuple ${i}`);
    }
    assert.equal(typeof received[1000]!.values[5], 'bigint');
    const stats = [...transport.stats().values()][0]!;
    assert.equal(stats.sentTuples, N);
    assert.ok(stats.sentFrames < N / 10, `batched: ${stats.sentFrames} frames for ${N} tuples`);
    assert.equal(srv.stats().tuples, N);
  });

  test('tuples go to the worker of their task; reassignment moves them; retired links close', async () => {
    const atB: number[] = [];
    const atC: number[] = [];
    await using b = await server((ts) => { atB.push(...ts.map((t) => t.destTask)); }, 'B');
    await using c = await server((ts) => { atC.push(...ts.map((t) => t.destTask)); }, 'C');
    const logger = new MemoryLogger();
    await using transport = TcpRemoteTransport.start({
      topologyId: TOPOLOGY, workerId: 'A', logger, assignment: new Map([[1, b.address], [2, b.address], [3, c.address]]),
    });
    for (const task of [1, 2, 3, 3]) transport.send(tupleFor(task, task));
    await waitFor(() => atB.length === 2 && atC.length === 2, 'first routing');
    assert.deepStrictEqual(atB, [1, 2]);
    assert.deepStrictEqual(atC, [3, 3]);
    assert.equal(transport.stats().size, 2, 'one client per worker, not per task');

    transport.updateAssignment(new Map([[1, b.address], [2, b.address], [3, b.address]]));
    transport.send(tupleFor(7, 3));
    await waitFor(() => atB.length === 3, 'rerouted tuple');
    assert.deepStrictEqual(atB, [1, 2, 3]);
    await waitFor(() => c.stats().connections === 0, 'retired client to close its connection');
    assert.equal(transport.stats().size, 1);

    assert.throws(() => transport.send(tupleFor(1, 99)), NoRouteError);
    assert.equal(transport.congestion(99).isFull(), true, 'an unassigned task is never ready');
    assert.equal(transport.congestion(1).isFull(), false);
  });

  test('a Runtime sends through the transport; its spout stops while the remote task is congested', async () => {
    const key = 'transport-runtime';
    const plan = compilePlan(makeSpec('tr', [{ id: 'src', export: 'FloodSpout', args: [key, false], outputs: ['word', 'n'] }], [
      { id: 'sink', export: 'RecordingBolt', args: [key], inputs: [{ from: 'src' }] },
    ], { 'topology.acker.executors': 0 }));
    const tasksOf = (c: string): number[] => plan.taskComponent.flatMap((id, t) => (id === c ? [t] : []));
    const [sinkTask] = tasksOf('sink');
    const received: DecodedTuple[] = [];
    await using srv = await server((ts) => { received.push(...ts); });
    let rt: Runtime | undefined;
    await using transport = TcpRemoteTransport.start({
      topologyId: TOPOLOGY, workerId: 'A', assignment: new Map([[sinkTask!, srv.address]]), onRelief: () => rt?.wake(),
    });
    rt = await Runtime.create({ plan, factory: createHostFactory(), localTasks: new Set(tasksOf('src')), remote: transport });
    await using _rt = rt;
    rt.start();
    const b = board(key);
    await waitFor(() => received.length >= 20_000, 'tuples from the remote spout');
    assert.deepStrictEqual(received.slice(0, 3).map((t) => [t.sourceComponent, t.sourceStreamId, t.destTask, t.values]),
      [0, 1, 2].map((n) => ['src', 'default', sinkTask, [`w${n}`, n]]));

    srv.congest([sinkTask!]);
    await waitFor(() => transport.congestion(sinkTask!).isFull(), 'the sender sees the congestion');
    for (let k = 0; k < 5; k++) await turn();
    const stalledAt = b.emitted;
    for (let k = 0; k < 200; k++) await turn();
    assert.equal(b.emitted, stalledAt, 'the spout emits nothing while its only downstream task is congested');

    srv.relieve([sinkTask!]);
    await waitFor(() => b.emitted > stalledAt + 10_000, 'the spout resumes once relieved');
    rt.deactivate();
  });

  test('drain hands everything over and both ends close cleanly', async () => {
    const received: DecodedTuple[] = [];
    const srv = await server((ts) => { received.push(...ts); });
    const transport = TcpRemoteTransport.start({ topologyId: TOPOLOGY, workerId: 'A', assignment: new Map([[1, srv.address]]) });
    for (let i = 0; i < 5000; i++) transport.send(tupleFor(i, 1));
    assert.equal(await transport.drain(10_000), true);
    assert.equal(transport.state, 'closed');
    assert.equal(await srv.drain(10_000), true, 'the peer left on its own');
    assert.equal(received.length, 5000);
    assert.equal(srv.state, 'closed');
  });

  test('close() is idempotent and leaves no TCP handles behind', async () => {
    const before = tcpHandles();
    const srv = await server(() => {});
    const transport = TcpRemoteTransport.start({ topologyId: TOPOLOGY, workerId: 'A', assignment: new Map([[1, srv.address]]) });
    transport.send(tupleFor(1, 1));
    await waitFor(() => srv.stats().tuples === 1, 'one tuple');
    assert.ok(tcpHandles() > before);
    await Promise.all([transport.close(), transport.close()]);
    await srv.close();
    await srv.close();
    await srv.closed;
    await waitFor(() => tcpHandles() === before, 'every TCP handle released', 5000);
  });
});
