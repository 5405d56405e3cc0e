/** The gRPC host's channel options and the errors it reports when a component's stream ends badly. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { DEFAULT_GRPC_KEEPALIVE_SECS } from '../../src/hosts/grpc/grpc-launcher.js';
import { channelOptions } from '../../src/hosts/grpc/grpc-link.js';
import { handshakeTimeoutError, streamError, type StreamErrorInput } from '../../src/hosts/grpc/stream-errors.js';
import { CONFIG_KEYS } from '../../src/topology/config-schema.js';

const at: StreamErrorInput = { address: '127.0.0.1:5000', context: { component: 'split', task: 3 }, maxMessageBytes: 1024, keepaliveMs: 4000 };

describe('gRPC component streams', () => {
  it('pings every squall.grpc.keepalive.secs, even with no call open, and gives a ping half of that', () => {
    const o = channelOptions(1024, 4000);
    assert.equal(o['grpc.keepalive_time_ms'], 4000);
    assert.equal(o['grpc.keepalive_timeout_ms'], 2000);
    assert.equal(o['grpc.keepalive_permit_without_calls'], 1);
    assert.equal(CONFIG_KEYS['squall.grpc.keepalive.secs']!.default, DEFAULT_GRPC_KEEPALIVE_SECS);
    assert.equal(DEFAULT_GRPC_KEEPALIVE_SECS, 10);
  });

  it('a dropped connection names keepalive and its key, since grpc-js says only "Connection dropped"', () => {
    const e = streamError({ code: Status.UNAVAILABLE, details: 'Connection dropped' }, at);
    assert.equal(e.code, 'E_GRPC_STREAM');
    assert.equal(e.retriable, true);
    assert.equal(e.message, 'the gRPC stream to the component at 127.0.0.1:5000 broke: UNAVAILABLE: Connection dropped (the connection closed, or a keepalive ping went unanswered for 2 s; squall.grpc.keepalive.secs is 4)');
    assert.deepEqual(e.context, at.context);
  });

  it('other failures say nothing about keepalive', () => {
    const refused = streamError({ code: Status.UNAVAILABLE, details: 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:5000' }, at);
    assert.equal(refused.code, 'E_GRPC_CONNECT');
    assert.doesNotMatch(refused.message, /keepalive/);
    const internal = streamError({ code: Status.INTERNAL, details: 'Received RST_STREAM with code 2' }, at);
    assert.equal(internal.message, 'the gRPC stream to the component at 127.0.0.1:5000 broke: INTERNAL: Received RST_STREAM with code 2');
  });

  it('a peer that never completes the HTTP/2 handshake: a retriable connect error naming the window', () => {
    const e = handshakeTimeoutError(at, 6000, new Error('Failed to connect before the deadline'));
    assert.equal(e.code, 'E_GRPC_CONNECT');
    assert.equal(e.retriable, true);
    assert.equal(e.message, 'the gRPC component at 127.0.0.1:5000 did not complete the connection within 6 s (1.5 x squall.grpc.keepalive.secs)');
    assert.match(e.hint!, /frozen/);
  });
});
