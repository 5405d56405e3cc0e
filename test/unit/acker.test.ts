/**
 * XOR bookkeeping through the real collectors and acker core, pumped by hand: no loop, no
 * sleeps; timeouts are driven by a FakeClock.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/logger.js';
import { AckerCore, type AckerOutcome } from '../../src/runtime/acker-core.js';
import { Random32 } from '../../src/runtime/random.js';
import { rotationIntervalMs, SpoutPending, SPOUT_PENDING_BUCKETS, ACKER_BUCKETS } from '../../src/runtime/spout-pending.js';
import { BoltCollectorImpl, OutStream, SpoutCollectorImpl, TaskState, type TaskServices } from '../../src/runtime/task.js';
import { Fields, systemTuple, type TupleImpl } from '../../src/runtime/tuple.js';
import { ACK_ACK_STREAM, ACK_FAIL_STREAM, ACK_INIT_STREAM, ACK_RESET_TIMEOUT_STREAM } from '../../src/topology/plan.js';

const ACKER = 99;
const SPOUT = 1;

/** A spout task, any number of bolt tasks, one acker, and a mailbox of delivered tuples. */
function harness(seed = 7) {
  const clock = new FakeClock();
  const mailbox: TupleImpl[] = [];
  const outcomes: AckerOutcome[] = [];
  const acker = new AckerCore(ACKER_BUCKETS);
  const services: TaskServices = {
    deliver: (t) => mailbox.push(t),
    toAcker: (stream, root, hi, lo, spoutTask, from) => {
      mailbox.push(systemTuple(stream, spoutTask < 0 ? [root, hi, lo] : [root, hi, lo, spoutTask], from.componentId, from.taskId, ACKER));
    },
    acking: true,
    random: new Random32(new Uint32Array([seed, 2, 3, 4])),
    clock,
    debug: false,
    logger: silentLogger,
    reportError: (_t, e) => { throw e; },
  };
  let fanout: number[] = [2];
  const out = (id: string) => new OutStream(id, new Fields(['v']), false, [{ choose: () => fanout }], new Set());
  const spoutState = new TaskState(SPOUT, 'spout', 'topo', new Map([['default', out('default')]]));
  const pending = new SpoutPending(SPOUT_PENDING_BUCKETS);
  const spout = new SpoutCollectorImpl(spoutState, services, pending);
  const bolts = new Map<number, BoltCollectorImpl>();
  const bolt = (task: number): BoltCollectorImpl => {
    let b = bolts.get(task);
    if (!b) {
      b = new BoltCollectorImpl(new TaskState(task, `bolt${task}`, 'topo', new Map([['default', out('default')]])), services);
      bolts.set(task, b);
    }
    return b;
  };
  /** Runs acker traffic to completion; returns data tuples addressed to bolts. */
  const pump = (): TupleImpl[] => {
    const data: TupleImpl[] = [];
    while (mailbox.length > 0) {
      const t = mailbox.shift()!;
      if (t.destTask !== ACKER) {
        data.push(t);
        continue;
      }
      const v = t.values as number[];
      let o: AckerOutcome | undefined;
      if (t.sourceStreamId === ACK_INIT_STREAM) o = acker.init(v[0]!, v[1]!, v[2]!, v[3]!);
      else if (t.sourceStreamId === ACK_ACK_STREAM) o = acker.ack(v[0]!, v[1]!, v[2]!);
      else if (t.sourceStreamId === ACK_FAIL_STREAM) o = acker.fail(v[0]!);
      else if (t.sourceStreamId === ACK_RESET_TIMEOUT_STREAM) o = acker.resetTimeout(v[0]!);
      // What the spout executor does with the acker's answer.
      if (o?.kind === 'reset') pending.touch(o.root);
      else if (o && pending.take(o.root)) outcomes.push(o);
    }
    return data;
  };
  return { clock, spout, bolt, pump, outcomes, pending, acker, setFanout: (f: number[]) => { fanout = f; } };
}

test('fan-out tree completes only when the last branch is acked', () => {
  const h = harness();
  h.setFanout([2, 3]);
  h.spout.emit(['s'], { messageId: 'm1' });
  const [a, b] = h.pump();
  assert.equal(h.pending.size, 1);
  h.setFanout([4]);
  h.bolt(2).emit(['x'], { anchors: a! });
  h.bolt(2).emit(['y'], { anchors: a! });
  h.bolt(2).ack(a!);
  const [c, d] = h.pump();
  assert.equal(h.outcomes.length, 0, 'not complete while children are pending');
  h.bolt(3).ack(b!);
  h.bolt(4).ack(c!);
  h.pump();
  assert.equal(h.outcomes.length, 0, 'one child still pending');
  h.bolt(4).ack(d!);
  h.pump();
  assert.deepEqual(h.outcomes.map((o) => o.kind), ['complete']);
  assert.equal(h.pending.size, 0);
  assert.equal(h.acker.size, 0, 'acker forgets completed trees');
});

test('multi-anchoring ties one tuple to two trees; both complete when it is acked', () => {
  const h = harness();
  h.spout.emit(['s1'], { messageId: 'A' });
  h.spout.emit(['s2'], { messageId: 'B' });
  const [a, b] = h.pump();
  h.setFanout([5]);
  h.bolt(2).emit(['joined'], { anchors: [a!, b!] });
  h.bolt(2).ack(a!);
  h.bolt(2).ack(b!);
  const [j] = h.pump();
  assert.equal(j!.anchors!.length, 6, 'the joined tuple carries both roots');
  assert.equal(h.outcomes.length, 0);
  h.bolt(5).ack(j!);
  h.pump();
  assert.equal(h.outcomes.filter((o) => o.kind === 'complete').length, 2);
});

test('a failed branch fails the tree once; later acks of other branches change nothing', () => {
  const h = harness();
  h.setFanout([2, 3]);
  h.spout.emit(['s'], { messageId: 'm' });
  const [a, b] = h.pump();
  h.bolt(2).fail(a!);
  h.pump();
  assert.deepEqual(h.outcomes.map((o) => o.kind), ['fail']);
  h.bolt(3).ack(b!);
  h.pump();
  assert.deepEqual(h.outcomes.map((o) => o.kind), ['fail'], 'no second outcome');
  h.bolt(2).ack(a!);
  assert.equal(h.pump().length, 0, 'acking a failed tuple is a no-op');
});

test('a branch that is never acked times out between T and 1.25T, and only then', () => {
  const h = harness();
  const timeoutMs = 30_000;
  const failed: unknown[] = [];
  h.clock.setInterval(() => {
    for (const tree of h.pending.expire()) failed.push(tree.messageId);
    h.acker.rotate();
  }, rotationIntervalMs(timeoutMs));
  h.setFanout([2, 3]);
  h.spout.emit(['s'], { messageId: 'slow' });
  const [a] = h.pump();
  h.bolt(2).ack(a!);
  h.pump();
  h.clock.advance(timeoutMs - 1);
  assert.deepEqual(failed, [], 'not before the timeout');
  h.clock.advance(timeoutMs * 0.25 + 1);
  assert.deepEqual(failed, ['slow']);
  assert.equal(h.pending.size, 0);
});

test('resetTimeout keeps a slow tree alive past the timeout', () => {
  const h = harness();
  const failed: unknown[] = [];
  h.clock.setInterval(() => {
    for (const tree of h.pending.expire()) failed.push(tree.messageId);
    h.acker.rotate();
  }, rotationIntervalMs(10_000));
  h.spout.emit(['s'], { messageId: 'kept' });
  const [a] = h.pump();
  for (let i = 0; i < 4; i++) {
    h.clock.advance(5000);
    h.bolt(2).resetTimeout(a!);
    h.pump();
  }
  assert.deepEqual(failed, [], 'still alive after 20 s with a 10 s timeout');
  h.bolt(2).ack(a!);
  h.pump();
  assert.deepEqual(h.outcomes.filter((o) => o.kind === 'complete').length, 1);
});

test('acks arriving before the init still complete the tree', () => {
  const acker = new AckerCore(3);
  assert.equal(acker.ack(42, 0xdeadbeef, 7), undefined);
  assert.deepEqual(acker.init(42, 0xdeadbeef, 7, 1), { kind: 'complete', root: 42, spoutTask: 1 });
  assert.equal(acker.fail(43), undefined, 'a fail before init waits for the init');
  assert.deepEqual(acker.init(43, 1, 1, 1), { kind: 'fail', root: 43, spoutTask: 1 });
});

test('random trees complete exactly at their last ack, whatever the ack order', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const h = harness(seed);
    const rnd = new Random32(new Uint32Array([seed, 9, 9, 9]));
    h.setFanout([2, 3, 4].slice(0, 1 + rnd.below(3)));
    h.spout.emit(['root'], { messageId: seed });
    let live = h.pump();
    const toAck: TupleImpl[] = [];
    // Grow the tree three levels deep, with random fan-out and some multi-anchoring.
    for (let depth = 0; depth < 3; depth++) {
      const next: TupleImpl[] = [];
      for (const t of live) {
        const kids = rnd.below(3);
        h.setFanout([10 + depth]);
        for (let k = 0; k < kids; k++) {
          const other = toAck.length > 0 && rnd.below(4) === 0 ? toAck[rnd.below(toAck.length)]! : undefined;
          h.bolt(t.destTask).emit(['x'], { anchors: other && other.state === 0 ? [t, other] : t });
        }
        next.push(...h.pump());
        toAck.push(t);
      }
      live = next;
    }
    toAck.push(...live);
    // Ack in a random order; before the last ack nothing may complete.
    for (let i = toAck.length - 1; i > 0; i--) {
      const j = rnd.below(i + 1);
      [toAck[i], toAck[j]] = [toAck[j]!, toAck[i]!];
    }
    for (let i = 0; i < toAck.length; i++) {
      const t = toAck[i]!;
      h.bolt(t.destTask).ack(t);
      h.pump();
      const done = h.outcomes.length;
      if (i < toAck.length - 1) assert.equal(done, 0, `seed ${seed}: completed early at ack ${i + 1} of ${toAck.length}`);
    }
    assert.deepEqual(h.outcomes.map((o) => o.kind), ['complete'], `seed ${seed}`);
  }
});
