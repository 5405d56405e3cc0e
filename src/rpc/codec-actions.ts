/**
 * Codecs of the topology actions: SubmitTopology, KillTopology, ActivateTopology,
 * DeactivateTopology, RebalanceTopology. Wire shapes are what the loader (load.ts) produces.
 */
import { UsageError } from '../common/errors.js';
import { decodeJsonValues, decodeStatus, encodeJsonValues, encodeStatus } from './codec-common.js';
import { optionalU32ToWire, u32ToWire, WireValueError } from './long.js';
import type { UnaryCodec } from './codec-types.js';
import type {
  KillTopologyInput, KillTopologyRequest, KillTopologyResult, RebalanceTopologyInput, RebalanceTopologyRequest,
  SubmitTopologyInput, SubmitTopologyRequest, SubmitTopologyResult, TopologyActionResult, TopologyNameRequest,
} from './types.js';

interface WireSubmitRequest {
  name: string;
  packageId: string;
  topologyFile: string;
  configOverrides: Record<string, string>;
  startInactive: boolean;
}

interface WireKillRequest {
  name: string;
  waitSecs?: number;
  waitForRemoval: boolean;
}

interface WireRebalanceRequest {
  name: string;
  waitSecs?: number;
  numWorkers?: number;
  executors: Record<string, number>;
}

interface WireActionResponse {
  topologyId: string;
  status: string | number;
  removed?: boolean;
}

export const submitCodec: UnaryCodec<SubmitTopologyRequest, SubmitTopologyInput, SubmitTopologyResult, SubmitTopologyResult> = {
  encodeRequest: (req): WireSubmitRequest => ({
    name: req.name,
    packageId: req.packageId,
    topologyFile: req.topologyFile,
    configOverrides: encodeJsonValues(req.configOverrides ?? {}, 'configOverrides'),
    startInactive: req.startInactive ?? false,
  }),
  decodeRequest: (wire: WireSubmitRequest) => ({
    name: wire.name,
    packageId: wire.packageId,
    topologyFile: wire.topologyFile,
    configOverrides: decodeJsonValues(wire.configOverrides, 'configOverrides'),
    startInactive: wire.startInactive,
  }),
  encodeResponse: (res) => ({ topologyId: res.topologyId }),
  decodeResponse: (wire: SubmitTopologyResult) => ({ topologyId: wire.topologyId }),
};

export const killCodec: UnaryCodec<KillTopologyRequest, KillTopologyInput, KillTopologyResult, KillTopologyResult> = {
  encodeRequest: (req): WireKillRequest => ({
    name: req.name,
    waitSecs: optionalU32ToWire(req.waitSecs, 'waitSecs'),
    waitForRemoval: req.waitForRemoval ?? false,
  }),
  decodeRequest: (wire: WireKillRequest) => withOptional({ name: wire.name, waitForRemoval: wire.waitForRemoval }, 'waitSecs', wire.waitSecs),
  encodeResponse: (res): WireActionResponse => ({ topologyId: res.topologyId, status: encodeStatus(res.status, 'status'), removed: res.removed }),
  decodeResponse: (wire: WireActionResponse) => ({
    topologyId: wire.topologyId,
    status: decodeStatus(wire.status, 'status'),
    removed: wire.removed ?? false,
  }),
};

/** ActivateTopology and DeactivateTopology: a name in, the topology and its status out. */
export const nameActionCodec: UnaryCodec<TopologyNameRequest, TopologyNameRequest, TopologyActionResult, TopologyActionResult> = {
  encodeRequest: (req) => ({ name: req.name }),
  decodeRequest: (wire: TopologyNameRequest) => ({ name: wire.name }),
  encodeResponse: encodeActionResult,
  decodeResponse: decodeActionResult,
};

export const rebalanceCodec: UnaryCodec<RebalanceTopologyRequest, RebalanceTopologyInput, TopologyActionResult, TopologyActionResult> = {
  encodeRequest: (req): WireRebalanceRequest => ({
    name: req.name,
    waitSecs: optionalU32ToWire(req.waitSecs, 'waitSecs'),
    numWorkers: optionalU32ToWire(req.numWorkers, 'numWorkers'),
    executors: encodeExecutorCounts(req.executors ?? {}),
  }),
  decodeRequest: (wire: WireRebalanceRequest) => {
    const req = withOptional({ name: wire.name, executors: copyCounts(wire.executors) }, 'waitSecs', wire.waitSecs);
    return withOptional(req, 'numWorkers', wire.numWorkers);
  },
  encodeResponse: encodeActionResult,
  decodeResponse: decodeActionResult,
};

function encodeActionResult(res: TopologyActionResult): WireActionResponse {
  return { topologyId: res.topologyId, status: encodeStatus(res.status, 'status') };
}

function decodeActionResult(wire: WireActionResponse): TopologyActionResult {
  return { topologyId: wire.topologyId, status: decodeStatus(wire.status, 'status') };
}

function encodeExecutorCounts(counts: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [component, n] of Object.entries(counts)) {
    if (component === '') throw new UsageError('executors: a component id is empty');
    out[component] = u32ToWire(n, `executors[${JSON.stringify(component)}]`);
  }
  return out;
}

/** A decoded map as an own-property object (see decodeJsonValues for why defineProperty). */
function copyCounts(wire: Readonly<Record<string, number>> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(wire ?? {})) {
    if (typeof n !== 'number') throw new WireValueError(`executors[${JSON.stringify(key)}]`, 'expected a number');
    Object.defineProperty(out, key, { value: n, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Sets `key` only when the wire had the optional field, so `'waitSecs' in req` means it was sent. */
function withOptional<T extends object, K extends string>(obj: T, key: K, value: number | undefined): T & { [P in K]?: number } {
  return value === undefined ? obj : { ...obj, [key]: value };
}
