/**
 * The native topology format, YAML or JSON (JSON is YAML, so one parser gives positions for
 * both): parsing and validation into a TopologySpec. Pure: the caller reads the file.
 *
 * Every problem is reported, each at the most specific node (file:line:column), so that one
 * run shows all there is to fix.
 */
import { isMap, type Node, type YAMLMap } from 'yaml';
import { readComponent, readConfig, type ComponentKind, type ParsedComponent } from './native-component.js';
import { checkSubscriptions } from './native-inputs.js';
import type { TopologySpec } from './spec.js';
import { checkName, inFileOrder, parseYaml, type ParseResult } from './topology-doc.js';
import {
  Reporter, asList, at, checkKeys, describeNode, entries, isNull, item,
  type Entry,
} from './yaml-nodes.js';

export type { ParseResult } from './topology-doc.js';

const TOP_KEYS = ['name', 'config', 'spouts', 'bolts'];

/**
 * Parses and validates a native topology definition.
 * @param text the file's content
 * @param file the file's absolute path: used in messages and to resolve relative js modules
 */
export function parseTopology(text: string, file: string): ParseResult {
  const { rep, root, ok } = parseYaml(text, file);
  if (!ok) return { issues: rep.issues, warnings: rep.warnings };
  const spec = readTopology(root, rep);
  const warnings = inFileOrder(rep.warnings);
  if (spec && rep.issues.length === 0) return { spec, issues: [], warnings };
  return { issues: inFileOrder(rep.issues), warnings };
}

function readTopology(root: Node | null, rep: Reporter): TopologySpec | undefined {
  if (isNull(root)) {
    rep.error(root, 'the topology file is empty', 'a topology needs at least "name" and "spouts"');
    return undefined;
  }
  if (!isMap(root)) {
    rep.error(root, `the topology must be a map (got ${describeNode(root)})`, `top-level keys: ${TOP_KEYS.join(', ')}`);
    return undefined;
  }
  const f = entries(root, rep);
  checkKeys(f, TOP_KEYS, 'top-level', rep);
  const name = readName(f.get('name'), root, rep);
  const config = readConfig(f.get('config'), rep);
  const ids = new Map<string, Node>();
  const spouts = readComponents(f.get('spouts'), 'spout', root, rep, ids);
  const bolts = readComponents(f.get('bolts'), 'bolt', root, rep, ids);
  checkSubscriptions([...spouts, ...bolts], rep);
  return {
    name, config,
    spouts: spouts.flatMap((c) => c.spec ?? []),
    bolts: bolts.flatMap((c) => c.spec ?? []),
    source: rep.file,
  };
}

function readName(e: Entry | undefined, root: YAMLMap, rep: Reporter): string {
  if (!e) {
    rep.error(root, 'missing topology "name"', 'add name: <name> at the top level');
    return '';
  }
  return checkName(e, rep) ?? '';
}

function readComponents(e: Entry | undefined, kind: ComponentKind, root: YAMLMap, rep: Reporter, ids: Map<string, Node>): ParsedComponent[] {
  const spoutHint = 'add spouts: [{id: ..., shell: [...], outputs: [...]}]';
  if (!e) {
    if (kind === 'spout') rep.error(root, 'missing "spouts": a topology needs at least one spout', spoutHint);
    return [];
  }
  if (isNull(e.value)) {
    if (kind === 'spout') rep.error(at(e), '"spouts" is empty: a topology needs at least one spout', spoutHint);
    return [];
  }
  const list = asList(e, `"${kind}s"`, rep, `a list of ${kind}s`);
  if (!list) return [];
  if (kind === 'spout' && list.items.length === 0) {
    rep.error(list, '"spouts" is empty: a topology needs at least one spout', spoutHint);
  }
  return list.items.flatMap((n) => readComponent(item(n as Node | null, list, rep), kind, rep, ids) ?? []);
}
