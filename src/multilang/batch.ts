/**
 * Squall's batching extension (offered in the handshake, used only when the child accepts):
 * one frame may carry a top-level array of messages.
 *
 * The array form collides with Storm's own task-ids reply (also a bare array), so the rule is:
 * an array that is empty or starts with a number is a task-ids reply; any other array is a batch,
 * and a task-ids reply inside a batch is a nested array. Messages are objects, so a batch never
 * starts with a number.
 */
import { ProtocolError } from './errors.js';
import { encodeJsonFrame } from './json-codec.js';

/** True if `value` is a task-ids reply by the framing rule (and holds only integers). */
export function isTaskIdsFrame(value: unknown): value is number[] {
  if (!Array.isArray(value)) return false;
  if (value.length > 0 && typeof value[0] !== 'number') return false;
  return value.every((v) => Number.isInteger(v));
}

/**
 * Splits one decoded frame into the messages it carries: a batch gives its elements, anything
 * else (an object, a task-ids reply) is one message.
 * @throws ProtocolError for an array shaped like task ids that holds something other than integers.
 */
export function unbatch(value: unknown): unknown[] {
  if (!Array.isArray(value)) return [value];
  if (value.length === 0 || typeof value[0] === 'number') {
    if (!isTaskIdsFrame(value)) throw new ProtocolError('task-ids reply must hold only integer task ids', { input: value });
    return [value];
  }
  return value;
}

/**
 * Validates `msgs` as a batch and returns the array to encode with any serializer.
 * @throws ProtocolError if the batch is empty or starts with a number, since it would then read
 * back as a task-ids reply.
 */
export function makeBatch(msgs: readonly unknown[]): unknown[] {
  if (msgs.length === 0) throw new ProtocolError('cannot encode an empty batch: [] reads back as a task-ids reply');
  if (typeof msgs[0] === 'number') throw new ProtocolError('a batch cannot start with a number: it would read back as a task-ids reply', { input: msgs });
  return msgs as unknown[];
}

/** Encodes several messages as one Storm JSON frame (a batch). */
export function encodeJsonBatch(msgs: readonly unknown[]): string {
  return encodeJsonFrame(makeBatch(msgs));
}
