"""Spouts: answer the parent's next/ack/fail/activate/deactivate commands."""

from .component import Component
from .protocol import ProtocolError

__all__ = ["Spout"]

_SYNC = {"command": "sync"}


class Spout(Component):
    """A spout. Override :meth:`next_tuple` (and optionally :meth:`initialize`, :meth:`ack`,
    :meth:`fail`, :meth:`activate`, :meth:`deactivate`, :meth:`cleanup`); call
    ``MySpout().run()`` in the script.

    The parent sends one command at a time; the adapter calls the matching method and then
    answers ``sync`` (emits made in the method go before it). Message ids given to
    :meth:`emit` come back to :meth:`ack`/:meth:`fail` exactly as emitted: strings, ints of
    any size, lists or dicts (dict ids come back as equal dicts, not the same object).

    Storm itself sleeps between ``next`` commands when a spout emits nothing, so
    :meth:`next_tuple` can simply return.

    :cvar exit_on_exception: when a method raises, the exception is reported to the
        topology (``error`` with the traceback and a one-line ``log``). If true (default,
        as in pystorm) the process then exits with status 1 and Squall restarts it; if
        false the command is answered with ``sync`` as usual and the spout goes on.
    """

    def next_tuple(self):
        """Emit zero or more tuples. Default: nothing."""

    def ack(self, tup_id):
        """The tuple tree of message id ``tup_id`` completed."""

    def fail(self, tup_id):
        """The tuple tree of message id ``tup_id`` failed or timed out."""

    def activate(self):
        """The topology was activated."""

    def deactivate(self):
        """The topology was deactivated: :meth:`next_tuple` is not called until activated."""

    def emit(self, tup, tup_id=None, stream=None, direct_task=None, need_task_ids=False):
        """Emits a tuple.

        :param tup: the values, a list or tuple.
        :param tup_id: message id; None for an unreliable emit (never acked or failed).
        :param stream: output stream id; None for ``"default"``.
        :param direct_task: task id for a direct emit.
        :param need_task_ids: if true, wait for and return the task ids the tuple went to.
        :returns: the task ids if ``need_task_ids``, else None.
        """
        if type(tup) is not list and not isinstance(tup, (list, tuple)):
            raise TypeError("emit() values must be a list or tuple, not %s" % type(tup).__name__)
        msg = {"command": "emit", "tuple": list(tup)}
        if tup_id is not None:
            msg["id"] = tup_id
        if stream is not None:
            msg["stream"] = stream
        if direct_task is not None or need_task_ids:
            return self._emit(msg, need_task_ids, direct_task)
        if not self._batch:
            msg["need_task_ids"] = False
        self._out.append(msg)
        return None

    def _loop(self):
        channel = self._channel
        inbox = channel.inbox
        popleft = inbox.popleft
        fill = channel.fill
        flush = channel.flush
        out = self._out
        pending_ids = self._pending_task_ids
        while True:
            if not inbox:
                flush()
                if not fill():
                    return None
            cmd = popleft()
            if type(cmd) is not dict:
                pending_ids.append(cmd)  # a task-id reply nobody is waiting for (yet)
                continue
            name = cmd.get("command")
            try:
                if name == "next":
                    self.next_tuple()
                elif name == "ack":
                    self.ack(cmd.get("id"))
                elif name == "fail":
                    self.fail(cmd.get("id"))
                elif name == "activate":
                    self.activate()
                elif name == "deactivate":
                    self.deactivate()
                else:
                    self.logger.warning("unknown command from the parent, answered with sync: %r", cmd)
            except ProtocolError:
                raise  # the pipe is unusable: fatal whatever exit_on_exception says
            except Exception as e:
                hook = {"next": "next_tuple"}.get(name, name)
                self._report_exception(e, None, "%s()" % (hook,))
                if self.exit_on_exception:
                    return 1
            out.append(_SYNC)
