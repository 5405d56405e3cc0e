/**
 * 64- and 32-bit integers at the wire boundary. The loader decodes uint64 as decimal strings
 * (load.ts); the typed API uses numbers, which are exact up to 2^53 − 1 (`Number.MAX_SAFE_INTEGER`,
 * about 9·10^15: 285 years of a counter growing a million a second). A larger value is refused
 * with {@link WireValueError} rather than rounded, so a counter is either exact or an error.
 */
import { SquallError, UsageError } from '../common/errors.js';

/** The largest uint64 the typed API carries: 2^53 − 1. */
export const MAX_U64_NUMBER = Number.MAX_SAFE_INTEGER;
/** The largest uint32. */
export const MAX_U32 = 0xffff_ffff;

/**
 * Thrown when a decoded message holds a value the typed API cannot represent (a uint64 over
 * 2^53 − 1, an unknown enum value, a config value that is not JSON). Code `E_RPC_BAD_MESSAGE`;
 * a server answers INVALID_ARGUMENT.
 */
export class WireValueError extends SquallError {
  /** The field's path in the message, e.g. `workers[0].components[1].emitted`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super('E_RPC_BAD_MESSAGE', `${field}: ${message}`);
    this.field = field;
  }
}

/** A decoded uint64 (decimal string, or a number from a JS peer) as an exact number. */
export function u64FromWire(value: string | number | undefined, field: string): number {
  if (value === undefined || value === '') return 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new WireValueError(field, `expected an unsigned integer, got ${JSON.stringify(value)}`);
  if (n > MAX_U64_NUMBER) {
    throw new WireValueError(field, `${String(value)} is larger than ${MAX_U64_NUMBER}, the largest integer Squall carries exactly`);
  }
  return n;
}

/**
 * A number for a uint64 field, checked: a negative or fractional value would otherwise be
 * encoded as something else entirely.
 * @throws {UsageError} naming the field.
 */
export function u64ToWire(value: number, field: string): string {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new UsageError(`${field} must be an integer from 0 to ${MAX_U64_NUMBER}, got ${String(value)}`);
  }
  return String(value);
}

/**
 * A number for a uint32 field, checked (protobuf would wrap -1 to 4294967295).
 * @throws {UsageError} naming the field.
 */
export function u32ToWire(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
    throw new UsageError(`${field} must be an integer from 0 to ${MAX_U32}, got ${String(value)}`);
  }
  return value;
}

/** Like {@link u32ToWire} for an optional field: undefined stays absent on the wire. */
export function optionalU32ToWire(value: number | undefined, field: string): number | undefined {
  return value === undefined ? undefined : u32ToWire(value, field);
}

/**
 * A number for a double field; NaN and infinities are refused (JSON and the UI cannot show them).
 * @throws {UsageError} naming the field.
 */
export function doubleToWire(value: number, field: string): number {
  if (!Number.isFinite(value)) throw new UsageError(`${field} must be a finite number, got ${String(value)}`);
  return value;
}
