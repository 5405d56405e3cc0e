/**
 * Where Squall itself is installed: the directory holding its package.json. Found from this
 * module's own location, not the working directory, so it is right under src/ (tsx) and
 * dist/ alike, and wherever the package is installed.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** @throws {Error} when no package.json is above this module (a broken installation). */
export function packageRoot(): string {
  cached ??= find();
  return cached;
}

function find(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the Squall package root (no package.json above src/common)');
    dir = up;
  }
  return dir;
}
