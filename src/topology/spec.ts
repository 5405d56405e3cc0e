/**
 * The topology model: what a topology definition (native YAML/JSON, Flux, Python DSL) turns
 * into after parsing and validation. Plain data, no I/O; compile() turns it into a Plan.
 */

/** A position in a source file, 1-based, for error messages. */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

export const DEFAULT_STREAM = 'default';

export type GroupingSpec =
  | { type: 'shuffle' }
  | { type: 'fields'; fields: string[] }
  | { type: 'partial_key'; fields: string[] }
  | { type: 'all' }
  | { type: 'global' }
  | { type: 'none' }
  | { type: 'direct' }
  | { type: 'local_or_shuffle' };

export type GroupingType = GroupingSpec['type'];

export const GROUPING_TYPES: readonly GroupingType[] = [
  'shuffle', 'fields', 'partial_key', 'all', 'global', 'none', 'direct', 'local_or_shuffle',
];

/** How a component's code runs. */
export type ComponentImpl =
  /** In-process JavaScript: `module` is an absolute path or a package name, `export` a class. */
  | { kind: 'js'; module: string; export: string; args: unknown[] }
  /** A subprocess speaking Storm's multilang protocol (issue 3). */
  | { kind: 'shell'; command: string[]; cwd?: string; env?: Record<string, string> }
  /** A gRPC component service (issue 5). */
  | { kind: 'grpc'; command?: string[]; address?: string };

export interface StreamSpec {
  id: string;
  fields: string[];
  direct: boolean;
  pos?: SourcePos;
}

export interface InputSpec {
  from: string;
  stream: string;
  grouping: GroupingSpec;
  pos?: SourcePos;
}

export interface ComponentSpec {
  id: string;
  kind: 'spout' | 'bolt';
  impl: ComponentImpl;
  outputs: StreamSpec[];
  /** Empty for spouts. */
  inputs: InputSpec[];
  /** Initial number of executors (Storm's parallelism hint). */
  parallelism: number;
  /** Number of tasks; fixed for the topology's life. Defaults to parallelism. */
  numTasks: number;
  /** Per-component config; overrides topology config for this component's tasks. */
  config: Record<string, unknown>;
  pos?: SourcePos;
}

export interface TopologySpec {
  name: string;
  /** Topology config, Storm key names; defaults are applied at compile time. */
  config: Record<string, unknown>;
  spouts: ComponentSpec[];
  bolts: ComponentSpec[];
  /** The file the spec came from (absolute), if any; resources resolve relative to its directory. */
  source?: string;
}

/** Names: letters, digits, '_', '-', '.', starting with a letter or digit; at most 128 long. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Storm reserves ids starting with "__" for system components and streams. */
export function isSystemId(id: string): boolean {
  return id.startsWith('__');
}
