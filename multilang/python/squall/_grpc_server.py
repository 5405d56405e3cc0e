"""The ``squall.v1.Component`` service: one fresh component instance per ``Run`` stream."""

import os
import queue
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

import grpc

from .spout import Spout
from ._grpc_channel import DEFAULT_MAX_MESSAGE_BYTES, GrpcChannel
from ._grpc_codec import HostBatch
from ._grpc_stubs import pb

__all__ = ["ComponentService", "Running", "start", "resolve_address", "ADDRESS_ENV", "DEFAULT_MAX_WORKERS"]

#: Set by Squall when it launches a ``grpc: {command: [...]}`` component, one process per task.
ADDRESS_ENV = "SQUALL_GRPC_ADDRESS"
#: Streams served at once (each holds a pool thread while it is open).
DEFAULT_MAX_WORKERS = 64
_SERVICE = pb.DESCRIPTOR.services_by_name["Component"].full_name
_NO_ADDRESS = (
    "squall.grpc: no address to listen on. Pass one (serve(MyBolt, address='127.0.0.1:50051'), "
    "or python -m squall.grpc module:Class --address 127.0.0.1:50051), or let Squall launch "
    "the component with grpc: {command: [python3, my_bolt.py]}, which sets %s" % ADDRESS_ENV)


def resolve_address(address=None):
    """``address``, else ``$SQUALL_GRPC_ADDRESS``; a bare port (``"50051"``, ``":50051"``)
    means 127.0.0.1, never every interface.

    :raises ValueError: when neither is set.
    """
    if address is None:
        address = os.environ.get(ADDRESS_ENV)
    address = str(address or "").strip()
    if not address:
        raise ValueError(_NO_ADDRESS)
    if address.isdigit():
        return "127.0.0.1:" + address
    if address.startswith(":"):
        return "127.0.0.1" + address
    return address


def server_options(max_message_bytes):
    """Message caps, and keepalive that tolerates Squall pinging every 10 s even between
    streams, while noticing a host that vanished without closing its connection."""
    return [
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", 5000),
        ("grpc.http2.max_ping_strikes", 0),
        ("grpc.keepalive_time_ms", 30000),
        ("grpc.keepalive_timeout_ms", 10000),
        ("grpc.so_reuseport", 0),  # a port already taken is an error, not a shared listener
    ]


class _Failure(object):
    """Ends a stream with a non-OK status."""

    def __init__(self, code, details):
        self.code = code
        self.details = details


class ComponentService(object):
    """Serves ``factory()`` instances, one per stream, each on its own thread.

    :param on_failure: called after a stream ended because its component failed (where the
        stdio adapter would have exited with status 1).
    """

    def __init__(self, factory, max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES, on_failure=None):
        self._factory = factory
        self._max_message_bytes = max_message_bytes
        self._on_failure = on_failure
        self._lock = threading.Lock()
        self._threads = set()

    def handler(self):
        """The generic handler to add to a ``grpc.server``. Responses are bytes already
        serialized by the task (it measures them to split batches), hence no serializer."""
        run = grpc.stream_stream_rpc_method_handler(self.run, request_deserializer=HostBatch.FromString)
        return grpc.method_handlers_generic_handler(_SERVICE, {"Run": run})

    def run(self, requests, context):
        """One ``Run`` stream. The component runs on its own thread because its loop blocks
        in the middle of a batch (task ids, heartbeats) while this generator must be the one
        handing batches to gRPC. The queue stays short: the component only writes in answer
        to what the host sends, and the host bounds that."""
        out = queue.SimpleQueue()
        thread = threading.Thread(target=self._task, args=(requests, out.put), name="squall-task", daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()
        while True:
            item = out.get()
            if type(item) is bytes:
                yield item
            elif item is None:
                return
            else:
                context.set_code(item.code)
                context.set_details(item.details)
                if self._on_failure is not None:
                    self._on_failure()
                return

    def _task(self, requests, send):
        failure = None
        try:
            failure = self._serve_one(requests, send)
        except BaseException as e:  # a bug here, or SystemExit from user code
            traceback.print_exc()
            failure = _Failure(grpc.StatusCode.INTERNAL, "squall.grpc: %s: %s" % (type(e).__name__, e))
        finally:
            send(failure)
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _serve_one(self, requests, send):
        component = self._factory()
        channel = GrpcChannel(requests, send, isinstance(component, Spout), self._max_message_bytes)
        code = component._run_channel(channel)
        if code and channel.opened:
            return _Failure(grpc.StatusCode.ABORTED,
                            "%s (task %s) failed; its error report was sent on this stream"
                            % (type(component).__name__, component.task_id))
        return None

    def join(self, timeout):
        """Waits up to ``timeout`` seconds for the components' threads to finish
        (``cleanup()`` runs when their streams end)."""
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(timeout)


class Running(object):
    """A started server: ``address`` (with the port actually bound), ``port``, :meth:`stop`."""

    def __init__(self, server, service, address, port):
        self.server = server
        self.service = service
        self.address = address
        self.port = port

    def stop(self, grace=None):
        """Refuses new streams, gives open ones ``grace`` seconds to end, cancels the rest
        and waits for their components' ``cleanup()``."""
        self.server.stop(grace).wait()
        self.service.join(grace if grace else 5.0)


def start(factory, address, max_workers=DEFAULT_MAX_WORKERS, max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES,
          on_failure=None):
    """Starts serving ``factory()`` components at ``address`` (port 0 picks a free port).

    :returns: a :class:`Running`.
    :raises OSError: if the address cannot be bound.
    """
    service = ComponentService(factory, max_message_bytes, on_failure)
    server = grpc.server(ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="squall-grpc"),
                         handlers=[service.handler()], options=server_options(max_message_bytes),
                         maximum_concurrent_rpcs=max_workers)
    try:
        port = server.add_insecure_port(address)
    except RuntimeError as e:
        raise OSError("squall.grpc: cannot listen on %s: %s" % (address, e))
    if not port:
        raise OSError("squall.grpc: cannot listen on %s" % address)
    server.start()
    host = address.rsplit(":", 1)[0] if ":" in address else address
    return Running(server, service, "%s:%d" % (host, port), port)
