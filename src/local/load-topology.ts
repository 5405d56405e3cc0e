/**
 * Reading a topology file from disk and turning it into a validated plan: the I/O half of
 * src/topology (which stays pure).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TopologyValidationError, UsageError, type ValidationIssue } from '../common/errors.js';
import { parseTopologyAny } from '../topology/load-any.js';
import { compilePlan, type TopologyPlan } from '../topology/plan.js';
import type { TopologySpec } from '../topology/spec.js';

export interface LoadedTopology {
  spec: TopologySpec;
  plan: TopologyPlan;
  warnings: ValidationIssue[];
}

/**
 * Reads, parses (native format or Storm Flux), validates and compiles; throws
 * TopologyValidationError listing every problem. `env` fills Flux's ${ENV-NAME} placeholders.
 */
export async function loadTopologyFile(
  path: string,
  overrides: Record<string, unknown> = {},
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<LoadedTopology> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `topology file not found: ${path}` : `cannot read topology file ${path}: ${(err as Error).message}`, {
      hint: code === 'EISDIR' ? 'name the topology file inside the directory (e.g. topology.yaml)' : 'check the path',
    });
  }
  const result = parseTopologyAny(text, file, { env, readFile: readIncluded });
  // Messages name the file as the user typed it; the spec keeps the absolute path.
  const shown = (issues: ValidationIssue[]): ValidationIssue[] => issues.map((i) => ({ ...i, file: i.file === file ? path : i.file }));
  if (result.issues.length > 0 || !result.spec) throw new TopologyValidationError(shown(result.issues));
  return { spec: result.spec, plan: compilePlan(result.spec, overrides), warnings: shown(result.warnings) };
}

/** Flux includes: undefined tells the loader the file cannot be read (it reports it). */
function readIncluded(absPath: string): string | undefined {
  try {
    return readFileSync(absPath, 'utf8');
  } catch {
    return undefined;
  }
}
