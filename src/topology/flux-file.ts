/**
 * One Flux YAML file (model/TopologyDef) read section by section, before includes are merged.
 * Keys follow TopologyDef's bean properties: SnakeYAML rejects any other, and so do we.
 */
import { isMap, type Node, type YAMLSeq } from 'yaml';
import { readBean, readVertex, type FluxBean, type FluxVertex } from './flux-component.js';
import { readStream, type FluxStream } from './flux-streams.js';
import { readConfig } from './native-component.js';
import { checkName } from './topology-doc.js';
import {
  asBool, asList, asMap, asString, at, checkKeys, describeNode, entries, isNull, item,
  type Entry, type Reporter,
} from './yaml-nodes.js';

export interface FluxFile {
  rep: Reporter;
  root: Node | null;
  /** Set when the file has a "name"; `value` is unset when it is unusable (reported). */
  name?: { value?: string; node: Node };
  config: Record<string, unknown>;
  components: Map<string, FluxBean>;
  spouts: Map<string, FluxVertex>;
  bolts: Map<string, FluxVertex>;
  /** Items under "spouts", readable or not: with none, the topology has no spout. */
  spoutItems: number;
  streams: FluxStream[];
  includes: FluxInclude[];
  /** Include entries that cannot be followed (reported): the topology is then incomplete. */
  badIncludes: number;
  /** "topologySource" builds the topology in Java; reported, and spouts are then not required. */
  javaTopology: boolean;
}

export interface FluxInclude {
  file: string;
  node: Node;
  override: boolean;
}

const TOP_KEYS = ['name', 'config', 'components', 'spouts', 'bolts', 'streams', 'includes', 'topologySource', 'workerHooks'];
const INCLUDE_KEYS = ['resource', 'file', 'override'];
const INCLUDE_HINT = 'includes: [{file: common.yaml, override: false}]; the path is relative to this file';

/**
 * Reads one file; `included` files may not include others (Flux includes are not recursive).
 * Undefined when the file is not a topology at all (reported); an empty include adds nothing.
 */
export function readFluxFile(root: Node | null, rep: Reporter, included: boolean): FluxFile | undefined {
  const file: FluxFile = {
    rep, root, config: {}, components: new Map(), spouts: new Map(), bolts: new Map(),
    spoutItems: 0, streams: [], includes: [], badIncludes: 0, javaTopology: false,
  };
  if (isNull(root)) {
    if (included) return file;
    rep.error(root, 'the topology file is empty', 'a Flux topology needs "name", "spouts", "bolts" and "streams"');
    return undefined;
  }
  if (!isMap(root)) {
    rep.error(root, `the topology must be a map (got ${describeNode(root)})`, `top-level keys: ${TOP_KEYS.join(', ')}`);
    return undefined;
  }
  const f = entries(root, rep);
  checkKeys(f, TOP_KEYS, 'top-level', rep);
  readName(f.get('name'), file);
  file.config = readConfig(f.get('config'), rep);
  readSections(f, file);
  readJavaOnly(f, file, included);
  const ie = f.get('includes');
  if (ie && included) rep.warn(ie.keyNode, '"includes" of an included file are ignored: Flux includes are not recursive', 'include every file from the main topology file');
  else if (ie) file.includes = readList(ie, '"includes"', rep, (e) => readInclude(e, rep) ?? void file.badIncludes++);
  return file;
}

function readName(e: Entry | undefined, file: FluxFile): void {
  if (!e) return;
  file.name = { node: at(e) };
  const value = checkName(e, file.rep);
  if (value !== undefined) file.name.value = value;
}

function readSections(f: Map<string, Entry>, file: FluxFile): void {
  const { rep } = file;
  const beanIds = new Map<string, Node>();
  for (const bean of readList(f.get('components'), '"components"', rep, (e) => readBean(e, rep, beanIds))) {
    if (!file.components.has(bean.id)) file.components.set(bean.id, bean);
  }
  // Spouts and bolts share one id space, as in Storm's TopologyBuilder.
  const ids = new Map<string, Node>();
  const spouts = readList(f.get('spouts'), '"spouts"', rep, (e) => {
    file.spoutItems++;
    return readVertex(e, 'spout', rep, ids);
  });
  for (const v of spouts) if (!file.spouts.has(v.id)) file.spouts.set(v.id, v);
  for (const v of readList(f.get('bolts'), '"bolts"', rep, (e) => readVertex(e, 'bolt', rep, ids))) {
    if (!file.bolts.has(v.id)) file.bolts.set(v.id, v);
  }
  file.streams = readList(f.get('streams'), '"streams"', rep, (e) => readStream(e, rep));
}

/** Sections whose content is Java code. */
function readJavaOnly(f: Map<string, Entry>, file: FluxFile, included: boolean): void {
  const ts = f.get('topologySource');
  if (ts && included) {
    file.rep.warn(ts.keyNode, '"topologySource" of an included file is ignored, as in Flux');
  } else if (ts) {
    file.javaTopology = true;
    file.rep.error(ts.keyNode, '"topologySource" builds the topology with Java code (a getTopology method); Squall cannot run it',
      'describe the topology in YAML: spouts and bolts with FluxShellSpout/FluxShellBolt, and streams');
  }
  const wh = f.get('workerHooks');
  if (wh) file.rep.warn(wh.keyNode, '"workerHooks" are Java classes; Squall ignores them', 'remove the section, or run the hook\'s work in a component');
}

/** Items of a list section; null means none. */
function readList<T>(e: Entry | undefined, label: string, rep: Reporter, read: (e: Entry) => T | undefined): T[] {
  if (!e || isNull(e.value)) return [];
  const list: YAMLSeq | undefined = asList(e, label, rep);
  return list?.items.flatMap((n) => read(item(n as Node | null, list, rep)) ?? []) ?? [];
}

function readInclude(e: Entry, rep: Reporter): FluxInclude | undefined {
  const map = asMap(e, 'each include', rep, 'a map with "file" (and "resource", "override")');
  if (!map) return undefined;
  const f = entries(map, rep);
  checkKeys(f, INCLUDE_KEYS, 'include', rep);
  const re = f.get('resource');
  const resource = re ? asBool(re, '"resource"', rep) : false;
  if (resource) {
    rep.error(at(re!), 'classpath resources (resource: true) need a JVM; Squall includes files only', 'set resource: false and give the file\'s path relative to this file');
  }
  const fe = f.get('file');
  if (!fe) rep.error(map, 'include is missing "file"', INCLUDE_HINT);
  const oe = f.get('override');
  const override = (oe && asBool(oe, '"override"', rep)) ?? false;
  const file = fe && asString(fe, '"file"', rep);
  if (file === undefined || resource !== false) return undefined;
  return { file, node: at(fe!), override };
}
