/**
 * One spout or bolt of a native topology: id, implementation, output streams, counts, config.
 * Readers report each problem and go on with a best-effort value; parseTopology() drops the
 * spec when anything was reported, so those stand-in values never reach a caller.
 */
import path from 'node:path';
import { isSeq, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import { CONFIG_KEYS, validateConfig } from './config-schema.js';
import { readInputs, type ParsedInput } from './native-inputs.js';
import {
  DEFAULT_STREAM, NAME_PATTERN, isSystemId,
  type ComponentImpl, type ComponentSpec, type StreamSpec,
} from './spec.js';
import {
  asBool, asInt, asList, asMap, asString, at, checkKeys, entries, isNull, stringItems, toJS,
  type Entry, type Reporter,
} from './yaml-nodes.js';

export type ComponentKind = 'spout' | 'bolt';

const COMPONENT_KEYS = ['id', 'js', 'shell', 'grpc', 'outputs', 'inputs', 'parallelism', 'numTasks', 'config'];
const IMPL_KEYS = ['js', 'shell', 'grpc'] as const;
const JS_KEYS = ['module', 'export', 'args'];
const GRPC_KEYS = ['command', 'address'];
const STREAM_KEYS = ['fields', 'direct'];

export const NAME_HINT = 'use letters, digits, "_", "-" and ".", starting with a letter or digit, at most 128 characters';
const IMPL_HINT = 'js: {module: ./bolt.js} runs in-process, shell: [python3, bolt.py] runs a multilang '
  + 'subprocess, grpc: {command: [...]} or {address: "host:port"} uses a gRPC component service';
const GRPC_HINT = 'command: [python3, bolt.py] starts the service; address: "host:port" connects to a running one';

export interface ParsedComponent {
  id?: string;
  kind: ComponentKind;
  outputs: StreamSpec[];
  /** False when "outputs" is not a list or map: inputs from this component are then not checked. */
  outputsOk: boolean;
  /** Streams with problems of their own: groupings on them are not checked. */
  badStreams: Set<string>;
  inputs: ParsedInput[];
  /** Unset when the component has no readable implementation. */
  spec?: ComponentSpec;
}

export function readComponent(e: Entry, kind: ComponentKind, rep: Reporter, ids: Map<string, Node>): ParsedComponent | undefined {
  const map = asMap(e, `each ${kind}`, rep, 'a map with "id" and one of "js", "shell", "grpc"');
  if (!map) return undefined;
  const f = entries(map, rep);
  const id = readId(f, map, kind, rep, ids);
  const crep = rep.forComponent(id);
  checkKeys(f, COMPONENT_KEYS, kind, crep);
  const impl = readImpl(f, map, crep);
  const { outputs, outputsOk, badStreams } = readOutputs(f.get('outputs'), crep);
  const { parallelism, numTasks } = readCounts(f, crep);
  const config = readConfig(f.get('config'), crep);
  const inputs = readInputs(f.get('inputs'), kind, map, crep);
  const parsed: ParsedComponent = { kind, outputs, outputsOk, badStreams, inputs };
  if (id !== undefined) parsed.id = id;
  if (impl) {
    parsed.spec = {
      id: id ?? '', kind, impl, outputs, inputs: inputs.map((i) => i.spec),
      parallelism, numTasks, config, pos: rep.pos(map),
    };
  }
  return parsed;
}

/** The component's id, checked; `ids` holds the ids seen so far (duplicates are reported). */
export function readId(f: Map<string, Entry>, map: YAMLMap, kind: ComponentKind, rep: Reporter, ids: Map<string, Node>): string | undefined {
  const e = f.get('id');
  if (!e) {
    rep.error(map, `${kind} is missing "id"`, 'every spout and bolt needs an id, unique in the topology');
    return undefined;
  }
  const id = asString(e, '"id"', rep);
  if (id === undefined) return undefined;
  const crep = rep.forComponent(id);
  if (isSystemId(id)) {
    crep.error(at(e), `id "${id}" is reserved for system components`, 'ids starting with "__" belong to Storm\'s system components (__acker, __system); rename it');
  } else if (!NAME_PATTERN.test(id)) {
    crep.error(at(e), `invalid id "${id}"`, NAME_HINT);
  }
  const first = ids.get(id);
  if (first) crep.error(at(e), `duplicate component id "${id}" (first defined at line ${rep.pos(first).line})`, 'ids must be unique across spouts and bolts');
  else ids.set(id, at(e));
  return id;
}

function readImpl(f: Map<string, Entry>, map: YAMLMap, rep: Reporter): ComponentImpl | undefined {
  const present = IMPL_KEYS.filter((k) => f.has(k));
  if (present.length === 0) {
    rep.error(map, 'no implementation: set one of "js", "shell" or "grpc"', IMPL_HINT);
    return undefined;
  }
  if (present.length > 1) {
    const names = present.map((k) => `"${k}"`).join(', ');
    rep.error(f.get(present[1]!)!.keyNode, `several implementations (${names}): set exactly one`, IMPL_HINT);
  }
  // Read all of them so that problems inside each are reported too.
  const impls = present.map((k) => IMPL_READERS[k](f.get(k)!, rep));
  return impls[0];
}

const IMPL_READERS: Record<(typeof IMPL_KEYS)[number], (e: Entry, rep: Reporter) => ComponentImpl | undefined> = {
  js: readJs,
  shell: (e, rep) => {
    const command = readCommand(e, '"shell"', '"shell" command', rep);
    return command && { kind: 'shell', command };
  },
  grpc: readGrpc,
};

function readJs(e: Entry, rep: Reporter): ComponentImpl | undefined {
  const map = asMap(e, '"js"', rep, 'a map with "module" (and optional "export", "args")');
  if (!map) return undefined;
  const f = entries(map, rep);
  checkKeys(f, JS_KEYS, 'js', rep);
  const me = f.get('module');
  if (!me) rep.error(map, '"js" is missing "module"', 'module: a path relative to the topology file (./bolt.js) or a package name');
  const module = me ? asString(me, '"module"', rep) ?? '' : '';
  const ee = f.get('export');
  const exportName = ee ? asString(ee, '"export"', rep) ?? '' : 'default';
  const ae = f.get('args');
  const argsList = ae && !isNull(ae.value) ? asList(ae, '"args"', rep) : undefined;
  const args = argsList ? toJS(argsList, rep) as unknown[] : [];
  return { kind: 'js', module: resolveModule(module, rep.file), export: exportName, args };
}

/** Paths (./x, ../x, /x) are relative to the topology file; anything else is a package name. */
function resolveModule(module: string, file: string): string {
  const isPath = module === '.' || module === '..' || module.startsWith('./') || module.startsWith('../')
    || path.isAbsolute(module);
  return isPath ? path.resolve(path.dirname(file), module) : module;
}

function readGrpc(e: Entry, rep: Reporter): ComponentImpl | undefined {
  const map = asMap(e, '"grpc"', rep, 'a map with "command" or "address"');
  if (!map) return undefined;
  const f = entries(map, rep);
  checkKeys(f, GRPC_KEYS, 'grpc', rep);
  const ce = f.get('command');
  const ae = f.get('address');
  if (!ce && !ae) rep.error(map, '"grpc" needs "command" or "address"', GRPC_HINT);
  if (ce && ae) rep.error(ae.keyNode, '"grpc" takes "command" or "address", not both', GRPC_HINT);
  const impl: { kind: 'grpc'; command?: string[]; address?: string } = { kind: 'grpc' };
  const command = ce && readCommand(ce, '"command"', '"grpc" command', rep);
  const address = ae && asString(ae, '"address"', rep);
  if (command) impl.command = command;
  if (address !== undefined) impl.address = address;
  return impl;
}

/** A program and its arguments: a non-empty list of non-empty strings. */
export function readCommand(e: Entry, label: string, noun: string, rep: Reporter): string[] | undefined {
  const list = asList(e, label, rep, 'a list of strings: the program and its arguments');
  if (!list) return undefined;
  if (list.items.length === 0) {
    rep.error(list, `${noun} is empty`, 'give the program and its arguments, e.g. [python3, bolt.py]');
  }
  return stringItems(list, `${label} items`, rep).map((s) => s.value);
}

interface ReadOutputs { outputs: StreamSpec[]; outputsOk: boolean; badStreams: Set<string> }

function readOutputs(e: Entry | undefined, rep: Reporter): ReadOutputs {
  const out: ReadOutputs = { outputs: [], outputsOk: true, badStreams: new Set() };
  if (!e || isNull(e.value)) return out;
  // Counting issues tells which streams had problems without threading flags through readers.
  const read = (id: string, reader: () => StreamSpec): void => {
    const before = rep.issues.length;
    out.outputs.push(reader());
    if (rep.issues.length > before) out.badStreams.add(id);
  };
  const list = e.value;
  if (isSeq(list)) {
    read(DEFAULT_STREAM, () => ({ id: DEFAULT_STREAM, fields: readFields(list, DEFAULT_STREAM, rep), direct: false, pos: rep.pos(list) }));
    return out;
  }
  const map = asMap(e, '"outputs"', rep, 'a list of fields or a map of streams');
  if (!map) out.outputsOk = false;
  else for (const s of entries(map, rep).values()) read(s.key, () => readStream(s, rep));
  return out;
}

function readStream(s: Entry, rep: Reporter): StreamSpec {
  checkStreamId(s.key, s.keyNode, rep);
  const stream: StreamSpec = { id: s.key, fields: [], direct: false, pos: rep.pos(s.keyNode) };
  if (isSeq(s.value)) {
    stream.fields = readFields(s.value, s.key, rep);
    return stream;
  }
  const map = asMap(s, `stream "${s.key}"`, rep, 'a list of fields or a map with "fields" and "direct"');
  if (!map) return stream;
  const f = entries(map, rep);
  checkKeys(f, STREAM_KEYS, 'stream', rep);
  const fe = f.get('fields');
  const list = fe && asList(fe, '"fields"', rep, 'a list of field names');
  if (!fe) rep.error(map, `stream "${s.key}" is missing "fields"`, 'fields: [name, ...]; [] declares a stream without fields');
  if (list) stream.fields = readFields(list, s.key, rep);
  const de = f.get('direct');
  if (de) stream.direct = asBool(de, '"direct"', rep) ?? false;
  return stream;
}

/** Reports a stream id that is reserved or not a valid name. */
export function checkStreamId(id: string, node: Node, rep: Reporter): void {
  if (isSystemId(id)) {
    rep.error(node, `stream id "${id}" is reserved for system streams`, 'stream ids starting with "__" belong to Storm\'s system streams (ticks, acks); rename it');
  } else if (!NAME_PATTERN.test(id)) {
    rep.error(node, `invalid stream id "${id}"`, NAME_HINT);
  }
}

/** A stream's field names: non-empty strings, each once. */
export function readFields(list: YAMLSeq, streamId: string, rep: Reporter): string[] {
  const seen = new Set<string>();
  for (const { value, node } of stringItems(list, 'field names', rep)) {
    if (seen.has(value)) rep.error(node, `duplicate field "${value}" in stream "${streamId}"`, 'field names must be unique within a stream');
    seen.add(value);
  }
  return [...seen];
}

function readCounts(f: Map<string, Entry>, rep: Reporter): { parallelism: number; numTasks: number } {
  const pe = f.get('parallelism');
  const ne = f.get('numTasks');
  const parallelism = (pe && asInt(pe, '"parallelism"', 1, rep)) ?? 1;
  const numTasks = (ne && asInt(ne, '"numTasks"', 1, rep)) ?? parallelism;
  if (pe && parallelism > numTasks) {
    rep.error(at(pe), `parallelism ${parallelism} is greater than numTasks ${numTasks}: every executor needs at least one task`,
      `raise numTasks to at least ${parallelism} or lower parallelism to at most ${numTasks}`);
  }
  return { parallelism, numTasks };
}

/**
 * A config map, checked with validateConfig(). A problem with a known key is about its value,
 * so it points there; a problem with an unknown key points at the key.
 */
export function readConfig(e: Entry | undefined, rep: Reporter): Record<string, unknown> {
  if (!e || isNull(e.value)) return {};
  const map = asMap(e, '"config"', rep, 'a map of config keys');
  if (!map) return {};
  const f = entries(map, rep);
  // fromEntries defines own properties, so a "__proto__" key stays a plain key.
  const config: Record<string, unknown> = Object.fromEntries([...f.values()].map((c) => [c.key, toJS(c.value, rep)]));
  for (const issue of validateConfig(config)) {
    const c = f.get(issue.key);
    const where = c && (Object.hasOwn(CONFIG_KEYS, issue.key) ? at(c) : c.keyNode);
    if (issue.severity === 'error') rep.error(where ?? map, issue.message, issue.hint);
    else rep.warn(where ?? map, issue.message, issue.hint);
  }
  return config;
}
