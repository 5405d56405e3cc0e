/**
 * What the YAML topology loaders (native, Flux) share: the result shape, parsing one document
 * with positions, the topology name, and the order issues are listed in.
 */
import { LineCounter, parseDocument, type Node } from 'yaml';
import type { ValidationIssue } from '../common/errors.js';
import { NAME_HINT } from './native-component.js';
import { NAME_PATTERN, type TopologySpec } from './spec.js';
import { Reporter, asString, at, lineCounterOf, type Entry } from './yaml-nodes.js';

export interface ParseResult {
  /** Set if and only if `issues` is empty. */
  spec?: TopologySpec;
  issues: ValidationIssue[];
  /** Problems that do not stop the topology from running (e.g. config keys Squall ignores). */
  warnings: ValidationIssue[];
}

export interface ParsedYaml {
  rep: Reporter;
  root: Node | null;
  /** False when the text is not valid YAML: its fragments are not worth checking. */
  ok: boolean;
}

/** The file as written, when the parsed text was derived from it (Flux's `${...}` substitution). */
export interface SourceText {
  text: string;
  toSource: (offset: number) => number;
}

/** Parses one YAML document; syntax errors and YAML warnings go to the returned reporter. */
export function parseYaml(text: string, file: string, source?: SourceText): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const rep = source
    ? Reporter.create(file, lineCounterOf(source.text), doc, source.toSource)
    : Reporter.create(file, lines, doc);
  for (const err of doc.errors) rep.error(err.pos[0], `invalid YAML: ${yamlMessage(err.code, err.message)}`);
  // A broken document parses into fragments whose checks would only add noise.
  if (doc.errors.length > 0) return { rep, root: null, ok: false };
  for (const w of doc.warnings) rep.warn(w.pos[0], `YAML: ${lowerFirst(w.message)}`);
  return { rep, root: doc.contents, ok: true };
}

/** The topology name, checked against NAME_PATTERN; undefined when unusable (reported). */
export function checkName(e: Entry, rep: Reporter): string | undefined {
  const name = asString(e, '"name"', rep);
  if (name === undefined) return undefined;
  if (!NAME_PATTERN.test(name)) {
    rep.error(at(e), `invalid topology name "${name}"`, NAME_HINT);
    return undefined;
  }
  return name;
}

/**
 * Checks run section by section and cross-references last; users read a file top-down.
 * With several files (Flux includes), `files` gives their order; unlisted files come last.
 */
export function inFileOrder(issues: ValidationIssue[], files: readonly string[] = []): ValidationIssue[] {
  const rank = (file: string): number => {
    const i = files.indexOf(file);
    return i < 0 ? files.length : i;
  };
  return [...issues].sort((a, b) => rank(a.file) - rank(b.file) || a.line - b.line || a.column - b.column);
}

/** yaml's messages, except where its advice is for programmers rather than topology authors. */
function yamlMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'the file holds several documents (separated by "---"); a topology is one document';
  return lowerFirst(message);
}

export function lowerFirst(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}
