/**
 * The supervisor role: one daemon per machine that starts, watches and stops the worker
 * processes of its slots (docs/CLUSTER.md). It starts workers as processes and never imports
 * the worker role.
 */
export { Supervisor } from './supervisor.js';
export {
  compileSupervisorOptions, DEFAULT_WORKER_TIMEOUT_MS, DEFAULT_WORKER_START_TIMEOUT_MS, DEFAULT_MONITOR_FREQUENCY_MS,
  DEFAULT_NIMBUS_HEARTBEAT_MS, DEFAULT_ASSIGNMENT_SYNC_MS, DEFAULT_KILL_GRACE_MS, DEFAULT_RESTART_DELAY_MS,
  DEFAULT_MAX_RESTART_DELAY_MS,
} from './options.js';
export { step, recoverSlot, emptySlot, slotWorker, slotInUse, sameWorker } from './slot.js';
export { desiredSlots, workerIdOf } from './desired.js';
export { processSpawner, defaultSpawnWorker, workerArgs } from './launcher.js';
export { systemProcesses } from './processes.js';
export { SupervisorDirs, readHeartbeat, readWorkerRecord } from './worker-files.js';
export { componentCounters, workerReport } from './nimbus-reporter.js';

export type { SupervisorState, SupervisorCloseOptions } from './supervisor.js';
export type { SupervisorOptions, CompiledSupervisorOptions, SupervisorNimbus } from './options.js';
export type {
  SlotState, SlotPhase, SlotEvent, SlotEffect, SlotTiming, SlotAssignment, SlotWorker, StepResult, KillReason,
  ExecutorRange, RecoveredWorker, WorkerObservation,
} from './slot.js';
export type { DesiredInput, DesiredSlots } from './desired.js';
export type { SpawnWorker, WorkerLaunch, LaunchedWorker, WorkerExit, ProcessSpawnerOptions } from './launcher.js';
export type { ProcessControl } from './processes.js';
export type { WorkerRecord, HeartbeatFile, HeartbeatStats } from './worker-files.js';
export type { PackageSource } from './package-cache.js';
