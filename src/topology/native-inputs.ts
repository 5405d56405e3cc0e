/**
 * A bolt's inputs in a native topology: reading them, then checking each against the stream
 * it subscribes to (source component, stream, grouped fields, direct-ness), as Storm does when
 * a topology is submitted.
 */
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import { didYouMean } from '../common/suggest.js';
import { DEFAULT_STREAM, GROUPING_TYPES, type GroupingSpec, type InputSpec, type StreamSpec } from './spec.js';
import {
  asList, asMap, asString, at, checkKeys, entries, isNull, item, stringItems,
  type Entry, type Reporter,
} from './yaml-nodes.js';

const INPUT_KEYS = ['from', 'stream', 'grouping'];
const SIMPLE_GROUPINGS = ['shuffle', 'all', 'global', 'none', 'direct', 'local_or_shuffle'] as const;
type SimpleGrouping = (typeof SIMPLE_GROUPINGS)[number];

const INPUTS_HINT = 'add inputs: [{from: <component id>, grouping: shuffle}]';
const GROUPINGS_HINT = `groupings: ${GROUPING_TYPES.join(', ')}; fields and partial_key take a list of fields, e.g. {fields: [word]}`;

export interface ParsedInput {
  spec: InputSpec;
  node: Node;
  /**
   * Where each part of the input is, set only when that part was read without problems:
   * a part without a node is not cross-checked, to avoid reporting one mistake twice.
   */
  fromNode?: Node;
  streamNode?: Node;
  groupingNode?: Node;
  /** For fields / partial_key: the node of each grouped field, in order. */
  fieldNodes: Node[];
  /** The reporter of the file the input was read from, if not the one checking (Flux includes). */
  rep?: Reporter;
}

/** Advice in cross-check messages that depends on the topology format. */
export interface SubscriptionHints {
  /** For a subscription to a component that declares no streams at all. */
  declareStreams: (from: string) => string;
}

const NATIVE_HINTS: SubscriptionHints = {
  declareStreams: (from) => `"${from}" declares no output streams; add "outputs" to it`,
};

/** What the cross-checks need to know about a component. */
export interface Subscriber {
  id?: string;
  outputs: StreamSpec[];
  /** False when the outputs were unreadable: no stream is then checked against them. */
  outputsOk: boolean;
  /** Streams with problems of their own: groupings on them are not checked. */
  badStreams: ReadonlySet<string>;
  inputs: ParsedInput[];
}

export function readInputs(e: Entry | undefined, kind: 'spout' | 'bolt', map: YAMLMap, rep: Reporter): ParsedInput[] {
  if (kind === 'spout') {
    if (e) rep.error(e.keyNode, 'a spout cannot have inputs', 'spouts are where streams start; make it a bolt to subscribe to other components');
    return [];
  }
  if (!e || isNull(e.value)) {
    rep.error(e ? at(e) : map, 'bolt has no inputs', INPUTS_HINT);
    return [];
  }
  const list = asList(e, '"inputs"', rep, 'a list of inputs');
  if (!list) return [];
  if (list.items.length === 0) rep.error(list, 'bolt has no inputs', INPUTS_HINT);
  return list.items.flatMap((n) => readInput(item(n as Node | null, list, rep), rep) ?? []);
}

function readInput(e: Entry, rep: Reporter): ParsedInput | undefined {
  const node = e.value ?? e.keyNode;
  const shuffle: GroupingSpec = { type: 'shuffle' };
  // Shorthand: a component id subscribes to its default stream with a shuffle grouping.
  if (isScalar(e.value) && typeof e.value.value === 'string') {
    const from = asString(e, 'an input', rep);
    const input: ParsedInput = { spec: { from: from ?? '', stream: DEFAULT_STREAM, grouping: shuffle, pos: rep.pos(node) }, node, fieldNodes: [] };
    if (from !== undefined) Object.assign(input, { fromNode: node, streamNode: node, groupingNode: node });
    return input;
  }
  const map = asMap(e, 'each input', rep, 'a component id or a map with "from"');
  if (!map) return undefined;
  const f = entries(map, rep);
  checkKeys(f, INPUT_KEYS, 'input', rep);
  const fe = f.get('from');
  if (!fe) rep.error(map, 'input is missing "from"', 'from: the id of the component to subscribe to');
  const se = f.get('stream');
  const ge = f.get('grouping');
  const from = fe && asString(fe, '"from"', rep);
  const stream = se ? asString(se, '"stream"', rep) : DEFAULT_STREAM;
  const grouping = ge ? readGrouping(ge, rep) : { grouping: shuffle, fieldNodes: [] };
  const input: ParsedInput = {
    spec: { from: from ?? '', stream: stream ?? DEFAULT_STREAM, grouping: grouping?.grouping ?? shuffle, pos: rep.pos(map) },
    node: map,
    fieldNodes: grouping?.fieldNodes ?? [],
  };
  if (from !== undefined) input.fromNode = at(fe!);
  if (stream !== undefined) input.streamNode = se ? at(se) : map;
  if (grouping) input.groupingNode = ge ? at(ge) : map;
  return input;
}

interface ReadGrouping { grouping: GroupingSpec; fieldNodes: Node[] }

function readGrouping(e: Entry, rep: Reporter): ReadGrouping | undefined {
  const v = e.value;
  if (isScalar(v) && typeof v.value === 'string') return namedGrouping(v.value, v, rep);
  if (!isMap(v)) {
    asMap(e, '"grouping"', rep, 'a grouping name or a map like {fields: [word]}');
    return undefined;
  }
  const keys = [...entries(v, rep).values()];
  if (keys.length !== 1) {
    rep.error(v, `a grouping map must have exactly one key, "fields" or "partial_key" (got ${keys.length})`, GROUPINGS_HINT);
    return undefined;
  }
  const g = keys[0]!;
  if (g.key !== 'fields' && g.key !== 'partial_key') {
    if (isSimple(g.key)) rep.error(g.keyNode, `grouping "${g.key}" takes no fields`, `write grouping: ${g.key}`);
    else rep.error(g.keyNode, `unknown grouping "${g.key}"${didYouMean(g.key, GROUPING_TYPES)}`, GROUPINGS_HINT);
    return undefined;
  }
  const fields = groupingFields(g, rep);
  return fields && { grouping: { type: g.key, fields: fields.map((x) => x.value) }, fieldNodes: fields.map((x) => x.node) };
}

function namedGrouping(name: string, node: Node, rep: Reporter): ReadGrouping | undefined {
  if (isSimple(name)) return { grouping: { type: name }, fieldNodes: [] };
  if (name === 'fields' || name === 'partial_key') {
    rep.error(node, `grouping "${name}" needs a list of fields`, `write grouping: {${name}: [field, ...]}`);
  } else {
    rep.error(node, `unknown grouping "${name}"${didYouMean(name, GROUPING_TYPES)}`, GROUPINGS_HINT);
  }
  return undefined;
}

function isSimple(name: string): name is SimpleGrouping {
  return (SIMPLE_GROUPINGS as readonly string[]).includes(name);
}

/** A field name or a non-empty list of them. */
function groupingFields(g: Entry, rep: Reporter): Array<{ value: string; node: Node }> | undefined {
  const label = `"${g.key}"`;
  if (isScalar(g.value) && typeof g.value.value === 'string') {
    const value = asString(g, label, rep);
    return value === undefined ? undefined : [{ value, node: g.value }];
  }
  const list = isSeq(g.value) ? g.value : asList(g, label, rep, 'a field name or a list of field names');
  if (!list) return undefined;
  if (list.items.length === 0) {
    rep.error(list, `${g.key} grouping needs at least one field`, `e.g. {${g.key}: [word]}`);
    return undefined;
  }
  const fields = stringItems(list, `${label} items`, rep);
  return fields.length === list.items.length ? fields : undefined;
}

/** Checks every input against the component and stream it subscribes to. */
export function checkSubscriptions(components: readonly Subscriber[], rep: Reporter, hints = NATIVE_HINTS): void {
  const byId = new Map<string, Subscriber>();
  for (const c of components) if (c.id !== undefined && !byId.has(c.id)) byId.set(c.id, c);
  for (const c of components) {
    const seen = new Map<string, Seen>();
    for (const input of c.inputs) checkInput(input, byId, seen, (input.rep ?? rep).forComponent(c.id), hints);
  }
}

interface Seen { node: Node; rep: Reporter }

function checkInput(input: ParsedInput, byId: Map<string, Subscriber>, seen: Map<string, Seen>, rep: Reporter, hints: SubscriptionHints): void {
  const { from, stream } = input.spec;
  if (!input.fromNode) return;
  const source = byId.get(from);
  if (!source) {
    rep.error(input.fromNode, `input from unknown component "${from}"${didYouMean(from, byId.keys())}`, `components: ${[...byId.keys()].join(', ')}`);
    return;
  }
  if (!input.streamNode) return;
  const key = JSON.stringify([from, stream]);
  const first = seen.get(key);
  if (first) {
    rep.error(input.node, `subscribes to stream "${stream}" of "${from}" twice (first at ${lineOf(first, rep)})`, 'subscribe once per stream; remove one of the two inputs');
  } else {
    seen.set(key, { node: input.node, rep });
  }
  if (!source.outputsOk) return;
  const declared = source.outputs.find((s) => s.id === stream);
  if (!declared) {
    const ids = source.outputs.map((s) => s.id);
    rep.error(input.streamNode, `input from undeclared stream "${stream}" of "${from}"${didYouMean(stream, ids)}`,
      ids.length > 0 ? `"${from}" declares streams: ${ids.join(', ')}` : hints.declareStreams(from));
    return;
  }
  if (!source.badStreams.has(stream)) checkGrouping(input, declared, from, rep);
}

/** "line N", naming the file too when it is not the one being reported on. */
export function lineOf(at: { node: Node; rep: Reporter }, rep: Reporter): string {
  const pos = at.rep.pos(at.node);
  return pos.file === rep.file ? `line ${pos.line}` : `${pos.file}:${pos.line}`;
}

function checkGrouping(input: ParsedInput, stream: StreamSpec, from: string, rep: Reporter): void {
  const g = input.spec.grouping;
  if (!input.groupingNode) return;
  const where = `stream "${stream.id}" of "${from}"`;
  if (g.type === 'fields' || g.type === 'partial_key') {
    const hint = stream.fields.length > 0 ? `${where} has fields: ${stream.fields.join(', ')}` : `${where} has no fields`;
    g.fields.forEach((field, i) => {
      if (stream.fields.includes(field)) return;
      rep.error(input.fieldNodes[i] ?? input.groupingNode, `${g.type} grouping on field "${field}", which ${where} does not declare${didYouMean(field, stream.fields)}`, hint);
    });
  }
  if (g.type === 'direct' && !stream.direct) {
    rep.error(input.groupingNode, `direct grouping on ${where}, which is not declared direct`,
      `declare it in the outputs of "${from}" as {fields: [...], direct: true}, or use another grouping`);
  } else if (g.type !== 'direct' && stream.direct) {
    rep.error(input.groupingNode, `${g.type} grouping on direct ${where}: a direct stream needs a direct grouping`, 'use grouping: direct');
  }
}
