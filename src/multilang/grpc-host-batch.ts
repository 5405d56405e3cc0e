/**
 * Host → component over gRPC: the parent messages a task sends (handshake, bolt tuples
 * including ticks and heartbeats, spout commands, task-id replies) ⇄ HostBatch.
 *
 * A component handles the parts of one HostBatch in this order: handshake, task_ids, tuples,
 * commands. The encoder keeps the order of the messages it is given by starting a new batch
 * whenever a message would otherwise be handled before one queued earlier.
 */
import { ProtocolError } from './errors.js';
import { DEFAULT_MAX_DEPTH } from './limits.js';
import { parseJsonText, stringifyJson } from './json-text.js';
import type { BoltTupleMessage, HandshakeMessage, MessageId, ParentMessage, SpoutCommandMessage, SpoutCommandName } from './messages.js';
import { utf8Length } from '../common/text.js';
import { BATCH_OVERHEAD_BYTES, FIELD_OVERHEAD_BYTES, stringField, type HostBatchWire, type TupleBatchWire } from './grpc-wire.js';

/** A message that cannot travel: alone it is larger than the limit. */
export interface RejectedMessage {
  message: BoltTupleMessage;
  bytes: number;
}

export interface EncodedHostBatches {
  batches: HostBatchWire[];
  rejected: RejectedMessage[];
}

const RANK_TASK_IDS = 0;
const RANK_TUPLES = 1;
const RANK_COMMANDS = 2;

/**
 * Packs `msgs` into as few HostBatches as the limit allows, in order. A bolt tuple that alone
 * exceeds the limit is returned in `rejected` instead (the host fails it; the stream lives on).
 * @throws TypeError for a value that is not a parent message, or tuple values with no JSON form.
 */
export function encodeHostBatches(msgs: readonly unknown[], maxMessageBytes: number): EncodedHostBatches {
  const out: EncodedHostBatches = { batches: [], rejected: [] };
  const room = maxMessageBytes - BATCH_OVERHEAD_BYTES;
  let b = new HostBatchBuilder();
  const flush = (): void => {
    if (!b.empty) out.batches.push(b.finish());
    b = new HostBatchBuilder();
  };
  for (const msg of msgs) {
    if (isHandshake(msg)) {
      flush();
      out.batches.push({ handshake: { confJson: stringifyJson(msg.conf), contextJson: stringifyJson(msg.context), maxMessageBytes } });
      continue;
    }
    const item = b.measure(msg);
    if (item.rank === RANK_TUPLES && item.bytes > room) {
      out.rejected.push({ message: msg as BoltTupleMessage, bytes: item.bytes });
      continue;
    }
    if (item.rank < b.rank || b.bytes + item.bytes > room) flush();
    b.add(item);
  }
  flush();
  return out;
}

interface Measured {
  rank: number;
  bytes: number;
  add(b: HostBatchBuilder): void;
}

class HostBatchBuilder {
  rank = RANK_TASK_IDS;
  bytes = 0;
  empty = true;
  readonly taskIds: number[][] = [];
  readonly tuples: TupleBatchWire = { ids: [], components: [], streams: [], tasks: [], valuesJson: '' };
  readonly values: string[] = [];
  readonly commands: Array<{ name: string; idJson: string }> = [];

  measure(msg: unknown): Measured {
    if (Array.isArray(msg)) return taskIdsItem(msg);
    if (isSpoutCommand(msg)) return commandItem(msg);
    if (isBoltTuple(msg)) return tupleItem(msg);
    throw new TypeError(`not a parent message: ${String(msg)}`);
  }

  add(item: Measured): void {
    this.rank = item.rank;
    this.bytes += item.bytes;
    this.empty = false;
    item.add(this);
  }

  finish(): HostBatchWire {
    const out: HostBatchWire = {};
    if (this.taskIds.length > 0) out.taskIds = this.taskIds.map((tasks) => ({ tasks }));
    if (this.values.length > 0) out.tuples = { ...this.tuples, valuesJson: `[${this.values.join(',')}]` };
    if (this.commands.length > 0) out.commands = this.commands;
    return out;
  }
}

function taskIdsItem(tasks: readonly unknown[]): Measured {
  const list = tasks.map(Number);
  return { rank: RANK_TASK_IDS, bytes: FIELD_OVERHEAD_BYTES * (1 + list.length), add: (b) => b.taskIds.push(list) };
}

function commandItem(msg: SpoutCommandMessage): Measured {
  const idJson = msg.id === '' ? '' : stringifyJson(msg.id);
  return {
    rank: RANK_COMMANDS,
    bytes: FIELD_OVERHEAD_BYTES + stringField(msg.command) + stringField(idJson),
    add: (b) => b.commands.push({ name: msg.command, idJson }),
  };
}

function tupleItem(msg: BoltTupleMessage): Measured {
  const values = stringifyJson(msg.tuple);
  const comp = msg.comp ?? '';
  return {
    rank: RANK_TUPLES,
    bytes: stringField(msg.id) + stringField(comp) + stringField(msg.stream) + FIELD_OVERHEAD_BYTES + utf8Length(values) + 1,
    add: (b) => {
      b.tuples.ids.push(msg.id);
      b.tuples.components.push(comp);
      b.tuples.streams.push(msg.stream);
      b.tuples.tasks.push(msg.task);
      b.values.push(values);
    },
  };
}

function isHandshake(msg: unknown): msg is HandshakeMessage {
  return typeof msg === 'object' && msg !== null && 'context' in msg && 'conf' in msg;
}

function isSpoutCommand(msg: unknown): msg is SpoutCommandMessage {
  return typeof msg === 'object' && msg !== null && 'command' in msg;
}

function isBoltTuple(msg: unknown): msg is BoltTupleMessage {
  return typeof msg === 'object' && msg !== null && 'tuple' in msg && 'id' in msg;
}

const COMMANDS: readonly string[] = ['next', 'ack', 'fail', 'activate', 'deactivate'];

/**
 * The messages one HostBatch carries, in the order a component must handle them. The handshake
 * comes back with an empty pidDir (gRPC components have none).
 * @throws ProtocolError for columns of different lengths, bad JSON, or an unknown command.
 */
export function decodeHostBatch(batch: HostBatchWire, maxDepth = DEFAULT_MAX_DEPTH): ParentMessage[] {
  const out: ParentMessage[] = [];
  if (batch.handshake) {
    const h = batch.handshake;
    out.push({ pidDir: '', conf: jsonObject(h.confJson, 'handshake conf', maxDepth), context: jsonObject(h.contextJson, 'handshake context', maxDepth) as never });
  }
  for (const t of batch.taskIds ?? []) out.push([...t.tasks]);
  if (batch.tuples) out.push(...decodeTuples(batch.tuples, maxDepth));
  for (const c of batch.commands ?? []) {
    if (!COMMANDS.includes(c.name)) throw new ProtocolError(`unknown spout command "${c.name}"`);
    const id = c.idJson === '' ? '' : (parseJsonText(c.idJson, maxDepth) as MessageId);
    out.push({ command: c.name as SpoutCommandName, id });
  }
  return out;
}

function decodeTuples(t: TupleBatchWire, maxDepth: number): BoltTupleMessage[] {
  const values = parseJsonText(t.valuesJson || '[]', maxDepth);
  const n = t.ids.length;
  if (!Array.isArray(values) || values.length !== n || t.components.length !== n || t.streams.length !== n || t.tasks.length !== n) {
    throw new ProtocolError(`tuple batch columns differ in length (${n} ids)`);
  }
  const out: BoltTupleMessage[] = [];
  for (let i = 0; i < n; i++) {
    const tuple = values[i] as unknown;
    if (!Array.isArray(tuple)) throw new ProtocolError(`tuple ${t.ids[i]}: values must be a JSON array`);
    out.push({ id: t.ids[i]!, comp: t.components[i] || null, stream: t.streams[i]!, task: t.tasks[i]!, tuple });
  }
  return out;
}

function jsonObject(text: string, what: string, maxDepth: number): Record<string, unknown> {
  const v = parseJsonText(text || '{}', maxDepth);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolError(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}
