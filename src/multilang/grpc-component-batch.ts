/**
 * Component → host over gRPC: ComponentBatch ⇄ the normalised child messages tasks handle
 * (src/multilang/messages.ts), in the order component.proto's header defines: ready, then
 * logs, errors and metrics, then emits in order, then acks and fails, then syncs.
 *
 * The encoder (used by component SDKs) keeps the order it is given by starting a new batch
 * when a message would otherwise be handled before one queued earlier; log, error and metrics
 * entries have no ordering duty and join whatever batch is open.
 */
import { textOf, utf8Length } from '../common/text.js';
import { ProtocolError } from './errors.js';
import { DEFAULT_MAX_DEPTH } from './limits.js';
import { parseJsonText, stringifyJson } from './json-text.js';
import { DEFAULT_STREAM, STORM_LOG_LEVELS, type ChildMessage, type EmitCommand } from './messages.js';
import {
  BATCH_OVERHEAD_BYTES, FIELD_OVERHEAD_BYTES, stringField, type ComponentBatchWire, type EmitBatchWire,
} from './grpc-wire.js';

/** More syncs than this in one batch is not a component speaking the protocol. */
const MAX_SYNCS_PER_BATCH = 1_000_000;

const RANK_ANY = -1;
const RANK_EMITS = 1;
const RANK_ACKS = 2;
const RANK_SYNCS = 3;

/**
 * Packs child messages into ComponentBatches of at most `maxMessageBytes` where possible; a
 * single message larger than that still goes out alone (the host then rejects the batch with
 * RESOURCE_EXHAUSTED and says which limit to raise). Unknown commands are dropped.
 */
export function encodeComponentBatches(msgs: readonly ChildMessage[], maxMessageBytes: number): ComponentBatchWire[] {
  const out: ComponentBatchWire[] = [];
  const room = maxMessageBytes - BATCH_OVERHEAD_BYTES;
  let b = new ComponentBatchBuilder();
  const flush = (): void => {
    if (!b.empty) out.push(b.finish());
    b = new ComponentBatchBuilder();
  };
  for (const msg of msgs) {
    if (msg.command === 'unknown') continue;
    if (msg.command === 'pid') flush();
    const rank = rankOf(msg);
    const bytes = sizeOf(msg);
    if ((rank !== RANK_ANY && rank < b.rank) || b.bytes + bytes > room) flush();
    b.add(msg, rank, bytes);
  }
  flush();
  return out;
}

function rankOf(msg: ChildMessage): number {
  switch (msg.command) {
    case 'emit': return RANK_EMITS;
    case 'ack':
    case 'fail': return RANK_ACKS;
    case 'sync': return RANK_SYNCS;
    default: return RANK_ANY;
  }
}

function sizeOf(msg: ChildMessage): number {
  switch (msg.command) {
    case 'emit': {
      const id = msg.id === undefined ? 4 : utf8Length(stringifyJson(msg.id));
      const anchors = msg.anchors.reduce((n, a) => n + stringField(a), 0);
      return stringField(msg.stream) + utf8Length(stringifyJson(msg.tuple)) + 1 + anchors + id + 1 + 3 * FIELD_OVERHEAD_BYTES;
    }
    case 'ack':
    case 'fail': return stringField(textOf(msg.id));
    case 'log':
    case 'error': return stringField(msg.msg) + 2 * FIELD_OVERHEAD_BYTES;
    case 'metrics': return stringField(msg.name) + stringField(stringifyJson(msg.params)) + FIELD_OVERHEAD_BYTES;
    case 'pid': return msg.extensions.reduce((n, e) => n + stringField(e), 2 * FIELD_OVERHEAD_BYTES);
    default: return 1;
  }
}

class ComponentBatchBuilder {
  rank = 0;
  bytes = 0;
  empty = true;
  private readonly batch: ComponentBatchWire = {};
  private readonly emits: EmitCommand[] = [];

  add(msg: ChildMessage, rank: number, bytes: number): void {
    if (rank !== RANK_ANY) this.rank = rank;
    this.bytes += bytes;
    this.empty = false;
    const b = this.batch;
    switch (msg.command) {
      case 'pid': b.ready = { pid: msg.pid, extensions: [...msg.extensions] }; return;
      case 'emit': this.emits.push(msg); return;
      // Tuple ids are the strings the host sent; textOf keeps any other id a component echoes readable.
      case 'ack': (b.acks ??= []).push(textOf(msg.id)); return;
      case 'fail': (b.fails ??= []).push(textOf(msg.id)); return;
      case 'sync': b.syncs = (b.syncs ?? 0) + 1; return;
      case 'log': (b.logs ??= []).push({ msg: msg.msg, level: STORM_LOG_LEVELS.indexOf(msg.level) }); return;
      case 'error': (b.errors ??= []).push({ msg: msg.msg }); return;
      case 'metrics': (b.metrics ??= []).push({ name: msg.name, paramsJson: stringifyJson(msg.params) }); return;
    }
  }

  finish(): ComponentBatchWire {
    if (this.emits.length > 0) this.batch.emits = emitColumns(this.emits);
    return this.batch;
  }
}

/** Optional columns are sent only when some emit needs them (component.proto: empty = none). */
function emitColumns(emits: readonly EmitCommand[]): EmitBatchWire {
  const anyId = emits.some((e) => e.id !== undefined);
  const anyDirect = emits.some((e) => e.directTask !== undefined);
  const anyNeed = emits.some((e) => e.needTaskIds);
  return {
    streams: emits.map((e) => (e.stream === DEFAULT_STREAM ? '' : e.stream)),
    valuesJson: `[${emits.map((e) => stringifyJson(e.tuple)).join(',')}]`,
    anchorCounts: emits.some((e) => e.anchors.length > 0) ? emits.map((e) => e.anchors.length) : [],
    anchors: emits.flatMap((e) => e.anchors),
    messageIdsJson: anyId ? `[${emits.map((e) => (e.id === undefined ? 'null' : stringifyJson(e.id))).join(',')}]` : '',
    directTasks: anyDirect ? emits.map((e) => e.directTask ?? -1) : [],
    needTaskIds: anyNeed ? emits.map((e) => e.needTaskIds) : [],
  };
}

/**
 * The child messages one ComponentBatch carries, in the order the host must handle them.
 * @throws ProtocolError for columns of different lengths, bad JSON or an absurd sync count.
 */
export function decodeComponentBatch(batch: ComponentBatchWire, maxDepth = DEFAULT_MAX_DEPTH): ChildMessage[] {
  const out: ChildMessage[] = [];
  if (batch.ready) out.push({ command: 'pid', pid: batch.ready.pid, extensions: [...batch.ready.extensions] });
  for (const l of batch.logs ?? []) out.push({ command: 'log', msg: l.msg, level: STORM_LOG_LEVELS[l.level] ?? 'info' });
  for (const e of batch.errors ?? []) out.push({ command: 'error', msg: e.msg });
  for (const m of batch.metrics ?? []) out.push({ command: 'metrics', name: m.name, params: m.paramsJson ? parseJsonText(m.paramsJson, maxDepth) : null });
  if (batch.emits) out.push(...decodeEmits(batch.emits, maxDepth));
  for (const id of batch.acks ?? []) out.push({ command: 'ack', id });
  for (const id of batch.fails ?? []) out.push({ command: 'fail', id });
  const syncs = batch.syncs ?? 0;
  if (syncs > MAX_SYNCS_PER_BATCH) throw new ProtocolError(`a batch claims ${syncs} syncs`);
  for (let i = 0; i < syncs; i++) out.push({ command: 'sync' });
  return out;
}

function decodeEmits(e: EmitBatchWire, maxDepth: number): EmitCommand[] {
  const n = e.streams.length;
  const values = parseJsonText(e.valuesJson || '[]', maxDepth);
  const ids = e.messageIdsJson ? parseJsonText(e.messageIdsJson, maxDepth) : undefined;
  const sameLength = (list: readonly unknown[]): boolean => list.length === 0 || list.length === n;
  if (!Array.isArray(values) || values.length !== n || (ids !== undefined && (!Array.isArray(ids) || ids.length !== n))
    || !sameLength(e.anchorCounts) || !sameLength(e.directTasks) || !sameLength(e.needTaskIds)) {
    throw new ProtocolError(`emit batch columns differ in length (${n} streams)`);
  }
  const totalAnchors = e.anchorCounts.reduce((a, c) => a + c, 0);
  if (totalAnchors !== e.anchors.length) throw new ProtocolError(`emit batch: anchor counts add up to ${totalAnchors}, but ${e.anchors.length} anchors were sent`);
  const out: EmitCommand[] = [];
  let a = 0;
  for (let i = 0; i < n; i++) {
    const tuple = values[i] as unknown;
    if (!Array.isArray(tuple)) throw new ProtocolError(`emit ${i}: values must be a JSON array`);
    const count = e.anchorCounts[i] ?? 0;
    const dt = e.directTasks[i] ?? -1;
    const directTask = dt > 0 ? dt : undefined;
    out.push({
      command: 'emit',
      tuple,
      stream: e.streams[i] || DEFAULT_STREAM,
      anchors: e.anchors.slice(a, a + count),
      directTask,
      needTaskIds: (e.needTaskIds[i] ?? false) && directTask === undefined,
      id: (ids as unknown[] | undefined)?.[i] ?? undefined,
    });
    a += count;
  }
  return out;
}
