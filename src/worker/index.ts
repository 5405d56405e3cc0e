/**
 * The worker role: one process per slot, started by a supervisor with `squall worker`
 * (docs/CLUSTER.md). {@link Worker} runs the slot's tasks in a {@link WorkerDataPlane},
 * follows the topology status and the assignment, and heartbeats to its supervisor through
 * `heartbeat.json`.
 */
export { Worker, DEFAULT_WORKER_HEARTBEAT_MS, MAX_WORKER_DRAIN_MS } from './worker.js';
export { WorkerDataPlane } from './data-plane.js';
export { writeHeartbeatFile, HEARTBEAT_FILE } from './heartbeat-file.js';
export { slotTasks, peerAddresses, sameTasks } from './assignment-view.js';

export type { WorkerOptions, WorkerState, WorkerStopReason } from './worker.js';
export type { WorkerDataPlaneOptions } from './data-plane.js';
export type { WorkerHeartbeat } from './heartbeat-file.js';
