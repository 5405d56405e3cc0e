import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export const COMPAT_DIR = join(ROOT, '.cache', 'compat');
export const COMPAT_PYTHON = join(COMPAT_DIR, 'venv', 'bin', 'python');
export const STORM_PY_DIR = join(COMPAT_DIR, 'storm');

/**
 * Installs pystorm and Apache Storm's storm.py (idempotent). Fails loudly rather than skipping:
 * compatibility is a feature, and a suite that silently skips it proves nothing.
 */
export function ensureCompatAdapters(): void {
  try {
    execFileSync(join(ROOT, 'scripts', 'install-compat-adapters.sh'), { stdio: 'pipe', timeout: 600_000 });
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`cannot install the third-party multilang adapters (scripts/install-compat-adapters.sh):\n${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}`);
  }
}
