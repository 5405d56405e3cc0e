/**
 * The native topology format, YAML or JSON (JSON is YAML, so one parser gives positions for
 * both): parsing and validation into a TopologySpec. Pure: the caller reads the file.
 *
 * Every problem is reported, each at the most specific node (file:line:column), so that one
 * run shows all there is to fix.
 */
import { LineCounter, isMap, parseDocument, type Node, type YAMLMap } from 'yaml';
import type { ValidationIssue } from '../common/errors.js';
import { NAME_HINT, readComponent, readConfig, type ComponentKind, type ParsedComponent } from './native-component.js';
import { checkSubscriptions } from './native-inputs.js';
import { NAME_PATTERN, type TopologySpec } from './spec.js';
import {
  Reporter, asList, asString, at, checkKeys, describeNode, entries, isNull, item,
  type Entry,
} from './yaml-nodes.js';

export interface ParseResult {
  /** Set if and only if `issues` is empty. */
  spec?: TopologySpec;
  issues: ValidationIssue[];
  /** Problems that do not stop the topology from running (e.g. config keys Squall ignores). */
  warnings: ValidationIssue[];
}

const TOP_KEYS = ['name', 'config', 'spouts', 'bolts'];

/**
 * Parses and validates a native topology definition.
 * @param text the file's content
 * @param file the file's absolute path: used in messages and to resolve relative js modules
 */
export function parseTopology(text: string, file: string): ParseResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const rep = Reporter.create(file, lines, doc);
  for (const err of doc.errors) rep.error(err.pos[0], `invalid YAML: ${yamlMessage(err.code, err.message)}`);
  // A broken document parses into fragments whose checks would only add noise.
  if (doc.errors.length > 0) return { issues: rep.issues, warnings: rep.warnings };
  for (const w of doc.warnings) rep.warn(w.pos[0], `YAML: ${lowerFirst(w.message)}`);
  const spec = readTopology(doc.contents as Node | null, rep);
  const warnings = inFileOrder(rep.warnings);
  if (spec && rep.issues.length === 0) return { spec, issues: [], warnings };
  return { issues: inFileOrder(rep.issues), warnings };
}

/** Checks run section by section and cross-references last; users read a file top-down. */
function inFileOrder(issues: ValidationIssue[]): ValidationIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
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
  const name = asString(e, '"name"', rep);
  if (name !== undefined && !NAME_PATTERN.test(name)) rep.error(at(e), `invalid topology name "${name}"`, NAME_HINT);
  return name ?? '';
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

/** yaml's messages, except where its advice is for programmers rather than topology authors. */
function yamlMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'the file holds several documents (separated by "---"); a topology is one document';
  return lowerFirst(message);
}

function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}
