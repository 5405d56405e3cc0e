/**
 * Squall's public API for Node.js programs: write spouts and bolts in JavaScript/TypeScript,
 * and run topologies in process.
 *
 * @example
 * ```ts
 * import { loadTopologyFile, runLocal } from 'squall';
 * const { plan } = await loadTopologyFile('topology.yaml');
 * const result = await runLocal({ plan, durationMs: 10_000, drainTimeoutMs: 5_000 });
 * console.log(result.stats);
 * ```
 */
export { Runtime } from './runtime/runtime.js';
export { compilePlan } from './topology/plan.js';
export { parseTopology } from './topology/load-native.js';
export { loadTopologyFile } from './local/load-topology.js';
export { runLocal } from './local/local-mode.js';
export { createHostFactory } from './hosts/factory.js';
export { systemClock, FakeClock } from './common/clock.js';
export { silentLogger, MemoryLogger } from './common/logger.js';
export {
  SquallError, UsageError, ConfigError, ComponentError, TopologyValidationError, IllegalStateError, describeError,
} from './common/errors.js';
export { CONFIG_KEYS } from './topology/config-schema.js';
export { DEFAULT_STREAM } from './topology/spec.js';
export { TICK_STREAM, SYSTEM_COMPONENT, ACKER_COMPONENT } from './topology/plan.js';

export type {
  Spout, Bolt, Tuple, SpoutCollector, BoltCollector, EmitOptions, TopologyContext, TopologyConfig,
} from './runtime/api.js';
export type { RuntimeOptions, ComponentFactory, ComponentRequest, DrainResult } from './runtime/runtime.js';
export type { ComponentStats } from './runtime/stats.js';
export type { TopologySpec, ComponentSpec, GroupingSpec, StreamSpec, InputSpec } from './topology/spec.js';
export type { TopologyPlan } from './topology/plan.js';
export type { LocalRunOptions, LocalRunResult } from './local/local-mode.js';
export type { Clock } from './common/clock.js';
export type { Logger } from './common/logger.js';
