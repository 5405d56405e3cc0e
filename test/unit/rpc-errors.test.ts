/**
 * The SquallError ⇄ gRPC status table, both directions, without a network: every category
 * lands on its status, the metadata carries code, hint, retriable flag, context and leader,
 * stacks never leave the server, and the client side rebuilds a typed error with a one-line
 * message and the caller's stack.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata, status as Status } from '@grpc/grpc-js';
import { ConfigError, SquallError, UsageError } from '../../src/common/errors.js';
import { ConnectionLossError } from '../../src/coordination/errors.js';
import { InvalidTransitionError } from '../../src/nimbus/topology-status.js';
import { InvalidNameError } from '../../src/packages/names.js';
import { PackageRejectedError } from '../../src/packages/package-errors.js';
import {
  CODE_TO_STATUS, fromStatus, METADATA_KEYS, NotLeaderError, RpcError, STATUS_TO_CODE, toStatus, unreachableReason, type CallInfo,
} from '../../src/rpc/errors.js';

const info: CallInfo = { rpc: 'KillTopology', address: '127.0.0.1:6627', deadlineMs: 10_000, callerStack: new Error().stack };

describe('server side: SquallError → status', () => {
  const cases: Array<[string, unknown, Status]> = [
    ['usage', new UsageError('bad flag'), Status.INVALID_ARGUMENT],
    ['config', new ConfigError('k', 'bad value'), Status.INVALID_ARGUMENT],
    ['invalid name (a UsageError subclass)', new InvalidNameError('topology', '../x', 'it contains a path separator'), Status.INVALID_ARGUMENT],
    ['package rejected', new PackageRejectedError('link', 'links are not allowed', 'a/b'), Status.INVALID_ARGUMENT],
    ['unlisted UsageError subclass code', new (class extends UsageError { override readonly code = 'E_SOMETHING_ELSE'; })('x'), Status.INVALID_ARGUMENT],
    ['not found', new SquallError('E_TOPOLOGY_NOT_FOUND', 'no topology named "w"'), Status.NOT_FOUND],
    ['already exists', new SquallError('E_TOPOLOGY_EXISTS', 'w is running'), Status.ALREADY_EXISTS],
    ['invalid transition', new InvalidTransitionError('KILLED', 'activate'), Status.FAILED_PRECONDITION],
    ['not leader', new NotLeaderError('10.0.0.2:6627'), Status.FAILED_PRECONDITION],
    ['timeout', new SquallError('E_STATE_TIMEOUT', 'zk too slow'), Status.DEADLINE_EXCEEDED],
    ['ZooKeeper connection loss', new ConnectionLossError('lost'), Status.UNAVAILABLE],
    ['package too large', new SquallError('E_PACKAGE_TOO_LARGE', 'too big'), Status.RESOURCE_EXHAUSTED],
    ['unknown Squall code', new SquallError('E_WHATEVER', 'odd'), Status.INTERNAL],
    ['plain Error', new TypeError('x is undefined'), Status.INTERNAL],
    ['a thrown string', 'oops', Status.INTERNAL],
  ];
  for (const [what, err, expected] of cases) {
    it(`${what} → ${Status[expected]}`, () => {
      const status = toStatus(err);
      assert.equal(status.code, expected);
      assert.doesNotMatch(status.details, /\n\s+at /, 'no stack frames');
      assert.ok(status.metadata.get(METADATA_KEYS.code)[0], 'the code always travels');
    });
  }

  it('a bug says only its message', () => {
    const status = toStatus(new TypeError('x is undefined'));
    assert.equal(status.details, 'internal error in nimbus: x is undefined');
    assert.deepEqual(status.metadata.get(METADATA_KEYS.code), ['E_INTERNAL']);
  });

  it('a not-leader names the leader in the message and the metadata, also as a plain E_NOT_LEADER', () => {
    const status = toStatus(new NotLeaderError('[::1]:7000'));
    assert.equal(status.details, 'this nimbus is not the leader; the leader is [::1]:7000');
    assert.deepEqual(status.metadata.get(METADATA_KEYS.leader), [encodeURIComponent('[::1]:7000')]);
    const plain = Object.assign(new SquallError('E_NOT_LEADER', 'not me'), { leaderAddress: 'n2:6627' });
    assert.equal(toStatus(plain).details, 'not me (the leader is n2:6627)');
    assert.equal(toStatus(new NotLeaderError(undefined)).metadata.get(METADATA_KEYS.leader).length, 0);
  });

  it('every table entry is a real status, and every failure status has a client-side code', () => {
    for (const [code, status] of Object.entries(CODE_TO_STATUS)) {
      assert.match(code, /^E_[A-Z0-9_]+$/);
      assert.ok(status > Status.OK && status <= Status.UNAUTHENTICATED, code);
    }
    for (let s = Status.CANCELLED; s <= Status.UNAUTHENTICATED; s++) assert.ok(STATUS_TO_CODE[s], Status[s]);
  });
});

describe('round trip: status → typed error', () => {
  it('keeps code, message, hint, retriable flag and context', () => {
    const original = new InvalidTransitionError('REBALANCING', 'rebalance');
    const err = fromStatus(toStatus(original), info);
    assert.ok(err instanceof RpcError && err instanceof SquallError);
    assert.equal(err.code, 'E_INVALID_TRANSITION');
    assert.equal(err.message, original.message);
    assert.equal(err.hint, 'wait for the rebalance to finish and try again');
    assert.equal(err.retriable, true);
    const withContext = fromStatus(toStatus(new UsageError('bad ☃ value', { context: { topology: 'w', component: 'c ☃' }, hint: 'use ✓' })), info);
    assert.deepEqual(withContext.context, { topology: 'w', component: 'c ☃' });
    assert.equal(withContext.hint, 'use ✓');
    assert.equal(withContext.retriable, false);
  });

  it('a not-leader comes back with the leader address', () => {
    const err = fromStatus(toStatus(new NotLeaderError('10.0.0.2:6627')), info);
    assert.equal(err.code, 'E_NOT_LEADER');
    assert.equal(err.leaderAddress, '10.0.0.2:6627');
    assert.equal(err.grpcCode, Status.FAILED_PRECONDITION);
  });

  it('the stack is the caller\'s, marked with the call', () => {
    const err = fromStatus(toStatus(new UsageError('x')), info);
    assert.match(err.stack ?? '', /^RpcError: x\n {4}at nimbus KillTopology \(127\.0\.0\.1:6627\)\nfor call at\n\s+at .*rpc-errors\.test\.ts/);
  });
});

describe('client side: statuses grpc-js makes', () => {
  const status = (code: Status, details: string): { code: Status; details: string; metadata: Metadata } => ({ code, details, metadata: new Metadata() });

  it('unreachable is one line with the reason and what to do', () => {
    const err = fromStatus(status(Status.UNAVAILABLE, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:6627. Resolution note: '), info);
    assert.equal(err.code, 'E_NIMBUS_UNREACHABLE');
    assert.equal(err.message, 'cannot reach nimbus at 127.0.0.1:6627: connection refused — is `squall nimbus` running?');
    assert.equal(err.retriable, true);
    assert.equal(unreachableReason('Name resolution failed for target dns:nope.invalid:1'), 'host name not found');
    assert.equal(unreachableReason('connect EHOSTUNREACH 10.0.0.9:6627'), 'host unreachable');
  });

  it('deadline, size limit, foreign servers and cancellation read well', () => {
    assert.equal(fromStatus(status(Status.DEADLINE_EXCEEDED, 'Deadline exceeded after 10.001s'), info).message, 'nimbus at 127.0.0.1:6627 did not answer KillTopology within 10000 ms');
    const big = fromStatus(status(Status.RESOURCE_EXHAUSTED, 'Received message larger than max (70000 vs 65536)'), info);
    assert.equal(big.code, 'E_RPC_TOO_LARGE');
    assert.match(big.hint ?? '', /maxMessageBytes/);
    assert.equal(fromStatus(status(Status.UNIMPLEMENTED, 'Received HTTP status code 404'), info).message, '127.0.0.1:6627 is not a Squall nimbus (it answered Received HTTP status code 404)');
    assert.equal(fromStatus(status(Status.CANCELLED, 'Cancelled on client'), info).code, 'E_RPC_CANCELLED');
    assert.equal(fromStatus(status(Status.INVALID_ARGUMENT, 'bad'), info).code, 'E_USAGE', 'a foreign INVALID_ARGUMENT still exits 2 in the CLI');
  });
});
