/**
 * Squall's public API for Node.js programs: write spouts and bolts in JavaScript/TypeScript,
 * run topologies in process, serve components over gRPC, and drive a cluster.
 *
 * @example
 * ```ts
 * import { loadTopologyFile, runLocal } from 'squall';
 * const { plan } = await loadTopologyFile('topology.yaml');
 * const result = await runLocal({ plan, durationMs: 10_000, drainTimeoutMs: 5_000 });
 * console.log(result.stats);
 *
 * await using squall = await SquallClient.connect({ nimbus: '127.0.0.1:6627' });
 * await squall.submit('python-examples/wordcount');
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
export { SquallClient, DEFAULT_NIMBUS_ADDRESS, spoutAcked } from './sdk/client.js';
export { locateTopology, DEFINITION_NAMES } from './sdk/locate-topology.js';
export { serveComponent, DEFAULT_COMPONENT_ADDRESS } from './sdk/grpc-component.js';
export { GRPC_ADDRESS_ENV } from './hosts/grpc/grpc-process.js';
export { RpcError, NotLeaderError } from './rpc/errors.js';
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
export type {
  SquallClientOptions, SubmitOptions, SubmittedTopology, KillOptions, RebalanceOptions, WaitForOptions,
} from './sdk/client.js';
export type { ServeComponentOptions, ServedComponent, ComponentSource, ComponentInstance } from './sdk/grpc-component.js';
export type { LoadTopologyOptions, LoadedTopology } from './local/load-topology.js';
export type { PythonTopologyOptions } from './local/load-python-topology.js';
export type { TopologyDetails, TopologySummary, ClusterSummary } from './rpc/types.js';
export type { LocalRunOptions, LocalRunResult } from './local/local-mode.js';
export type { Clock } from './common/clock.js';
export type { Logger } from './common/logger.js';
