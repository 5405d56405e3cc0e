/**
 * Tuple values ↔ bytes, with msgpackr. Both ends are Squall workers (JS), so the aim is exact
 * type fidelity for the value types tuples carry, not compatibility with other msgpack readers:
 *
 * | value                        | wire                                   | read back as          |
 * |------------------------------|----------------------------------------|-----------------------|
 * | string, boolean, null        | str / true / false / nil               | same                  |
 * | number (any, incl. NaN, ±∞)  | fixint / int8..32 / float64            | number (−0 becomes 0) |
 * | bigint within 64 bits        | int64 (0xd3) / uint64 (0xcf)           | bigint                |
 * | bigint beyond 64 bits        | msgpackr bigint extension (ext 0x42)   | bigint                |
 * | Uint8Array / Buffer          | bin                                    | Buffer (a Uint8Array) |
 * | array, plain object          | array / map (str keys)                 | array / plain object  |
 * | undefined                    | msgpackr's undefined ext (d4 00 00)    | undefined             |
 *
 * msgpackr writes every integer-valued `number` beyond 32 bits as float64, so int64 on the
 * wire only ever comes from a bigint; reading int64 as bigint is therefore lossless both ways.
 * Records (msgpackr "structures") stay off: they are per-encoder state, and a frame must decode
 * on any connection. Other typed arrays travel as their raw bytes and come back as a Buffer;
 * Map becomes a plain object; a `__proto__` key is renamed by msgpackr, never assigned.
 */
import { Packr, Unpackr, type Options } from 'msgpackr';
import { SerializationError, asWireError } from './errors.js';

const PACK_OPTIONS: Options = {
  useRecords: false,
  // Same bytes as other msgpack writers for small maps, which keeps the golden test readable.
  variableMapSize: true,
  // Integers from multilang children can exceed 64 bits (Python ints); keep them exact.
  useBigIntExtension: true,
};

const UNPACK_OPTIONS: Options = {
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'bigint',
  // Decoded binary values must not pin the whole received chunk in memory.
  copyBuffers: true,
};

const packr = new Packr(PACK_OPTIONS);
const unpackr = new Unpackr(UNPACK_OPTIONS);

/**
 * Encodes a tuple's values as one msgpack array. The result is a view into msgpackr's scratch
 * buffer: copy it (as the frame encoder does) before the next call.
 * @throws SerializationError when a value cannot be encoded (a symbol, a bigint beyond the
 *   extension's ~1000 bits).
 */
export function packValues(values: readonly unknown[]): Uint8Array {
  try {
    return packr.pack(values);
  } catch (err) {
    throw new SerializationError(`tuple values cannot be serialized: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
      hint: 'emit strings, numbers, booleans, null, bigint, Uint8Array, arrays and plain objects',
    });
  }
}

/**
 * Decodes what {@link packValues} wrote. Accepts exactly one msgpack array filling `bytes`.
 * @throws MalformedFrameError for anything else (truncated, trailing bytes, not an array).
 */
export function unpackValues(bytes: Uint8Array): unknown[] {
  let value: unknown;
  try {
    value = unpackr.unpack(bytes);
  } catch (err) {
    throw asWireError(err, 'tuple values are not valid msgpack');
  }
  if (!Array.isArray(value)) throw asWireError(new Error(`expected an array, got ${typeof value}`), 'tuple values');
  return value;
}
