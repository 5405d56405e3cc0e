/**
 * Every NimbusHandlers method, assembled from the handler modules. Leader-only calls
 * (upload, submit, kill, activate, deactivate, rebalance, heartbeat) start with
 * `core.leader()`, which throws NotLeaderError naming the leader; reads and downloads are
 * served by any nimbus.
 */
import type { NimbusHandlers } from '../../rpc/types.js';
import type { NimbusCore } from '../core.js';
import { actionHandlers } from './actions.js';
import { heartbeatHandlers } from './heartbeat.js';
import { packageHandlers } from './packages.js';
import { readHandlers } from './reads.js';
import { submitHandlers } from './submit.js';

/** The full handler set of a nimbus. */
export function createNimbusHandlers(core: NimbusCore): NimbusHandlers {
  return {
    ...packageHandlers(core),
    ...submitHandlers(core),
    ...actionHandlers(core),
    ...readHandlers(core),
    ...heartbeatHandlers(core),
  };
}
