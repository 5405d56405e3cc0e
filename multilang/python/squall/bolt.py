"""Bolts: :class:`Bolt` (you ack and fail) and :class:`BasicBolt` (acked for you)."""

import time
from collections import namedtuple

from .component import Component, Tuple
from .protocol import ProtocolError

__all__ = ["Bolt", "BasicBolt"]

_SYNC = {"command": "sync"}
#: Output is written at the latest after this many queued messages...
FLUSH_MESSAGES = 4096
#: ...or this many seconds of processing within one input chunk.
FLUSH_SECONDS = 0.02

_tuple_new = tuple.__new__


class Bolt(Component):
    """A bolt. Override :meth:`process` (and optionally :meth:`initialize`,
    :meth:`process_tick`, :meth:`cleanup`); call ``MyBolt().run()`` in the script.

    With the defaults you anchor, ack and fail yourself, like Storm's ``IRichBolt``:
    ``self.emit([...], anchors=[tup])``, ``self.ack(tup)``, ``self.fail(tup)``.

    :cvar auto_anchor: anchor every emit made in :meth:`process` to the input tuple.
    :cvar auto_ack: ack the input after :meth:`process` returns (unless already acked or
        failed).
    :cvar auto_fail: fail the input when :meth:`process` raises (unless already acked or
        failed).
    :cvar exit_on_exception: what happens when :meth:`process` (or :meth:`process_tick`)
        raises. Always: the exception is reported to the topology (an ``error`` command
        with the traceback, plus a one-line ``log`` at ERROR) and the input is failed if
        ``auto_fail``. Then, if ``exit_on_exception`` is true (the default for ``Bolt``,
        as in pystorm), the process exits with status 1: the bolt may have half-handled
        state and tuples nobody will ack, so Squall restarts the subprocess and fails its
        in-flight tuples at once for the spouts to replay. If false (the default for
        :class:`BasicBolt`), the bolt goes on with the next tuple.
    :cvar named_values: give ``tup.values`` as a namedtuple built from the input stream's
        declared fields (``tup.values.word``), as pystorm does. Off by default: a plain list
        is cheaper.

    Tick tuples (``topology.tick.tuple.freq.secs``) go to :meth:`process_tick`; emits made
    there are never anchored to the tick, and the tick is acked afterwards unless you acked
    or failed it yourself. Heartbeats are answered by the adapter.

    Output is buffered and written once per chunk of input read (and before any blocking
    read, after a heartbeat, after 20 ms of processing or 4096 queued messages). Emitted
    value lists are copied at ``emit()`` time but encoded at that write, so do not mutate
    objects nested inside them afterwards. Messages queued from other threads
    (``need_task_ids=False`` emits, acks, logs) are sent with the next write.
    """

    auto_anchor = False
    auto_ack = False
    auto_fail = False
    named_values = False

    def process(self, tup):
        """Handles one input :class:`~squall.Tuple`. Must be overridden."""
        raise NotImplementedError("%s must override process(self, tup)" % type(self).__name__)

    def process_tick(self, tup):
        """Handles a tick tuple. Default: nothing (the tick is acked afterwards)."""

    # ------------------------------------------------------------------ output

    def emit(self, tup, stream=None, anchors=None, direct_task=None, need_task_ids=False):
        """Emits a tuple.

        :param tup: the values, a list or tuple.
        :param stream: output stream id; None for ``"default"``.
        :param anchors: input tuples (or their ids) to anchor to; None means the current
            input if ``auto_anchor`` is set, otherwise unanchored.
        :param direct_task: task id for a direct emit.
        :param need_task_ids: if true, wait for and return the list of task ids the tuple
            went to (a round trip to the parent; avoid it in hot paths).
        :returns: the task ids if ``need_task_ids``, else None.
        """
        if type(tup) is not list and not isinstance(tup, (list, tuple)):
            raise TypeError("emit() values must be a list or tuple, not %s" % type(tup).__name__)
        values = list(tup)
        if anchors is None:
            cur = self._cur if self.auto_anchor else None
            if cur is not None and cur[3] != -1:
                msg = {"command": "emit", "anchors": [cur[0]], "tuple": values}
            else:
                msg = {"command": "emit", "tuple": values}
        else:
            ids = self._anchor_ids(anchors)
            if ids:
                msg = {"command": "emit", "anchors": ids, "tuple": values}
            else:
                msg = {"command": "emit", "tuple": values}
        if stream is not None:
            msg["stream"] = stream
        if direct_task is not None or need_task_ids:
            return self._emit(msg, need_task_ids, direct_task)
        if not self._batch:
            msg["need_task_ids"] = False
        self._out.append(msg)
        return None

    def _anchor_ids(self, anchors):
        if isinstance(anchors, (Tuple, str)):
            anchors = [anchors]
        cur = self._cur
        tick_id = cur[0] if cur is not None and cur[3] == -1 else None
        ids = []
        for a in anchors:
            if isinstance(a, Tuple):
                if a[3] != -1:  # ticks and heartbeats cannot anchor anything
                    ids.append(a[0])
            elif a is not None and a != tick_id:
                ids.append(a)
        return ids

    def ack(self, tup):
        """Acks an input tuple (a :class:`~squall.Tuple` or its id)."""
        tid = tup[0] if isinstance(tup, Tuple) else tup
        self._out.append({"command": "ack", "id": tid})
        cur = self._cur
        if cur is not None and cur[0] == tid:
            self._done = True

    def fail(self, tup):
        """Fails an input tuple (a :class:`~squall.Tuple` or its id): its spout replays it."""
        tid = tup[0] if isinstance(tup, Tuple) else tup
        self._out.append({"command": "fail", "id": tid})
        cur = self._cur
        if cur is not None and cur[0] == tid:
            self._done = True

    # ------------------------------------------------------------------ loop

    def _setup_component(self, conf, context):
        super(Bolt, self)._setup_component(conf, context)
        self._value_types = {}
        if not self.named_values:
            return
        fields = context.get("source->stream->fields")
        if not isinstance(fields, dict):
            return
        for source, streams in fields.items():
            if not isinstance(streams, dict):
                continue
            for stream, names in streams.items():
                if isinstance(names, list) and names:
                    self._value_types[(source, stream)] = namedtuple("Values", names, rename=True)

    def _loop(self):
        channel = self._channel
        inbox = channel.inbox
        popleft = inbox.popleft
        fill = channel.fill
        flush = channel.flush
        out = self._out
        pending_ids = self._pending_task_ids
        process = self.process
        process_tick = self.process_tick
        auto_ack = self.auto_ack
        value_types = self._value_types if self.named_values else None
        clock = time.monotonic
        deadline = clock() + FLUSH_SECONDS
        T = Tuple
        tnew = _tuple_new
        while True:
            if not inbox:
                flush()
                if not fill():
                    return None
                deadline = clock() + FLUSH_SECONDS
            m = popleft()
            if type(m) is not dict:
                pending_ids.append(m)  # a task-id reply nobody is waiting for (yet)
                continue
            try:
                stream = m["stream"]
                task = m["task"]
                values = m["tuple"]
                tup = tnew(T, (m["id"], m["comp"], stream, task, values))
            except KeyError as e:
                raise ProtocolError("a tuple without %s from the parent: %.200r" % (e, m))
            if task == -1:
                if stream == "__heartbeat":
                    out.append(_SYNC)
                    flush()
                    continue
                if stream == "__tick":
                    self._cur = tup
                    self._done = False
                    try:
                        process_tick(tup)
                    except Exception as e:
                        if self._on_error(e, tup):
                            return 1
                    else:
                        if not self._done:
                            out.append({"command": "ack", "id": tup[0]})
                    self._cur = None
                    continue
            if value_types:
                vt = value_types.get((tup[1], stream))
                if vt is not None and len(values) == len(vt._fields):
                    tup = tnew(T, (tup[0], tup[1], stream, task, vt._make(values)))
            self._cur = tup
            self._done = False
            try:
                process(tup)
            except Exception as e:
                if self._on_error(e, tup):
                    return 1
            else:
                if auto_ack and not self._done:
                    out.append({"command": "ack", "id": tup[0]})
            self._cur = None
            if len(out) >= FLUSH_MESSAGES or clock() > deadline:
                flush()
                deadline = clock() + FLUSH_SECONDS

    def _on_error(self, exc, tup):
        """Reports an exception from user code; returns True if the process must exit."""
        if isinstance(exc, ProtocolError):
            raise exc  # the pipe is unusable: fatal whatever exit_on_exception says
        self._report_exception(exc, tup, None)
        if (self.auto_fail or tup[3] == -1) and not self._done:
            self._out.append({"command": "fail", "id": tup[0]})
        self._cur = None
        return bool(self.exit_on_exception)


class BasicBolt(Bolt):
    """A bolt that anchors, acks and fails for you (Storm's ``BaseBasicBolt``).

    Every emit in :meth:`process` is anchored to the input, the input is acked when
    :meth:`process` returns, and failed when it raises; the exception is reported to the
    topology and the bolt goes on with the next tuple (``exit_on_exception = False``).
    """

    auto_anchor = True
    auto_ack = True
    auto_fail = True
    exit_on_exception = False
