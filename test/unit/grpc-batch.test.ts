/** The gRPC batch codecs: every message kind round-trips, order is kept, batches stay under the limit. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeComponentBatch, encodeComponentBatches } from '../../src/multilang/grpc-component-batch.js';
import { decodeHostBatch, encodeHostBatches } from '../../src/multilang/grpc-host-batch.js';
import { utf8Length } from '../../src/common/text.js';
import type { HostBatchWire } from '../../src/multilang/grpc-wire.js';
import {
  boltTuple, handshakeMessage, heartbeatTuple, spoutCommand, tickTuple, type ChildMessage, type HandshakeContext,
} from '../../src/multilang/messages.js';
import { ProtocolError } from '../../src/multilang/errors.js';

const CONTEXT: HandshakeContext = {
  taskid: 3, componentid: 'split', 'task->component': { '-1': '__system', '3': 'split' }, streams: ['default'],
  'stream->outputfields': { default: ['word'] }, 'stream->target->grouping': {}, 'source->stream->grouping': {}, 'source->stream->fields': {},
};

const emit = (over: Partial<Extract<ChildMessage, { command: 'emit' }>> = {}): ChildMessage => ({
  command: 'emit', tuple: ['w'], stream: 'default', anchors: [], directTask: undefined, needTaskIds: false, id: undefined, ...over,
});

describe('host → component', () => {
  test('every parent message kind round-trips, handshake alone in its own batch', () => {
    const msgs = [
      handshakeMessage('', { 'topology.name': 't', big: 2n ** 64n }, CONTEXT),
      [4, 5],
      boltTuple('1', 'sentences', 'default', 7, ['a b', 1.5, null, { k: [true] }, 2n ** 60n]),
      tickTuple('2', 10),
      heartbeatTuple('hb-1'),
      spoutCommand('next'),
      spoutCommand('ack', { n: 1, s: 'x' }),
      spoutCommand('fail', ''),
    ];
    const { batches, rejected } = encodeHostBatches(msgs, 1 << 20);
    assert.equal(rejected.length, 0);
    assert.equal(batches.length, 2);
    assert.deepEqual(Object.keys(batches[0]!), ['handshake']);
    assert.equal(batches[0]!.handshake!.maxMessageBytes, 1 << 20);
    const back = batches.flatMap((b) => decodeHostBatch(b));
    assert.deepEqual(back, msgs);
  });

  test('a message handled earlier in a batch than one queued before it starts a new batch', () => {
    const msgs = [spoutCommand('next'), [9], boltTuple('1', 'c', 'default', 1, [1]), [8]];
    const { batches } = encodeHostBatches(msgs, 1 << 20);
    assert.equal(batches.length, 3);
    assert.deepEqual(batches.flatMap((b) => decodeHostBatch(b)), msgs);
  });

  test('batches are split under the limit; a tuple larger than the limit alone is rejected', () => {
    const limit = 4096;
    const msgs = Array.from({ length: 100 }, (_, i) => boltTuple(String(i), 'c', 'default', 1, ['x'.repeat(200)]));
    const huge = boltTuple('huge', 'c', 'default', 1, ['é'.repeat(4000)]);
    const { batches, rejected } = encodeHostBatches([...msgs.slice(0, 50), huge, ...msgs.slice(50)], limit);
    assert.deepEqual(rejected.map((r) => r.message.id), ['huge']);
    assert.ok(rejected[0]!.bytes > 8000, 'size counts UTF-8 bytes');
    assert.ok(batches.length > 1);
    for (const b of batches) assert.ok(roughSize(b) <= limit, `batch of ${roughSize(b)} bytes fits ${limit}`);
    assert.deepEqual(batches.flatMap((b) => decodeHostBatch(b)), msgs);
  });

  test('a malformed batch is a protocol error', () => {
    const bad: HostBatchWire = { tuples: { ids: ['1', '2'], components: ['c'], streams: ['s', 's'], tasks: [1, 1], valuesJson: '[[1],[2]]' } };
    assert.throws(() => decodeHostBatch(bad), ProtocolError);
    assert.throws(() => decodeHostBatch({ commands: [{ name: 'jump', idJson: '' }] }), /unknown spout command/);
  });
});

describe('component → host', () => {
  test('ready after other output starts a new batch', () => {
    const batches = encodeComponentBatches([{ command: 'sync' }, { command: 'pid', pid: 1, extensions: [] }], 1 << 20);
    assert.equal(batches.length, 2);
  });

  test('every child message kind round-trips in the order the .proto defines', () => {
    const msgs: ChildMessage[] = [
      { command: 'pid', pid: 42, extensions: [] },
      { command: 'log', msg: 'hello', level: 'warn' },
      { command: 'error', msg: 'oops' },
      { command: 'metrics', name: 'm', params: { n: 2n ** 63n } },
      emit({ tuple: ['a', 1], anchors: ['1', '2'] }),
      emit({ stream: 'other', tuple: [[1, { x: null }]], directTask: 5 }),
      emit({ tuple: ['s'], id: { seq: 7 }, needTaskIds: true }),
      { command: 'ack', id: '1' },
      { command: 'fail', id: '2' },
      { command: 'sync' },
      { command: 'sync' },
    ];
    const batches = encodeComponentBatches(msgs, 1 << 20);
    assert.equal(batches.length, 1);
    assert.deepEqual(batches.flatMap((b) => decodeComponentBatch(b)), msgs);
  });

  test('an ack before an emit is not reordered; logs join any batch', () => {
    const msgs: ChildMessage[] = [{ command: 'ack', id: '1' }, { command: 'log', msg: 'x', level: 'info' }, emit(), { command: 'sync' }];
    const batches = encodeComponentBatches(msgs, 1 << 20);
    assert.equal(batches.length, 2);
    const back = batches.flatMap((b) => decodeComponentBatch(b));
    // Logs are handled first within their batch: they carry no ordering duty.
    assert.deepEqual(back.map((m) => m.command), ['log', 'ack', 'emit', 'sync']);
  });

  test('emits are split under the limit; a single oversized emit still goes out alone', () => {
    const msgs = [...Array.from({ length: 40 }, (_, i) => emit({ tuple: ['y'.repeat(300), i] })), emit({ tuple: ['z'.repeat(10_000)] })];
    const batches = encodeComponentBatches(msgs, 4096);
    assert.ok(batches.length >= 4);
    for (const b of batches.slice(0, -1)) assert.ok(utf8Length(b.emits!.valuesJson) < 4096);
    assert.deepEqual(batches.flatMap((b) => decodeComponentBatch(b)), msgs);
  });

  test('columns that disagree are a protocol error', () => {
    const emits = { streams: ['', ''], valuesJson: '[[1],[2]]', anchorCounts: [1, 1], anchors: ['a'], messageIdsJson: '', directTasks: [], needTaskIds: [] };
    assert.throws(() => decodeComponentBatch({ emits }), /anchor counts/);
    assert.throws(() => decodeComponentBatch({ emits: { ...emits, anchorCounts: [], anchors: [], valuesJson: '[[1]]' } }), ProtocolError);
    assert.throws(() => decodeComponentBatch({ syncs: 5_000_000 }), ProtocolError);
  });
});

/** Upper bound of a HostBatch's encoded size: its strings plus generous framing. */
function roughSize(b: HostBatchWire): number {
  const t = b.tuples;
  if (!t) return 0;
  const strings = [...t.ids, ...t.components, ...t.streams].reduce((n, s) => n + utf8Length(s) + 2, 0);
  return strings + t.tasks.length * 3 + utf8Length(t.valuesJson) + 16;
}
