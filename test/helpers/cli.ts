import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ROOT, runProgram, type ProgramResult } from './processes.js';

export { ROOT };
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export type CliResult = ProgramResult;

/** Runs the built `squall` CLI; `onStart` may signal the child once it is running. */
export function runCli(args: string[], opts: { env?: Record<string, string>; onStart?: (pid: number) => void; timeoutMs?: number } = {}): Promise<CliResult> {
  return runProgram(process.execPath, [CLI, ...args], { env: { ...process.env, ...opts.env }, onStart: opts.onStart, timeoutMs: opts.timeoutMs ?? 30_000 });
}

/**
 * The word → count map a word count's count bolts log at cleanup ("final counts: w=n …" lines,
 * on stderr from `squall run`); a word logged twice keeps the later count.
 */
export function finalCounts(stderr: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of stderr.split('\n')) {
    const at = line.indexOf('final counts: ');
    if (at < 0) continue;
    for (const pair of line.slice(at + 'final counts: '.length).trim().split(' ')) {
      const [w, n] = pair.split('=');
      counts.set(w!, Number(n));
    }
  }
  return counts;
}

/** `squall run <topology> --duration 4s` of a word count: asserts exit 0; the result and its finalCounts(). */
export async function runWordCount(topology: string): Promise<CliResult & { counts: Map<string, number> }> {
  const r = await runCli(['run', topology, '--duration', '4s']);
  assert.equal(r.code, 0, r.stderr);
  return { ...r, counts: finalCounts(r.stderr) };
}
