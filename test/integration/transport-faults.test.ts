/**
 * Transport under bad input and failure, over real sockets on 127.0.0.1: hostile or confused
 * peers are refused without disturbing a healthy one (TEST-PLANS B/S8); a paused receiver makes
 * the sender's isFull() turn true with its held bytes bounded; backpressure frames flip task
 * congestion on and off; a restarted server gets the buffered tuples after reconnects whose
 * backoff a fake clock steps through. No assertion depends on how long anything takes.
 */
import assert from 'node:assert/strict';
import { connect, Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { FakeClock } from '../../src/common/clock.js';
import { MemoryLogger } from '../../src/common/logger.js';
import { PeerClient } from '../../src/transport/client.js';
import { SerializationError, TransportError } from '../../src/transport/errors.js';
import { encodeBackpressure, encodeHello, encodeTuples, type DecodedTuple, type TupleLike } from '../../src/transport/frame-codec.js';
import { TcpRemoteTransport } from '../../src/transport/remote.js';
import { TransportServer, type TransportServerOptions } from '../../src/transport/server.js';
import { pollUntil as waitFor, tcpHandles, turn } from '../helpers/turns.js';

const TOPOLOGY = 'faults-1';
const TOKEN = 'tok-3f9a';

function tuple(i: number, destTask = 1, payload = ''): TupleLike {
  return { destTask, sourceComponent: 'spout', sourceStreamId: 'default', sourceTask: 9, values: [i, payload], anchors: [i, 1, 2] };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Connects a raw socket, writes `bytes`, resolves once the server has closed it. */
function rawPeer(port: number, bytes: Uint8Array | null): { socket: Socket; closed: Promise<void> } {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {}); // the server resets us; that is the point
  socket.on('data', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  if (bytes) socket.write(bytes);
  return { socket, closed };
}

function startServer(over: Partial<TransportServerOptions> & Pick<TransportServerOptions, 'onTuples'>): Promise<TransportServer> {
  return TransportServer.start({ topologyId: TOPOLOGY, workerId: 'receiver', ...over });
}

const baselineHandles = tcpHandles();
after(async () => {
  await waitFor(() => tcpHandles() === baselineHandles, `TCP handles back to ${baselineHandles} (now ${tcpHandles()})`, 5000);
});

describe('bad peers', () => {
  const hello = (over: Partial<Parameters<typeof encodeHello>[0]> = {}): Uint8Array =>
    encodeHello({ topologyId: TOPOLOGY, workerId: 'intruder', authToken: TOKEN, ...over });
  const cases: Array<[string, Uint8Array, string]> = [
    ['plain text', new TextEncoder().encode('hello there\n'), 'E_TRANSPORT_FRAME_TOO_LARGE'],
    ['an HTTP request', new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'E_TRANSPORT_FRAME_TOO_LARGE'],
    ['a 4 GiB length prefix', new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]), 'E_TRANSPORT_FRAME_TOO_LARGE'],
    ['a frame of unknown kind', new Uint8Array([0, 0, 0, 3, 9, 9, 9]), 'E_TRANSPORT_MALFORMED'],
    ['an empty frame', new Uint8Array([0, 0, 0, 0]), 'E_TRANSPORT_MALFORMED'],
    ['a hello without the magic', new Uint8Array([0, 0, 0, 7, 1, 0x47, 0x45, 0x54, 0x20, 0, 1]), 'E_TRANSPORT_MALFORMED'],
    ['tuples before any hello', encodeTuples([tuple(1)])[0]!, 'E_TRANSPORT_NO_HELLO'],
    ['a hello for another topology', hello({ topologyId: 'someone-else' }), 'E_TRANSPORT_TOPOLOGY_MISMATCH'],
    ['a wrong token', hello({ authToken: 'guess' }), 'E_TRANSPORT_AUTH'],
    ['no token', hello({ authToken: '' }), 'E_TRANSPORT_AUTH'],
    ['protocol version 2', hello({ version: 2 }), 'E_TRANSPORT_VERSION'],
    ['a second hello', concat([hello(), hello()]), 'E_TRANSPORT_MALFORMED'],
    ['a backpressure frame from a sender', concat([hello(), encodeBackpressure({ workerId: 'x', congested: [1], relieved: [] })]), 'E_TRANSPORT_MALFORMED'],
    ['garbage after a good hello', concat([hello(), new Uint8Array([0, 0, 0, 2, 2, 0])]), 'E_TRANSPORT_MALFORMED'],
  ];

  test('each is refused with a logged code while a healthy peer keeps delivering', async () => {
    const logger = new MemoryLogger();
    // The server logs at most 10 refusals per 10 s; a fake clock opens a new window per case.
    const clock = new FakeClock();
    const received: DecodedTuple[] = [];
    await using srv = await startServer({ authToken: TOKEN, logger, clock, onTuples: (ts) => { received.push(...ts); } });
    const { port } = srv.address;
    await using good = PeerClient.start({ host: '127.0.0.1', port, topologyId: TOPOLOGY, workerId: 'good', authToken: TOKEN });
    let next = 0;
    const sendSome = async (n: number): Promise<void> => {
      for (let k = 0; k < n; k++) good.send(tuple(next++));
      await waitFor(() => received.length === next, `${next} tuples from the healthy peer`);
    };
    await sendSome(100);
    for (const [name, bytes, code] of cases) {
      clock.advance(10_000);
      const before = logger.records.length;
      const peer = rawPeer(port, bytes);
      await peer.closed;
      await waitFor(() => logger.records.slice(before).some((r) => r.meta.code === code), `${name}: a WARN with ${code}`);
      const line = logger.records.slice(before).find((r) => r.meta.code === code)!;
      assert.equal(line.level, 'warn', name);
      await sendSome(10);
    }
    assert.equal(good.stats().connects, 1, 'the healthy peer was never disconnected');
    assert.deepStrictEqual(received.map((t) => t.values[0]), Array.from({ length: next }, (_, i) => i));
    assert.ok(srv.stats().rejected >= 11, `rejected ${srv.stats().rejected}`);
    assert.ok(logger.records.every((r) => !JSON.stringify(r).includes(TOKEN)), 'the token never reaches a log');
  });

  test('a peer that never says hello is closed at the hello timeout (fake clock)', async () => {
    const clock = new FakeClock();
    const logger = new MemoryLogger();
    await using srv = await startServer({ clock, logger, helloTimeoutMs: 10_000, onTuples: () => {} });
    const silent = rawPeer(srv.address.port, null);
    const partial = rawPeer(srv.address.port, new Uint8Array([0, 0])); // half a length prefix
    await waitFor(() => srv.stats().connections === 2, 'both connections accepted');
    clock.advance(9_999);
    await turn();
    assert.equal(srv.stats().connections, 2, 'not before the timeout');
    clock.advance(1);
    await Promise.all([silent.closed, partial.closed]);
    await waitFor(() => logger.records.filter((r) => r.meta.code === 'E_TRANSPORT_HELLO_TIMEOUT').length === 2, 'two timeout WARNs');
  });

  test('a port already in use is a typed listen error', async () => {
    await using first = await startServer({ onTuples: () => {} });
    await assert.rejects(startServer({ port: first.address.port, onTuples: () => {} }), (e: unknown) => {
      assert.ok(e instanceof TransportError);
      assert.equal(e.code, 'E_TRANSPORT_LISTEN');
      return true;
    });
  });

  test('an unserializable value fails that send only', async () => {
    const received: DecodedTuple[] = [];
    await using srv = await startServer({ onTuples: (ts) => { received.push(...ts); } });
    await using client = PeerClient.start({ ...srv.address, topologyId: TOPOLOGY, workerId: 's' });
    client.send(tuple(1));
    assert.throws(() => client.send({ ...tuple(2), values: [Symbol('no')] }), SerializationError);
    client.send(tuple(3));
    await waitFor(() => received.length === 2, 'the two good tuples');
    assert.deepStrictEqual(received.map((t) => t.values[0]), [1, 3]);
  });
});

describe('flow control', () => {
  test('a paused receiver makes isFull() true with the held bytes bounded; resuming delivers all', async () => {
    const received: number[] = [];
    await using srv = await startServer({ onTuples: (ts) => { for (const t of ts) received.push(t.values[0] as number); } });
    let reliefs = 0;
    const maxBufferedBytes = 512 * 1024;
    await using client = PeerClient.start({
      ...srv.address, topologyId: TOPOLOGY, workerId: 's', maxBufferedTuples: 1_000_000, maxBufferedBytes,
      socketHighWaterBytes: 64 * 1024, batchMaxBytes: 16 * 1024, onRelief: () => reliefs++,
    });
    const payload = 'p'.repeat(1000);
    let sent = 0;
    client.send(tuple(sent++, 1, payload));
    await waitFor(() => received.length === 1, 'the first tuple');
    srv.pause();
    // Produce as the runtime does: check isFull() before each send. Kernel socket buffers absorb
    // some megabytes first; after that the client must say it is full.
    while (!client.isFull()) {
      client.send(tuple(sent++, 1, payload));
      if (sent % 64 === 0) await turn();
      assert.ok(sent < 200_000, 'the client never reported itself full');
    }
    const tupleBytes = 1100;
    assert.ok(client.bufferedBytes >= maxBufferedBytes, 'full because of the byte cap');
    assert.ok(client.bufferedBytes <= maxBufferedBytes + tupleBytes, `held ${client.bufferedBytes} bytes, cap ${maxBufferedBytes}`);
    assert.ok(client.bufferedTuples > 0, 'the tuples wait in our bounded buffer, not in Node\'s');
    for (let k = 0; k < 50; k++) await turn();
    assert.ok(client.bufferedBytes <= maxBufferedBytes + tupleBytes, 'still bounded while the receiver stays paused');
    assert.equal(client.isFull(), true);

    srv.resume();
    await waitFor(() => received.length === sent, `all ${sent} tuples after resume (got ${received.length})`);
    assert.deepStrictEqual(received, Array.from({ length: sent }, (_, i) => i));
    assert.equal(client.isFull(), false);
    assert.ok(reliefs >= 1, 'onRelief told the producer it could go on');
  });

  test('backpressure frames flip a task congested and relieved; others are unaffected', async () => {
    const clock = new FakeClock();
    let task5Full = true;
    await using srv = await startServer({
      clock,
      onTuples: (ts) => (ts.some((t) => t.values[1] === 'stop') ? { congested: [5] } : undefined),
      isCongested: (task) => task !== 5 || task5Full,
      backpressureCheckMs: 50,
    });
    let reliefs = 0;
    await using transport = TcpRemoteTransport.start({
      topologyId: TOPOLOGY, workerId: 's', assignment: new Map([[5, srv.address], [6, srv.address]]), onRelief: () => reliefs++,
    });
    const c5 = transport.congestion(5);
    const c6 = transport.congestion(6);
    transport.send(tupleImpl(5, 'go'));
    await waitFor(() => srv.stats().tuples === 1, 'first tuple');
    assert.equal(c5.isFull(), false);

    transport.send(tupleImpl(5, 'stop'));
    await waitFor(() => c5.isFull(), 'task 5 congested at the sender');
    assert.equal(c6.isFull(), false, 'task 6 is not');
    assert.deepStrictEqual([...srv.congestedTasks], [5]);

    clock.advance(50);
    await turn();
    assert.equal(c5.isFull(), true, 'the recheck found task 5 still full');
    task5Full = false;
    clock.advance(50);
    await waitFor(() => !c5.isFull(), 'task 5 relieved after the recheck');
    assert.ok(reliefs >= 1);
    assert.equal(srv.congestedTasks.size, 0);
    assert.equal(clock.pendingTimers() <= 1, true, 'the recheck timer stops when nothing is congested');

    // A peer that connects later learns the current state from its first frames.
    srv.congest([6]);
    await waitFor(() => c6.isFull(), 'explicit congest() reaches the sender');
    await using late = TcpRemoteTransport.start({ topologyId: TOPOLOGY, workerId: 'late', assignment: new Map([[6, srv.address]]) });
    await waitFor(() => late.congestion(6).isFull() && [...late.stats().values()][0]!.link === 'connected', 'late peer sees task 6 congested');
    srv.relieve([6]);
    await waitFor(() => !c6.isFull() && !late.congestion(6).isFull(), 'both senders relieved');
  });
});

describe('reconnect', () => {
  test('server restarted: backoff 100, 200, 400 ms on a fake clock, then the buffered tuples arrive', async () => {
    const clock = new FakeClock();
    const atA: number[] = [];
    const atB: number[] = [];
    const a = await startServer({ onTuples: (ts) => { for (const t of ts) atA.push(t.values[0] as number); } });
    const { port } = a.address;
    await using client = PeerClient.start({ host: '127.0.0.1', port, topologyId: TOPOLOGY, workerId: 's', clock, reconnectMinMs: 100, reconnectMaxMs: 1000 });
    for (let i = 0; i < 10; i++) client.send(tuple(i));
    await waitFor(() => atA.length === 10, 'ten tuples before the restart');

    await a.close();
    await waitFor(() => client.link === 'backoff', 'client notices the loss');
    assert.equal(client.stats().retryDelayMs, 100);
    for (let i = 10; i < 60; i++) client.send(tuple(i));
    await turn();
    assert.equal(client.bufferedTuples, 50, 'held while the peer is down');

    assert.equal(client.stats().consecutiveFailures, 1);
    clock.advance(99);
    await turn();
    assert.equal(client.link, 'backoff', 'no attempt before the delay');
    assert.equal(client.stats().consecutiveFailures, 1);
    clock.advance(1);
    await waitFor(() => client.link === 'backoff' && client.stats().consecutiveFailures === 2, 'second attempt refused');
    assert.equal(client.stats().retryDelayMs, 200);
    clock.advance(200);
    await waitFor(() => client.link === 'backoff' && client.stats().consecutiveFailures === 3, 'third attempt refused');
    assert.equal(client.stats().retryDelayMs, 400);

    await using b = await startServer({ port, onTuples: (ts) => { for (const t of ts) atB.push(t.values[0] as number); } });
    clock.advance(400);
    await waitFor(() => atB.length === 50, `buffered tuples after reconnect (got ${atB.length})`);
    assert.deepStrictEqual(atB, Array.from({ length: 50 }, (_, i) => 10 + i));
    assert.equal(client.stats().connects, 2);
    assert.equal(client.stats().droppedTuples, 0);
    assert.equal(b.stats().connections, 1);
  });

  test('a connect that never completes is abandoned at connectTimeoutMs (injected socket factory)', async () => {
    const clock = new FakeClock();
    const made: Socket[] = [];
    // A socket that never connects: what a blackholed address looks like.
    const client = PeerClient.start({
      host: '192.0.2.1', port: 6700, topologyId: TOPOLOGY, workerId: 's', clock, connectTimeoutMs: 5000,
      connect: () => {
        const s = new Socket();
        made.push(s);
        return s;
      },
    });
    assert.equal(client.link, 'connecting');
    clock.advance(4999);
    await turn();
    assert.equal(client.link, 'connecting');
    clock.advance(1);
    await waitFor(() => client.link === 'backoff', 'attempt abandoned');
    assert.equal(client.stats().consecutiveFailures, 1);
    clock.advance(100);
    assert.equal(made.length, 2, 'retried with a new socket');
    await client.close();
    assert.ok(made.every((s) => s.destroyed));
  });

  test('closing while the peer is down reports the tuples dropped', async () => {
    const clock = new FakeClock();
    const gone = await startServer({ onTuples: () => {} });
    const { port } = gone.address;
    await gone.close();
    const logger = new MemoryLogger();
    const client = PeerClient.start({ host: '127.0.0.1', port, topologyId: TOPOLOGY, workerId: 's', clock, logger });
    await waitFor(() => client.link === 'backoff', 'first refusal');
    for (let i = 0; i < 5; i++) client.send(tuple(i));
    const drained = client.drain(1000);
    clock.advance(1000);
    assert.equal(await drained, false);
    assert.equal(client.state, 'closed');
    assert.equal(client.stats().droppedTuples, 5);
    assert.ok(logger.records.some((r) => r.level === 'warn' && r.msg.includes('5 tuples unsent')));
    assert.throws(() => client.send(tuple(6)), /closed/);
  });
});

function tupleImpl(dest: number, word: string): TupleLike {
  return { destTask: dest, sourceComponent: 'split', sourceStreamId: 'default', sourceTask: 2, values: [dest, word], anchors: null };
}
