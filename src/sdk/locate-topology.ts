/**
 * Where a submitted topology lives: the package root (the directory that is packed) and the
 * definition's path inside it, from either a directory or a topology file.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../common/errors.js';

/** Definition file names looked for, in order, when a directory is given (a `.py` one is the Python DSL). */
export const DEFINITION_NAMES: readonly string[] = ['topology.yaml', 'topology.yml', 'topology.json', 'topology.py'];

export interface TopologyLocation {
  /** The package root, absolute. */
  dir: string;
  /** The definition's path relative to `dir`. */
  file: string;
}

/**
 * A file names itself and packs its directory; a directory must hold one of
 * {@link DEFINITION_NAMES}.
 * @throws {UsageError} when the target does not exist or holds no definition.
 */
export function locateTopology(target: string): TopologyLocation {
  const abs = resolve(target);
  if (!existsSync(abs)) throw new UsageError(`no such file or directory: ${target}`);
  if (!statSync(abs).isDirectory()) return { dir: dirname(abs), file: basename(abs) };
  const file = DEFINITION_NAMES.find((n) => existsSync(join(abs, n)));
  if (!file) throw new UsageError(`${target} has no ${DEFINITION_NAMES.join(' / ')}`, { hint: 'name the topology file instead of the directory' });
  return { dir: abs, file };
}
