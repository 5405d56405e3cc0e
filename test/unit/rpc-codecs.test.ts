/**
 * The cluster API's pure parts: loading the .proto, uint64 bounds (exact or refused, never
 * rounded), enums, JSON config values, addresses, options, and the package stream checks.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError, UsageError } from '../../src/common/errors.js';
import { formatAddress, normalizeAddress, parseAddress } from '../../src/rpc/address.js';
import { killCodec, rebalanceCodec } from '../../src/rpc/codec-actions.js';
import { decodeJsonObject, decodeJsonValues, decodeKind, decodeStatus, encodeJsonValues, encodeKind, encodeStatus } from '../../src/rpc/codec-common.js';
import { heartbeatCodec } from '../../src/rpc/codec-heartbeat.js';
import { describeCodec } from '../../src/rpc/codec-reads.js';
import { LOADER_OPTIONS, loadClusterProto } from '../../src/rpc/load.js';
import { MAX_U64_NUMBER, u32ToWire, u64FromWire, u64ToWire, WireValueError } from '../../src/rpc/long.js';
import { compileTransportOptions } from '../../src/rpc/options.js';
import { collect, PackageMismatchError, rechunk, verifyChunks } from '../../src/rpc/package-stream.js';
import { handlerKey, RPC_NAMES } from '../../src/rpc/types.js';

/** Serializes with the real protobuf message types and decodes back, as the wire would. */
function throughWire(rpc: (typeof RPC_NAMES)[number], side: 'request' | 'response', value: object): unknown {
  const method = loadClusterProto().nimbusService[rpc]!;
  return side === 'request'
    ? method.requestDeserialize(method.requestSerialize(value))
    : method.responseDeserialize(method.responseSerialize(value));
}

describe('loading the cluster API', () => {
  it('loads once and serves every RPC with the documented conventions', () => {
    const proto = loadClusterProto();
    assert.equal(loadClusterProto(), proto, 'cached');
    assert.deepEqual(Object.keys(proto.nimbusService).sort(), [...RPC_NAMES].sort());
    assert.equal(proto.nimbusService.UploadPackage!.requestStream, true);
    assert.equal(proto.nimbusService.DownloadPackage!.responseStream, true);
    assert.equal(proto.nimbusService.KillTopology!.path, '/squall.v1.Nimbus/KillTopology');
    assert.equal(LOADER_OPTIONS.longs, String);
    assert.equal(LOADER_OPTIONS.keepCase, false);
    assert.ok(Object.isFrozen(LOADER_OPTIONS));
    assert.equal(handlerKey('SupervisorHeartbeat'), 'supervisorHeartbeat');
  });

  it('decodes uint64 as decimal strings and camelCases field names', () => {
    const wire = throughWire('SupervisorHeartbeat', 'request', { supervisorId: 's', uptimeSecs: '18446744073709551615' }) as Record<string, unknown>;
    assert.equal(wire.uptimeSecs, '18446744073709551615');
    assert.equal(wire.supervisorId, 's');
  });
});

describe('uint64 at the boundary', () => {
  it('is exact up to 2^53 - 1', () => {
    assert.equal(u64FromWire('9007199254740991', 'x'), MAX_U64_NUMBER);
    assert.equal(u64FromWire(String(2 ** 40 + 7), 'x'), 2 ** 40 + 7);
    assert.equal(u64FromWire('', 'x'), 0);
    assert.equal(u64ToWire(MAX_U64_NUMBER, 'x'), '9007199254740991');
  });

  it('refuses what a number cannot hold exactly, naming the field', () => {
    assert.throws(() => u64FromWire('9007199254740992', 'workers[0].emitted'), (e: unknown) =>
      e instanceof WireValueError && e.code === 'E_RPC_BAD_MESSAGE' && e.field === 'workers[0].emitted' && /largest integer Squall carries exactly/.test(e.message));
    for (const bad of [-1, 1.5, 2 ** 53, Number.NaN, Infinity]) assert.throws(() => u64ToWire(bad, 'emitted'), UsageError, String(bad));
    assert.throws(() => u32ToWire(2 ** 32, 'port'), /port must be an integer from 0 to 4294967295/);
    assert.throws(() => u32ToWire(-1, 'port'), UsageError);
  });

  it('a counter over 2^53 from the wire fails decoding instead of rounding', () => {
    const wire = throughWire('DescribeTopology', 'response', {
      id: 't', status: 'TOPOLOGY_STATUS_ACTIVE', components: [{ id: 'c', kind: 'COMPONENT_KIND_SPOUT', acked: '9007199254740993' }],
    });
    assert.throws(() => describeCodec.decodeResponse(wire), (e: unknown) => e instanceof WireValueError && e.field === 'components[0].acked');
  });

  it('heartbeat counters beyond 2^32 survive the real encoding', () => {
    const hb = {
      supervisorId: 's', host: 'h', uptimeSecs: 2 ** 35,
      workers: [{ topologyId: 't', port: 6700, executors: [[0, 3] as const], uptimeSecs: 1, components: [
        { componentId: 'c', emitted: 2 ** 52 + 1, transferred: 2 ** 33, executed: 1, acked: 2, failed: 3, completeLatencyMsSum: 0.5, executeLatencyMsSum: 1e12, errors: 2 ** 32 },
      ] }],
    };
    assert.deepEqual(heartbeatCodec.decodeRequest(throughWire('SupervisorHeartbeat', 'request', heartbeatCodec.encodeRequest(hb))), hb);
    assert.throws(() => heartbeatCodec.encodeRequest({ ...hb, workers: [{ ...hb.workers[0]!, executors: [[5, 4]] }] }), /last task 4 is before first task 5/);
  });
});

describe('optional fields', () => {
  it('absent stays absent and zero stays zero', () => {
    const absent = killCodec.decodeRequest(throughWire('KillTopology', 'request', killCodec.encodeRequest({ name: 'w' })));
    assert.deepEqual(absent, { name: 'w', waitForRemoval: false });
    const zero = rebalanceCodec.decodeRequest(throughWire('RebalanceTopology', 'request', rebalanceCodec.encodeRequest({ name: 'w', waitSecs: 0, numWorkers: 0 })));
    assert.deepEqual(zero, { name: 'w', waitSecs: 0, numWorkers: 0, executors: {} });
  });
});

describe('enums and JSON values', () => {
  it('maps statuses and kinds both ways and refuses unknown ones', () => {
    assert.equal(encodeStatus('REBALANCING', 's'), 'TOPOLOGY_STATUS_REBALANCING');
    assert.equal(decodeStatus('TOPOLOGY_STATUS_KILLED', 's'), 'KILLED');
    assert.throws(() => decodeStatus('TOPOLOGY_STATUS_UNSPECIFIED', 'status'), /unknown topology status/);
    assert.throws(() => decodeStatus(9, 'status'), WireValueError);
    assert.throws(() => encodeStatus('RUNNING' as never, 'status'), UsageError);
    assert.equal(encodeKind('bolt', 'k'), 'COMPONENT_KIND_BOLT');
    assert.equal(decodeKind('COMPONENT_KIND_SPOUT', 'k'), 'spout');
    assert.throws(() => decodeKind('COMPONENT_KIND_UNSPECIFIED', 'k'), WireValueError);
  });

  it('keeps JSON types apart and a "__proto__" key as data', () => {
    const values = { n: 2, s: '2', b: true, l: [1, 'a'], o: { x: null } };
    assert.deepEqual(decodeJsonValues(encodeJsonValues(values, 'c'), 'c'), values);
    const hostile = decodeJsonValues(JSON.parse('{"__proto__": "{\\"polluted\\": true}"}') as Record<string, string>, 'c');
    assert.equal(Object.getPrototypeOf(hostile), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(hostile, '__proto__')?.value, { polluted: true });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses text that is not JSON, naming the key', () => {
    assert.throws(() => decodeJsonValues({ 'topology.workers': 'two' }, 'configOverrides'), /configOverrides\["topology.workers"\]: not valid JSON/);
    assert.throws(() => decodeJsonObject('[1]', 'configJson'), /expected a JSON object/);
    assert.deepEqual(decodeJsonObject('', 'configJson'), {});
    assert.throws(() => encodeJsonValues({ big: 1n }, 'c'), /cannot be encoded as JSON/);
  });
});

describe('addresses', () => {
  it('parses, defaults the port and brackets IPv6', () => {
    assert.deepEqual(parseAddress('nimbus1'), { host: 'nimbus1', port: 6627 });
    assert.deepEqual(parseAddress(' 10.0.0.1:7000 '), { host: '10.0.0.1', port: 7000 });
    assert.deepEqual(parseAddress('[::1]:7'), { host: '::1', port: 7 });
    assert.equal(formatAddress('::1', 7), '[::1]:7');
    assert.equal(normalizeAddress('[::1]'), '[::1]:6627');
  });

  it('refuses what is not host:port', () => {
    for (const bad of ['', 'h:0', 'h:65536', 'a:b:c', 'h:x', ':80']) assert.throws(() => parseAddress(bad), UsageError, bad);
  });
});

describe('transport options', () => {
  it('fills defaults and refuses a chunk that does not fit a message', () => {
    const opts = compileTransportOptions();
    assert.equal(opts.maxMessageBytes, 4 * 1024 * 1024);
    assert.equal(opts.chunkBytes, 64 * 1024);
    assert.deepEqual(opts.keepalive, { timeMs: 30_000, timeoutMs: 10_000, permitWithoutCalls: true });
    assert.equal(compileTransportOptions({ maxMessageBytes: 1024 }).chunkBytes, 960, 'a small limit shrinks the default chunk');
    assert.throws(() => compileTransportOptions({ maxMessageBytes: 1024, chunkBytes: 1000 }), (e: unknown) => e instanceof ConfigError && e.key === 'chunkBytes');
    assert.throws(() => compileTransportOptions({ keepalive: { timeMs: 0 } }), (e: unknown) => e instanceof ConfigError && e.key === 'keepalive.timeMs');
  });
});

/** Array.fromAsync is Node 22; this is Node 20. */
async function collectChunks(source: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of source) out.push(chunk);
  return out;
}

describe('package streams', () => {
  const data = Buffer.from('hello package bytes');
  const meta = { name: 'p', size: data.length, sha256: createHash('sha256').update(data).digest('hex') };

  it('cuts into chunks without copying, and a Buffer can be cut again', async () => {
    const chunks = await collectChunks(rechunk(data, 4));
    assert.equal(chunks.length, 5);
    assert.equal(chunks[0]!.buffer, data.buffer);
    assert.equal((await collectChunks(rechunk(data, 4))).length, 5);
  });

  it('passes matching bytes and refuses extra, missing or different ones', async () => {
    assert.ok((await collect(verifyChunks(rechunk(data, 3), meta))).equals(data));
    const extra = Buffer.concat([data, Buffer.from('!')]);
    await assert.rejects(collect(verifyChunks(rechunk(extra, 100), meta)), (e: unknown) => e instanceof PackageMismatchError && /more than the 19 bytes/.test(e.message));
    await assert.rejects(collect(verifyChunks(rechunk(data.subarray(1), 3), meta)), /ended after 18 of 19 bytes/);
    const flipped = Buffer.from(data);
    flipped[0] = flipped[0]! ^ 1;
    await assert.rejects(collect(verifyChunks(rechunk(flipped, 3), meta)), (e: unknown) => e instanceof PackageMismatchError && e.code === 'E_PACKAGE_MISMATCH');
  });
});
