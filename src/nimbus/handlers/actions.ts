/**
 * KillTopology, ActivateTopology, DeactivateTopology, RebalanceTopology (leader only): each is
 * one event for the status shell (status-shell.ts), which steps the state machine, persists the
 * status and runs the effects. A kill with waitForRemoval answers only once the topology is
 * removed (or the call's deadline passes: it is cancelled, the kill still happens).
 */
import type { NimbusHandlers, TopologyStatusName } from '../../rpc/types.js';
import type { NimbusCore } from '../core.js';
import { leaderCall } from './leader-call.js';

/** The topology action handlers. */
export function actionHandlers(core: NimbusCore): Pick<NimbusHandlers, 'killTopology' | 'activateTopology' | 'deactivateTopology' | 'rebalanceTopology'> {
  return {
    async killTopology(request, ctx) {
      const event = { type: 'kill' as const, ...(request.waitSecs === undefined ? {} : { waitSecs: request.waitSecs }) };
      const outcome = await leaderCall(core, (leader) => leader.shell.userEvent(request.name, event, { awaitRemoval: request.waitForRemoval }));
      if (outcome.removal) await untilAborted(outcome.removal, ctx.signal);
      return { topologyId: outcome.topologyId, status: 'KILLED', removed: outcome.removal !== undefined || outcome.record === null };
    },

    async activateTopology(request) {
      const outcome = await leaderCall(core, (leader) => leader.shell.userEvent(request.name, { type: 'activate' }));
      return { topologyId: outcome.topologyId, status: statusOf(outcome.record, 'ACTIVE') };
    },

    async deactivateTopology(request) {
      const outcome = await leaderCall(core, (leader) => leader.shell.userEvent(request.name, { type: 'deactivate' }));
      return { topologyId: outcome.topologyId, status: statusOf(outcome.record, 'INACTIVE') };
    },

    async rebalanceTopology(request) {
      const executors = Object.keys(request.executors).length > 0 ? request.executors : undefined;
      const outcome = await leaderCall(core, (leader) => leader.shell.userEvent(request.name, {
        type: 'rebalance',
        ...(request.waitSecs === undefined ? {} : { waitSecs: request.waitSecs }),
        ...(request.numWorkers === undefined ? {} : { numWorkers: request.numWorkers }),
        ...(executors === undefined ? {} : { executors }),
      }));
      return { topologyId: outcome.topologyId, status: statusOf(outcome.record, 'REBALANCING') };
    },
  };
}

function statusOf(record: { status: TopologyStatusName } | null, fallback: TopologyStatusName): TopologyStatusName {
  return record?.status ?? fallback;
}

/** Waits for `p`, or rejects with the signal's reason when the call is cancelled first. */
function untilAborted(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
