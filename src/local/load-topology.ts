/**
 * Reading a topology file from disk and turning it into a validated plan: the I/O half of
 * src/topology (which stays pure).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TopologyValidationError, UsageError, type ValidationIssue } from '../common/errors.js';
import { isPythonTopologyFile, parseTopologyAny } from '../topology/load-any.js';
import { parsePythonTopology } from '../topology/load-python.js';
import type { ParseResult } from '../topology/topology-doc.js';
import { compilePlan, type TopologyPlan } from '../topology/plan.js';
import type { TopologySpec } from '../topology/spec.js';
import { evaluatePythonTopology, type PythonTopologyOptions } from './load-python-topology.js';

export interface LoadedTopology {
  spec: TopologySpec;
  plan: TopologyPlan;
  warnings: ValidationIssue[];
  /**
   * For a Python topology: the native JSON document its file defines. `squall submit` packs
   * it, so that nimbus and workers never run the user's Python to learn the topology.
   */
  generated?: string;
}

export interface LoadTopologyOptions {
  /**
   * Allows .py topology files (Squall's Python DSL), which means running the file: only for
   * the user's own commands, never for a package received from someone else.
   * @default undefined (a .py file is refused)
   */
  python?: PythonTopologyOptions;
}

/**
 * Reads, parses (native format, Storm Flux or, when allowed, the Python DSL), validates and
 * compiles; throws TopologyValidationError listing every problem. `env` fills Flux's
 * ${ENV-NAME} placeholders and is the environment the Python DSL runs with.
 */
export async function loadTopologyFile(
  path: string,
  overrides: Record<string, unknown> = {},
  env: Readonly<Record<string, string | undefined>> = {},
  opts: LoadTopologyOptions = {},
): Promise<LoadedTopology> {
  const file = resolve(path);
  let result: ParseResult;
  let generated: string | undefined;
  if (isPythonTopologyFile(file)) {
    if (!opts.python) {
      throw new UsageError(`${path} is a Python topology, which is not run here`, {
        hint: 'squall run and squall submit read Python topologies; submit writes the generated spec into the package',
      });
    }
    await readText(file, path); // the usual messages for a missing file or a directory
    const value = await evaluatePythonTopology(file, path, env, opts.python);
    result = parsePythonTopology(value, file);
    generated = `${JSON.stringify(value.topology, null, 2)}\n`;
  } else {
    result = parseTopologyAny(await readText(file, path), file, { env, readFile: readIncluded });
  }
  // Messages name the file as the user typed it; the spec keeps the absolute path.
  const shown = (issues: ValidationIssue[]): ValidationIssue[] => issues.map((i) => ({ ...i, file: i.file === file ? path : i.file }));
  if (result.issues.length > 0 || !result.spec) throw new TopologyValidationError(shown(result.issues));
  const loaded: LoadedTopology = { spec: result.spec, plan: compilePlan(result.spec, overrides), warnings: shown(result.warnings) };
  if (generated !== undefined) loaded.generated = generated;
  return loaded;
}

async function readText(file: string, path: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `topology file not found: ${path}` : `cannot read topology file ${path}: ${(err as Error).message}`, {
      hint: code === 'EISDIR' ? 'name the topology file inside the directory (e.g. topology.yaml)' : 'check the path',
    });
  }
}

/** Flux includes: undefined tells the loader the file cannot be read (it reports it). */
function readIncluded(absPath: string): string | undefined {
  try {
    return readFileSync(absPath, 'utf8');
  } catch {
    return undefined;
  }
}
