/**
 * Multilang message validation and normalisation (every adapter dialect of
 * MULTILANG-PROTOCOL.md §3.4 and §7), batch framing rules, builders and error excerpts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeJsonBatch, isTaskIdsFrame, makeBatch, unbatch } from '../../src/multilang/batch.js';
import { makeExcerpt, ProtocolError } from '../../src/multilang/errors.js';
import { JsonFrameDecoder } from '../../src/multilang/json-codec.js';
import {
  boltTuple,
  heartbeatTuple,
  isHeartbeatTuple,
  isTickTuple,
  parseChildMessage,
  spoutCommand,
  tickTuple,
  type ChildMessage,
  type EmitCommand,
} from '../../src/multilang/messages.js';

function emit(fields: Record<string, unknown>): EmitCommand {
  const m = parseChildMessage({ command: 'emit', tuple: ['x'], ...fields });
  assert.equal(m.command, 'emit');
  return m;
}

function rejects(value: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseChildMessage(value),
    (e: unknown) => e instanceof ProtocolError && e.code === 'E_MULTILANG_PROTOCOL' && pattern.test(e.message),
    `expected ${pattern} for ${makeExcerpt(value)}`,
  );
}

describe('parseChildMessage: emit normalisation', () => {
  test('a bare storm.py/pystorm emit gets Storm defaults', () => {
    assert.deepEqual(parseChildMessage({ command: 'emit', tuple: ['cow'] }), {
      command: 'emit', tuple: ['cow'], stream: 'default', anchors: [], directTask: undefined, needTaskIds: true, id: undefined,
    } satisfies ChildMessage);
  });

  test('nulls mean "absent" for stream, anchors, task, need_task_ids and id', () => {
    const m = emit({ stream: null, anchors: null, task: null, need_task_ids: null, id: null });
    assert.equal(m.stream, 'default');
    assert.deepEqual(m.anchors, []);
    assert.equal(m.directTask, undefined);
    assert.equal(m.needTaskIds, true);
    assert.equal(m.id, undefined);
  });

  test('anchors: a single string, [null], nested lists (storm.js before STORM-2331)', () => {
    assert.deepEqual(emit({ anchors: '77' }).anchors, ['77']);
    assert.deepEqual(emit({ anchors: [null] }).anchors, []);
    assert.deepEqual(emit({ anchors: [['1'], null, ['2', ['3']], '4'] }).anchors, ['1', '2', '3', '4']);
    assert.deepEqual(emit({ anchors: ['-6955786537413359385'] }).anchors, ['-6955786537413359385']);
  });

  test('task 0 is a normal emit; a task id makes it direct and never wants task ids', () => {
    assert.equal(emit({ task: 0 }).directTask, undefined);
    const direct = emit({ task: 5, stream: 'words-direct', anchors: [] });
    assert.equal(direct.directTask, 5);
    assert.equal(direct.stream, 'words-direct');
    assert.equal(direct.needTaskIds, false);
    assert.equal(emit({ task: 5, need_task_ids: true }).needTaskIds, false);
  });

  test('need_task_ids false (pystorm, Petrel) is kept', () => {
    assert.equal(emit({ need_task_ids: false }).needTaskIds, false);
  });

  test('spout message ids of any type are kept as they are, including falsy ones', () => {
    for (const id of [0, '', false, 'c1f0b6f2', 17, 1.5, 12345678901234567890123n, { a: 1 }, [1, 'x']]) {
      assert.deepEqual(emit({ id }).id, id);
    }
  });
});

describe('parseChildMessage: other commands', () => {
  test('pid reply, ack, fail, sync, error, metrics', () => {
    assert.deepEqual(parseChildMessage({ pid: 4242 }), { command: 'pid', pid: 4242, extensions: [] });
    assert.deepEqual(parseChildMessage({ command: 'ack', id: '77' }), { command: 'ack', id: '77' });
    assert.deepEqual(parseChildMessage({ command: 'fail', id: '77' }), { command: 'fail', id: '77' });
    assert.deepEqual(parseChildMessage({ command: 'sync' }), { command: 'sync' });
    assert.deepEqual(parseChildMessage({ command: 'error', msg: 'Traceback…' }), { command: 'error', msg: 'Traceback…' });
    assert.deepEqual(parseChildMessage({ command: 'metrics', name: 'm', params: 3 }), { command: 'metrics', name: 'm', params: 3 });
    assert.deepEqual(parseChildMessage({ command: 'metrics', name: 'm' }), { command: 'metrics', name: 'm', params: null });
  });

  test('a Squall-aware pid reply lists the extensions it accepts', () => {
    assert.deepEqual(parseChildMessage({ pid: 7, squall: { extensions: ['batch'] } }), { command: 'pid', pid: 7, extensions: ['batch'] });
    assert.deepEqual(parseChildMessage({ pid: 7, squall: {} }), { command: 'pid', pid: 7, extensions: [] });
    rejects({ pid: 7, squall: 'batch' }, /"squall" must be an object/);
    rejects({ pid: 7, squall: { extensions: 'batch' } }, /"squall.extensions" must be a list of strings/);
    rejects({ pid: 7, squall: { extensions: [1] } }, /"squall.extensions"/);
  });

  test('with the batch extension an emit without need_task_ids wants none', () => {
    const opts = { needTaskIdsDefault: false };
    const m = (fields: Record<string, unknown>) => parseChildMessage({ command: 'emit', tuple: [], ...fields }, opts) as EmitCommand;
    assert.equal(m({}).needTaskIds, false);
    assert.equal(m({ need_task_ids: null }).needTaskIds, false);
    assert.equal(m({ need_task_ids: true }).needTaskIds, true);
    assert.equal(m({ need_task_ids: true, task: 4 }).needTaskIds, false);
  });

  test('log levels: Storm ints, names in any case, absent or unknown → info', () => {
    const level = (l: unknown) => {
      const m = parseChildMessage(l === undefined ? { command: 'log', msg: 'x' } : { command: 'log', msg: 'x', level: l });
      return m.command === 'log' ? m.level : undefined;
    };
    assert.deepEqual([0, 1, 2, 3, 4].map(level), ['trace', 'debug', 'info', 'warn', 'error']);
    assert.deepEqual(['WARN', 'warning', 'Error', 'debug', ' INFO ', 'CRITICAL', '3'].map(level), ['warn', 'warn', 'error', 'debug', 'info', 'error', 'warn']);
    assert.deepEqual([undefined, null, 7, -1, 2.5, 'loud', {}].map(level), Array(7).fill('info'));
  });

  test('log/error text is lenient: missing → "", non-strings are rendered', () => {
    assert.deepEqual(parseChildMessage({ command: 'log' }), { command: 'log', msg: '', level: 'info' });
    assert.deepEqual(parseChildMessage({ command: 'error', msg: { code: 1 } }), { command: 'error', msg: '{"code":1}' });
    assert.deepEqual(parseChildMessage({ command: 'log', msg: 42, level: 2 }), { command: 'log', msg: '42', level: 'info' });
  });

  test('unknown commands are returned for the host to decide, not thrown', () => {
    const raw = { command: 'reset_timeout', id: '5' };
    assert.deepEqual(parseChildMessage(raw), { command: 'unknown', name: 'reset_timeout', raw });
    assert.equal(parseChildMessage({ command: 'next', id: '' }).command, 'unknown');
  });
});

describe('parseChildMessage: rejections', () => {
  test('non-objects and messages without a usable command', () => {
    rejects([4, 5], /must be an object, got a list/);
    rejects('sync', /must be an object/);
    rejects(null, /must be an object, got null/);
    rejects(17, /must be an object/);
    rejects({ tuple: [] }, /no "command"/);
    rejects({ command: 7 }, /"command" must be a string/);
  });

  test('pid replies need a positive integer pid', () => {
    rejects({ pid: '4242' }, /"pid" must be a positive integer/);
    rejects({ pid: 0 }, /"pid"/);
    rejects({ pid: 1.5 }, /"pid"/);
  });

  test('emit fields of the wrong type', () => {
    rejects({ command: 'emit' }, /emit: "tuple" must be a list, got undefined/);
    rejects({ command: 'emit', tuple: 'cow' }, /"tuple" must be a list, got the string "cow"/);
    rejects({ command: 'emit', tuple: [], stream: 5 }, /"stream" must be a string/);
    rejects({ command: 'emit', tuple: [], anchors: 5 }, /"anchors"/);
    rejects({ command: 'emit', tuple: [], anchors: [1] }, /"anchors" must be tuple id strings/);
    rejects({ command: 'emit', tuple: [], anchors: [['a', { id: 'b' }]] }, /"anchors"/);
    rejects({ command: 'emit', tuple: [], task: -1 }, /"task" must be a task id/);
    rejects({ command: 'emit', tuple: [], task: 1.5 }, /"task"/);
    rejects({ command: 'emit', tuple: [], task: '5' }, /"task"/);
    rejects({ command: 'emit', tuple: [], need_task_ids: 'yes' }, /"need_task_ids" must be a boolean/);
  });

  test('ack/fail need an id; metrics need a name', () => {
    rejects({ command: 'ack' }, /ack: "id" must be present/);
    rejects({ command: 'fail', id: null }, /fail: "id"/);
    rejects({ command: 'metrics', params: 1 }, /metrics: "name" must be a non-empty string/);
    rejects({ command: 'metrics', name: '' }, /"name"/);
  });

  test('the excerpt of a huge bad message stays bounded', () => {
    const err = (() => {
      try {
        parseChildMessage({ command: 'emit', tuple: 'x'.repeat(1_000_000) });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof ProtocolError);
    assert.ok(err.excerpt.length <= 200);
    assert.ok(err.message.length < 400);
  });
});

describe('parent message builders', () => {
  test('heartbeat and tick tuples carry exactly what adapters test for', () => {
    const hb = heartbeatTuple('8174523301946615311');
    assert.deepEqual(hb, { id: '8174523301946615311', comp: null, stream: '__heartbeat', task: -1, tuple: [] });
    assert.ok(isHeartbeatTuple(hb) && !isTickTuple(hb));
    const tick = tickTuple('311948562238176101', 10);
    assert.deepEqual(tick, { id: '311948562238176101', comp: '__system', stream: '__tick', task: -1, tuple: [10] });
    assert.ok(isTickTuple(tick) && !isHeartbeatTuple(tick));
    assert.ok(!isHeartbeatTuple(boltTuple('1', 'spout', 'default', 2, ['a'])));
  });

  test('spout commands default to id ""', () => {
    assert.deepEqual(spoutCommand('next'), { command: 'next', id: '' });
    assert.deepEqual(spoutCommand('ack', 17), { command: 'ack', id: 17 });
  });
});

describe('batch framing', () => {
  test('isTaskIdsFrame: empty arrays and arrays of integers', () => {
    assert.ok(isTaskIdsFrame([]));
    assert.ok(isTaskIdsFrame([4, 5]));
    assert.ok(!isTaskIdsFrame([{ command: 'sync' }]));
    assert.ok(!isTaskIdsFrame([[4]]));
    assert.ok(!isTaskIdsFrame([4, 'x']));
    assert.ok(!isTaskIdsFrame([1.5]));
    assert.ok(!isTaskIdsFrame({ command: 'sync' }));
  });

  test('unbatch: objects and task ids are one message, other arrays are batches', () => {
    assert.deepEqual(unbatch({ command: 'sync' }), [{ command: 'sync' }]);
    assert.deepEqual(unbatch([]), [[]]);
    assert.deepEqual(unbatch([4, 5]), [[4, 5]]);
    const batch = [{ command: 'ack', id: '1' }, [4], { command: 'sync' }];
    assert.deepEqual(unbatch(batch), batch);
    assert.throws(() => unbatch([4, { command: 'sync' }]), ProtocolError);
  });

  test('encodeJsonBatch writes one frame; batches that would read as task ids are refused', () => {
    assert.equal(encodeJsonBatch([{ command: 'sync' }, [4]]), '[{"command":"sync"},[4]]\nend\n');
    assert.throws(() => encodeJsonBatch([]), ProtocolError);
    assert.throws(() => makeBatch([4, 5]), ProtocolError);
  });

  test('a child batch decodes, unbatches and parses', () => {
    const [frame] = new JsonFrameDecoder().push('[{"command": "emit", "anchors": "1", "tuple": ["X"]}, {"command": "ack", "id": "1"}]\nend\n');
    const msgs = unbatch(frame).map((m) => parseChildMessage(m));
    assert.deepEqual(msgs.map((m) => m.command), ['emit', 'ack']);
    assert.deepEqual((msgs[0] as EmitCommand).anchors, ['1']);
  });
});

describe('error excerpts', () => {
  test('text is escaped, binary is hex, values are JSON, all at most 200 characters', () => {
    assert.equal(makeExcerpt('a\nb\r\u0000'), 'a\\nb\\r\\u0000');
    assert.equal(makeExcerpt(Uint8Array.of(0x81, 0xa3, 0x70)), 'hex 81 a3 70');
    assert.equal(makeExcerpt(new TextEncoder().encode('plain text')), 'plain text');
    assert.equal(makeExcerpt({ id: 12345678901234567890n }), '{"id":"12345678901234567890"}');
    for (const big of ['z'.repeat(1000), new Uint8Array(1000).fill(0x90), { s: 'q'.repeat(1000) }, '\n'.repeat(1000)]) {
      assert.ok(makeExcerpt(big).length <= 200);
    }
  });
});
