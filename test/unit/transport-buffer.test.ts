/**
 * The transport's pure bookkeeping: the send buffer's accounting (what isFull() is computed
 * from), batch thresholds, option compilation, reconnect backoff, and the receiver's
 * backpressure tracker.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../src/common/clock.js';
import { ConfigError } from '../../src/common/errors.js';
import { MemoryLogger } from '../../src/common/logger.js';
import { BackpressureTracker } from '../../src/transport/backpressure.js';
import { FrameDecoder, type TupleLike } from '../../src/transport/frame-codec.js';
import { LogLimiter } from '../../src/transport/log-limiter.js';
import { backoffDelayMs, compileClientTuning, DEFAULT_MAX_BUFFERED_TUPLES } from '../../src/transport/options.js';
import { SendBuffer } from '../../src/transport/send-buffer.js';

const t = (i: number, size = 10): TupleLike => ({
  destTask: 1, sourceComponent: 'c', sourceStreamId: 's', sourceTask: 2, values: [i, 'x'.repeat(size)], anchors: null,
});

describe('SendBuffer', () => {
  test('counts tuples and bytes in the open batch and in sealed frames', () => {
    const b = new SendBuffer({ maxFrameBytes: 1 << 20, batchMaxTuples: 4, batchMaxBytes: 1 << 20 });
    assert.equal(b.isEmpty, true);
    assert.equal(b.add(t(0)), false);
    assert.equal(b.add(t(1)), false);
    assert.equal(b.tuples, 2);
    assert.equal(b.frameCount, 0);
    const open = b.bytes;
    assert.ok(open > 0);
    assert.equal(b.add(t(2)), false);
    assert.equal(b.add(t(3)), true, 'fourth tuple reaches batchMaxTuples and seals');
    assert.equal(b.frameCount, 1);
    assert.equal(b.tuples, 4);
    b.add(t(4));
    assert.equal(b.tuples, 5);
    const f = b.shift()!;
    assert.equal(f.tuples, 4);
    assert.equal(b.tuples, 1);
    assert.equal(b.bytes + f.bytes.length > open, true);
    b.seal();
    const g = b.shift()!;
    assert.equal(g.tuples, 1);
    assert.equal(b.isEmpty, true);
    assert.equal(b.bytes, 0);
    const decoded = new FrameDecoder().push(f.bytes).concat(new FrameDecoder().push(g.bytes));
    assert.deepStrictEqual(decoded.flatMap((x) => (x.kind === 'tuples' ? x.tuples.map((y) => y.values[0]) : [])), [0, 1, 2, 3, 4]);
  });

  test('seals at batchMaxBytes', () => {
    const b = new SendBuffer({ maxFrameBytes: 1 << 20, batchMaxTuples: 1000, batchMaxBytes: 1000 });
    let sealedAt = -1;
    for (let i = 0; i < 100 && sealedAt < 0; i++) if (b.add(t(i, 100))) sealedAt = i;
    assert.ok(sealedAt > 0 && sealedAt < 10, `sealed after ${sealedAt + 1} tuples of ~110 bytes`);
    assert.ok(b.shift()!.bytes.length >= 1000);
  });

  test('a tuple that would overflow maxFrameBytes starts a new frame', () => {
    const b = new SendBuffer({ maxFrameBytes: 300, batchMaxTuples: 1000, batchMaxBytes: 300 });
    b.add(t(0, 150));
    b.add(t(1, 150));
    assert.equal(b.frameCount, 1);
    assert.equal(b.tuples, 2);
    assert.ok(b.shift()!.bytes.length - 4 <= 300);
  });

  test('clear() drops everything and says how many tuples', () => {
    const b = new SendBuffer({ maxFrameBytes: 1 << 20, batchMaxTuples: 3, batchMaxBytes: 1 << 20 });
    for (let i = 0; i < 10; i++) b.add(t(i));
    assert.equal(b.clear(), 10);
    assert.equal(b.tuples, 0);
    assert.equal(b.bytes, 0);
    assert.equal(b.shift(), undefined);
  });

  test('many frames through shift() keep the counts right (internal compaction)', () => {
    const b = new SendBuffer({ maxFrameBytes: 1 << 20, batchMaxTuples: 1, batchMaxBytes: 1 << 20 });
    let taken = 0;
    for (let i = 0; i < 5000; i++) {
      b.add(t(i));
      if (i % 3 === 0) taken += b.shift()!.tuples + (b.shift()?.tuples ?? 0);
    }
    while (b.shift()) taken++;
    assert.equal(taken, 5000);
    assert.equal(b.tuples, 0);
    assert.equal(b.bytes, 0);
  });
});

describe('options', () => {
  test('defaults follow Storm', () => {
    const c = compileClientTuning();
    assert.equal(c.maxBufferedTuples, DEFAULT_MAX_BUFFERED_TUPLES);
    assert.equal(c.maxBufferedTuples, 1000);
    assert.equal(c.reconnectMinMs, 100);
    assert.equal(c.reconnectMaxMs, 1000);
    assert.ok(Object.isFrozen(c));
  });

  test('bad values name the field', () => {
    for (const [opts, key] of [
      [{ maxBufferedTuples: 0 }, 'maxBufferedTuples'],
      [{ batchMaxBytes: 1.5 }, 'batchMaxBytes'],
      [{ reconnectMinMs: 500, reconnectMaxMs: 100 }, 'reconnectMaxMs'],
      [{ maxFrameBytes: 1000, batchMaxBytes: 2000 }, 'batchMaxBytes'],
    ] as const) {
      assert.throws(() => compileClientTuning(opts), (e: unknown) => e instanceof ConfigError && e.key === key);
    }
  });

  test('backoff doubles from min and stops at max', () => {
    assert.deepStrictEqual([0, 1, 2, 3, 4, 5, 40].map((n) => backoffDelayMs(n, 100, 1000)), [100, 200, 400, 800, 1000, 1000, 1000]);
  });
});

describe('BackpressureTracker', () => {
  test('reports only changes', () => {
    const bp = new BackpressureTracker();
    assert.deepStrictEqual(bp.congest([1, 2]), [1, 2]);
    assert.deepStrictEqual(bp.congest([2, 3]), [3]);
    assert.deepStrictEqual(bp.relieve([1, 9]), [1]);
    assert.deepStrictEqual([...bp.congested].sort(), [2, 3]);
    assert.deepStrictEqual(bp.recheck((task) => task === 3), [2]);
    assert.deepStrictEqual([...bp.congested], [3]);
  });
});

describe('LogLimiter', () => {
  test('logs at most N per window and reports how many it held back', () => {
    const clock = new FakeClock();
    const logger = new MemoryLogger();
    const limited = new LogLimiter(logger, clock, 3, 1000);
    for (let i = 0; i < 10; i++) limited.warn(`refused ${i}`);
    assert.deepStrictEqual(logger.records.map((r) => r.msg), ['refused 0', 'refused 1', 'refused 2']);
    clock.advance(1000);
    limited.error('again');
    assert.deepStrictEqual(logger.records.slice(3).map((r) => [r.level, r.msg]), [
      ['warn', '7 similar transport messages were not logged'],
      ['error', 'again'],
    ]);
  });
});
