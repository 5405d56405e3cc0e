/**
 * Transport wire codec, bytes only: golden bytes pin the format (values, tuples, hello,
 * backpressure); every value type round-trips; a stream split at every byte decodes the same;
 * length prefixes over the limit fail before any body is buffered; malformed bodies fail with
 * typed errors, and random corruption never escapes as anything but a TransportError.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FrameTooLargeError, HandshakeError, MalformedFrameError, SerializationError, TransportError,
} from '../../src/transport/errors.js';
import {
  BatchEncoder, decodePayload, encodeBackpressure, encodeHello, encodeTuples, FrameDecoder, MAX_HELLO_FRAME_BYTES,
  type DecodedTuple, type Frame, type TupleLike,
} from '../../src/transport/frame-codec.js';
import { packValues, unpackValues } from '../../src/transport/serialize.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Length prefix + payload, for hand-made frames. */
function frameOf(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length);
  out.set(payload, 4);
  return out;
}

function tuple(over: Partial<TupleLike> = {}): TupleLike {
  return { destTask: 7, sourceComponent: 'split', sourceStreamId: 'default', sourceTask: 3, values: ['snow', 1n], anchors: [3 * 2 ** 32 + 5, 0xdeadbeef, 1], ...over };
}

/** A value of every type tuples carry, nested. */
const EVERY_VALUE: unknown[] = [
  'snow', '', 'ünïcødé ☃ 𝄞', 0, 1, -1, 127, 128, 255, 65536, 2 ** 31, -(2 ** 31) - 1, 2 ** 40, 2 ** 53 - 1, -(2 ** 53 - 1),
  0.5, -1.5, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, NaN, true, false, null,
  0n, 1n, -1n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 64n, -(2n ** 200n),
  new Uint8Array([]), new Uint8Array([0, 1, 2, 254, 255]), new Uint8Array(70_000).fill(7),
  [], [1, [2, [3, [4]]]], {}, { a: 1, b: { c: [true, null, 'x', 5n, new Uint8Array([9])] }, 'key with spaces': 'v' },
  'x'.repeat(100_000),
];

function sameValues(actual: unknown, expected: unknown): void {
  assert.deepStrictEqual(normalise(actual), normalise(expected));
}

/** Buffer and Uint8Array compare as plain byte arrays (a Buffer *is* a Uint8Array). */
function normalise(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: [...v] };
  if (Array.isArray(v)) return v.map(normalise);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  return v;
}

describe('golden bytes (the format is pinned; change PROTOCOL_VERSION if these change)', () => {
  test('values: msgpack array with str, ints, float64, int64 bigint, bigint extension, bin, map', () => {
    const values = ['snow', 42, -1.5, 2n ** 63n - 1n, -(2n ** 70n), new Uint8Array([1, 2, 3]), { a: [true, null] }];
    assert.equal(hex(packValues(values)),
      '97' + 'a4736e6f77' + '2a' + 'cbbff8000000000000' + 'd37fffffffffffffff'
      + 'd842ffffffffffffffc00000000000000000' + 'c403010203' + '81a16192c3c0');
  });

  test('tuples frame: header, two records (anchored and not), names table', () => {
    const [frame] = encodeTuples([tuple(), tuple({ destTask: 8, values: [], anchors: null })]);
    assert.equal(hex(frame!),
      '0000005f' + '02' + '00000002' + '0000004d'
      // record 1: dest 7, source task 3, component #0, stream #1, one anchor triple, values
      + '00000007' + '00000003' + '0000' + '0001' + '0002' + '00000003' + '00000005' + 'deadbeef' + '00000001'
      + '0000000f' + '92a4736e6f77d30000000000000001'
      // record 2: dest 8, no anchors (0), empty values
      + '00000008' + '00000003' + '0000' + '0001' + '0000' + '00000001' + '90'
      // names
      + '0002' + '0005' + '73706c6974' + '0007' + '64656661756c74');
  });

  test('hello and backpressure frames', () => {
    assert.equal(hex(encodeHello({ topologyId: 'wc-1', workerId: 'w1', authToken: '' })),
      '00000013' + '01' + '53515754' + '0001' + '0004' + '77632d31' + '0002' + '7731' + '0000');
    assert.equal(hex(encodeBackpressure({ workerId: 'w2', congested: [5], relieved: [6, 7] })),
      '00000019' + '03' + '0002' + '7732' + '00000001' + '00000005' + '00000002' + '00000006' + '00000007');
  });
});

describe('round trips', () => {
  test('every value type, one value per tuple and all together', () => {
    const tuples = [...EVERY_VALUE.map((v, i) => tuple({ destTask: i, values: [v] })), tuple({ values: EVERY_VALUE })];
    const decoded = decodeAll(encodeTuples(tuples));
    assert.equal(decoded.length, tuples.length);
    decoded.forEach((d, i) => sameValues(d.values, tuples[i]!.values));
    const bigs = decoded.at(-1)!.values.filter((v) => typeof v === 'bigint');
    assert.equal(bigs.length, EVERY_VALUE.filter((v) => typeof v === 'bigint').length, 'bigints come back as bigint, never number');
    assert.ok(decoded.at(-1)!.values.some((v) => v instanceof Uint8Array && v.length === 5));
    assert.equal(typeof decoded.at(-1)!.values[13], 'number', '2^53-1 stays a number');
  });

  test('metadata and anchors come back exactly (null vs empty, roots up to 2^53, edges u32)', () => {
    const tuples: TupleLike[] = [
      tuple({ anchors: null }),
      tuple({ anchors: [] }),
      tuple({ anchors: [2 ** 53 - 1, 0xffffffff, 0, 0, 1, 2, 77 * 2 ** 32 + 123, 5, 6] }),
      tuple({ sourceTask: -1, destTask: 0xffffffff, sourceComponent: '__system', sourceStreamId: '__tick' }),
      tuple({ sourceComponent: 'same', sourceStreamId: 'same' }),
      tuple({ sourceComponent: 'ünï ☃', sourceStreamId: '' }),
    ];
    const decoded = decodeAll(encodeTuples(tuples));
    decoded.forEach((d, i) => {
      const t = tuples[i]!;
      assert.deepStrictEqual(
        { destTask: d.destTask, sourceTask: d.sourceTask, c: d.sourceComponent, s: d.sourceStreamId, anchors: d.anchors },
        { destTask: t.destTask, sourceTask: t.sourceTask, c: t.sourceComponent, s: t.sourceStreamId, anchors: t.anchors },
      );
    });
  });

  test('names are written once per batch, however many tuples use them', () => {
    const one = encodeTuples([tuple({ anchors: null })])[0]!;
    const many = encodeTuples(Array.from({ length: 100 }, () => tuple({ anchors: null })))[0]!;
    const perTuple = (many.length - one.length) / 99;
    assert.equal(perTuple, 18 + 15, 'fixed record (18) + values (15); no names');
  });

  test('hello and backpressure decode to what was encoded', () => {
    const frames = new FrameDecoder().push(concat([
      encodeHello({ topologyId: 'topo ☃', workerId: 'w-9', authToken: 's3cret' }),
      encodeBackpressure({ workerId: 'w2', congested: [1, 2, 0xffffffff], relieved: [] }),
    ]));
    assert.deepStrictEqual(frames, [
      { kind: 'hello', version: 1, topologyId: 'topo ☃', workerId: 'w-9', authToken: 's3cret' },
      { kind: 'backpressure', workerId: 'w2', congested: [1, 2, 0xffffffff], relieved: [] },
    ]);
  });

  test('decoded binary values do not pin the received chunk', () => {
    const frame = encodeTuples([tuple({ values: [new Uint8Array([1, 2, 3])] })])[0]!;
    const [f] = new FrameDecoder().push(frame);
    const bytes = (f as { tuples: DecodedTuple[] }).tuples[0]!.values[0] as Uint8Array;
    assert.notEqual(bytes.buffer, frame.buffer);
    assert.ok(bytes.buffer.byteLength < 1024);
  });
});

describe('incremental decoding', () => {
  const stream = concat([
    encodeHello({ topologyId: 't', workerId: 'w', authToken: '' }),
    ...encodeTuples([tuple(), tuple({ values: [{ nested: [1n, new Uint8Array([5])] }] })]),
    encodeBackpressure({ workerId: 'w', congested: [3], relieved: [4] }),
    ...encodeTuples([tuple({ destTask: 9, anchors: null, values: ['last'] })]),
  ]);
  const whole = new FrameDecoder().push(stream);

  test('the reference stream has four frames', () => {
    assert.deepStrictEqual(whole.map((f) => f.kind), ['hello', 'tuples', 'backpressure', 'tuples']);
  });

  test('split into two chunks at every offset', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      assert.deepStrictEqual(got, whole, `cut at ${cut}`);
      assert.equal(d.bufferedBytes, 0);
    }
  });

  test('fed one byte at a time', () => {
    const d = new FrameDecoder();
    const got: Frame[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...d.push(stream.subarray(i, i + 1)));
    assert.deepStrictEqual(got, whole);
  });

  test('random chunkings, including empty chunks', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const d = new FrameDecoder();
      const got: Frame[] = [];
      for (let at = 0; at < stream.length;) {
        const n = rnd(40);
        got.push(...d.push(stream.subarray(at, at + n)));
        at += n;
      }
      assert.deepStrictEqual(got, whole);
    }
  });
});

describe('limits', () => {
  test('a length prefix over the limit fails at the header, nothing buffered', () => {
    const d = new FrameDecoder({ maxFrameBytes: 1000 });
    const header = new Uint8Array([0, 0, 0x03, 0xe9]); // 1001
    assert.throws(() => d.push(concat([header, new Uint8Array(10)])), (e: unknown) => {
      assert.ok(e instanceof FrameTooLargeError);
      assert.equal(e.code, 'E_TRANSPORT_FRAME_TOO_LARGE');
      assert.equal(e.declaredBytes, 1001);
      assert.equal(e.limit, 1000);
      return true;
    });
    assert.equal(d.bufferedBytes, 0);
  });

  test('a 4 GiB prefix split across chunks fails when its 4th byte arrives', () => {
    const d = new FrameDecoder({ maxFrameBytes: MAX_HELLO_FRAME_BYTES });
    assert.deepStrictEqual(d.push(new Uint8Array([0xff, 0xff])), []);
    assert.deepStrictEqual(d.push(new Uint8Array([0xff])), []);
    assert.throws(() => d.push(new Uint8Array([0xff])), FrameTooLargeError);
  });

  test('a frame exactly at the limit is accepted; the limit can be raised later', () => {
    const frame = encodeTuples([tuple({ values: ['x'.repeat(500)] })])[0]!;
    const size = frame.length - 4;
    assert.equal(new FrameDecoder({ maxFrameBytes: size }).push(frame).length, 1);
    const d = new FrameDecoder({ maxFrameBytes: size - 1 });
    d.maxFrameBytes = size;
    assert.equal(d.push(frame).length, 1);
    assert.throws(() => new FrameDecoder({ maxFrameBytes: size - 1 }).push(frame), FrameTooLargeError);
  });

  test('an HTTP request is rejected by its "length" (a hello cap protects an unauthenticated port)', () => {
    const d = new FrameDecoder({ maxFrameBytes: MAX_HELLO_FRAME_BYTES });
    assert.throws(() => d.push(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n')), FrameTooLargeError);
  });

  test('after a failure the decoder refuses further input', () => {
    const d = new FrameDecoder({ maxFrameBytes: 10 });
    assert.throws(() => d.push(new Uint8Array([0, 0, 1, 0])), FrameTooLargeError);
    assert.throws(() => d.push(encodeHello({ topologyId: 't', workerId: 'w', authToken: '' })), (e: unknown) => {
      assert.ok(e instanceof TransportError);
      assert.ok(e.cause instanceof FrameTooLargeError);
      return true;
    });
  });

  test('frames completed before a failure in the same chunk are handed over on the error', () => {
    const good = encodeTuples([tuple()])[0]!;
    assert.throws(() => new FrameDecoder().push(concat([good, frameOf(new Uint8Array([99]))])), (e: unknown) => {
      assert.ok(e instanceof MalformedFrameError);
      assert.equal(e.decodedBefore.length, 1);
      return true;
    });
  });

  test('pushEach: the limit can be raised between two frames of one chunk (hello, then a big batch)', () => {
    const hello = encodeHello({ topologyId: 't', workerId: 'w', authToken: '' });
    const big = encodeTuples([tuple({ values: ['x'.repeat(10_000)] })])[0]!;
    const d = new FrameDecoder({ maxFrameBytes: MAX_HELLO_FRAME_BYTES });
    const kinds: string[] = [];
    d.pushEach(concat([hello, big]), (f) => {
      kinds.push(f.kind);
      if (f.kind === 'hello') d.maxFrameBytes = 1 << 20;
      return true;
    });
    assert.deepStrictEqual(kinds, ['hello', 'tuples']);
    assert.throws(() => new FrameDecoder({ maxFrameBytes: MAX_HELLO_FRAME_BYTES }).push(concat([hello, big])), FrameTooLargeError);
  });

  test('pushEach: returning false stops before the next length prefix is read', () => {
    const hello = encodeHello({ topologyId: 't', workerId: 'w', authToken: '' });
    const d = new FrameDecoder({ maxFrameBytes: MAX_HELLO_FRAME_BYTES });
    let seen = 0;
    // The bytes after the hello announce 4 GiB: never looked at, because the consumer stopped.
    d.pushEach(concat([hello, new Uint8Array([0xff, 0xff, 0xff, 0xff])]), () => {
      seen++;
      return false;
    });
    assert.equal(seen, 1);
    assert.throws(() => d.push(hello), TransportError);
  });

  test('invalid limits are programming errors', () => {
    assert.throws(() => new FrameDecoder({ maxFrameBytes: 0 }), RangeError);
    assert.throws(() => new FrameDecoder({ maxFrameBytes: 2 ** 32 }), RangeError);
  });
});

describe('malformed frames', () => {
  const good = encodeTuples([tuple()])[0]!.subarray(4);
  const patched = (at: number, bytes: number[]): Uint8Array => {
    const copy = good.slice();
    copy.set(bytes, at);
    return copy;
  };
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['empty frame', new Uint8Array(0), /empty frame/],
    ['unknown kind', new Uint8Array([42, 0, 0]), /unknown frame kind 42/],
    ['truncated tuples header', new Uint8Array([2, 0, 0]), /truncated/],
    ['names offset past the end', patched(5, [0, 0, 0xff, 0xff]), /names offset/],
    ['names offset inside the header', patched(5, [0, 0, 0, 2]), /names offset/],
    ['count larger than the records can hold', patched(1, [0, 1, 0, 0]), /tuple count/],
    ['count smaller than the records present', patched(1, [0, 0, 0, 0]), /trailing bytes/],
    ['component index out of range', patched(17, [0, 9]), /name index 9 out of range/],
    ['anchor root beyond 2^53', patched(23, [0, 0x20, 0, 0]), /beyond 2\^53/],
    ['values length past the records', patched(39, [0, 0, 0, 0x40]), /truncated/],
    ['values not an array', patched(43, [0xc0]), /tuple values/],
    ['invalid UTF-8 in a name', patched(good.length - 1, [0xff]), /not valid UTF-8/],
    ['trailing bytes after names', concat([good, new Uint8Array([0])]), /trailing bytes/],
    ['hello without magic', new Uint8Array([1, 0x47, 0x45, 0x54, 0x20, 0, 1]), /magic/],
    ['hello with trailing bytes', concat([encodeHello({ topologyId: 't', workerId: 'w', authToken: '' }).subarray(4), new Uint8Array([1])]), /trailing/],
    ['backpressure count past the end', new Uint8Array([3, 0, 0, 0xff, 0xff, 0xff, 0xff]), /does not fit/],
  ];
  for (const [name, payload, pattern] of cases) {
    test(name, () => {
      assert.throws(() => decodePayload(payload), (e: unknown) => {
        assert.ok(e instanceof MalformedFrameError, `${name}: ${String(e)}`);
        assert.equal(e.code, 'E_TRANSPORT_MALFORMED');
        assert.match(e.message, pattern);
        return true;
      });
    });
  }

  test('a hello of another protocol version is a handshake error', () => {
    assert.throws(() => decodePayload(encodeHello({ topologyId: 't', workerId: 'w', authToken: '', version: 2 }).subarray(4)), (e: unknown) => {
      assert.ok(e instanceof HandshakeError);
      assert.equal(e.code, 'E_TRANSPORT_VERSION');
      return true;
    });
  });

  test('random corruption of a valid stream only ever raises TransportErrors', () => {
    const stream = concat([
      encodeHello({ topologyId: 't', workerId: 'w', authToken: 'k' }),
      ...encodeTuples([tuple(), tuple({ values: EVERY_VALUE.slice(0, 30) })]),
      encodeBackpressure({ workerId: 'w', congested: [1], relieved: [2] }),
    ]);
    let seed = 99;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      const bad = stream.slice();
      for (let k = 1 + rnd(4); k > 0; k--) bad[rnd(bad.length)] = rnd(256);
      try {
        new FrameDecoder({ maxFrameBytes: 1 << 20 }).push(bad);
      } catch (e) {
        assert.ok(e instanceof TransportError, `case ${i}: ${String(e)}`);
      }
    }
  });

  test('random bytes never escape as anything but a TransportError', () => {
    for (let i = 0; i < 2000; i++) {
      const junk = crypto.getRandomValues(new Uint8Array(1 + (i % 200)));
      try {
        new FrameDecoder({ maxFrameBytes: 1 << 16 }).push(junk);
      } catch (e) {
        assert.ok(e instanceof TransportError, String(e));
      }
    }
  });
});

describe('BatchEncoder', () => {
  test('add() refuses a tuple that would overflow the frame, then takes it in the next batch', () => {
    const enc = new BatchEncoder(200);
    const t = tuple({ values: ['x'.repeat(80)] });
    assert.equal(enc.add(t), true);
    assert.equal(enc.add(t), false, 'second tuple would exceed 200 bytes');
    assert.equal(enc.count, 1);
    const first = enc.finish();
    assert.ok(first.length - 4 <= 200);
    assert.equal(enc.count, 0);
    assert.equal(enc.add(t), true);
    assert.equal(decodeAll([first, enc.finish()]).length, 2);
  });

  test('byteLength predicts the finished frame exactly', () => {
    const enc = new BatchEncoder();
    for (let i = 0; i < 10; i++) enc.add(tuple({ sourceStreamId: `s${i % 3}`, values: [i, 'v'.repeat(i)] }));
    const predicted = enc.byteLength;
    assert.equal(enc.finish().length, predicted);
  });

  test('a tuple larger than a frame on its own is a SerializationError', () => {
    const enc = new BatchEncoder(100);
    assert.throws(() => enc.add(tuple({ values: ['x'.repeat(200)] })), (e: unknown) => {
      assert.ok(e instanceof SerializationError);
      assert.equal(e.code, 'E_TRANSPORT_SERIALIZE');
      return true;
    });
  });

  test('bad values or ids throw before anything is written', () => {
    const enc = new BatchEncoder();
    enc.add(tuple());
    const before = enc.byteLength;
    assert.throws(() => enc.add(tuple({ values: [Symbol('x')] })), SerializationError);
    assert.throws(() => enc.add(tuple({ destTask: -1 })), SerializationError);
    assert.throws(() => enc.add(tuple({ destTask: 1.5 })), SerializationError);
    assert.throws(() => enc.add(tuple({ sourceTask: 2 ** 31 })), SerializationError);
    assert.throws(() => enc.add(tuple({ anchors: [1, 2] })), SerializationError);
    assert.throws(() => enc.add(tuple({ anchors: [-1, 2, 3] })), SerializationError);
    assert.throws(() => enc.add(tuple({ sourceComponent: 'c'.repeat(70_000) })), SerializationError);
    assert.equal(enc.byteLength, before);
    assert.equal(enc.count, 1);
    assert.equal(decodeAll([enc.finish()]).length, 1);
  });
});

describe('values serialization', () => {
  test('unpackValues rejects trailing bytes, truncation and non-arrays', () => {
    assert.throws(() => unpackValues(new Uint8Array([0x91, 1, 2])), MalformedFrameError);
    assert.throws(() => unpackValues(new Uint8Array([0x92, 1])), MalformedFrameError);
    assert.throws(() => unpackValues(new Uint8Array([0x01])), MalformedFrameError);
  });

  test('a nesting bomb fails cleanly, and the codec works afterwards', () => {
    assert.throws(() => unpackValues(new Uint8Array(1_000_000).fill(0x91)), MalformedFrameError);
    sameValues(unpackValues(packValues(EVERY_VALUE)), EVERY_VALUE);
  });

  test('a "__proto__" key cannot pollute prototypes', () => {
    const decoded = unpackValues(packValues([JSON.parse('{"__proto__": {"polluted": true}}')]));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(decoded[0]), Object.prototype);
  });
});

function decodeAll(frames: readonly Uint8Array[]): DecodedTuple[] {
  const d = new FrameDecoder();
  return frames.flatMap((f) => d.push(f)).flatMap((f) => (f.kind === 'tuples' ? f.tuples : []));
}
