/**
 * Apache Storm Flux YAML topologies made of multilang components (FluxShellSpout and
 * FluxShellBolt), so that Storm users' Flux files run under Squall unchanged. Pure: included
 * files are read through `opts.readFile`.
 *
 * Follows flux-core: `${...}` substitution of the text before parsing (FluxParser.loadYaml),
 * includes merged into the main file (FluxParser.processIncludes, TopologyDef.addAll*), and
 * streams wired to bolts (FluxBuilder.buildStreamDefinitions). Every problem is reported with
 * file:line:column, in the file it is in.
 */
import path from 'node:path';
import { Document } from 'yaml';
import type { FluxBean, FluxVertex } from './flux-component.js';
import { readFluxFile, type FluxFile, type FluxInclude } from './flux-file.js';
import { connectStreams, type FluxStream, type Graph } from './flux-streams.js';
import { commentStart, substitute, type SubstitutionVars } from './flux-substitute.js';
import { checkSubscriptions, lineOf, type ParsedInput, type SubscriptionHints } from './native-inputs.js';
import type { StreamSpec, TopologySpec } from './spec.js';
import { inFileOrder, parseYaml, type ParseResult } from './topology-doc.js';
import { Reporter, lineCounterOf } from './yaml-nodes.js';

export interface FluxOptions extends SubstitutionVars {
  /** The content of the file at an absolute path, or undefined if it cannot be read. */
  readFile: (absPath: string) => string | undefined;
}

/** The topology after includes: what TopologyDef holds once FluxParser is done. */
interface Merged {
  name?: FluxFile['name'];
  config: Record<string, unknown>;
  components: Map<string, FluxBean>;
  spouts: Map<string, FluxVertex>;
  bolts: Map<string, FluxVertex>;
  streams: FluxStream[];
  spoutItems: number;
}

const FLUX_HINTS: SubscriptionHints = {
  declareStreams: (from) => `"${from}" declares no output streams; give its fields as the second constructor argument, or call setNamedStream`,
};
const SPOUT_HINT = 'spouts: [{id: sentences, className: org.apache.storm.flux.wrappers.spouts.FluxShellSpout, '
  + 'constructorArgs: [[python3, spout.py], [sentence]]}]';

/**
 * Parses and validates a Flux topology and the files it includes.
 * @param file the file's absolute path: used in messages and to resolve includes
 */
export function parseFlux(text: string, file: string, opts: FluxOptions): ParseResult {
  const reps: Reporter[] = [];
  const main = loadFile(text, file, opts, false, reps);
  const spec = main && buildTopology(main, opts, reps);
  const files = reps.map((r) => r.file);
  const issues = inFileOrder(reps.flatMap((r) => r.issues), files);
  const warnings = inFileOrder(reps.flatMap((r) => r.warnings), files);
  if (spec && issues.length === 0) return { spec, issues: [], warnings };
  return { issues, warnings };
}

/**
 * Whether a topology file is Flux rather than native: Flux components name a Java class, and
 * only Flux has top-level streams, includes, components or topologySource.
 */
export function isFluxDocument(text: string): boolean {
  const code = text.split('\n').map((line) => line.slice(0, commentStart(line))).join('\n');
  return /^["']?(streams|includes|components|topologySource)["']?[ \t]*:/m.test(code)
    || /(^|[\s{,-])["']?className["']?[ \t]*:/m.test(code);
}

/** Substitutes, parses and reads one file; its reporter joins `reps` in any case. */
function loadFile(text: string, file: string, opts: FluxOptions, included: boolean, reps: Reporter[]): FluxFile | undefined {
  const sub = substitute(text, opts);
  if (sub.unresolved.length > 0) {
    // Without its values the text is not the topology: parsing it would report noise.
    const rep = Reporter.create(file, lineCounterOf(text), new Document());
    reps.push(rep);
    for (const u of sub.unresolved) rep.error(sub.toSource(u.offset), u.message, u.hint);
    return undefined;
  }
  const { rep, root, ok } = parseYaml(sub.text, file, { text, toSource: sub.toSource });
  reps.push(rep);
  return ok ? readFluxFile(root, rep, included) : undefined;
}

function buildTopology(main: FluxFile, opts: FluxOptions, reps: Reporter[]): TopologySpec | undefined {
  const merged = mergeIncludes(main, opts, reps);
  // Without an included file, references to what it defines would be reported as unknown.
  if (!merged) return undefined;
  const g: Graph = { spouts: merged.spouts, bolts: merged.bolts, components: merged.components };
  checkIdsAcrossFiles(g);
  warnUnused(merged.components, connectStreams(merged.streams, g));
  const bolts = keepFedBolts(g, merged.streams);
  const spouts = [...g.spouts.values()];
  inferDirect([...spouts, ...bolts]);
  checkSubscriptions([...spouts, ...bolts], main.rep, FLUX_HINTS);
  const name = topologyName(merged, main);
  if (merged.spoutItems === 0 && !main.javaTopology) {
    main.rep.error(main.root, 'the topology has no spouts: it needs at least one', SPOUT_HINT);
  }
  return {
    name, config: merged.config,
    spouts: spouts.flatMap((v) => v.spec ?? []),
    bolts: bolts.flatMap((v) => (v.spec ? [{ ...v.spec, inputs: v.inputs.map((i) => i.spec) }] : [])),
    source: main.rep.file,
  };
}

/** The main file with its includes merged in; undefined if an include is missing (reported). */
function mergeIncludes(main: FluxFile, opts: FluxOptions, reps: Reporter[]): Merged | undefined {
  const m: Merged = {
    config: { ...main.config }, components: new Map(main.components), spouts: new Map(main.spouts),
    bolts: new Map(main.bolts), streams: [...main.streams], spoutItems: main.spoutItems,
  };
  if (main.name) m.name = main.name;
  let complete = main.badIncludes === 0;
  for (const inc of main.includes) {
    const included = loadInclude(inc, main, opts, reps);
    if (included) mergeInclude(m, included, inc.override);
    else complete = false;
  }
  return complete ? m : undefined;
}

function loadInclude(inc: FluxInclude, main: FluxFile, opts: FluxOptions, reps: Reporter[]): FluxFile | undefined {
  // Flux opens includes relative to its working directory; the including file's is steadier.
  const file = path.resolve(path.dirname(main.rep.file), inc.file);
  const text = opts.readFile(file);
  if (text !== undefined) return loadFile(text, file, opts, true, reps);
  main.rep.error(inc.node, `cannot read include "${inc.file}" (${file})`, 'the path is relative to the including file\'s directory; check that the file exists');
  return undefined;
}

/**
 * FluxParser.processIncludes: with override the included file's name, config keys, components,
 * spouts and bolts (by id) replace the current ones; without, only missing ones are added.
 * Streams are always appended.
 */
function mergeInclude(m: Merged, inc: FluxFile, override: boolean): void {
  if (inc.name && (!m.name || override)) m.name = inc.name;
  m.config = override ? { ...m.config, ...inc.config } : { ...inc.config, ...m.config };
  putAll(m.components, inc.components, override);
  putAll(m.spouts, inc.spouts, override);
  putAll(m.bolts, inc.bolts, override);
  m.streams.push(...inc.streams);
  m.spoutItems += inc.spoutItems;
}

function putAll<T>(into: Map<string, T>, from: Map<string, T>, override: boolean): void {
  for (const [id, value] of from) if (override || !into.has(id)) into.set(id, value);
}

/** Within a file readId() reports duplicates; a spout and a bolt from different files meet here. */
function checkIdsAcrossFiles(g: Graph): void {
  for (const bolt of g.bolts.values()) {
    const spout = g.spouts.get(bolt.id);
    if (!spout || spout.rep.file === bolt.rep.file) continue;
    bolt.rep.error(bolt.idNode, `duplicate component id "${bolt.id}" (a spout at ${lineOf({ node: spout.idNode, rep: spout.rep }, bolt.rep)})`,
      'ids must be unique across spouts and bolts');
  }
}

/** Flux builds every component, but only a PartialKeyGrouping's Fields means anything here. */
function warnUnused(components: Map<string, FluxBean>, used: ReadonlySet<string>): void {
  for (const bean of components.values()) {
    if (used.has(bean.id)) continue;
    bean.rep.warn(bean.node, `${bean.className ? `class ${bean.className}` : 'this component'} is ignored: it builds a Java object, which no multilang component can use`,
      'Squall does not create Java objects; remove it from "components"');
  }
}

/**
 * Flux adds a bolt to the topology when a stream goes to it (buildStreamDefinitions), so a
 * bolt no stream reaches is left out; a stream from it then has no source.
 */
function keepFedBolts(g: Graph, streams: readonly FluxStream[]): FluxVertex[] {
  const targets = new Set(streams.flatMap((s) => (s.to ? [s.to.id] : [])));
  const kept = [...g.bolts.values()].filter((b) => targets.has(b.id));
  for (const b of g.bolts.values()) {
    if (!targets.has(b.id)) b.rep.warn(b.idNode, 'no stream goes to this bolt, so Flux leaves it out of the topology', `add a stream with to: ${b.id}, or remove the bolt`);
  }
  for (const b of kept) for (const input of b.inputs) dropFromUnfed(input, b, g, targets);
  return kept;
}

function dropFromUnfed(input: ParsedInput, bolt: FluxVertex, g: Graph, targets: ReadonlySet<string>): void {
  const from = input.spec.from;
  if (!input.fromNode || !g.bolts.has(from) || targets.has(from)) return;
  (input.rep ?? bolt.rep).forComponent(bolt.id).error(input.fromNode, `stream from bolt "${from}", which no stream goes to, so it is not part of the topology (as in Flux)`,
    `add a stream with to: ${from}`);
  delete input.fromNode;
}

/**
 * The wrappers declare only plain streams, yet Storm lets a DIRECT subscriber receive what a
 * multilang component emits with a task id: a stream subscribed with DIRECT is direct. Storm
 * fails every emit on a stream with both DIRECT and other subscribers.
 */
function inferDirect(components: readonly FluxVertex[]): void {
  const byId = new Map(components.map((c) => [c.id, c]));
  const subscribers = new Map<StreamSpec, Array<{ input: ParsedInput; bolt: FluxVertex }>>();
  for (const bolt of components) {
    for (const input of bolt.inputs) {
      const stream = input.fromNode && byId.get(input.spec.from)?.outputs.find((o) => o.id === input.spec.stream);
      if (stream) subscribers.set(stream, [...(subscribers.get(stream) ?? []), { input, bolt }]);
    }
  }
  for (const [stream, subs] of subscribers) {
    const direct = subs.find((s) => s.input.spec.grouping.type === 'direct');
    const other = subs.find((s) => s.input.spec.grouping.type !== 'direct');
    if (!direct) continue;
    if (!other) {
      stream.direct = true;
      continue;
    }
    const source = byId.get(other.input.spec.from)!;
    source.badStreams.add(stream.id);
    const rep = (other.input.rep ?? other.bolt.rep).forComponent(other.bolt.id);
    rep.error(other.input.groupingNode ?? other.input.node,
      `stream "${stream.id}" of "${source.id}" has DIRECT subscribers (at ${lineOf({ node: direct.input.node, rep: direct.input.rep ?? rep }, rep)}) and others: Storm fails every emit on it`,
      'a multilang component emits on a stream either to chosen tasks or not; declare a separate stream with setNamedStream for the DIRECT subscribers');
  }
}

function topologyName(m: Merged, main: FluxFile): string {
  if (!m.name) main.rep.error(main.root, 'missing topology "name"', 'add name: <name> at the top level');
  return m.name?.value ?? '';
}
