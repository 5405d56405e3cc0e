/**
 * The worker-to-worker wire format, version 1: constants and message types. Layout (all integers
 * big-endian; `str` = u16 byte length + UTF-8):
 *
 * ```
 * frame        = u32 payloadLength, payload                 (payloadLength ≤ maxFrameBytes)
 * payload      = u8 kind, body
 * hello        (kind 1) = "SQWT", u16 version, str topologyId, str workerId, str authToken
 * tuples       (kind 2) = u32 count, u32 namesOffset, record × count, names
 *   record     = u32 destTask, i32 sourceTask, u16 componentName, u16 streamName,
 *                u16 anchorField (0 = null, n+1 = n triples),
 *                (u32 rootHi, u32 rootLo, u32 edgeHi, u32 edgeLo) × n,
 *                u32 valuesLength, msgpack array (see serialize.ts)
 *   names      = u16 nameCount, str × nameCount              (at namesOffset, to the end)
 * backpressure (kind 3) = str workerId, u32 n, u32 task × n (congested), u32 m, u32 task × m (relieved)
 * ```
 *
 * Names are interned per batch, not per connection: a frame is self-contained, so frames
 * encoded while a peer is down can be sent on whichever connection comes up next, and the
 * receiver keeps no per-connection table a hostile peer could grow.
 */

/** The version this codec writes and the only one it reads. */
export const PROTOCOL_VERSION = 1;

/** First bytes of a hello body: lets the server tell "not our protocol" from "bad hello". */
export const HELLO_MAGIC = new Uint8Array([0x53, 0x51, 0x57, 0x54]); // "SQWT"

/** Bytes of the length prefix. */
export const FRAME_HEADER_BYTES = 4;

/** Default cap on one frame's payload: 16 MiB (multilang's frame limit; Storm's Netty buffer is 5 MB). */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * Cap on a frame before the hello is accepted. A hello is < 200 bytes in practice; an
 * unauthenticated peer must not make us buffer more than this.
 */
export const MAX_HELLO_FRAME_BYTES = 4096;

/** Frame kinds: the first payload byte. */
export const KIND_HELLO = 1;
export const KIND_TUPLES = 2;
export const KIND_BACKPRESSURE = 3;

/** Fixed bytes of a tuples payload before the first record: kind, count, namesOffset. */
export const TUPLES_HEADER_BYTES = 9;
/** Fixed bytes of one record: ids, name indexes, anchor field and values length. */
export const RECORD_FIXED_BYTES = 18;
/** Bytes of one anchor triple: root as two u32 halves, edge as two u32 halves. */
export const ANCHOR_TRIPLE_BYTES = 16;
/** Most anchor triples one tuple can carry (u16 field, 0 reserved for null). */
export const MAX_ANCHOR_TRIPLES = 0xfffe;
/** Most distinct names one batch can carry. */
export const MAX_NAMES_PER_BATCH = 0xffff;

/** What the encoder needs from a tuple; the runtime's TupleImpl satisfies it. */
export interface TupleLike {
  readonly destTask: number;
  readonly sourceComponent: string;
  readonly sourceStreamId: string;
  readonly sourceTask: number;
  readonly values: readonly unknown[];
  /** Flat [rootId, edgeHi, edgeLo]* or null when untracked. */
  readonly anchors: readonly number[] | null;
}

/** A tuple as received: TupleImpl's wire fields; the worker adds Fields from its plan. */
export interface DecodedTuple {
  destTask: number;
  sourceComponent: string;
  sourceStreamId: string;
  sourceTask: number;
  values: unknown[];
  anchors: number[] | null;
}

/** First frame on every connection, client to server. */
export interface HelloFrame {
  kind: 'hello';
  version: number;
  topologyId: string;
  workerId: string;
  /** Empty when the cluster runs without transport authentication. */
  authToken: string;
}

/** A batch of tuples for tasks of the receiving worker. */
export interface TuplesFrame {
  kind: 'tuples';
  tuples: DecodedTuple[];
}

/** Storm 2's BackPressureStatus: tasks of `workerId` that are now full, and those relieved. */
export interface BackpressureFrame {
  kind: 'backpressure';
  workerId: string;
  congested: number[];
  relieved: number[];
}

export type Frame = HelloFrame | TuplesFrame | BackpressureFrame;
