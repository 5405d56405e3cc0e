/**
 * The nimbus role: the daemon (nimbus.ts) and the pure pieces it is built from — Storm's even
 * scheduler (scheduler.ts), the topology status machine (topology-status.ts) — plus the
 * errors its API answers with.
 *
 * @example
 * ```ts
 * await using store = await ZooKeeperStateStore.connect({ servers: ['127.0.0.1:2181'], chroot: '/squall' });
 * await using nimbus = await Nimbus.start({ store, localDir: './squall-local', port: 0 });
 * console.log(`nimbus ${nimbus.id} at ${nimbus.address}, leading: ${nimbus.isLeader}`);
 * ```
 */
export { Nimbus } from './nimbus.js';
export {
  compileNimbusOptions, defaultNimbusId, DEFAULT_MONITOR_FREQ_MS, DEFAULT_TASK_TIMEOUT_MS, DEFAULT_TASK_LAUNCH_MS,
  DEFAULT_NIMBUS_MAX_PACKAGE_BYTES, DEFAULT_NIMBUS_SHUTDOWN_GRACE_MS, DEFAULT_PACKAGE_SYNC_WAIT_MS,
} from './options.js';
export { PackageNotFoundError } from './package-store.js';
export { PACKAGE_ID_PATTERN } from '../packages/package-file.js';
export { SubmitValidationError } from './topology-catalog.js';
export { TopologyNotFoundError } from './status-shell.js';
export { TopologyExistsError } from './handlers/submit.js';
export { schedule, rebalance } from './scheduler.js';
export { demandFromPlan } from './demand.js';
export { step, InvalidTransitionError } from './topology-status.js';

export type { NimbusState } from './nimbus.js';
export type { NimbusOptions, CompiledNimbusOptions } from './options.js';
