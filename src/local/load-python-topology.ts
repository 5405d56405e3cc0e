/**
 * Python DSL topologies, the I/O half: runs `python3 -m squall.topology <file> --envelope`
 * (no shell, in the file's directory, Squall's adapter first on PYTHONPATH, bounded in time)
 * and turns what it prints into the envelope of src/topology/load-python.ts.
 */
import { delimiter, dirname } from 'node:path';
import { execa } from 'execa';
import { UsageError } from '../common/errors.js';
import { PYTHON_ADAPTER_DIR } from '../hosts/factory.js';
import { readPythonEnvelope, type PythonTopology } from '../topology/load-python.js';

/** How long a topology file may take to define its topology. */
export const DEFAULT_PYTHON_TIMEOUT_MS = 30_000;

export interface PythonTopologyOptions {
  /** The interpreter, looked up on the PATH of `env`. @default 'python3' */
  python?: string;
  /** The Topology subclass to use when the file defines several. */
  className?: string;
  /** @default {@link DEFAULT_PYTHON_TIMEOUT_MS} */
  timeoutMs?: number;
  /** Stops Python (SIGTERM) when aborted. */
  signal?: AbortSignal;
}

/**
 * Runs the topology file and returns the document it defines.
 * @param file absolute path of the .py file
 * @param shown the path as the user gave it, for messages
 * @param env the environment Python runs with (PYTHONPATH gains Squall's adapter directory)
 * @throws {UsageError} naming the file (and line) when Python cannot run it or it fails
 */
export async function evaluatePythonTopology(
  file: string, shown: string, env: Readonly<Record<string, string | undefined>>, opts: PythonTopologyOptions = {},
): Promise<PythonTopology> {
  const python = opts.python ?? 'python3';
  const args = ['-m', 'squall.topology', file, '--envelope', ...(opts.className ? ['--class', opts.className] : [])];
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PYTHON_TIMEOUT_MS;
  const r = await execa(python, args, {
    cwd: dirname(file), env: pythonEnv(env), extendEnv: false, stdin: 'ignore', reject: false,
    timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024,
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
  });
  const envelope = r.exitCode === undefined ? undefined : readPythonEnvelope(r.stdout);
  if (envelope?.ok) return envelope.value;
  if (envelope) {
    const { message, file: at, line, hint } = envelope.error;
    throw new UsageError(`cannot load Python topology: ${message}`, {
      context: { file: at === undefined || at === file ? shown : at, ...(line === undefined ? {} : { line }) },
      ...(hint === undefined ? {} : { hint }),
    });
  }
  throw runFailure(r, python, shown, timeoutMs);
}

function pythonEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  out.PYTHONPATH = out.PYTHONPATH ? `${PYTHON_ADAPTER_DIR}${delimiter}${out.PYTHONPATH}` : PYTHON_ADAPTER_DIR;
  return out;
}

interface RunResult { code?: string; timedOut: boolean; isCanceled: boolean; exitCode?: number; signal?: string; stderr: string }

/** Python did not get as far as printing an envelope. */
function runFailure(r: RunResult, python: string, shown: string, timeoutMs: number): UsageError {
  const context = { file: shown };
  if (r.code === 'ENOENT') {
    return new UsageError(`cannot run ${python} to read the Python topology: command not found`, { context, hint: 'install Python 3 and put python3 on PATH' });
  }
  if (r.timedOut) {
    return new UsageError(`the Python topology took longer than ${timeoutMs / 1000}s to load`, {
      context, hint: 'a topology file should only define classes; move other work under if __name__ == "__main__":',
    });
  }
  if (r.isCanceled) return new UsageError('loading the Python topology was interrupted', { context });
  const tail = r.stderr.trim().split('\n').slice(-5).join('\n  ');
  const how = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.exitCode ?? '?'}`;
  return new UsageError(`${python} ${how} while loading the Python topology${tail ? `:\n  ${tail}` : ''}`, {
    context, hint: 'run python3 -m squall.topology on the file to see the whole output',
  });
}
