/**
 * pystorm's msgpack serializer (`streamparse_run -s msgpack`): every message, the handshake
 * included, is one msgpack value; values are concatenated with no delimiter and no `end`.
 * pystorm reads the handshake through the same serializer, so nothing stays JSON.
 *
 * Type fidelity matters more than in JSON because Python sees int vs float: msgpackr writes
 * integers beyond 32 bits as float64, so we widen them to int64 first; int64 values read back
 * beyond ±2^53 become `bigint` and are written back as int64/uint64.
 */
import { Packr, Unpackr, type Options } from 'msgpackr';
import { BufferedDecoder } from './buffered-decoder.js';
import { ProtocolError, SerializerMismatchError } from './errors.js';
import type { DecoderOptions } from './limits.js';
import { MsgpackScanner, NEED_MORE } from './msgpack-scan.js';

// Standard msgpack only: records/structures are a msgpackr extension no Python reader knows.
// variableMapSize gives fixmap headers for small maps, i.e. the same bytes Python's packb writes.
const packr = new Packr({ useRecords: false, variableMapSize: true, encodeUndefinedAsNil: true });

const UNPACK_OPTIONS: Options = {
  useRecords: false,
  mapsAsObjects: true,
  // 'auto' (numbers up to ±2^53, bigint beyond) exists in msgpackr 1.11+, but its .d.ts lags.
  int64AsType: 'auto' as Options['int64AsType'],
  // Binary values must not pin the whole input chunk in memory.
  copyBuffers: true,
};

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const INT64_MIN_NUMBER = -(2 ** 63);
const UINT64_LIMIT_NUMBER = 2 ** 64;

/**
 * Encodes one message as a msgpack value (maps with str keys, str strings, int/float numbers).
 * @throws RangeError for a bigint outside the 64-bit range msgpack can carry.
 */
export function encodeMsgpack(msg: unknown): Uint8Array {
  return packr.pack(widenIntegers(msg));
}

/**
 * Incremental msgpack decoder. `push` returns every complete top-level value; a value may span
 * any number of chunks. Same failure and limit contract as the JSON decoder.
 */
export class MsgpackDecoder extends BufferedDecoder {
  protected readonly serializer = 'msgpack';
  private readonly scanner: MsgpackScanner;
  private readonly unpackr = new Unpackr(UNPACK_OPTIONS);

  constructor(opts: DecoderOptions = {}) {
    super(opts);
    this.scanner = new MsgpackScanner(this.limits.maxFrameBytes, this.limits.maxDepth);
  }

  finish(): unknown[] {
    this.assertUsable();
    if (this.pending.length > 0) {
      throw this.fail(new ProtocolError('stream ended inside a msgpack value', { input: this.pending.view() }), []);
    }
    return [];
  }

  /** Finds all complete values in `buf`, decodes them in one msgpackr call, keeps the rest. */
  protected drain(buf: Uint8Array, out: unknown[], fromChunk: boolean): void {
    const end = buf.length;
    let complete = 0;
    try {
      for (;;) {
        if (this.scanner.atValueStart && this.scanner.pos < end) checkValueStart(buf, this.scanner.pos, end);
        const valueEnd = this.scanner.next(buf, end);
        if (valueEnd === NEED_MORE) break;
        complete = valueEnd;
      }
    } catch (err) {
      // Hand over what came before the bad value (e.g. the child's `error` command).
      if (complete > 0) this.decodeRegion(buf.subarray(0, complete), out);
      throw err;
    }
    if (complete > 0) this.decodeRegion(buf.subarray(0, complete), out);
    this.keepRest(buf, complete, fromChunk);
    this.scanner.rebase(complete);
  }

  private decodeRegion(region: Uint8Array, out: unknown[]): void {
    try {
      this.unpackr.unpackMultiple(region, (value: unknown) => {
        out.push(value);
      });
    } catch (err) {
      throw new ProtocolError(`invalid msgpack data (${err instanceof Error ? err.message : String(err)})`, { input: region, cause: err });
    }
  }
}

/**
 * Every protocol message is a map (or an array); a top-level value starting with a printable
 * ASCII byte is text, which msgpack would otherwise read as a stream of small integers.
 */
function checkValueStart(buf: Uint8Array, p: number, end: number): void {
  const b = buf[p]!;
  if (b > 0x7e || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) return;
  const input = buf.subarray(p, Math.min(end, p + 200));
  if (b === 0x7b || b === 0x5b) {
    throw new SerializerMismatchError('msgpack', `json (text starting with "${String.fromCharCode(b)}")`, { input });
  }
  throw new ProtocolError('the child wrote text to its msgpack stdout', {
    input,
    hint: 'a multilang child must write only protocol messages to stdout; log through the adapter instead of print()',
  });
}

/**
 * Returns `value` with integer-valued numbers that need more than 32 bits (and fit 64) turned
 * into `bigint` and lone surrogates in strings replaced, copying only the containers that change. Without this msgpackr writes them as
 * float64 and a Python child would receive 1712345678901.0 for a millisecond timestamp; JSON
 * writes them as integers too, so both serializers agree.
 */
function widenIntegers(value: unknown): unknown {
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) && (value > 0xffffffff || value < -0x80000000) && value >= INT64_MIN_NUMBER && value < UINT64_LIMIT_NUMBER
        ? BigInt(value)
        : value;
    case 'string':
      return toWellFormed(value);
    case 'bigint':
      if (value < INT64_MIN || value > UINT64_MAX) throw new RangeError(`integer ${value} does not fit in msgpack's 64-bit integers`);
      return value;
    case 'object':
      if (Array.isArray(value)) return widenArray(value);
      return value !== null && isPlainObject(value) ? widenObject(value) : value;
    default:
      return value;
  }
}

function widenArray(arr: unknown[]): unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    const w = widenIntegers(v);
    if (copy === undefined && w !== v) copy = arr.slice(0, i);
    if (copy !== undefined) copy.push(w);
  }
  return copy ?? arr;
}

function widenObject(obj: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    const v = obj[key];
    const w = widenIntegers(v);
    if (w !== v) {
      copy ??= { ...obj };
      // Assigning "__proto__" would change the prototype instead of the property.
      Object.defineProperty(copy, key, { value: w, writable: true, enumerable: true, configurable: true });
    }
  }
  return copy ?? obj;
}

/** ES2024 string methods (Node ≥ 20); our tsconfig's lib is ES2023. */
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * msgpack strings are UTF-8, which cannot hold a lone surrogate (JSON can, as "\udc00");
 * msgpackr would write invalid UTF-8 that Python's unpacker rejects, so use U+FFFD instead.
 */
function toWellFormed(s: string): string {
  const w = s as unknown as WellFormedString;
  return w.isWellFormed() ? s : w.toWellFormed();
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
