/**
 * Multilang codecs: golden transcripts (multilang/conformance/*.json) decoded and re-encoded,
 * every stream fed one byte at a time and split at every offset, framing tolerance, limits,
 * lossless ids and serializer-mismatch detection.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { isTaskIdsFrame, unbatch, encodeJsonBatch } from '../../src/multilang/batch.js';
import { createCodec, type SerializerKind } from '../../src/multilang/codec.js';
import { FrameTooLargeError, InvalidJsonError, ProtocolError, SerializerMismatchError } from '../../src/multilang/errors.js';
import { encodeJsonFrame, JsonFrameDecoder } from '../../src/multilang/json-codec.js';
import { parseJsonText } from '../../src/multilang/json-text.js';
import type { MultilangDecoder } from '../../src/multilang/limits.js';
import { heartbeatTuple, isHeartbeatTuple, isTickTuple, parseChildMessage, tickTuple, type BoltTupleMessage } from '../../src/multilang/messages.js';
import { encodeMsgpack, MsgpackDecoder } from '../../src/multilang/msgpack-codec.js';
import { encodeNdjson, NdjsonDecoder } from '../../src/multilang/ndjson-codec.js';

const MiB = 1024 * 1024;
const utf8 = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// helpers

interface Step {
  from: 'parent' | 'child';
  kind: string;
  wire?: string;
  wireHex?: string;
  message: unknown;
}
interface Transcript {
  serializer: SerializerKind;
  steps: Step[];
}

const CONFORMANCE = new URL('../../multilang/conformance/', import.meta.url);

function loadTranscripts(): Array<[string, Transcript]> {
  return readdirSync(CONFORMANCE)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, parseJsonText(readFileSync(new URL(f, CONFORMANCE), 'utf8'), 64) as Transcript]);
}

function wireBytes(step: Step): Uint8Array {
  return step.wireHex !== undefined ? Uint8Array.from(Buffer.from(step.wireHex, 'hex')) : utf8.encode(step.wire);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Text as UTF-8, and Buffers as plain Uint8Arrays so that deepEqual compares bytes only. */
function asBytes(x: string | Uint8Array): Uint8Array {
  return typeof x === 'string' ? utf8.encode(x) : new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

function decoderFor(kind: SerializerKind, maxFrameBytes?: number): MultilangDecoder {
  return createCodec(kind, maxFrameBytes === undefined ? {} : { maxFrameBytes }).decoder;
}

/** Pushes `bytes` in pieces of `size` bytes and collects everything decoded. */
function feedInPieces(decoder: MultilangDecoder, bytes: Uint8Array, size: number): unknown[] {
  const out: unknown[] = [];
  for (let o = 0; o < bytes.length; o += size) out.push(...decoder.push(bytes.subarray(o, o + size)));
  out.push(...decoder.finish());
  return out;
}

/** Splits `bytes` into two pushes at every possible offset; each must decode to `expected`. */
function assertEverySplit(kind: SerializerKind, bytes: Uint8Array, expected: unknown[]): void {
  for (let cut = 0; cut <= bytes.length; cut++) {
    const d = decoderFor(kind);
    const got = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut)), ...d.finish()];
    assert.deepEqual(got, expected, `split at byte ${cut}`);
  }
}

/**
 * Python's packb writes positive integers of 2^32..2^63 as uint64 (0xcf), msgpackr as int64
 * (0xd3): same value for every reader, different bytes. Those steps are compared by value.
 */
function hasPositiveInt64(value: unknown): boolean {
  if (typeof value === 'bigint') return value >= 2n ** 32n && value < 2n ** 63n;
  if (typeof value === 'number') return Number.isInteger(value) && value >= 2 ** 32 && value < 2 ** 63;
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasPositiveInt64);
  return false;
}

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Error);
    return err;
  }
  assert.fail('expected a throw');
}

// ---------------------------------------------------------------------------------------------
// golden transcripts

describe('conformance transcripts', () => {
  const transcripts = loadTranscripts();

  test('the fixture folder holds every serializer', () => {
    const kinds = new Set(transcripts.map(([, t]) => t.serializer));
    assert.deepEqual([...kinds].sort(), ['json', 'msgpack', 'ndjson']);
    assert.ok(transcripts.length >= 8);
  });

  for (const [file, t] of transcripts) {
    test(`${file}: each frame decodes to its message, parent frames re-encode byte for byte`, () => {
      const codec = createCodec(t.serializer);
      for (const [i, step] of t.steps.entries()) {
        const wire = wireBytes(step);
        const decoded = decoderFor(t.serializer).push(wire);
        assert.deepEqual(decoded, [step.message], `step ${i} decode`);
        const reencoded = asBytes(codec.encode(step.message));
        if (step.from === 'parent' && !(t.serializer === 'msgpack' && hasPositiveInt64(step.message))) {
          assert.deepEqual(reencoded, wire, `step ${i} encode must match the golden bytes`);
        } else {
          assert.deepEqual(decoderFor(t.serializer).push(reencoded), [step.message], `step ${i} re-encode round trip`);
        }
      }
    });

    test(`${file}: the whole stream decodes fed one byte at a time and split at every offset`, () => {
      const stream = concat(t.steps.map(wireBytes));
      const expected = t.steps.map((s) => s.message);
      assert.deepEqual(feedInPieces(decoderFor(t.serializer), stream, 1), expected);
      assertEverySplit(t.serializer, stream, expected);
    });

    test(`${file}: kinds classify as the protocol says`, () => {
      for (const step of t.steps) checkKind(step);
    });
  }
});

function checkKind(step: Step): void {
  const m = step.message;
  switch (step.kind) {
    case 'pid': {
      const reply = parseChildMessage(m);
      assert.equal(reply.command, 'pid');
      const offered = (m as { squall?: { extensions?: string[] } }).squall?.extensions ?? [];
      assert.deepEqual(reply.command === 'pid' ? reply.extensions : undefined, offered);
      break;
    }
    case 'command':
      if (step.from === 'child') assert.notEqual(parseChildMessage(m).command, 'unknown');
      break;
    case 'heartbeat':
      assert.ok(isHeartbeatTuple(m as BoltTupleMessage));
      assert.deepEqual(heartbeatTuple((m as BoltTupleMessage).id), m);
      break;
    case 'tick':
      assert.ok(isTickTuple(m as BoltTupleMessage));
      assert.deepEqual(tickTuple((m as BoltTupleMessage).id, 10), m);
      break;
    case 'task_ids':
      assert.ok(isTaskIdsFrame(m));
      assert.deepEqual(unbatch(m), [m]);
      break;
    case 'batch':
      assert.ok(!isTaskIdsFrame(m));
      assert.deepEqual(unbatch(m), m);
      if (step.from === 'parent' && step.wire !== undefined) assert.equal(encodeJsonBatch(m as unknown[]), step.wire);
      if (step.from === 'child') for (const inner of unbatch(m)) parseChildMessage(inner);
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Storm JSON framing

describe('json framing', () => {
  const sync = { command: 'sync' };

  test('encodes compact JSON, LF only, one line', () => {
    assert.equal(encodeJsonFrame({ command: 'next', id: '' }), '{"command":"next","id":""}\nend\n');
    assert.equal(encodeJsonFrame([4, 5]), '[4,5]\nend\n');
    const text = encodeJsonFrame({ msg: 'two\nlines\r\nand ünïcode' });
    assert.equal(text.split('\n').length, 3);
    assert.ok(!text.includes('\r'));
  });

  test('decodes many frames from one chunk in one push', () => {
    const wire = Array.from({ length: 500 }, (_, i) => encodeJsonFrame({ command: 'ack', id: String(i) })).join('');
    const d = new JsonFrameDecoder({ maxFrameBytes: 1024 });
    const got = d.push(utf8.encode(wire));
    assert.equal(got.length, 500);
    assert.deepEqual(got[499], { command: 'ack', id: '499' });
    assert.equal(d.bufferedBytes, 0);
  });

  test('splits inside multi-byte UTF-8 characters and inside the terminator', () => {
    const msgs = [{ command: 'log', msg: '2-byte é, 3-byte €✓, 4-byte 😀𝄞' }, { command: 'emit', tuple: ['日本語'] }];
    assertEverySplit('json', utf8.encode(msgs.map(encodeJsonFrame).join('')), msgs);
  });

  test('accepts CRLF line ends, multi-line bodies and blank preambles', () => {
    const pretty = JSON.stringify({ command: 'emit', anchors: ['1'], tuple: ['a', { b: [1, 2] }] }, null, 2);
    const wire = [
      '{"command":"sync"}\r\nend\r\n',
      `${pretty}\nend\n`,
      `${pretty.replaceAll('\n', '\r\n')}\r\nend\r\n`,
      '\n\n   \n\t{"command":"sync"}\nend\n',
      '{"command":"sync"}\r\nend\n',
    ].join('');
    const parsed = JSON.parse(pretty) as unknown;
    const expected = [sync, parsed, parsed, sync, sync];
    assert.deepEqual(new JsonFrameDecoder().push(wire), expected);
    assertEverySplit('json', utf8.encode(wire), expected);
  });

  test('accepts string chunks and a final "end" without a newline at end of stream', () => {
    const d = new JsonFrameDecoder();
    assert.deepEqual(d.push('{"command":"sync"}\nend'), []);
    assert.deepEqual(d.finish(), [sync]);
  });

  test('only a line that is exactly "end" terminates a frame', () => {
    const err = catchError(() => new JsonFrameDecoder().push('{"a":1}\nendless\nend\n'));
    assert.ok(err instanceof InvalidJsonError);
    assert.match(err.excerpt, /endless/);
  });

  test('rejects an end line with no body, and a whitespace-only body', () => {
    for (const wire of ['end\n', '{"command":"sync"}\nend\nend\n', '  \n\nend\n']) {
      const err = catchError(() => new JsonFrameDecoder().push(wire));
      assert.ok(err instanceof ProtocolError, wire);
      assert.match(err.message, /empty json frame/);
    }
  });

  test('finish() rejects a partial frame and ignores trailing whitespace', () => {
    const d = new JsonFrameDecoder();
    d.push('{"command":"sync"}\nend\n\n  ');
    assert.deepEqual(d.finish(), []);
    const partial = new JsonFrameDecoder();
    partial.push('{"command":"em');
    assert.throws(() => partial.finish(), (e: unknown) => e instanceof ProtocolError && /stream ended inside/.test(e.message));
  });

  test('accepts NaN and ±Infinity as Python json.dumps writes them', () => {
    const [m] = new JsonFrameDecoder().push('{"command":"emit","tuple":[NaN, Infinity, -Infinity, 1.5]}\nend\n');
    assert.deepEqual(m, { command: 'emit', tuple: [NaN, Infinity, -Infinity, 1.5] });
  });

  test('invalid JSON fails with a bounded excerpt, keeps earlier messages and poisons the decoder', () => {
    const d = new JsonFrameDecoder();
    const garbage = `hello from print()${'x'.repeat(100_000)}`;
    const err = catchError(() => d.push(`{"command":"error","msg":"boom"}\nend\n${garbage}\nend\n`));
    assert.ok(err instanceof InvalidJsonError);
    assert.ok(err instanceof ProtocolError);
    assert.equal(err.code, 'E_PROTOCOL_NONJSON');
    assert.ok(err.excerpt.startsWith('hello from print()'));
    assert.ok(err.excerpt.length <= 200);
    assert.ok(err.message.length < 400);
    assert.deepEqual(err.decodedBefore, [{ command: 'error', msg: 'boom' }]);
    assert.throws(() => d.push('{"command":"sync"}\nend\n'), (e: unknown) => e instanceof ProtocolError && e.cause === err);
  });

  test('invalid UTF-8 is a protocol error', () => {
    const bytes = concat([utf8.encode('{"command":"log","msg":"'), Uint8Array.of(0xc3, 0x28), utf8.encode('"}\nend\n')]);
    assert.throws(() => new JsonFrameDecoder().push(bytes), (e: unknown) => e instanceof InvalidJsonError && /UTF-8/.test(e.message));
  });

  test('a 100k-deep document is rejected by the depth limit', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}\nend\n`;
    assert.throws(() => new JsonFrameDecoder().push(deep), (e: unknown) => e instanceof InvalidJsonError && /deeper than 512/.test(e.message));
    // Same through the lossless (slow) path, which must not overflow the stack.
    const deepBig = `${'['.repeat(100_000)}12345678901234567890${']'.repeat(100_000)}\nend\n`;
    assert.throws(() => new JsonFrameDecoder().push(deepBig), (e: unknown) => e instanceof InvalidJsonError && /deeper than 512/.test(e.message));
  });
});

// ---------------------------------------------------------------------------------------------
// frame limits

describe('frame size limit', () => {
  const limit = 16 * MiB;

  /** Feeds 64 MiB with no frame end in 1 MiB chunks; returns the chunk index that threw. */
  function floodWithoutEnd(d: MultilangDecoder, first: Uint8Array, filler: Uint8Array): { thrownAt: number; maxBuffered: number; err: Error } {
    let maxBuffered = 0;
    for (let i = 0; i < 64; i++) {
      try {
        d.push(i === 0 ? first : filler);
      } catch (err) {
        assert.ok(err instanceof Error);
        return { thrownAt: i, maxBuffered, err };
      }
      maxBuffered = Math.max(maxBuffered, d.bufferedBytes);
    }
    assert.fail('64 MiB without a frame end was accepted');
  }

  const textChunk = new Uint8Array(MiB).fill(0x61); // "aaaa…", no newline anywhere
  const first = concat([utf8.encode('{"command":"log","msg":"'), textChunk.subarray(24)]);

  for (const kind of ['json', 'ndjson'] as const) {
    test(`${kind}: 64 MiB line in 1 MiB chunks is rejected as soon as it passes 16 MiB`, () => {
      const { thrownAt, maxBuffered, err } = floodWithoutEnd(decoderFor(kind, limit), first, textChunk);
      assert.ok(err instanceof FrameTooLargeError);
      assert.equal(err.code, 'E_MULTILANG_FRAME_TOO_LARGE');
      assert.ok(thrownAt <= 17, `threw only at chunk ${thrownAt}`);
      assert.ok(maxBuffered <= limit + 8, `held ${maxBuffered} bytes`);
      assert.ok(err.excerpt.length <= 200);
    });
  }

  test('msgpack: an array that never ends is rejected as soon as it passes 16 MiB', () => {
    const header = Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff); // array32 with 4G elements
    const fixints = new Uint8Array(MiB).fill(0x01);
    const { thrownAt, maxBuffered, err } = floodWithoutEnd(new MsgpackDecoder({ maxFrameBytes: limit }), concat([header, fixints]), fixints);
    assert.ok(err instanceof FrameTooLargeError);
    assert.ok(thrownAt <= 17, `threw only at chunk ${thrownAt}`);
    assert.ok(maxBuffered <= limit + 8, `held ${maxBuffered} bytes`);
  });

  test('msgpack: a string declared larger than the limit is rejected from its header alone', () => {
    const d = new MsgpackDecoder({ maxFrameBytes: limit });
    const header = Uint8Array.of(0x81, 0xa3, 0x6d, 0x73, 0x67, 0xdb, 0x04, 0x00, 0x00, 0x00); // {"msg": str32 of 64 MiB}
    assert.throws(() => d.push(header), FrameTooLargeError);
  });

  for (const kind of ['json', 'ndjson', 'msgpack'] as const) {
    test(`${kind}: a frame of exactly the limit passes, one byte more fails even inside one chunk`, () => {
      const max = 1000;
      const codec = createCodec(kind, { maxFrameBytes: max });
      const terminator = kind === 'json' ? 5 : kind === 'ndjson' ? 1 : 0;
      const bodyBytes = (n: number) => asBytes(codec.encode({ m: 'x'.repeat(n) })).length - terminator;
      let n = max;
      while (bodyBytes(n) > max) n--;
      assert.equal(bodyBytes(n), max);
      const fits = { m: 'x'.repeat(n) };
      assert.deepEqual(codec.decoder.push(asBytes(codec.encode(fits))), [fits]);
      const tooBig = asBytes(codec.encode({ m: 'x'.repeat(n + 1) }));
      assert.throws(() => createCodec(kind, { maxFrameBytes: max }).decoder.push(tooBig), FrameTooLargeError);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// lossless ids

describe('lossless ids', () => {
  test('json: a 23-digit spout id comes back digit for digit in the ack', () => {
    const [raw] = new JsonFrameDecoder().push('{"command": "emit", "tuple": ["w"], "id": 12345678901234567890123}\nend\n');
    const emit = parseChildMessage(raw);
    assert.equal(emit.command, 'emit');
    const id = emit.command === 'emit' ? emit.id : undefined;
    assert.equal(id, 12345678901234567890123n);
    assert.equal(encodeJsonFrame({ command: 'ack', id }), '{"command":"ack","id":12345678901234567890123}\nend\n');
  });

  test('json: integers just past 2^53 and negative ones stay exact; safe ones stay numbers', () => {
    const [m] = new JsonFrameDecoder().push('[9007199254740993, -9007199254740993, 9007199254740991, 1234567890123456, 1.5e300, -0]\nend\n');
    assert.deepEqual(m, [9007199254740993n, -9007199254740993n, 9007199254740991, 1234567890123456, 1.5e300, -0]);
  });

  test('json: 19-digit tuple ids are strings and stay strings', () => {
    const [m] = new JsonFrameDecoder().push('{"command":"ack","id":"-6955786537413359385"}\nend\n');
    assert.deepEqual(m, { command: 'ack', id: '-6955786537413359385' });
  });

  test('json: ids of every type round-trip exactly', () => {
    const ids = ['17', 17, -3, 1.5, true, { partition: 3, offset: 9007199254740993n }, ['topic', 0, 42], 12345678901234567890123n];
    for (const id of ids) {
      const wire = encodeJsonFrame({ command: 'emit', tuple: [], id });
      const [back] = new JsonFrameDecoder().push(wire);
      assert.deepEqual((back as { id: unknown }).id, id);
      assert.equal(encodeJsonFrame({ command: 'ack', id: (back as { id: unknown }).id }), encodeJsonFrame({ command: 'ack', id }));
    }
  });

  test('json: a "__proto__" key read on the lossless path is data, not a prototype', () => {
    const [m] = new JsonFrameDecoder().push('{"__proto__":{"polluted":true},"n":12345678901234567890}\nend\n');
    assert.equal(Object.getPrototypeOf(m), Object.prototype);
    assert.deepEqual(Object.keys(m as object), ['__proto__', 'n']);
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  });

  test('msgpack: uint64 max and int64 min round-trip; >32-bit ints stay ints', () => {
    const msg = { command: 'emit', tuple: [1712345678901, -5000000000, 2 ** 53 + 2], id: 2n ** 64n - 1n, task: -(2n ** 63n) };
    const bytes = encodeMsgpack(msg);
    const [back] = new MsgpackDecoder().push(bytes);
    assert.deepEqual(back, { ...msg, tuple: [1712345678901, -5000000000, 9007199254740994n] }); // > 2^53: bigint
    // int64 (0xd3), never float64 (0xcb): a Python child must see an int.
    assert.ok(!Buffer.from(bytes).includes(0xcb));
    assert.deepEqual(asBytes(encodeMsgpack(back)), asBytes(bytes));
  });

  test('msgpack: integers beyond 64 bits cannot be encoded', () => {
    assert.throws(() => encodeMsgpack({ id: 12345678901234567890123n }), RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// msgpack specifics

describe('msgpack', () => {
  test('matches the example bytes of MULTILANG-PROTOCOL.md §6.3', () => {
    assert.equal(Buffer.from(encodeMsgpack({ command: 'sync' })).toString('hex'), '81a7636f6d6d616e64a473796e63');
  });

  test('binary values, nil for undefined, nested maps survive', () => {
    const [back] = new MsgpackDecoder().push(encodeMsgpack({ b: Uint8Array.of(1, 2, 3), u: undefined, n: { a: [null, true, -1.25] } }));
    assert.deepEqual({ ...(back as object), b: Array.from((back as { b: Uint8Array }).b) }, { b: [1, 2, 3], u: null, n: { a: [null, true, -1.25] } });
  });

  test('a value split across many chunks is decoded once it completes', () => {
    const big = { command: 'emit', tuple: ['y'.repeat(70_000), Array.from({ length: 1000 }, (_, i) => i * 1000)] };
    const bytes = encodeMsgpack(big);
    const d = new MsgpackDecoder();
    assert.deepEqual(feedInPieces(d, bytes, 4096), [big]);
  });

  test('rejects deep nesting, the never-used byte 0xc1 and stray text', () => {
    const deep = concat([new Uint8Array(100_000).fill(0x91), Uint8Array.of(0xc0)]);
    assert.throws(() => new MsgpackDecoder().push(deep), (e: unknown) => e instanceof ProtocolError && /deeper than 512/.test(e.message));
    assert.throws(() => new MsgpackDecoder().push(Uint8Array.of(0x81, 0xa1, 0x61, 0xc1)), /0xc1/);
    assert.throws(() => new MsgpackDecoder().push('Traceback (most recent call last):\n'), (e: unknown) => e instanceof ProtocolError && /text/.test(e.message));
  });

  test('messages before a bad value are handed over on the error', () => {
    const bytes = concat([encodeMsgpack({ command: 'error', msg: 'boom' }), utf8.encode('{"command":"sync"}\nend\n')]);
    const err = catchError(() => new MsgpackDecoder().push(bytes));
    assert.ok(err instanceof SerializerMismatchError);
    assert.deepEqual(err.decodedBefore, [{ command: 'error', msg: 'boom' }]);
  });

  test('finish() rejects a partial value', () => {
    const d = new MsgpackDecoder();
    d.push(encodeMsgpack({ command: 'sync' }).subarray(0, 5));
    assert.throws(() => d.finish(), /ended inside a msgpack value/);
  });
});

// ---------------------------------------------------------------------------------------------
// ndjson

describe('ndjson', () => {
  test('one compact object per line; blank lines and CRLF tolerated; last line may lack "\\n"', () => {
    assert.equal(encodeNdjson({ command: 'sync' }), '{"command":"sync"}\n');
    const wire = '{"command":"sync"}\r\n\n   \r\n{"command":"ack","id":"1"}\n{"command":"log","msg":"é"}';
    const expected = [{ command: 'sync' }, { command: 'ack', id: '1' }, { command: 'log', msg: 'é' }];
    const d = new NdjsonDecoder();
    assert.deepEqual([...d.push(wire), ...d.finish()], expected);
    assertEverySplit('ndjson', utf8.encode(wire), expected);
  });

  test('big integer ids are lossless', () => {
    const [m] = new NdjsonDecoder().push('{"command":"emit","tuple":[],"id":98765432109876543210}\n');
    assert.equal(encodeNdjson({ command: 'fail', id: (m as { id: unknown }).id }), '{"command":"fail","id":98765432109876543210}\n');
  });

  test('a non-JSON line fails with an excerpt', () => {
    const err = catchError(() => new NdjsonDecoder().push('{"command":"sync"}\nnot json\n'));
    assert.ok(err instanceof InvalidJsonError);
    assert.equal(err.excerpt, 'not json');
    assert.deepEqual(err.decodedBefore, [{ command: 'sync' }]);
  });
});

// ---------------------------------------------------------------------------------------------
// serializer mismatch

describe('serializer mismatch', () => {
  function assertMismatch(kind: SerializerKind, bytes: Uint8Array, expected: string, actual: string): void {
    const err = catchError(() => decoderFor(kind).push(bytes));
    assert.ok(err instanceof SerializerMismatchError, `${kind}: got ${err.message}`);
    assert.equal(err.code, 'E_MULTILANG_SERIALIZER_MISMATCH');
    assert.match(err.message, /serializer mismatch/);
    assert.match(err.message, new RegExp(`expected ${expected}`));
    assert.match(err.message, new RegExp(actual));
  }

  const pidMsgpack = encodeMsgpack({ pid: 777 });
  const pidJson = utf8.encode('{"pid": 777}\nend\n');

  test('msgpack sent to the json decoder is reported at once, before any "end" line', () => {
    assertMismatch('json', pidMsgpack, 'json', 'msgpack');
    assertMismatch('json', pidMsgpack.subarray(0, 1), 'json', 'msgpack');
    assertMismatch('json', concat([utf8.encode('{"command":"sync"}\nend\n'), pidMsgpack]), 'json', 'msgpack');
  });

  test('json sent to the msgpack decoder is reported at its first byte', () => {
    assertMismatch('msgpack', pidJson, 'msgpack', 'json');
    assertMismatch('msgpack', utf8.encode('['), 'msgpack', 'json');
  });

  test('msgpack and Storm JSON sent to the ndjson decoder are reported', () => {
    assertMismatch('ndjson', pidMsgpack, 'ndjson', 'msgpack');
    assertMismatch('ndjson', pidJson, 'ndjson', 'json');
  });

  test('a UTF-8 byte-order mark before a JSON frame is ignored', () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
    assert.deepEqual(new JsonFrameDecoder().push(concat([bom, utf8.encode('{"pid": 9}\nend\n')])), [{ pid: 9 }]);
  });

  test('other non-text bytes in a JSON stream are plain protocol errors', () => {
    const err = catchError(() => new JsonFrameDecoder().push(Uint8Array.of(0xff, 0x00)));
    assert.ok(err instanceof InvalidJsonError);
    assert.match(err.excerpt, /^hex ff 00/);
  });
});

// ---------------------------------------------------------------------------------------------
// batches through the codecs

describe('batch frames through codecs', () => {
  for (const kind of ['json', 'ndjson', 'msgpack'] as const) {
    test(`${kind}: encodeBatch → decode → unbatch gives the messages; task ids stay one message`, () => {
      const codec = createCodec(kind);
      const msgs = [{ command: 'emit', tuple: ['x'] }, { command: 'ack', id: '1' }, [4, 5]];
      const [frame] = codec.decoder.push(asBytes(codec.encodeBatch(msgs)));
      assert.deepEqual(unbatch(frame), msgs);
      const [ids] = codec.decoder.push(asBytes(codec.encode([])));
      assert.deepEqual(unbatch(ids), [[]]);
    });
  }

  test('createCodec names its serializer and rejects unknown ones', () => {
    assert.equal(createCodec('msgpack').name, 'msgpack');
    assert.throws(() => createCodec('xml' as SerializerKind), RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// fuzzing (deterministic)

/** mulberry32: a tiny seeded PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(rand: () => number, depth = 0): unknown {
  const r = rand();
  if (depth > 3 || r < 0.45) {
    const leaves: unknown[] = [
      null, true, false, Math.floor(rand() * 2 ** 31), -Math.floor(rand() * 1000), rand() * 1e6,
      'text ' + String.fromCodePoint(0x20 + Math.floor(rand() * 0x2ff00)), '', 12345678901234567890n, 2 ** 40 + 7,
    ];
    return leaves[Math.floor(rand() * leaves.length)];
  }
  if (r < 0.7) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, (_, i) => [`k${i}`, randomValue(rand, depth + 1)]));
}

/**
 * The intended changes: integers beyond 2^53 come back as bigint; msgpack (UTF-8 strings only)
 * replaces lone surrogates with U+FFFD.
 */
function expectedBack(value: unknown, kind: SerializerKind): unknown {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && kind === 'msgpack') return (value as unknown as { toWellFormed(): string }).toWellFormed();
  if (Array.isArray(value)) return value.map((v) => expectedBack(v, kind));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expectedBack(v, kind)]));
  return value;
}

describe('fuzzing', () => {
  for (const kind of ['json', 'ndjson', 'msgpack'] as const) {
    test(`${kind}: decode(encode(x)) = x for 2000 random messages in random chunks`, () => {
      const rand = prng(42);
      const codec = createCodec(kind);
      const msgs = Array.from({ length: 2000 }, () => ({ command: 'emit', tuple: [randomValue(rand)], id: randomValue(rand) ?? 0 }));
      const stream = concat(msgs.map((m) => asBytes(codec.encode(m))));
      const got: unknown[] = [];
      for (let o = 0; o < stream.length; ) {
        const n = 1 + Math.floor(rand() * 300);
        got.push(...codec.decoder.push(stream.subarray(o, o + n)));
        o += n;
      }
      assert.deepEqual(got, msgs.map((m) => expectedBack(m, kind)));
    });

    test(`${kind}: random and mutated input only ever throws ProtocolError`, () => {
      const rand = prng(7);
      const valid = asBytes(createCodec(kind).encode({ command: 'emit', anchors: ['1'], tuple: ['a', 1, { b: [2.5, null] }] }));
      for (let i = 0; i < 3000; i++) {
        const bytes = i % 2 === 0
          ? Uint8Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256))
          : valid.map((b) => (rand() < 0.05 ? Math.floor(rand() * 256) : b));
        const decoder = decoderFor(kind, 4096);
        try {
          decoder.push(bytes);
          decoder.finish();
        } catch (err) {
          assert.ok(err instanceof ProtocolError, `${kind} input ${Buffer.from(bytes).toString('hex')} threw ${String(err)}`);
        }
      }
    });
  }
});
