/**
 * What both kinds of component process share (a multilang child, a launched gRPC component):
 * how they are spawned, signalled and waited for, and the stderr tail their errors quote.
 */
import { execa, type ResultPromise } from 'execa';

export interface ComponentCommand {
  command: readonly string[];
  cwd: string;
  /** The whole environment of the process (nothing is inherited). */
  env: Record<string, string>;
}

/** How the process's stdio is set up: a multilang child talks over raw stdin/stdout bytes. */
export type ComponentStdio =
  | { stdin: 'pipe'; encoding: 'buffer'; stripFinalNewline: false }
  | { stdin: 'ignore' };

const STDERR_TAIL_IN_ERRORS = 4096;

/**
 * Spawns without a shell, in its own process group (see signalGroup), with exactly `env`,
 * stdout and stderr piped and never buffered; exit and spawn failure arrive as events (the
 * result never rejects), and execa kills the process if Squall exits.
 */
export function spawnComponent(c: ComponentCommand, stdio: ComponentStdio): ResultPromise {
  const [file, ...args] = c.command;
  return execa(file!, args, {
    cwd: c.cwd,
    env: c.env,
    extendEnv: false,
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    detached: true,
    cleanup: true,
    ...stdio,
  });
}

/** Signals a process group (the child and anything it started); ignores "no such process". */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** True if `exited` settles within `ms`. */
export function exitsWithin(exited: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void exited.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** The last lines of a process's stderr, to append to an error message ('' when it said nothing). */
export function stderrTailHint(stderrTail: string): string {
  let tail = stderrTail.trimEnd();
  if (tail.length > STDERR_TAIL_IN_ERRORS) tail = `…${tail.slice(tail.length - STDERR_TAIL_IN_ERRORS)}`;
  return tail ? `\n  stderr (last lines):\n    ${tail.split('\n').slice(-20).join('\n    ')}` : '';
}
