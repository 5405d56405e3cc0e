/**
 * The `tuples` frame: many tuples in one length-prefixed frame, their component and stream names
 * interned once per batch. The encoder appends each tuple straight into a reused buffer, so the
 * hot path costs one msgpack call per tuple and one exact-size copy per batch.
 */
import { utf8Length } from '../common/text.js';
import { MalformedFrameError, SerializationError } from './errors.js';
import {
  ANCHOR_TRIPLE_BYTES, DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES, KIND_TUPLES, MAX_ANCHOR_TRIPLES, MAX_NAMES_PER_BATCH,
  RECORD_FIXED_BYTES, TUPLES_HEADER_BYTES, type DecodedTuple, type TupleLike,
} from './frame-types.js';
import { packValues, unpackValues } from './serialize.js';
import { ByteReader, ByteWriter, MAX_SHORT_STRING_BYTES } from './wire.js';

const TWO_32 = 4294967296;
/** Roots are taskId·2^32 + seq (runtime RootIds), always below 2^53: rootHi fits 21 bits. */
const MAX_ROOT_HI = 0x1fffff;
const MAX_U32 = 0xffffffff;

/**
 * Builds one `tuples` frame at a time. `add` until it returns false or the batch is big
 * enough, then `finish` to get the frame bytes (length prefix included) and start a new batch.
 */
export class BatchEncoder {
  private readonly w = new ByteWriter();
  private readonly names = new Map<string, number>();
  private readonly nameList: string[] = [];
  /** Bytes the names table will take: u16 count plus each name. */
  private namesBytes = 2;
  private tuples = 0;

  /** @param maxFrameBytes largest payload a frame may have; must match the receiver's limit. */
  constructor(readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.begin();
  }

  /** Tuples in the batch being built. */
  get count(): number {
    return this.tuples;
  }

  /** Size in bytes of the frame `finish()` would return now. */
  get byteLength(): number {
    return this.w.length + this.namesBytes;
  }

  /**
   * Appends one tuple. Returns false, adding nothing, when the tuple would push the frame past
   * `maxFrameBytes`: finish this batch and add it to the next.
   * @throws SerializationError when the tuple cannot be encoded at all (bad values or ids, or
   *   larger than a frame on its own).
   */
  add(t: TupleLike): boolean {
    checkIds(t);
    const anchors = t.anchors;
    const triples = anchors === null ? 0 : checkAnchors(anchors);
    const values = packValues(t.values);
    const comp = t.sourceComponent;
    const stream = t.sourceStreamId;
    const compNew = this.names.has(comp) ? 0 : nameBytes(comp);
    const streamNew = this.names.has(stream) || stream === comp ? 0 : nameBytes(stream);
    const record = RECORD_FIXED_BYTES + triples * ANCHOR_TRIPLE_BYTES + values.length;
    const payload = this.byteLength - FRAME_HEADER_BYTES + record + compNew + streamNew;
    if (payload > this.maxFrameBytes || this.nameList.length + 2 > MAX_NAMES_PER_BATCH) {
      if (this.tuples === 0) throw tooLarge(payload, this.maxFrameBytes);
      return false;
    }
    const w = this.w;
    w.u32(t.destTask);
    w.i32(t.sourceTask);
    w.u16(this.intern(comp));
    w.u16(this.intern(stream));
    w.u16(anchors === null ? 0 : triples + 1);
    if (anchors !== null) writeAnchors(w, anchors);
    w.u32(values.length);
    w.bytes(values);
    this.tuples++;
    return true;
  }

  /** The finished frame (an exact-size copy); the encoder is empty afterwards. */
  finish(): Uint8Array {
    const w = this.w;
    w.patchU32(FRAME_HEADER_BYTES + 1, this.tuples);
    w.patchU32(FRAME_HEADER_BYTES + 5, w.length - FRAME_HEADER_BYTES);
    w.u16(this.nameList.length);
    for (const name of this.nameList) w.shortString(name);
    w.patchU32(0, w.length - FRAME_HEADER_BYTES);
    const frame = w.toBytes();
    this.begin();
    return frame;
  }

  /** Drops the batch being built. */
  clear(): void {
    this.begin();
  }

  private begin(): void {
    const w = this.w;
    w.reset();
    w.u32(0); // payload length, patched by finish()
    w.u8(KIND_TUPLES);
    w.u32(0); // count
    w.u32(0); // namesOffset
    this.names.clear();
    this.nameList.length = 0;
    this.namesBytes = 2;
    this.tuples = 0;
  }

  private intern(name: string): number {
    let i = this.names.get(name);
    if (i === undefined) {
      i = this.nameList.length;
      this.names.set(name, i);
      this.nameList.push(name);
      this.namesBytes += nameBytes(name);
    }
    return i;
  }
}

/** Encodes tuples into as many frames as they need (tests, tools; the client uses BatchEncoder). */
export function encodeTuples(tuples: Iterable<TupleLike>, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Uint8Array[] {
  const enc = new BatchEncoder(maxFrameBytes);
  const frames: Uint8Array[] = [];
  for (const t of tuples) {
    if (!enc.add(t)) {
      frames.push(enc.finish());
      enc.add(t);
    }
  }
  if (enc.count > 0) frames.push(enc.finish());
  return frames;
}

/**
 * Decodes a `tuples` payload (kind byte included). Every index, count and length is checked
 * against the bytes actually present before it is used.
 * @throws MalformedFrameError
 */
export function decodeTuplesPayload(payload: Uint8Array): DecodedTuple[] {
  const head = new ByteReader(payload, 1);
  const count = head.u32('tuple count');
  const namesOffset = head.u32('names offset');
  if (namesOffset < TUPLES_HEADER_BYTES || namesOffset > payload.length) {
    throw new MalformedFrameError(`names offset ${namesOffset} outside the frame (${payload.length} bytes)`);
  }
  if (count > (namesOffset - TUPLES_HEADER_BYTES) / RECORD_FIXED_BYTES) {
    throw new MalformedFrameError(`tuple count ${count} does not fit in ${namesOffset - TUPLES_HEADER_BYTES} bytes of records`);
  }
  const names = readNames(new ByteReader(payload, namesOffset));
  const r = new ByteReader(payload.subarray(0, namesOffset), TUPLES_HEADER_BYTES);
  const out: DecodedTuple[] = [];
  for (let i = 0; i < count; i++) out.push(readRecord(r, names));
  r.end('the last tuple record');
  return out;
}

function readNames(r: ByteReader): string[] {
  const n = r.u16('name count');
  const names: string[] = [];
  for (let i = 0; i < n; i++) names.push(r.shortString('name'));
  r.end('the names table');
  return names;
}

function readRecord(r: ByteReader, names: readonly string[]): DecodedTuple {
  const destTask = r.u32('destTask');
  const sourceTask = r.i32('sourceTask');
  const sourceComponent = nameAt(names, r.u16('component index'));
  const sourceStreamId = nameAt(names, r.u16('stream index'));
  const anchorField = r.u16('anchor count');
  let anchors: number[] | null = null;
  if (anchorField > 0) {
    const n = anchorField - 1;
    anchors = new Array<number>(n * 3);
    for (let k = 0; k < n; k++) {
      const hi = r.u32('anchor root');
      if (hi > MAX_ROOT_HI) throw new MalformedFrameError(`anchor root id beyond 2^53 (high word ${hi})`);
      anchors[k * 3] = hi * TWO_32 + r.u32('anchor root');
      anchors[k * 3 + 1] = r.u32('anchor edge');
      anchors[k * 3 + 2] = r.u32('anchor edge');
    }
  }
  const values = unpackValues(r.slice(r.u32('values length'), 'values'));
  return { destTask, sourceComponent, sourceStreamId, sourceTask, values, anchors };
}

function nameAt(names: readonly string[], i: number): string {
  const name = names[i];
  if (name === undefined) throw new MalformedFrameError(`name index ${i} out of range (${names.length} names)`);
  return name;
}

function nameBytes(name: string): number {
  const n = utf8Length(name);
  if (n > MAX_SHORT_STRING_BYTES) throw new SerializationError(`component or stream name of ${n} bytes is too long for the wire`);
  return 2 + n;
}

function checkIds(t: TupleLike): void {
  const d = t.destTask;
  const s = t.sourceTask;
  if (!Number.isInteger(d) || d < 0 || d > MAX_U32) throw new SerializationError(`destination task ${d} is not a u32 task id`);
  if (!Number.isInteger(s) || s < -0x80000000 || s > 0x7fffffff) throw new SerializationError(`source task ${s} is not an i32 task id`);
}

function checkAnchors(anchors: readonly number[]): number {
  const triples = anchors.length / 3;
  if (!Number.isInteger(triples) || triples > MAX_ANCHOR_TRIPLES) {
    throw new SerializationError(`anchors must be at most ${MAX_ANCHOR_TRIPLES} [root, edgeHi, edgeLo] triples, got ${anchors.length} numbers`);
  }
  for (let i = 0; i < anchors.length; i += 3) {
    const root = anchors[i]!;
    if (!Number.isSafeInteger(root) || root < 0) throw new SerializationError(`anchor root id ${root} is not a non-negative safe integer`);
  }
  return triples;
}

function writeAnchors(w: ByteWriter, anchors: readonly number[]): void {
  for (let i = 0; i < anchors.length; i += 3) {
    const root = anchors[i]!;
    w.u32(Math.floor(root / TWO_32));
    w.u32(root >>> 0);
    w.u32(anchors[i + 1]!);
    w.u32(anchors[i + 2]!);
  }
}

function tooLarge(payload: number, limit: number): SerializationError {
  return new SerializationError(`one tuple needs a ${payload}-byte frame, over the limit of ${limit} bytes`, {
    hint: 'emit smaller values (store large blobs elsewhere and pass a reference), or raise the frame limit on every worker',
  });
}
