/**
 * SubmitTopology (leader only), Storm's submitTopologyWithOpts: check the name, refuse a name
 * already recorded, load and validate the topology from its package (so an invalid topology is
 * refused now, with every file:line:column problem, not by workers later), record it ACTIVE or
 * INACTIVE, and schedule it before answering.
 */
import { SquallError } from '../../common/errors.js';
import { NodeExistsError } from '../../coordination/errors.js';
import type { TopologyRecord } from '../../coordination/records.js';
import { InvalidNameError, MAX_NAME_LENGTH, validateName } from '../../packages/names.js';
import type { NimbusHandlers, SubmitTopologyRequest } from '../../rpc/types.js';
import { findByName } from '../cluster-view.js';
import type { NimbusCore } from '../core.js';
import { leaderCall } from './leader-call.js';
import type { LeaderRuntime } from '../leader.js';
import type { TopologyShape } from '../topology-catalog.js';

/** Attempts at a fresh topology id when one is taken (same name, number and second). */
const ID_ATTEMPTS = 5;

/** Thrown for a name already recorded (running, inactive, or killed and not yet removed). Code `E_TOPOLOGY_EXISTS`. */
export class TopologyExistsError extends SquallError {
  constructor(name: string, id: string) {
    super('E_TOPOLOGY_EXISTS', `a topology named ${JSON.stringify(name)} already exists (${id})`, {
      hint: 'kill it first (squall kill), or submit under another name', context: { topology: id },
    });
  }
}

/** The submit handler. */
export function submitHandlers(core: NimbusCore): Pick<NimbusHandlers, 'submitTopology'> {
  return {
    submitTopology(request) {
      return leaderCall(core, async (leader) => {
        const name = validateName('topology', request.name);
        await refuseExisting(core, name);
        // Outside the lock: extracting and compiling takes a while and reads no cluster state.
        const shape = await core.catalog.load(request.packageId, request.topologyFile, request.configOverrides);
        return leader.serial.run(() => createAndPlace(core, leader, name, request, shape));
      });
    },
  };
}

/** Under the leader's lock: the record, then the first scheduling pass. */
async function createAndPlace(
  core: NimbusCore, leader: LeaderRuntime, name: string, request: SubmitTopologyRequest, shape: TopologyShape,
): Promise<{ topologyId: string }> {
  // Again under the lock: a concurrent submit of the same name may have won.
  await refuseExisting(core, name);
  const record = await createRecord(core, leader, name, request, shape);
  // Only now, with the record written: until then the inbox is what keeps the package.
  core.packageCleanup.submitted(record.packageId);
  core.catalog.put(record, shape);
  core.logger.info('topology submitted', { topologyId: record.id, status: record.status, workers: record.numWorkers });
  // Placed before we answer; a failure here leaves the monitor loop to retry.
  await leader.scheduling.runLocked().catch((err: unknown) => core.logger.warn('first scheduling of a new topology failed', { topologyId: record.id, err }));
  return { topologyId: record.id };
}

async function refuseExisting(core: NimbusCore, name: string): Promise<void> {
  const existing = await findByName(core.cluster, name);
  if (existing) throw new TopologyExistsError(name, existing.value.id);
}

/** Writes the record under a fresh Storm-style id `<name>-<n>-<launch secs>`. */
async function createRecord(
  core: NimbusCore, leader: LeaderRuntime, name: string, request: SubmitTopologyRequest, shape: TopologyShape,
): Promise<TopologyRecord> {
  const launchTimeMs = Math.round(core.clock.now());
  for (let attempt = 1; ; attempt++) {
    const id = topologyId(name, core.nextSubmission(name), launchTimeMs);
    const record: TopologyRecord = {
      id, name,
      status: request.startInactive ? 'INACTIVE' : 'ACTIVE',
      numWorkers: shape.demand.numWorkers,
      componentExecutors: Object.fromEntries(shape.components.map((c) => [c.id, c.executors])),
      launchTimeMs,
      packageId: request.packageId,
      topologyFile: request.topologyFile,
      configOverrides: request.configOverrides,
    };
    try {
      await core.cluster.createTopology(leader.lead, record, { signal: leader.lead.signal });
      return record;
    } catch (err) {
      if (!(err instanceof NodeExistsError) || attempt >= ID_ATTEMPTS) throw err;
    }
  }
}

/** Storm's topology id; the name must leave room for the suffix in a 128-character znode name. */
function topologyId(name: string, n: number, launchTimeMs: number): string {
  const id = `${name}-${n}-${Math.floor(launchTimeMs / 1000)}`;
  if (id.length > MAX_NAME_LENGTH) {
    throw new InvalidNameError('topology', name, `it is too long: with its id suffix ("-${n}-<secs>") it must stay within ${MAX_NAME_LENGTH} characters`);
  }
  return id;
}
