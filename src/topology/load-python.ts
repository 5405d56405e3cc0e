/**
 * Python DSL topologies (multilang/python/squall/topology.py), the pure half: what
 * `python3 -m squall.topology <file> --envelope` printed, turned into a validated spec by the
 * native parser, so a Python topology gets the same checks and messages as a YAML one, at the
 * line of the .py file where each part was defined.
 */
import type { ValidationIssue } from '../common/errors.js';
import { parseTopology, type ParseResult } from './load-native.js';
import type { SourcePos, TopologySpec } from './spec.js';

/** Where something was written: [file, line]; the line is null when Python did not say. */
export type PythonWhere = [string, number | null];

/** What the DSL reports on success: the native document and where its parts came from. */
export interface PythonTopology {
  topology: Record<string, unknown>;
  positions: {
    topology?: PythonWhere | null;
    config?: PythonWhere | null;
    spouts?: Array<PythonWhere | null>;
    bolts?: Array<PythonWhere | null>;
  };
}

/** What the DSL reports when the file could not be turned into a topology. */
export interface PythonFailure {
  message: string;
  file?: string;
  line?: number;
  hint?: string;
}

export type PythonEnvelope = { ok: true; value: PythonTopology } | { ok: false; error: PythonFailure };

/** The envelope printed on stdout, or undefined when stdout is not one (Python failed early). */
export function readPythonEnvelope(stdout: string): PythonEnvelope | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
  } catch {
    return undefined;
  }
  if (!isObject(parsed)) return undefined;
  if (isObject(parsed.error) && typeof parsed.error.message === 'string') return { ok: false, error: parsed.error as unknown as PythonFailure };
  if (isObject(parsed.topology)) {
    const positions = isObject(parsed.positions) ? parsed.positions : {};
    return { ok: true, value: { topology: parsed.topology, positions } };
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Validates the DSL's document with the native parser. Problems and the spec's positions
 * point at the .py lines where the topology, its config and each component were written.
 * @param file the .py file (absolute): messages name it, js modules resolve beside it
 */
export function parsePythonTopology(value: PythonTopology, file: string): ParseResult {
  const { text, where } = layout(value, file);
  const result = parseTopology(text, file);
  const toSource = (pos: SourcePos): SourcePos => {
    const w = where[pos.line - 1] ?? where[0]!;
    return { file: w[0], line: w[1] ?? 1, column: 1 };
  };
  const issue = (i: ValidationIssue): ValidationIssue => (i.file === file ? { ...i, ...toSource(i) } : i);
  const out: ParseResult = { issues: result.issues.map(issue), warnings: result.warnings.map(issue) };
  if (result.spec) out.spec = remapSpec(result.spec, toSource);
  return out;
}

/**
 * The document as JSON text with each component on a line of its own, and for each line
 * where its content was written: positions in the text then map to lines of the .py file.
 */
function layout(value: PythonTopology, file: string): { text: string; where: PythonWhere[] } {
  const p = value.positions;
  const top: PythonWhere = p.topology ?? [file, null];
  const lines: string[] = ['{'];
  const where: PythonWhere[] = [top];
  const keys = Object.keys(value.topology);
  keys.forEach((key, k) => {
    const comma = k < keys.length - 1 ? ',' : '';
    const v = value.topology[key];
    const parts = key === 'spouts' ? p.spouts : key === 'bolts' ? p.bolts : undefined;
    if (Array.isArray(v) && v.length > 0 && parts) {
      lines.push(`${JSON.stringify(key)}: [`);
      where.push(parts[0] ?? top);
      v.forEach((c, i) => {
        lines.push(JSON.stringify(c) + (i < v.length - 1 ? ',' : ''));
        where.push(parts[i] ?? top);
      });
      lines.push(`]${comma}`);
      where.push(top);
    } else {
      lines.push(`${JSON.stringify(key)}: ${JSON.stringify(v)}${comma}`);
      where.push((key === 'config' ? p.config : undefined) ?? top);
    }
  });
  lines.push('}');
  where.push(top);
  return { text: lines.join('\n'), where };
}

function remapSpec(spec: TopologySpec, toSource: (pos: SourcePos) => SourcePos): TopologySpec {
  const at = <T extends { pos?: SourcePos }>(x: T): T => (x.pos ? { ...x, pos: toSource(x.pos) } : x);
  const component = (c: TopologySpec['spouts'][number]): TopologySpec['spouts'][number] => ({
    ...at(c), outputs: c.outputs.map(at), inputs: c.inputs.map(at),
  });
  return { ...spec, spouts: spec.spouts.map(component), bolts: spec.bolts.map(component) };
}
