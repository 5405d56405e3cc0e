/**
 * The multilang protocol's messages (docs: shared/design/MULTILANG-PROTOCOL.md).
 *
 * Parent → child messages are typed in their exact wire shape, with builders that fix the key
 * order (our golden transcripts compare bytes). Child → parent messages arrive in many dialects
 * (storm.py, pystorm, storm.rb, storm.js, Petrel), so {@link parseChildMessage} validates a
 * decoded frame and normalises it into one clean discriminated union.
 */
import { textOf } from '../common/text.js';
import { ProtocolError } from './errors.js';
import { stringifyJson } from './json-text.js';

/** Stream used when an emit names none. */
export const DEFAULT_STREAM = 'default';
/** Stream of the parent's liveness probes; the child must answer `sync`. */
export const HEARTBEAT_STREAM = '__heartbeat';
/** Stream of tick tuples (`topology.tick.tuple.freq.secs`). */
export const TICK_STREAM = '__tick';
/** Component id that tick tuples come from. */
export const SYSTEM_COMPONENT = '__system';
/** Task id carried by heartbeat and tick tuples. */
export const SYSTEM_TASK_ID = -1;

/**
 * A spout message id: whatever the child emitted (string, number, object, list…), echoed back
 * verbatim in `ack`/`fail`. Integers beyond 2^53 are `bigint` so they keep every digit.
 */
export type MessageId = string | number | bigint | boolean | object;

// ---------------------------------------------------------------------------------------------
// Parent → child

/** A grouping as it appears in the handshake context. */
export interface GroupingJson {
  type: string;
  fields?: string[];
}

/** The `context` of the handshake (Storm's `TopologyContext.toJSONString`); extra keys allowed. */
export interface HandshakeContext {
  taskid: number;
  componentid: string;
  'task->component': Record<string, string>;
  streams: string[];
  'stream->outputfields': Record<string, string[]>;
  'stream->target->grouping': Record<string, Record<string, GroupingJson>>;
  'source->stream->grouping': Record<string, Record<string, GroupingJson>>;
  'source->stream->fields': Record<string, Record<string, string[]>>;
  [extra: string]: unknown;
}

/** The first message to a child. */
export interface HandshakeMessage {
  pidDir: string;
  conf: Record<string, unknown>;
  context: HandshakeContext;
}

/** An input tuple for a bolt. `id` is always a string (so no child ever sees a >2^53 number). */
export interface BoltTupleMessage {
  id: string;
  /** Source component; null on heartbeats. */
  comp: string | null;
  stream: string;
  task: number;
  tuple: unknown[];
}

/** The bolt liveness probe; never registered as pending, never acked. */
export interface HeartbeatTupleMessage extends BoltTupleMessage {
  comp: null;
  stream: typeof HEARTBEAT_STREAM;
  task: typeof SYSTEM_TASK_ID;
  tuple: [];
}

/** A tick tuple: an ordinary, ackable input whose only value is the tick frequency. */
export interface TickTupleMessage extends BoltTupleMessage {
  comp: typeof SYSTEM_COMPONENT;
  stream: typeof TICK_STREAM;
  task: typeof SYSTEM_TASK_ID;
  tuple: [number];
}

/** Reply to an emit with `need_task_ids`: the tasks the tuple went to. */
export type TaskIdsMessage = number[];

export type SpoutCommandName = 'next' | 'ack' | 'fail' | 'activate' | 'deactivate';

/** A spout command; `id` is "" for next/activate/deactivate, the message id for ack/fail. */
export interface SpoutCommandMessage {
  command: SpoutCommandName;
  id: MessageId;
}

/** Everything a parent sends. */
export type ParentMessage = HandshakeMessage | BoltTupleMessage | TaskIdsMessage | SpoutCommandMessage;

/** Builds the handshake (keys in Storm's order). */
export function handshakeMessage(pidDir: string, conf: Record<string, unknown>, context: HandshakeContext): HandshakeMessage {
  return { pidDir, conf, context };
}

/** Builds a bolt input tuple with the key order every golden transcript uses. */
export function boltTuple(id: string, comp: string | null, stream: string, task: number, tuple: unknown[]): BoltTupleMessage {
  return { id, comp, stream, task, tuple };
}

/** Builds a heartbeat tuple; `comp` is null as Storm really sends it. */
export function heartbeatTuple(id: string): HeartbeatTupleMessage {
  return { id, comp: null, stream: HEARTBEAT_STREAM, task: SYSTEM_TASK_ID, tuple: [] };
}

/** Builds a tick tuple; all three of comp/stream/task are set because adapters test different ones. */
export function tickTuple(id: string, freqSecs: number): TickTupleMessage {
  return { id, comp: SYSTEM_COMPONENT, stream: TICK_STREAM, task: SYSTEM_TASK_ID, tuple: [freqSecs] };
}

/** Builds a spout command; Storm always sends an `id`, "" when there is none. */
export function spoutCommand(command: SpoutCommandName, id: MessageId = ''): SpoutCommandMessage {
  return { command, id };
}

export function isHeartbeatTuple(m: BoltTupleMessage): m is HeartbeatTupleMessage {
  return m.stream === HEARTBEAT_STREAM && m.task === SYSTEM_TASK_ID;
}

export function isTickTuple(m: BoltTupleMessage): m is TickTupleMessage {
  return m.stream === TICK_STREAM && m.comp === SYSTEM_COMPONENT;
}

// ---------------------------------------------------------------------------------------------
// Child → parent (normalised)

/**
 * The handshake reply `{"pid": n}`; `command` is synthetic (the wire message has none).
 * A Squall-aware child also lists the extensions it accepts:
 * `{"pid": n, "squall": {"extensions": ["batch"]}}` (multilang/EXTENSIONS.md).
 */
export interface PidReply {
  command: 'pid';
  pid: number;
  /** Extensions the child accepts; [] for every Storm adapter. */
  extensions: string[];
}

/** An emit, normalised from every adapter's dialect. */
export interface EmitCommand {
  command: 'emit';
  tuple: unknown[];
  /** Wire `stream`; absent or null → "default". */
  stream: string;
  /** Wire `anchors`, flattened, nulls dropped; a single string becomes a one-element list. */
  anchors: string[];
  /** Wire `task` when non-zero: the target of a direct emit; absent, null or 0 → undefined. */
  directTask: number | undefined;
  /**
   * Wire `need_task_ids` (absent or null → true, or the `needTaskIdsDefault` option), forced to
   * false for direct emits, for which Storm never sends task ids and no adapter reads them.
   */
  needTaskIds: boolean;
  /** Spout message id; absent or null → undefined (unreliable emit). Ignored for bolts. */
  id: MessageId | undefined;
}

/** Ack or fail of an input tuple id (bolts; ids are the exact strings we sent). */
export interface AckFailCommand {
  command: 'ack' | 'fail';
  id: MessageId;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface LogCommand {
  command: 'log';
  msg: string;
  /** Storm levels 0-4 or a level name; absent or unknown → "info" (STORM-414). */
  level: LogLevel;
}

export interface ErrorCommand {
  command: 'error';
  msg: string;
}

/** RPC into a parent-side metric registered under `name`. */
export interface MetricsCommand {
  command: 'metrics';
  name: string;
  /** Anything; absent → null (e.g. a count metric then adds 1). */
  params: unknown;
}

export interface SyncCommand {
  command: 'sync';
}

/**
 * A command string we do not know. Storm's bolt ignores these while its spout treats them as
 * fatal, so the decision is the host's.
 */
export interface UnknownCommand {
  command: 'unknown';
  name: string;
  raw: Record<string, unknown>;
}

export type ChildCommand = EmitCommand | AckFailCommand | LogCommand | ErrorCommand | MetricsCommand | SyncCommand | UnknownCommand;

/** Everything a child sends, normalised. */
export type ChildMessage = PidReply | ChildCommand;

/** Options of {@link parseChildMessage}. */
export interface ParseChildOptions {
  /**
   * What an emit without `need_task_ids` (or with null) means. Storm's rule is true; with the
   * `batch` extension active it is false (multilang/EXTENSIONS.md).
   * @default true
   */
  needTaskIdsDefault?: boolean;
}

/**
 * Validates one decoded child frame and normalises it. A frame with a `command` is a command;
 * one without is accepted only as the handshake's pid reply (the host checks the phase).
 *
 * Tolerated (MULTILANG-PROTOCOL.md §3.4, §7): anchors as a single string, with nulls or nested
 * lists; missing/null stream, task, need_task_ids, id, level, msg; task 0; level as int or name.
 * @throws ProtocolError for a non-object, a missing or non-string command, or fields of the
 * wrong type (a non-list tuple, non-string stream or anchor, negative or fractional task, …).
 */
export function parseChildMessage(value: unknown, opts: ParseChildOptions = {}): ChildMessage {
  const msg = asObject(value);
  const command = msg['command'];
  if (command === undefined || command === null) {
    if ('pid' in msg) return parsePidReply(msg);
    throw new ProtocolError('child message has no "command"', { input: msg });
  }
  if (typeof command !== 'string') throw fieldError('message', 'command', 'a string', msg);
  switch (command) {
    case 'emit': return parseEmit(msg, opts.needTaskIdsDefault ?? true);
    case 'ack':
    case 'fail': return { command, id: requireId(msg, command) };
    case 'log': return { command: 'log', msg: asText(msg['msg']), level: normalizeLevel(msg['level']) };
    case 'error': return { command: 'error', msg: asText(msg['msg']) };
    case 'metrics': return parseMetrics(msg);
    case 'sync': return { command: 'sync' };
    default: return { command: 'unknown', name: command, raw: msg };
  }
}

function asObject(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new ProtocolError(`child message must be an object, got ${describe(value)}`, { input: value });
  }
  return value as Record<string, unknown>;
}

function parsePidReply(msg: Record<string, unknown>): PidReply {
  const pid = msg['pid'];
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) throw fieldError('pid reply', 'pid', 'a positive integer', msg);
  return { command: 'pid', pid, extensions: parseExtensions(msg) };
}

function parseExtensions(msg: Record<string, unknown>): string[] {
  const squall = msg['squall'] ?? {};
  if (typeof squall !== 'object' || Array.isArray(squall)) throw fieldError('pid reply', 'squall', 'an object', msg);
  const list = (squall as Record<string, unknown>)['extensions'] ?? [];
  if (!Array.isArray(list) || !list.every((e) => typeof e === 'string')) {
    throw new ProtocolError('pid reply: "squall.extensions" must be a list of strings', { input: msg });
  }
  return list;
}

function parseEmit(msg: Record<string, unknown>, needTaskIdsDefault: boolean): EmitCommand {
  const tuple = msg['tuple'];
  if (!Array.isArray(tuple)) throw fieldError('emit', 'tuple', 'a list', msg);
  const stream = msg['stream'] ?? DEFAULT_STREAM;
  if (typeof stream !== 'string') throw fieldError('emit', 'stream', 'a string', msg);
  const directTask = parseDirectTask(msg);
  const need = msg['need_task_ids'] ?? needTaskIdsDefault;
  if (typeof need !== 'boolean') throw fieldError('emit', 'need_task_ids', 'a boolean', msg);
  return {
    command: 'emit',
    tuple,
    stream,
    anchors: normalizeAnchors(msg),
    directTask,
    needTaskIds: need && directTask === undefined,
    id: msg['id'] ?? undefined,
  };
}

function parseDirectTask(msg: Record<string, unknown>): number | undefined {
  const task = msg['task'] ?? 0;
  if (typeof task !== 'number' || !Number.isSafeInteger(task) || task < 0) throw fieldError('emit', 'task', 'a task id (a non-negative integer)', msg);
  return task === 0 ? undefined : task;
}

/** Flattens anchors: storm.js before STORM-2331 sent `[null]` and `[[id]]`. */
function normalizeAnchors(msg: Record<string, unknown>): string[] {
  const raw = msg['anchors'];
  if (raw === undefined || raw === null) return [];
  if (typeof raw === 'string') return [raw];
  if (!Array.isArray(raw)) throw fieldError('emit', 'anchors', 'a list of tuple ids', msg);
  if (raw.every((a) => typeof a === 'string')) return raw;
  const out: string[] = [];
  const stack: unknown[] = [raw];
  // Iterative so that a deeply nested anchor list cannot overflow the stack.
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') out.push(item);
    else if (Array.isArray(item)) for (let i = item.length - 1; i >= 0; i--) stack.push(item[i]);
    else if (item !== null && item !== undefined) throw fieldError('emit', 'anchors', 'tuple id strings', msg);
  }
  return out;
}

function requireId(msg: Record<string, unknown>, command: string): MessageId {
  const id = msg['id'];
  if (id === undefined || id === null) throw fieldError(command, 'id', 'present', msg);
  return id;
}

function parseMetrics(msg: Record<string, unknown>): MetricsCommand {
  const name = msg['name'];
  if (typeof name !== 'string' || name === '') throw fieldError('metrics', 'name', 'a non-empty string', msg);
  return { command: 'metrics', name, params: msg['params'] ?? null };
}

/** Storm's log levels by number: 0 trace, 1 debug, 2 info, 3 warn, 4 error (also component.proto's). */
export const STORM_LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];
const LEVEL_NAMES = new Map<string, LogLevel>([
  ['trace', 'trace'], ['debug', 'debug'], ['info', 'info'], ['warn', 'warn'], ['warning', 'warn'],
  ['error', 'error'], ['critical', 'error'], ['fatal', 'error'],
]);

/** Storm's 0-4 levels or a name (any case); anything else is INFO, as in Storm. */
function normalizeLevel(raw: unknown): LogLevel {
  if (typeof raw === 'number') return (Number.isInteger(raw) ? STORM_LOG_LEVELS[raw] : undefined) ?? 'info';
  if (typeof raw !== 'string') return 'info';
  const name = raw.trim().toLowerCase();
  if (/^\d$/.test(name)) return STORM_LOG_LEVELS[Number(name)] ?? 'info';
  return LEVEL_NAMES.get(name) ?? 'info';
}

/**
 * Log and error text. More lenient than Storm (which dies on a non-string): these messages are
 * diagnostics, and rejecting them would hide the very error the child tried to report.
 */
function asText(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  if (raw === undefined || raw === null) return '';
  try {
    return stringifyJson(raw);
  } catch {
    return textOf(raw);
  }
}

function fieldError(what: string, field: string, expected: string, msg: Record<string, unknown>): ProtocolError {
  return new ProtocolError(`${what}: "${field}" must be ${expected}, got ${describe(msg[field])}`, { input: msg });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (ArrayBuffer.isView(value)) return 'binary data';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${textOf(value)}`;
}
