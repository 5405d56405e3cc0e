"""Serve Squall's Python spouts and bolts over gRPC (``proto/squall/v1/component.proto``).

The same :class:`~squall.Spout`, :class:`~squall.Bolt` and :class:`~squall.BasicBolt` classes
as the stdio adapter, with the same behaviour (auto anchor/ack/fail, ticks, heartbeats,
task ids, logging, error reports, ``exit_on_exception``), carried in columnar batches on one
bidirectional stream per task:

.. code-block:: python

    from squall import BasicBolt
    from squall.grpc import serve

    class UpperBolt(BasicBolt):
        def process(self, tup):
            self.emit([tup.values[0].upper()])

    if __name__ == "__main__":
        serve(UpperBolt)

.. code-block:: yaml

    bolts:
      - id: upper
        grpc: {command: [python3, upper_bolt.py]}   # or {address: "127.0.0.1:50051"}

Squall launches ``command`` once per task with ``SQUALL_GRPC_ADDRESS`` naming the address to
listen on. A service started by hand at a fixed address serves several tasks, a fresh
component instance per stream. ``python -m squall.grpc module:Class [--address host:port]``
does the same without a ``__main__`` block (the current directory is on ``sys.path``).

Needs the ``grpc`` extra: ``pip install './multilang/python[grpc]'``.
"""

import argparse
import importlib
import os
import signal
import sys
import threading

try:
    import grpc as _grpc  # noqa: F401
except ImportError as _e:  # pragma: no cover (the stdlib suite checks this message)
    raise ImportError("squall.grpc needs grpcio and protobuf: pip install './multilang/python[grpc]' (%s)" % _e)

from ._grpc_channel import DEFAULT_MAX_MESSAGE_BYTES, GrpcChannel
from ._grpc_server import ADDRESS_ENV, DEFAULT_MAX_WORKERS, Running, resolve_address, start
from .component import Component, _stderr

__all__ = [
    "serve", "start", "Running", "GrpcChannel", "resolve_address", "main",
    "ADDRESS_ENV", "DEFAULT_GRACE", "DEFAULT_MAX_MESSAGE_BYTES", "DEFAULT_MAX_WORKERS",
]

#: Seconds open streams get to end after SIGTERM/SIGINT before they are cancelled.
DEFAULT_GRACE = 5.0


def component_factory(component):
    """A zero-argument callable making a fresh component: a Spout/Bolt class, or a factory
    function. Instances are refused: every stream needs its own."""
    if isinstance(component, Component):
        raise TypeError("squall.grpc serves a component class (one instance per stream), not the instance %r; "
                        "pass %s instead" % (component, type(component).__name__))
    if isinstance(component, type) and not issubclass(component, Component):
        raise TypeError("squall.grpc serves Spout and Bolt classes, not %s" % component.__name__)
    if not callable(component):
        raise TypeError("squall.grpc needs a Spout or Bolt class, got %r" % (component,))
    return component


def serve(component, address=None, max_workers=DEFAULT_MAX_WORKERS, max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES,
          grace=DEFAULT_GRACE, per_task=None, exit=True):
    """Serves ``component`` until SIGTERM or SIGINT, then stops gracefully.

    :param component: a Spout or Bolt class (or a function making one): a fresh instance
        serves each stream.
    :param address: ``host:port`` to listen on; default ``$SQUALL_GRPC_ADDRESS`` (set by
        Squall for ``grpc: {command: ...}`` components). A bare port means 127.0.0.1.
    :param max_workers: streams served at once.
    :param max_message_bytes: largest gRPC message sent or received (16 MiB); the host's
        handshake may lower the sending limit.
    :param grace: seconds open streams get to end after a signal before they are cancelled.
    :param per_task: this process serves one task for Squall (default: when the address came
        from the environment). Then a component failure that would make the stdio adapter
        exit with status 1 also stops the server, and the process exits with status 1.
        Otherwise only that stream ends (with an error status).
    :param exit: exit the process when done (default); False returns the status instead.
    :raises ValueError: when there is no address.
    :raises OSError: when the address cannot be bound.
    """
    factory = component_factory(component)
    if per_task is None:
        per_task = address is None
    address = resolve_address(address)
    stopping = threading.Event()
    status = []

    def failed():
        if per_task:
            status.append(1)
            stopping.set()

    running = start(factory, address, max_workers, max_message_bytes, on_failure=failed)
    name = getattr(factory, "__name__", repr(factory))
    _stderr("squall.grpc: serving %s on %s (pid %d)" % (name, running.address, os.getpid()))
    previous = _install_signals(stopping)
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        _restore_signals(previous)
        running.stop(grace)
    code = status[0] if status else 0
    if not exit:
        return code
    if threading.active_count() > 1:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)  # a user's non-daemon thread (or grpc's) must not keep a stopped server alive
    sys.exit(code)


def _install_signals(stopping):
    """SIGTERM and SIGINT stop the server (only the main thread may set handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, lambda *_: stopping.set())
    return previous


def _restore_signals(previous):
    for sig, handler in previous.items():
        signal.signal(sig, handler)


# ---------------------------------------------------------------------- python -m squall.grpc

def _parser():
    p = argparse.ArgumentParser(prog="python -m squall.grpc", description="Serve a Squall Spout or Bolt over gRPC.")
    p.add_argument("component", metavar="module:Class")
    p.add_argument("--address", help="host:port to listen on (default: $%s, set by Squall)" % ADDRESS_ENV)
    p.add_argument("--max-workers", type=int, default=DEFAULT_MAX_WORKERS, help="streams served at once")
    p.add_argument("--max-message-bytes", type=int, default=DEFAULT_MAX_MESSAGE_BYTES)
    p.add_argument("--grace", type=float, default=DEFAULT_GRACE, help="seconds streams get to end after SIGTERM")
    return p


def _load(spec):
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise ImportError("expected module:Class, got %r" % spec)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    return getattr(importlib.import_module(module_name), class_name)


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        cls = _load(args.component)
    except (ImportError, AttributeError) as e:
        sys.stderr.write("squall.grpc: cannot load %s: %s\n" % (args.component, e))
        return 2
    try:
        return serve(cls, address=args.address, max_workers=args.max_workers,
                     max_message_bytes=args.max_message_bytes, grace=args.grace)
    except (TypeError, ValueError, OSError) as e:
        sys.stderr.write("%s\n" % (e,))
        return 2


if __name__ == "__main__":
    sys.exit(main())
