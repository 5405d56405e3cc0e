/**
 * Typed reading of a parsed YAML document that keeps source positions. Accessors report
 * problems to a Reporter and return undefined instead of throwing, so that a loader can go on
 * and list every problem of a file at once.
 */
import {
  LineCounter, isAlias, isMap, isScalar, isSeq,
  type Document, type Node, type YAMLMap, type YAMLSeq,
} from 'yaml';
import type { ValidationIssue } from '../common/errors.js';
import { didYouMean } from '../common/suggest.js';
import { describe } from './config-schema.js';
import type { SourcePos } from './spec.js';

interface Sink {
  file: string;
  lines: LineCounter;
  doc: Document;
  toSource: (offset: number) => number;
  issues: ValidationIssue[];
  warnings: ValidationIssue[];
}

/** Collects issues for one file; forComponent() gives a view that tags them with a component. */
export class Reporter {
  private constructor(private readonly sink: Sink, readonly component?: string) {}

  /**
   * @param lines line starts of the file as written
   * @param toSource maps an offset in the parsed text to one in the file, when they differ
   *   (Flux substitutes `${...}` before parsing); positions then point at what the user wrote
   */
  static create(file: string, lines: LineCounter, doc: Document, toSource: (offset: number) => number = (o) => o): Reporter {
    return new Reporter({ file, lines, doc, toSource, issues: [], warnings: [] });
  }

  get file(): string { return this.sink.file; }
  get doc(): Document { return this.sink.doc; }
  get issues(): ValidationIssue[] { return this.sink.issues; }
  get warnings(): ValidationIssue[] { return this.sink.warnings; }

  forComponent(id: string | undefined): Reporter {
    return new Reporter(this.sink, id);
  }

  pos(at: Node | number | null | undefined): SourcePos {
    const offset = typeof at === 'number' ? at : at?.range?.[0] ?? 0;
    const { line, col } = this.sink.lines.linePos(this.sink.toSource(offset));
    // linePos gives line 0 before the first recorded line start; the file starts at 1:1.
    return { file: this.sink.file, line: Math.max(line, 1), column: Math.max(col, 1) };
  }

  error(at: Node | number | null | undefined, message: string, hint?: string): void {
    this.sink.issues.push(this.issue(at, message, hint));
  }

  warn(at: Node | number | null | undefined, message: string, hint?: string): void {
    this.sink.warnings.push(this.issue(at, message, hint));
  }

  private issue(at: Node | number | null | undefined, message: string, hint?: string): ValidationIssue {
    const { file, line, column } = this.pos(at);
    const issue: ValidationIssue = { file, line, column, message };
    if (this.component !== undefined) issue.component = this.component;
    if (hint !== undefined) issue.hint = hint;
    return issue;
  }
}

/** Line starts of `text`, counted as yaml's parser counts them. */
export function lineCounterOf(text: string): LineCounter {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  return lines;
}

/** One key of a map: the key's text, its node (for positions) and its value (aliases resolved). */
export interface Entry {
  key: string;
  keyNode: Node;
  /** Null for a key without a value in a flow map (`{a}`). */
  value: Node | null;
}

/** The entries of a map by key; non-scalar keys are reported and skipped. */
export function entries(map: YAMLMap, rep: Reporter): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const pair of map.items) {
    const keyNode = pair.key as Node | null;
    if (!isScalar(keyNode)) {
      rep.error(keyNode ?? map, 'keys must be plain strings');
      continue;
    }
    const key = String(keyNode.value);
    out.set(key, { key, keyNode, value: deref(pair.value as Node | null, rep) });
  }
  return out;
}

/** Follows an alias to its anchored node; an alias to nothing is reported. */
function deref(node: Node | null, rep: Reporter): Node | null {
  if (!isAlias(node)) return node;
  const target = node.resolve(rep.doc);
  if (target === undefined) rep.error(node, `alias "*${node.source}" has no anchor "&${node.source}" before it`);
  return target ?? null;
}

/** Reports keys not in `allowed`, suggesting the closest valid key. */
export function checkKeys(fields: Map<string, Entry>, allowed: readonly string[], what: string, rep: Reporter): void {
  for (const { key, keyNode } of fields.values()) {
    if (allowed.includes(key)) continue;
    rep.error(keyNode, `unknown ${what} key "${key}"${didYouMean(key, allowed)}`, `valid keys: ${allowed.join(', ')}`);
  }
}

export function describeNode(node: Node | null): string {
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return describe(node.value);
  return 'nothing';
}

/** Where to point for a value: the value itself, or its key when the value is missing. */
export function at(entry: Entry): Node {
  return entry.value ?? entry.keyNode;
}

export function isNull(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

function wrongType(e: Entry, label: string, expected: string, rep: Reporter): undefined {
  rep.error(at(e), `${label} must be ${expected} (got ${describeNode(e.value)})`);
  return undefined;
}

export function asMap(e: Entry, label: string, rep: Reporter, expected = 'a map'): YAMLMap | undefined {
  return isMap(e.value) ? e.value : wrongType(e, label, expected, rep);
}

export function asList(e: Entry, label: string, rep: Reporter, expected = 'a list'): YAMLSeq | undefined {
  return isSeq(e.value) ? e.value : wrongType(e, label, expected, rep);
}

/** A string; `nonEmpty` also rejects "". */
export function asString(e: Entry, label: string, rep: Reporter, nonEmpty = true): string | undefined {
  if (isScalar(e.value) && typeof e.value.value === 'string' && (!nonEmpty || e.value.value !== '')) {
    return e.value.value;
  }
  return wrongType(e, label, nonEmpty ? 'a non-empty string' : 'a string', rep);
}

export function asInt(e: Entry, label: string, min: number, rep: Reporter): number | undefined {
  const v = isScalar(e.value) ? e.value.value : undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= min) return v;
  return wrongType(e, label, `an integer >= ${min}`, rep);
}

export function asBool(e: Entry, label: string, rep: Reporter): boolean | undefined {
  const v = isScalar(e.value) ? e.value.value : undefined;
  return typeof v === 'boolean' ? v : wrongType(e, label, 'true or false', rep);
}

/** A list item as an entry, so the accessors above work on lists too. */
export function item(node: Node | null, list: YAMLSeq, rep: Reporter): Entry {
  const value = deref(node, rep);
  return { key: '', keyNode: value ?? list, value };
}

/** The items of a list of strings with their nodes; bad items are reported and skipped. */
export function stringItems(list: YAMLSeq, label: string, rep: Reporter): Array<{ value: string; node: Node }> {
  const out: Array<{ value: string; node: Node }> = [];
  for (const raw of list.items as Array<Node | null>) {
    const node = deref(raw, rep);
    if (isScalar(node) && typeof node.value === 'string' && node.value !== '') out.push({ value: node.value, node });
    else rep.error(node ?? list, `${label} must be non-empty strings (got ${describeNode(node)})`);
  }
  return out;
}

/** A plain JS value for config and args; yaml throws on alias bombs, which we report. */
export function toJS(node: Node | null, rep: Reporter): unknown {
  if (node === null) return null;
  try {
    return node.toJS(rep.doc, { maxAliasCount: 100 });
  } catch (err) {
    rep.error(node, `cannot read value: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}
