/**
 * SupervisorHeartbeat: the leader keeps the report in memory (no ZooKeeper write per
 * heartbeat, CLUSTER.md "Liveness"); a non-leader refuses with E_NOT_LEADER naming the leader,
 * which NimbusClient follows, so a supervisor finds the leader by itself.
 */
import { UsageError } from '../../common/errors.js';
import type { NimbusHandlers } from '../../rpc/types.js';
import type { NimbusCore } from '../core.js';

/** The heartbeat handler. */
export function heartbeatHandlers(core: NimbusCore): Pick<NimbusHandlers, 'supervisorHeartbeat'> {
  return {
    async supervisorHeartbeat(hb) {
      await core.leader();
      if (hb.supervisorId === '') throw new UsageError('a supervisor heartbeat needs the supervisor id');
      core.heartbeats.record(hb, core.clock.now());
      return { ack: true, leaderAddress: core.address };
    },
  };
}
