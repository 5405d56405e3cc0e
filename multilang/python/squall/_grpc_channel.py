"""A gRPC ``Run`` stream seen as a multilang channel, so the stdio adapter's run loops (and
with them auto-ack, anchoring, heartbeats, ticks, task ids, error and exit rules) serve the
same Spout and Bolt classes over gRPC unchanged."""

import grpc

from .protocol import BaseChannel, ParentGone, SerializationError
from . import _grpc_codec as codec

__all__ = ["GrpcChannel", "DEFAULT_MAX_MESSAGE_BYTES"]

#: Largest batch sent when the host's handshake names no limit (grpc's own cap here too).
DEFAULT_MAX_MESSAGE_BYTES = 16 << 20


class GrpcChannel(BaseChannel):
    """One task's stream.

    :param requests: the stream's incoming :class:`HostBatch` iterator.
    :param send: called with each serialized :class:`ComponentBatch`, in order.
    :param spout: True when serving a spout (emits carry message ids).
    :param max_message_bytes: the largest batch to send; the handshake may lower it.

    :meth:`flush` sends what is queued as one batch, split when it would exceed the limit (a
    single message larger than the limit is still sent: the host refuses it, loudly). The run
    loops flush when they have handled everything received, so every incoming batch is
    answered by one batch, and at once when an emit waits for its task ids.
    """

    shared_process = True

    def __init__(self, requests, send, spout, max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES):
        super(GrpcChannel, self).__init__()
        self._requests = requests
        self._send = send
        self._spout = spout
        self.max_message_bytes = max_message_bytes
        self.batch = True  # absent need_task_ids means false: no per-emit flag needed
        self.eof = False
        #: True once the host sent its first batch (a stream closed before it failed nothing).
        self.opened = False
        #: The grpc.RpcError that ended the stream when it broke instead of closing.
        self.broken = None

    # ------------------------------------------------------------------ reading

    def _next(self):
        """The next HostBatch, or None once the stream ended (closed or broken)."""
        if self.eof:
            return None
        try:
            return next(self._requests)
        except StopIteration:
            pass
        except grpc.RpcError as e:  # cancelled by the host, connection lost, server stopping
            self.broken = e
        self.eof = True
        return None

    def read_handshake(self):
        """The host's handshake as a dict (``conf``, ``context``); lowers
        :attr:`max_message_bytes` to the host's limit.

        :raises ParentGone: if the stream ended first.
        :raises ProtocolError: if the first batch is not a lone handshake.
        """
        first = self._next()
        if first is None:
            raise ParentGone("the stream ended before the handshake")
        self.opened = True
        handshake = codec.read_handshake(first)
        limit = handshake.pop("max_message_bytes")
        if limit:
            self.max_message_bytes = min(limit, self.max_message_bytes)
        return handshake

    def answer_handshake(self, pid, context, accept_extensions):
        """Sends ``ready``; the stdio extensions mean nothing here and none are offered."""
        self._send(codec.ready(pid).SerializeToString())

    def fill(self):
        """Waits for the next batch holding messages and queues them in :attr:`inbox`.

        :returns: False once the stream ended, True otherwise.
        :raises ProtocolError: on a batch that is not the protocol.
        """
        inbox = self.inbox
        before = len(inbox)
        while len(inbox) == before:
            batch = self._next()
            if batch is None:
                return False
            codec.decode(batch, inbox)
        return True

    # ------------------------------------------------------------------ writing

    def flush(self):
        """Sends everything queued in :attr:`out` (taken with slices: other threads may keep
        appending).

        :raises SerializationError: if a message cannot be encoded; the messages before it
            are sent, it and the ones after it are dropped.
        """
        if self.out:
            self._send_encoded(self._take_out())

    def _send_encoded(self, msgs):
        try:
            batch = codec.encode(msgs, self._spout)
        except SerializationError as e:
            if e.good is not None:
                self._send_within_limit(e.good, msgs[:e.index])
            raise
        self._send_within_limit(batch, msgs)

    def _send_within_limit(self, batch, msgs):
        data = batch.SerializeToString()
        if len(data) > self.max_message_bytes and len(msgs) > 1:
            half = len(msgs) // 2
            self._send_encoded(msgs[:half])
            self._send_encoded(msgs[half:])
            return
        self._send(data)
