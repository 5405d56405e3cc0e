/**
 * Values in the store are JSON in a versioned envelope, `{"v": 1, ...fields}`, so a later
 * Squall can change a record's shape and still recognise (and refuse, or migrate) old data.
 * Decoding validates every field and names the path and field of the first problem.
 */
import { StateFormatError } from './errors.js';

/** The envelope version this build writes and reads. */
export const RECORD_VERSION = 1;

/** Reads one record's fields with type checks; every failure is a StateFormatError. */
export class RecordReader {
  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly path: string,
    private readonly kind: string,
  ) {}

  str(key: string): string {
    const v = this.obj[key];
    if (typeof v !== 'string') throw this.bad(key, 'a string');
    return v;
  }

  optStr(key: string): string | undefined {
    return this.obj[key] === undefined ? undefined : this.str(key);
  }

  int(key: string): number {
    const v = this.obj[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw this.bad(key, 'an integer');
    return v;
  }

  optInt(key: string): number | undefined {
    return this.obj[key] === undefined ? undefined : this.int(key);
  }

  intArray(key: string): number[] {
    const v = this.obj[key];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isSafeInteger(x))) throw this.bad(key, 'an array of integers');
    return v as number[];
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T {
    const v = this.str(key);
    if (!(values as readonly string[]).includes(v)) throw this.bad(key, `one of ${values.join(', ')}`);
    return v as T;
  }

  /** A map of string → T, each value checked by `check`. */
  map<T>(key: string, check: (v: unknown) => v is T, what: string): Record<string, T> {
    const v = this.obj[key];
    if (!isObject(v) || !Object.values(v).every(check)) throw this.bad(key, `an object of ${what}`);
    return { ...(v as Record<string, T>) };
  }

  /** An array of nested records. */
  records<T>(key: string, read: (r: RecordReader) => T): T[] {
    const v = this.obj[key];
    if (!Array.isArray(v)) throw this.bad(key, 'an array');
    return v.map((item, i) => {
      if (!isObject(item)) throw this.bad(`${key}[${i}]`, 'an object');
      return read(new RecordReader(item, this.path, `${this.kind}.${key}[${i}]`));
    });
  }

  private bad(key: string, expected: string): StateFormatError {
    return new StateFormatError(`${this.kind} at ${this.path}: field "${key}" must be ${expected}`, { path: this.path });
  }
}

/** How one record type is read. */
export interface RecordCodec<T> {
  kind: string;
  read(r: RecordReader): T;
}

/** Serialises a record with the envelope version first. */
export function encodeRecord(value: object): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: RECORD_VERSION, ...value }));
}

/** Parses and validates a record. @throws StateFormatError */
export function decodeRecord<T>(codec: RecordCodec<T>, bytes: Uint8Array, path: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new StateFormatError(`${codec.kind} at ${path} is not valid UTF-8 JSON`, { path, cause: err });
  }
  if (!isObject(parsed)) throw new StateFormatError(`${codec.kind} at ${path} is not a JSON object`, { path });
  if (parsed['v'] !== RECORD_VERSION) {
    throw new StateFormatError(`${codec.kind} at ${path} has envelope version ${JSON.stringify(parsed['v'])}; this Squall reads version ${RECORD_VERSION}`, {
      path, hint: 'all daemons of a cluster must run compatible Squall versions',
    });
  }
  return codec.read(new RecordReader(parsed, path, codec.kind));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
