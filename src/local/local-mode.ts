/**
 * Local mode: the whole topology in this process, coordination in memory, no ZooKeeper.
 * Runs until the duration ends or the signal aborts, then drains in-flight tuples (bounded)
 * and closes every component.
 */
import { systemClock, type Clock } from '../common/clock.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { createHostFactory } from '../hosts/factory.js';
import { createRunDir, defaultRunsDir, sweepRun } from '../hosts/shell/pid-dirs.js';
import { Runtime, type DrainResult } from '../runtime/runtime.js';
import type { ComponentStats } from '../runtime/stats.js';
import type { TopologyPlan } from '../topology/plan.js';

export interface LocalRunOptions {
  plan: TopologyPlan;
  /** Stop after this long; undefined runs until the signal aborts. */
  durationMs?: number;
  /** Longest wait for in-flight tuples to finish when stopping. */
  drainTimeoutMs: number;
  signal?: AbortSignal;
  /** Environment for component subprocesses (the CLI passes process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where pid directories of component subprocesses go; default under the OS temp dir. */
  runsDir?: string;
  /** Called about once a second with fresh stats. */
  onStats?: (stats: ComponentStats[], elapsedMs: number) => void;
  clock?: Clock;
  logger?: Logger;
}

export interface LocalRunResult {
  stats: ComponentStats[];
  elapsedMs: number;
  drain: DrainResult;
  stoppedBy: 'duration' | 'signal';
}

export async function runLocal(opts: LocalRunOptions): Promise<LocalRunResult> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger;
  const topologyFile = opts.plan.spec.source;
  const runDir = await createRunDir(opts.runsDir ?? defaultRunsDir(), logger);
  // Last resort for children that survived their host: runs after the runtime closed.
  await using _sweep = { [Symbol.asyncDispose]: () => sweepRun(runDir.path, runDir.runId, logger).then(() => {}) };
  await using runtime = await Runtime.create({
    plan: opts.plan,
    factory: createHostFactory({ ...(topologyFile ? { topologyFile } : {}), runDir, baseEnv: opts.env ?? {} }),
    clock,
    logger,
  });
  const started = clock.now();
  runtime.start();
  logger.info(`topology "${opts.plan.name}" running in local mode`, { tasks: opts.plan.taskComponent.length - 1 });
  const ticker = clock.setInterval(() => opts.onStats?.(runtime.stats(), clock.now() - started), 1000);
  let stoppedBy: LocalRunResult['stoppedBy'];
  try {
    stoppedBy = await waitForStop(clock, opts.durationMs, opts.signal);
  } finally {
    ticker.cancel();
  }
  logger.info(`stopping: draining in-flight tuples (up to ${Math.round(opts.drainTimeoutMs / 1000)}s)`);
  const drain = await runtime.drain(opts.drainTimeoutMs);
  if (!drain.complete) {
    logger.warn(`drain timed out with ${drain.pendingTrees} tuple trees in flight and ${drain.queued} tuples queued`);
  }
  const elapsedMs = clock.now() - started;
  await runtime.close();
  return { stats: runtime.stats(), elapsedMs, drain, stoppedBy };
}

function waitForStop(clock: Clock, durationMs: number | undefined, signal: AbortSignal | undefined): Promise<'duration' | 'signal'> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve('signal');
    const timer = durationMs === undefined ? undefined : clock.setTimeout(() => done('duration'), durationMs);
    const onAbort = (): void => done('signal');
    signal?.addEventListener('abort', onAbort, { once: true });
    // Keeps the process alive while nothing else does (system timers are unref'ed).
    const keepAlive = setInterval(() => {}, 1 << 30);
    function done(why: 'duration' | 'signal'): void {
      timer?.cancel();
      signal?.removeEventListener('abort', onAbort);
      clearInterval(keepAlive);
      resolve(why);
    }
  });
}
