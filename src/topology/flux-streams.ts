/**
 * Flux `streams` (model/StreamDef, GroupingDef): each is an edge from a component's stream to
 * a bolt, which becomes an input of that bolt. Reading is per file; resolving happens once all
 * files are merged, because an edge may name components of an included file.
 */
import { isMap, type Node, type YAMLMap } from 'yaml';
import { didYouMean } from '../common/suggest.js';
import type { FluxBean, FluxVertex } from './flux-component.js';
import { lineOf, type ParsedInput } from './native-inputs.js';
import { DEFAULT_STREAM, type GroupingSpec } from './spec.js';
import {
  asList, asMap, asString, at, checkKeys, entries, isNull, item, stringItems,
  type Entry, type Reporter,
} from './yaml-nodes.js';

export interface FluxStream {
  node: YAMLMap;
  rep: Reporter;
  from?: Named;
  to?: Named;
  streamId: string;
  streamNode: Node;
  grouping?: FluxGrouping;
}

interface Named { id: string; node: Node }

export interface FluxGrouping {
  spec: GroupingSpec;
  /** The "type" value, where grouping problems are reported. */
  node: Node;
  fieldNodes: Node[];
  /** PartialKeyGrouping: its Fields component, or none (Storm then keys on the first value). */
  partialKey?: { ref?: Named; node: Node };
}

/** The merged topology's components, by id. */
export interface Graph {
  spouts: Map<string, FluxVertex>;
  bolts: Map<string, FluxVertex>;
  components: Map<string, FluxBean>;
}

const STREAM_KEYS = ['name', 'from', 'to', 'grouping'];
const GROUPING_KEYS = ['type', 'streamId', 'args', 'customClass'];
const OBJECT_KEYS = ['className', 'constructorArgs', 'properties', 'configMethods', 'factory', 'factoryArgs'];
const SIMPLE: Readonly<Record<string, GroupingSpec>> = {
  ALL: { type: 'all' }, DIRECT: { type: 'direct' }, SHUFFLE: { type: 'shuffle' },
  LOCAL_OR_SHUFFLE: { type: 'local_or_shuffle' }, GLOBAL: { type: 'global' }, NONE: { type: 'none' },
};
const TYPES = ['ALL', 'CUSTOM', 'DIRECT', 'SHUFFLE', 'LOCAL_OR_SHUFFLE', 'FIELDS', 'GLOBAL', 'NONE'];
const PARTIAL_KEY = 'org.apache.storm.grouping.PartialKeyGrouping';
const FIELDS_CLASS = 'org.apache.storm.tuple.Fields';

const GROUPING_HINT = `grouping: {type: SHUFFLE}; types: ${TYPES.join(', ')}; FIELDS takes args: [field, ...]`;
const CUSTOM_HINT = `use another grouping type; for partial key grouping, CUSTOM with customClass: {className: ${PARTIAL_KEY}}`;
const PARTIAL_KEY_HINT = `to key on fields, give one argument referring to an ${FIELDS_CLASS} component: constructorArgs: [ref: keyFields]`;

export function readStream(e: Entry, rep: Reporter): FluxStream | undefined {
  const map = asMap(e, 'each stream', rep, 'a map with "from", "to" and "grouping"');
  if (!map) return undefined;
  const f = entries(map, rep);
  const from = endpoint(f, 'from', map, rep);
  const to = endpoint(f, 'to', map, rep);
  const crep = rep.forComponent(to?.id);
  checkKeys(f, STREAM_KEYS, 'stream', crep);
  const ne = f.get('name');
  if (ne && !isNull(ne.value)) asString(ne, '"name"', crep, false);
  const stream: FluxStream = { node: map, rep, streamId: DEFAULT_STREAM, streamNode: map };
  if (from) stream.from = from;
  if (to) stream.to = to;
  const ge = f.get('grouping');
  if (!ge || isNull(ge.value)) crep.error(ge ? at(ge) : map, 'stream is missing "grouping"', GROUPING_HINT);
  else readGrouping(ge, stream, crep);
  return stream;
}

function endpoint(f: Map<string, Entry>, key: 'from' | 'to', map: YAMLMap, rep: Reporter): Named | undefined {
  const e = f.get(key);
  if (!e) {
    rep.error(map, `stream is missing "${key}"`, key === 'from' ? 'from: the id of the spout or bolt that emits' : 'to: the id of the bolt that receives');
    return undefined;
  }
  const id = asString(e, `"${key}"`, rep);
  return id === undefined ? undefined : { id, node: at(e) };
}

function readGrouping(e: Entry, stream: FluxStream, rep: Reporter): void {
  const map = asMap(e, '"grouping"', rep, 'a map with "type" (and "streamId", "args", "customClass")');
  if (!map) return;
  const f = entries(map, rep);
  checkKeys(f, GROUPING_KEYS, 'grouping', rep);
  const se = f.get('streamId');
  const streamId = se && !isNull(se.value) ? asString(se, '"streamId"', rep) : DEFAULT_STREAM;
  if (streamId === undefined) return;
  stream.streamId = streamId;
  stream.streamNode = se ? at(se) : map;
  const te = f.get('type');
  if (!te) rep.error(map, 'grouping is missing "type"', GROUPING_HINT);
  const type = te && asString(te, '"type"', rep);
  if (type === undefined) return;
  const grouping = groupingOfType(type, at(te!), f, rep);
  if (grouping) stream.grouping = grouping;
}

function groupingOfType(type: string, node: Node, f: Map<string, Entry>, rep: Reporter): FluxGrouping | undefined {
  if (type !== 'FIELDS') ignored(f.get('args'), 'only FIELDS groupings take fields', rep);
  if (type !== 'CUSTOM') ignored(f.get('customClass'), 'only CUSTOM groupings use it', rep);
  const simple = Object.hasOwn(SIMPLE, type) ? SIMPLE[type] : undefined;
  if (simple) return { spec: simple, node, fieldNodes: [] };
  if (type === 'FIELDS') return fieldsGrouping(f.get('args'), node, rep);
  if (type === 'CUSTOM') return customGrouping(f.get('customClass'), node, rep);
  rep.error(node, `unknown grouping type "${type}"${didYouMean(type, TYPES)}`, GROUPING_HINT);
  return undefined;
}

/** Flux accepts and ignores keys other types do not use; say so, in case it is a mistake. */
function ignored(e: Entry | undefined, why: string, rep: Reporter): void {
  if (e) rep.warn(e.keyNode, `"${e.key}" is ignored: ${why}`);
}

function fieldsGrouping(e: Entry | undefined, node: Node, rep: Reporter): FluxGrouping | undefined {
  if (!e || isNull(e.value)) {
    rep.error(e ? at(e) : node, 'a FIELDS grouping needs "args": the fields to group on', 'grouping: {type: FIELDS, args: [word]}');
    return undefined;
  }
  const list = asList(e, '"args"', rep, 'a list of field names');
  if (!list) return undefined;
  if (list.items.length === 0) {
    rep.error(list, 'a FIELDS grouping needs at least one field', 'args: [word]');
    return undefined;
  }
  const fields = stringItems(list, '"args" items', rep);
  if (fields.length !== list.items.length) return undefined;
  return { spec: { type: 'fields', fields: fields.map((x) => x.value) }, node, fieldNodes: fields.map((x) => x.node) };
}

/** CUSTOM runs a Java CustomStreamGrouping; Storm's PartialKeyGrouping is Squall's partial_key. */
function customGrouping(e: Entry | undefined, node: Node, rep: Reporter): FluxGrouping | undefined {
  if (!e || isNull(e.value)) {
    rep.error(e ? at(e) : node, 'a CUSTOM grouping needs "customClass"', CUSTOM_HINT);
    return undefined;
  }
  const map = asMap(e, '"customClass"', rep, 'a map with "className"');
  if (!map) return undefined;
  const f = entries(map, rep);
  checkKeys(f, OBJECT_KEYS, 'customClass', rep);
  const ce = f.get('className');
  if (!ce) rep.error(map, 'customClass is missing "className"', CUSTOM_HINT);
  const className = ce && asString(ce, '"className"', rep);
  if (className === undefined) return undefined;
  if (className !== PARTIAL_KEY) {
    rep.error(at(ce!), `class "${className}" of the CUSTOM grouping is a Java class; Squall cannot run custom groupings`, CUSTOM_HINT);
    return undefined;
  }
  return partialKey(f, map, node, rep);
}

/** PartialKeyGrouping() keys on the first value; PartialKeyGrouping(Fields) on those fields. */
function partialKey(f: Map<string, Entry>, map: YAMLMap, node: Node, rep: Reporter): FluxGrouping | undefined {
  const unsupported = ['properties', 'configMethods', 'factory', 'factoryArgs'].filter((k) => f.has(k));
  for (const key of unsupported) rep.error(f.get(key)!.keyNode, `"${key}" is not supported for PartialKeyGrouping`, PARTIAL_KEY_HINT);
  const ae = f.get('constructorArgs');
  const list = ae && !isNull(ae.value) ? asList(ae, '"constructorArgs"', rep, 'a list') : undefined;
  if (unsupported.length > 0 || (ae && !isNull(ae.value) && !list)) return undefined;
  const grouping: FluxGrouping = { spec: { type: 'partial_key', fields: [] }, node, fieldNodes: [], partialKey: { node: map } };
  if (!list || list.items.length === 0) return grouping;
  const ref = list.items.length === 1 ? reference(item(list.items[0] as Node | null, list, rep), rep) : undefined;
  if (!ref) {
    rep.error(list, `these constructorArgs of PartialKeyGrouping need Java objects (${list.items.length} given)`, PARTIAL_KEY_HINT);
    return undefined;
  }
  grouping.partialKey = { ref, node: map };
  return grouping;
}

/** `{ref: id}`, or undefined. */
function reference(e: Entry, rep: Reporter): Named | undefined {
  if (!isMap(e.value) || e.value.items.length !== 1) return undefined;
  const re = entries(e.value, rep).get('ref');
  const id = re && asString(re, '"ref"', rep);
  return id === undefined ? undefined : { id, node: at(re!) };
}

/**
 * Adds each stream as an input of its bolt. As in Storm (a map keyed by source stream), a
 * second edge between the same stream and bolt replaces the first.
 * @returns the ids of the components the streams use
 */
export function connectStreams(streams: readonly FluxStream[], g: Graph): Set<string> {
  const used = new Set<string>();
  for (const s of streams) connect(s, g, used);
  return used;
}

function connect(s: FluxStream, g: Graph, used: Set<string>): void {
  if (!s.to || !s.grouping) return;
  const rep = s.rep.forComponent(s.to.id);
  const bolt = g.bolts.get(s.to.id);
  if (!bolt) {
    reportTarget(s.to, g, rep);
    return;
  }
  const fields = resolvePartialKey(s, g, used, rep);
  if (!fields) return;
  const grouping: GroupingSpec = s.grouping.spec.type === 'partial_key' ? { type: 'partial_key', fields: fields.values } : s.grouping.spec;
  const input: ParsedInput = {
    spec: { from: s.from?.id ?? '', stream: s.streamId, grouping, pos: s.rep.pos(s.node) },
    node: s.node, streamNode: s.streamNode, groupingNode: s.grouping.node, fieldNodes: fields.nodes, rep: s.rep,
  };
  if (s.from) {
    input.fromNode = s.from.node;
    replaceDuplicate(bolt, input, rep);
  }
  bolt.inputs.push(input);
}

function reportTarget(to: Named, g: Graph, rep: Reporter): void {
  if (g.spouts.has(to.id)) {
    rep.error(to.node, `stream to spout "${to.id}": spouts do not receive streams`, '"to" names the bolt that receives the stream');
    return;
  }
  const bolts = [...g.bolts.keys()];
  rep.error(to.node, `stream to unknown bolt "${to.id}"${didYouMean(to.id, bolts)}`, bolts.length > 0 ? `bolts: ${bolts.join(', ')}` : 'the topology has no bolts');
}

function replaceDuplicate(bolt: FluxVertex, input: ParsedInput, rep: Reporter): void {
  const i = bolt.inputs.findIndex((x) => x.fromNode && x.spec.from === input.spec.from && x.spec.stream === input.spec.stream);
  if (i < 0) return;
  const first = bolt.inputs[i]!;
  rep.warn(input.node, `stream "${input.spec.stream}" of "${input.spec.from}" to "${bolt.id}" is defined twice (first at ${lineOf({ node: first.node, rep: first.rep ?? rep }, rep)}); `
    + 'as in Storm, this definition replaces the first', 'remove one of the two streams');
  bolt.inputs.splice(i, 1);
}

interface GroupedFields { values: string[]; nodes: Node[] }

/** The fields a grouping keys on; for PartialKeyGrouping, found in its Fields component or stream. */
function resolvePartialKey(s: FluxStream, g: Graph, used: Set<string>, rep: Reporter): GroupedFields | undefined {
  const grouping = s.grouping!;
  const pk = grouping.partialKey;
  if (!pk) return { values: grouping.spec.type === 'fields' ? grouping.spec.fields : [], nodes: grouping.fieldNodes };
  if (pk.ref) {
    used.add(pk.ref.id);
    const values = fieldsComponent(pk.ref, g.components, rep);
    return values && { values, nodes: values.map(() => pk.ref!.node) };
  }
  const source = s.from && (g.spouts.get(s.from.id) ?? g.bolts.get(s.from.id));
  const stream = source?.outputs.find((o) => o.id === s.streamId);
  // An unknown source or stream is reported by the cross-checks.
  if (!stream) return { values: [], nodes: [] };
  if (stream.fields.length === 0) {
    rep.error(pk.node, `without fields, PartialKeyGrouping keys on the first field, and stream "${stream.id}" of "${s.from!.id}" has none`, PARTIAL_KEY_HINT);
    return undefined;
  }
  return { values: [stream.fields[0]!], nodes: [pk.node] };
}

/** A `components` entry building `new Fields([a, b])`: its field names. */
function fieldsComponent(ref: Named, components: Map<string, FluxBean>, rep: Reporter): string[] | undefined {
  const bean = components.get(ref.id);
  if (!bean) {
    const ids = [...components.keys()];
    rep.error(ref.node, `unknown component "${ref.id}" (referred to by PartialKeyGrouping)${didYouMean(ref.id, ids)}`,
      `define it: components: [{id: ${ref.id}, className: ${FIELDS_CLASS}, constructorArgs: [[field, ...]]}]`);
    return undefined;
  }
  if (bean.className !== FIELDS_CLASS) {
    rep.error(ref.node, `component "${ref.id}" is a ${bean.className ?? 'class without a name'}, and PartialKeyGrouping needs an ${FIELDS_CLASS}`, PARTIAL_KEY_HINT);
    return undefined;
  }
  bean.asFields ??= { fields: readFieldsBean(bean) };
  return bean.asFields.fields;
}

function readFieldsBean(bean: FluxBean): string[] | undefined {
  const hint = `constructorArgs: [[field, ...]] builds new Fields(field, ...)`;
  const extra = [...bean.fields.keys()].filter((k) => !['id', 'className', 'constructorArgs'].includes(k));
  for (const key of extra) bean.rep.error(bean.fields.get(key)!.keyNode, `a Fields component takes no "${key}"`, hint);
  const ae = bean.fields.get('constructorArgs');
  const outer = ae && asList(ae, '"constructorArgs"', bean.rep, 'a list holding one list of field names');
  if (!ae) bean.rep.error(bean.node, 'a Fields component needs "constructorArgs"', hint);
  if (!outer || extra.length > 0) return undefined;
  const inner = outer.items.length === 1 ? item(outer.items[0] as Node | null, outer, bean.rep) : undefined;
  const list = inner && asList(inner, 'the argument of Fields', bean.rep, 'a list of field names');
  if (!inner) bean.rep.error(outer, `a Fields component takes one argument, a list of field names (got ${outer.items.length})`, hint);
  if (!list) return undefined;
  const fields = stringItems(list, 'field names', bean.rep);
  if (fields.length === 0) bean.rep.error(list, 'a partial key needs at least one field', hint);
  return fields.length === list.items.length && fields.length > 0 ? fields.map((x) => x.value) : undefined;
}
