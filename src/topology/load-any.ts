/**
 * One entry point for topology files: Flux YAML or the native format, told apart by content
 * so that `squall run` takes either without a flag. Python DSL files (.py) are told apart by
 * name: they must be run to give their content (src/local/load-python-topology.ts), then
 * load-python.ts validates what they define.
 */
import { isFluxDocument, parseFlux, type FluxOptions } from './load-flux.js';
import { parseTopology } from './load-native.js';
import type { ParseResult } from './topology-doc.js';

/**
 * Parses a topology file of either format.
 * @param opts used by Flux only: environment, properties and the reader for includes
 */
export function parseTopologyAny(text: string, file: string, opts: FluxOptions): ParseResult {
  return isFluxDocument(text) ? parseFlux(text, file, opts) : parseTopology(text, file);
}

/** Whether a topology file is written in the Python DSL. */
export function isPythonTopologyFile(file: string): boolean {
  return file.endsWith('.py');
}
