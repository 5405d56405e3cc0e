"""What spouts and bolts share: the run loop around the handshake, stdout protection,
logging through the protocol, error reports and the emit plumbing."""

import io
import logging
import os
import sys
import threading
import traceback
from collections import deque, namedtuple

from .protocol import (
    EXTENSION_BATCH, Channel, ParentGone, ProtocolError, SerializationError,
)

__all__ = ["Component", "Tuple", "STORM_LOG_LEVELS", "storm_log_level", "protect_stdio"]

#: Storm's numeric log levels (STORM-414) by name.
STORM_LOG_LEVELS = {
    "trace": 0, "debug": 1, "info": 2, "warn": 3, "warning": 3, "error": 4, "critical": 4,
}
_INFO = 2


def storm_log_level(level):
    """Storm's numeric level for ``level``: None (info), a name (``"warn"``), a Storm number
    0-4, or a Python ``logging`` level (``logging.WARNING``)."""
    if level is None:
        return _INFO
    if isinstance(level, str):
        return STORM_LOG_LEVELS.get(level.lower(), _INFO)
    if isinstance(level, int):
        if 0 <= level <= 4:
            return level
        if level < logging.DEBUG:
            return 0
        if level < logging.INFO:
            return 1
        if level < logging.WARNING:
            return 2
        if level < logging.ERROR:
            return 3
        return 4
    return _INFO


class Tuple(namedtuple("Tuple", "id component stream task values")):
    """An input tuple: ``id`` (string), ``component`` and ``stream`` it came from, source
    ``task`` (int) and its ``values`` (a list)."""

    __slots__ = ()

    def is_tick_tuple(self):
        """True for the tick tuples Storm sends every ``topology.tick.tuple.freq.secs``."""
        return self[3] == -1 and self[2] == "__tick"

    def is_heartbeat_tuple(self):
        """True for multilang heartbeats (answered by the adapter, never seen by user code)."""
        return self[3] == -1 and self[2] == "__heartbeat"


def _short_repr(value, limit=300):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


class _PrintToLog(io.TextIOBase):
    """``sys.stdout`` while a component runs: each printed line becomes a multilang ``log``
    message (level info), so ``print`` can never corrupt the protocol pipe."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, out):
        super(_PrintToLog, self).__init__()
        self._out = out
        self._partial = ""

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        raise io.UnsupportedOperation("stdout is the multilang protocol pipe; print() goes to the log")

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        if "\n" not in text:
            self._partial += text
            return len(text)
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        out = self._out
        for line in lines:
            if line.strip():
                out.append({"command": "log", "msg": line.rstrip("\r"), "level": _INFO})
        return len(text)

    def flush(self):
        if self._partial.strip():
            self._out.append({"command": "log", "msg": self._partial, "level": _INFO})
        self._partial = ""


class _ProtocolLogHandler(logging.Handler):
    """Sends log records to the parent as multilang ``log`` commands."""

    def __init__(self, out):
        super(_ProtocolLogHandler, self).__init__()
        self._out = out

    def emit(self, record):
        try:
            self._out.append({"command": "log", "msg": self.format(record),
                              "level": storm_log_level(record.levelno)})
        except Exception:  # pragma: no cover (formatting errors)
            self.handleError(record)


class Component(object):
    """Base class of :class:`~squall.Spout` and :class:`~squall.Bolt`.

    After the handshake these attributes are set: ``storm_conf``, ``context``,
    ``topology_name``, ``task_id``, ``component_name``, ``debug`` (``topology.debug``),
    ``pid`` and ``logger`` (a :class:`logging.Logger` whose records reach the parent as
    multilang ``log`` commands; DEBUG and up when ``topology.debug`` is true, else INFO).

    :cvar exit_on_exception: exit with status 1 after reporting an exception raised by user
        code (see the subclasses for what else happens). Default True, as in pystorm.
    :cvar accept_extensions: Squall protocol extensions this component accepts when the
        parent offers them. ``()`` gives the plain Storm protocol.
    """

    exit_on_exception = True
    accept_extensions = (EXTENSION_BATCH,)

    def __init__(self, *args, **kwargs):
        self.storm_conf = None
        self.context = None
        self.topology_name = None
        self.task_id = None
        self.component_name = None
        self.debug = False
        self.pid = os.getpid()
        self.logger = None

    # ------------------------------------------------------------------ user hooks

    def initialize(self, storm_conf, context):
        """Called once after the handshake, before the first tuple or command."""

    def cleanup(self):
        """Called when the parent closes the pipe (graceful shutdown). What it emits or logs
        is still sent."""

    # ------------------------------------------------------------------ messages

    def log(self, message, level=None):
        """Sends a log message to the parent. ``level``: trace, debug, info (default), warn,
        error, or a Storm number 0-4."""
        self._out.append({"command": "log", "msg": str(message), "level": storm_log_level(level)})

    def report_error(self, message):
        """Reports an error to the topology (Storm's ``error`` command); not fatal."""
        self._out.append({"command": "error", "msg": str(message)})

    def raise_exception(self, exception, tup=None):
        """Reports ``exception`` (with the current traceback) as an error, pystorm style."""
        self.report_error(self._exception_text(exception, tup, None))

    def report_metric(self, name, value):
        """Updates a metric registered for this task on the parent side (``metrics``)."""
        self._out.append({"command": "metrics", "name": name, "params": value})

    def _emit(self, msg, need_task_ids, direct_task):
        """Queues an emit with a ``direct_task`` or ``need_task_ids`` (plain emits are queued
        by ``emit()`` itself); returns the task ids if asked (blocking for the reply)."""
        if direct_task is not None:
            msg["task"] = direct_task
            # Storm never sends task ids for direct emits: the answer is known.
            if not self._batch:
                msg["need_task_ids"] = False
            self._out.append(msg)
            return [direct_task] if need_task_ids else None
        if self._batch:
            msg["need_task_ids"] = True
        self._out.append(msg)
        return self._channel.await_task_ids(self._pending_task_ids)

    # ------------------------------------------------------------------ running

    def run(self, input_fd=None, output_fd=None, serializer=None, exit=True):
        """Runs the component until the parent closes the pipe.

        With no arguments (the normal case) the process's real stdin/stdout become the
        protocol pipe: they are moved to private descriptors, fd 0 is pointed at
        ``/dev/null``, fd 1 at stderr (so subprocesses and C code cannot corrupt the pipe
        either), and ``sys.stdout`` is replaced by a stream that turns printed lines into
        log messages. Then the process exits: 0 after a graceful shutdown, 1 after a fatal
        error.

        Tests may pass their own descriptors (stdio is then left alone except
        ``sys.stdout``, which is restored afterwards), a ``serializer`` (``"json"`` or
        ``"ndjson"``; default: detected from the handshake) and ``exit=False`` to get the
        exit status back instead of exiting.
        """
        real = input_fd is None and output_fd is None
        saved_stdout = sys.stdout
        if real:
            input_fd, output_fd, early = protect_stdio()
            channel = Channel(input_fd, output_fd, serializer)
            channel.out = early  # lines printed since protect_stdio() become the first logs
            printer = sys.stdout
            if not (isinstance(printer, _PrintToLog) and printer._out is early):
                printer = _PrintToLog(early)
        elif input_fd is None or output_fd is None:
            raise ValueError("give both input_fd and output_fd, or neither")
        else:
            channel = Channel(input_fd, output_fd, serializer)
            printer = _PrintToLog(channel.out)
        sys.stdout = printer
        try:
            code = self._serve(channel, printer)
        finally:
            if not real:
                sys.stdout = saved_stdout
            self._remove_log_handlers()
        if not exit:
            return code
        if threading.active_count() > 1:
            # Non-daemon threads would keep the process alive after the parent has gone.
            sys.stderr.flush()
            os._exit(code)
        sys.exit(code)

    def _run_channel(self, channel):
        """Runs on an already connected channel (a :class:`~squall.protocol.BaseChannel`
        such as a ``squall.grpc`` stream) until the parent closes it, leaving stdio alone;
        returns the exit status the stdio adapter would exit with (0 or 1)."""
        try:
            return self._serve(channel, None)
        finally:
            self._remove_log_handlers()

    def _serve(self, channel, printer):
        self._channel = channel
        self._out = channel.out
        self._batch = False
        self._pending_task_ids = deque()
        self._cur = None
        self._done = False
        self._printer = printer
        self._log_handlers = []
        if not hasattr(self, "pid"):
            Component.__init__(self)  # a subclass __init__ that skipped super().__init__()
        try:
            handshake = channel.read_handshake()
        except ParentGone as e:
            _stderr("squall: %s; giving up" % (e,))
            return 1
        except (ProtocolError, ValueError) as e:
            _stderr("squall: bad handshake: %s" % e)
            return 1
        conf = handshake.get("conf")
        context = handshake.get("context")
        conf = conf if isinstance(conf, dict) else {}
        context = context if isinstance(context, dict) else {}
        pid_problem = None
        if "pidDir" in handshake:  # gRPC has none: the host learns the pid from the reply
            pid_problem = _write_pid_file(handshake["pidDir"], self.pid)
        try:
            channel.answer_handshake(self.pid, context, self.accept_extensions)
        except ParentGone:
            return 1
        self._batch = channel.batch
        self._setup_component(conf, context)
        if pid_problem:
            self.logger.warning(pid_problem)
        try:
            try:
                self.initialize(conf, context)
            except Exception as e:
                self._report_exception(e, None, "initialize()")
                self._final_flush()
                return 1
            code = self._main_loop()
            if code is not None:
                self._final_flush()
                return code
        except ParentGone:
            pass
        return self._shutdown()

    def _main_loop(self):
        """Runs the loop; returns an exit code after a fatal error, None at EOF."""
        while True:
            try:
                return self._loop()
            except SerializationError as e:
                # A flush found values json cannot encode (raised outside user code).
                self._report_exception(e, None, "flushing output")
                if self.exit_on_exception:
                    return 1
            except ProtocolError as e:
                text = "squall: protocol error, exiting: %s" % e
                self._out.append({"command": "error", "msg": text})
                _stderr(text)
                return 1

    def _shutdown(self):
        """Graceful end (EOF on stdin): cleanup(), flush, status 0."""
        code = 0
        self._cur = None
        truncated = self._channel.truncated
        if truncated is not None:
            self.logger.warning("stdin ended inside a frame (%d bytes ignored): %r", len(truncated), truncated[:200])
        try:
            self.cleanup()
        except ParentGone:
            return 0
        except Exception as e:
            self._report_exception(e, None, "cleanup()")
            code = 1
        self._final_flush()
        return code

    def _final_flush(self):
        try:
            if self._printer is not None:
                self._printer.flush()
            self._channel.flush()
        except ParentGone:
            pass
        except SerializationError as e:
            _stderr("squall: %s" % e)

    def _loop(self):  # pragma: no cover (abstract)
        raise NotImplementedError

    def _setup_component(self, conf, context):
        self.storm_conf = conf
        self.context = context
        self.topology_name = conf.get("topology.name", "")
        self.task_id = context.get("taskid")
        name = context.get("componentid")
        if name is None:
            t2c = context.get("task->component")
            name = t2c.get(str(self.task_id), "") if isinstance(t2c, dict) else ""
        self.component_name = name
        self.debug = bool(conf.get("topology.debug", False))
        logger_name = "squall.%s" % (name or self.__class__.__name__)
        if self._channel.shared_process:
            logger_name += ".%s" % (self.task_id,)  # tasks sharing a process must not share a handler
        self.logger = logger = logging.getLogger(logger_name)
        handler = _ProtocolLogHandler(self._out)
        handler.setFormatter(logging.Formatter("%(message)s"))
        for h in list(logger.handlers):
            if isinstance(h, _ProtocolLogHandler):
                logger.removeHandler(h)
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.DEBUG if self.debug else logging.INFO)  # initialize() may change it
        self._log_handlers.append((logger, handler))
        root = logging.getLogger()
        if not root.handlers:
            # Library code logging through the root logger reaches the parent too.
            root_handler = _ProtocolLogHandler(self._out)
            root_handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
            root.addHandler(root_handler)
            self._log_handlers.append((root, root_handler))

    def _remove_log_handlers(self):
        for logger, handler in getattr(self, "_log_handlers", ()):
            logger.removeHandler(handler)
        self._log_handlers = []

    def _exception_text(self, exc, tup, where):
        tb = traceback.format_exc()
        if tb.startswith("NoneType: None"):
            tb = "".join(traceback.format_exception_only(type(exc), exc))
        if tup is not None:
            head = "Python %s raised while processing tuple %s" % (type(exc).__name__, _short_repr(tup))
        else:
            head = "Python %s raised in %s" % (type(exc).__name__, where or self.__class__.__name__)
        return "%s\n%s" % (head, tb.rstrip("\n"))

    def _report_exception(self, exc, tup, where):
        """Sends an ``error`` (full traceback) and a one-line ``log`` at ERROR level."""
        self._out.append({"command": "error", "msg": self._exception_text(exc, tup, where)})
        what = "processing tuple %s" % (tup[0],) if tup is not None else where
        self._out.append({"command": "log", "level": 4,
                          "msg": "%s raised %s: %s" % (what, type(exc).__name__, _short_repr(str(exc), 200))})


def _write_pid_file(pid_dir, pid):
    """Creates the empty ``<pidDir>/<pid>`` file; returns a problem description or None."""
    if not pid_dir:
        return "the handshake has no pidDir; no pid file written"
    try:
        open(os.path.join(str(pid_dir), str(pid)), "w").close()
    except OSError as e:
        _stderr("squall: cannot create the pid file in %s: %s" % (pid_dir, e))
        return "cannot create the pid file in %s: %s" % (pid_dir, e)
    return None


_protected = None


def protect_stdio():
    """Moves the protocol pipe off fds 0 and 1 now, instead of when ``run()`` starts.

    ``run()`` does this itself, and text printed before it is normally still rescued (it
    sits in ``sys.stdout``'s buffer and goes to stderr). But when stdout is unbuffered
    (``PYTHONUNBUFFERED``, ``python -u``) a ``print`` at import time would reach the parent
    at once and break the protocol: call ``squall.protect_stdio()`` first thing in the
    script, or start it with ``python3 -m squall module:Class``, which does. Printed lines
    are kept and sent as log messages once the component runs. Idempotent.

    :returns: ``(protocol input fd, protocol output fd, queued messages)``.
    """
    global _protected
    if _protected is None:
        in_fd, out_fd = _detach_stdio()
        try:
            sys.stdout.flush()  # buffered text printed so far now goes to stderr
        except Exception:
            pass
        early = []
        sys.stdout = _PrintToLog(early)
        _protected = (in_fd, out_fd, early)
    return _protected


def _detach_stdio():
    """Moves the protocol pipe to private descriptors and points fds 0/1 elsewhere."""
    in_fd = os.dup(0)
    out_fd = os.dup(1)
    for fd in (in_fd, out_fd):
        try:
            os.set_inheritable(fd, False)
        except OSError:  # pragma: no cover
            pass
    null = os.open(os.devnull, os.O_RDWR)
    try:
        os.dup2(null, 0)
        try:
            os.dup2(2, 1)
        except OSError:
            os.dup2(null, 1)
    finally:
        os.close(null)
    return in_fd, out_fd


def _stderr(text):
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except Exception:  # pragma: no cover
        pass
