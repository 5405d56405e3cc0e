/**
 * Pure multilang codecs and message types: no I/O, no `node:` imports. Hosts in `src/hosts/`
 * feed child stdout chunks to a decoder and write encoded messages to child stdin.
 */
export { createCodec } from './codec.js';
export { encodeJsonFrame, JsonFrameDecoder, JSON_FRAME_TERMINATOR } from './json-codec.js';
export { encodeNdjson, NdjsonDecoder } from './ndjson-codec.js';
export { encodeMsgpack, MsgpackDecoder } from './msgpack-codec.js';
export { encodeJsonBatch, isTaskIdsFrame, makeBatch, unbatch } from './batch.js';
export { parseJsonText, stringifyJson } from './json-text.js';
export {
  DEFAULT_STREAM, HEARTBEAT_STREAM, TICK_STREAM, SYSTEM_COMPONENT, SYSTEM_TASK_ID,
  boltTuple, handshakeMessage, heartbeatTuple, isHeartbeatTuple, isTickTuple, parseChildMessage, spoutCommand, tickTuple,
} from './messages.js';
export { FrameTooLargeError, InvalidJsonError, ProtocolError, SerializerMismatchError, MAX_EXCERPT_CHARS, makeExcerpt } from './errors.js';
export { DEFAULT_MAX_DEPTH, DEFAULT_MAX_FRAME_BYTES, compileDecoderOptions } from './limits.js';

export type { CodecOptions, MultilangCodec, SerializerKind } from './codec.js';
export type { DecoderOptions, MultilangDecoder } from './limits.js';
export type {
  AckFailCommand, BoltTupleMessage, ChildCommand, ChildMessage, EmitCommand, ErrorCommand, GroupingJson, HandshakeContext,
  HandshakeMessage, HeartbeatTupleMessage, LogCommand, LogLevel, MessageId, MetricsCommand, ParentMessage, ParseChildOptions, PidReply,
  SpoutCommandMessage, SpoutCommandName, SyncCommand, TaskIdsMessage, TickTupleMessage, UnknownCommand,
} from './messages.js';
