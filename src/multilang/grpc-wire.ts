/**
 * The messages of proto/squall/v1/component.proto as @grpc/proto-loader presents them (fields
 * lowerCamelCase, see src/rpc/load.ts), plus the size arithmetic the batch codecs use to keep
 * every batch under the agreed limit. Pure: no I/O, no protobuf library.
 */
import { utf8Length } from '../common/text.js';

export interface HandshakeWire {
  confJson: string;
  contextJson: string;
  maxMessageBytes: number;
}

export interface TupleBatchWire {
  ids: string[];
  components: string[];
  streams: string[];
  tasks: number[];
  valuesJson: string;
}

export interface SpoutCommandWire {
  name: string;
  idJson: string;
}

export interface TaskIdsWire {
  tasks: number[];
}

/** Absent message fields decode as null (`defaults: true`); encoders may leave them out. */
export interface HostBatchWire {
  handshake?: HandshakeWire | null;
  tuples?: TupleBatchWire | null;
  commands?: SpoutCommandWire[];
  taskIds?: TaskIdsWire[];
}

export interface ReadyWire {
  pid: number;
  extensions: string[];
}

export interface EmitBatchWire {
  streams: string[];
  valuesJson: string;
  anchorCounts: number[];
  anchors: string[];
  messageIdsJson: string;
  directTasks: number[];
  needTaskIds: boolean[];
}

export interface LogEntryWire {
  msg: string;
  level: number;
}

export interface MetricWire {
  name: string;
  paramsJson: string;
}

export interface ComponentBatchWire {
  ready?: ReadyWire | null;
  emits?: EmitBatchWire | null;
  acks?: string[];
  fails?: string[];
  syncs?: number;
  logs?: LogEntryWire[];
  errors?: Array<{ msg: string }>;
  metrics?: MetricWire[];
}

/**
 * Bytes a protobuf field may need beyond its payload: a tag and a length varint. Estimates
 * round up, so a batch the codec accepts always fits the limit.
 */
export const FIELD_OVERHEAD_BYTES = 6;
/** Room left in every batch for the enclosing messages' own tags and lengths. */
export const BATCH_OVERHEAD_BYTES = 64;


/** Protobuf cost of one string field. */
export function stringField(s: string): number {
  return utf8Length(s) + FIELD_OVERHEAD_BYTES;
}
