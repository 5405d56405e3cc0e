/**
 * Flux spouts and bolts (model/VertexDef, a BeanDef with counts and config) and the
 * `components` beans they may refer to. Only the multilang wrappers can run in Squall; any
 * other class is Java code, reported at its definition.
 */
import { isScalar, type Node, type YAMLMap } from 'yaml';
import { readConfig, readId, type ComponentKind } from './native-component.js';
import type { ParsedInput, Subscriber } from './native-inputs.js';
import { readShell } from './flux-shell.js';
import type { ComponentSpec, StreamSpec } from './spec.js';
import { asInt, asMap, asString, at, checkKeys, describeNode, entries, type Entry, type Reporter } from './yaml-nodes.js';

/** A spout or bolt as read from one file; `inputs` are filled once all streams are known. */
export interface FluxVertex extends Subscriber {
  id: string;
  kind: ComponentKind;
  node: YAMLMap;
  idNode: Node;
  /** The reporter of the vertex's file, tagged with its id. */
  rep: Reporter;
  outputs: StreamSpec[];
  badStreams: Set<string>;
  inputs: ParsedInput[];
  /** Unset when it cannot run in Squall (a Java class, no command): that is reported. */
  spec?: ComponentSpec;
}

/** An entry of `components`: a Java object Flux would build for `ref`s. */
export interface FluxBean {
  id: string;
  node: YAMLMap;
  fields: Map<string, Entry>;
  className?: string;
  rep: Reporter;
  /** Read as a Fields object, once, so that its problems are reported once. */
  asFields?: { fields: string[] | undefined };
}

const BEAN_KEYS = ['id', 'className', 'constructorArgs', 'properties', 'configMethods', 'factory', 'factoryArgs'];
const VERTEX_KEYS = [...BEAN_KEYS, 'parallelism', 'numTasks', 'onHeapMemoryLoad', 'offHeapMemoryLoad', 'cpuLoad', 'config'];
/** Resource-aware scheduling hints: valid in Flux, no effect in Squall. */
const RESOURCE_KEYS = ['onHeapMemoryLoad', 'offHeapMemoryLoad', 'cpuLoad'];

const WRAPPERS: Record<ComponentKind, readonly string[]> = {
  spout: ['org.apache.storm.flux.wrappers.spouts.FluxShellSpout', 'FluxShellSpout'],
  bolt: ['org.apache.storm.flux.wrappers.bolts.FluxShellBolt', 'FluxShellBolt'],
};
const SHORT_NAME: Record<ComponentKind, string> = { spout: 'FluxShellSpout', bolt: 'FluxShellBolt' };

export function readVertex(e: Entry, kind: ComponentKind, rep: Reporter, ids: Map<string, Node>): FluxVertex | undefined {
  const map = asMap(e, `each ${kind}`, rep, 'a map with "id" and "className"');
  if (!map) return undefined;
  const f = entries(map, rep);
  const id = readId(f, map, kind, rep, ids);
  const crep = rep.forComponent(id);
  checkKeys(f, VERTEX_KEYS, kind, crep);
  const className = readClassName(f, map, kind, crep);
  const shell = className === undefined ? undefined : readShell(f, map, className, crep);
  const counts = readCounts(f, crep);
  for (const key of RESOURCE_KEYS) checkNumber(f.get(key), crep);
  const config = readConfig(f.get('config'), crep);
  if (id === undefined) return undefined;
  const outputs = shell ? [...shell.outputs.values()] : [];
  // Streams of a Java class are unknown, so subscriptions to it are not checked.
  const vertex: FluxVertex = {
    id, kind, node: map, idNode: at(f.get('id')!), rep: crep,
    outputs, outputsOk: shell?.outputsOk ?? false, badStreams: shell?.badStreams ?? new Set(), inputs: [],
  };
  if (shell?.command) {
    const impl = shell.env ? { kind: 'shell' as const, command: shell.command, env: shell.env } : { kind: 'shell' as const, command: shell.command };
    vertex.spec = {
      id, kind, impl, outputs, inputs: [], ...counts,
      config: { ...Object.fromEntries(shell.config), ...config }, pos: crep.pos(map),
    };
  }
  return vertex;
}

/** The wrapper's short name when the class is the multilang wrapper for `kind`; else reported. */
function readClassName(f: Map<string, Entry>, map: YAMLMap, kind: ComponentKind, rep: Reporter): string | undefined {
  const e = f.get('className');
  const wrapper = WRAPPERS[kind][0]!;
  if (!e) {
    rep.error(map, `${kind} is missing "className"`, `className: ${wrapper} runs a multilang program`);
    return undefined;
  }
  const name = asString(e, '"className"', rep);
  if (name === undefined) return undefined;
  if (WRAPPERS[kind].includes(name)) return SHORT_NAME[kind];
  const other: ComponentKind = kind === 'spout' ? 'bolt' : 'spout';
  if (WRAPPERS[other].includes(name)) {
    rep.error(at(e), `class "${name}" is a ${other}; a ${kind} needs ${SHORT_NAME[kind]}`, `className: ${wrapper}`);
  } else {
    rep.error(at(e), `class "${name}" is a Java class; Squall runs multilang components (FluxShellSpout/FluxShellBolt), JavaScript and gRPC components`,
      `run the logic as a multilang program (className: ${wrapper}, constructorArgs: [[python3, ${kind}.py], [field, ...]]), `
      + 'or port it to JavaScript or gRPC in a native Squall topology');
  }
  return undefined;
}

/**
 * Flux's parallelism (default 1) and numTasks (default: one per executor). Storm runs at most
 * one executor per task, so more executors than tasks is a warning, not an error as natively.
 */
function readCounts(f: Map<string, Entry>, rep: Reporter): { parallelism: number; numTasks: number } {
  const pe = f.get('parallelism');
  const ne = f.get('numTasks');
  const parallelism = (pe && asInt(pe, '"parallelism"', 1, rep)) ?? 1;
  const numTasks = ne && asInt(ne, '"numTasks"', 1, rep);
  if (numTasks === undefined) return { parallelism, numTasks: parallelism };
  if (pe && parallelism > numTasks) {
    rep.warn(at(pe), `parallelism ${parallelism} is greater than numTasks ${numTasks}: Storm runs one executor per task, so ${numTasks} executors run`,
      `lower parallelism to ${numTasks} or raise numTasks to ${parallelism}`);
    return { parallelism: numTasks, numTasks };
  }
  return { parallelism, numTasks };
}

function checkNumber(e: Entry | undefined, rep: Reporter): void {
  if (!e || (isScalar(e.value) && typeof e.value.value === 'number')) return;
  rep.error(at(e), `"${e.key}" must be a number (got ${describeNode(e.value)})`, 'resource hints are accepted and have no effect in Squall');
}

export function readBean(e: Entry, rep: Reporter, ids: Map<string, Node>): FluxBean | undefined {
  const map = asMap(e, 'each component', rep, 'a map with "id" and "className"');
  if (!map) return undefined;
  const f = entries(map, rep);
  const ie = f.get('id');
  if (!ie) rep.error(map, 'component is missing "id"', 'every component needs an id, unique among components');
  const id = ie && asString(ie, '"id"', rep);
  const crep = rep.forComponent(id);
  checkKeys(f, BEAN_KEYS, 'component', crep);
  const ce = f.get('className');
  if (!ce) crep.error(map, 'component is missing "className"');
  const className = ce && asString(ce, '"className"', crep);
  if (id === undefined) return undefined;
  const first = ids.get(id);
  if (first) crep.error(at(ie!), `duplicate component id "${id}" (first defined at line ${rep.pos(first).line})`, 'ids must be unique among components');
  else ids.set(id, at(ie!));
  const bean: FluxBean = { id, node: map, fields: f, rep: crep };
  if (className !== undefined) bean.className = className;
  return bean;
}
