"""Multilang dicts to and from ``component.proto`` batches.

The component classes speak multilang dicts (``{"command": "emit", ...}``); the gRPC protocol
is columnar. Decoding turns one :class:`HostBatch` into the dicts the stdio adapter would have
read; encoding turns the queued dicts into one :class:`ComponentBatch`. Each direction makes a
single JSON call per column (all values, all message ids) and no protobuf object per tuple:
in Python those per-tuple objects would cost more than the tuples' own work.

Pure: no I/O, no threads.
"""

import json

from .protocol import ProtocolError, SerializationError
from ._grpc_stubs import pb

__all__ = ["read_handshake", "decode", "encode", "ready", "HostBatch", "ComponentBatch"]

HostBatch = pb.HostBatch
ComponentBatch = pb.ComponentBatch

_loads = json.JSONDecoder().decode
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
# Protobuf strings must be UTF-8, which lone surrogates (legal in Python str) are not.
_dumps_ascii = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
_ENCODE_ERRORS = (TypeError, ValueError, OverflowError, KeyError)


def _json(text, what):
    try:
        return _loads(text)
    except ValueError as e:
        raise ProtocolError("the host sent invalid JSON in %s (%s): %.200r" % (what, e, text))


def read_handshake(batch):
    """The handshake of a stream's first :class:`HostBatch` as a dict with ``conf``,
    ``context`` and ``max_message_bytes``.

    :raises ProtocolError: if the batch is not a lone handshake.
    """
    if not batch.HasField("handshake"):
        raise ProtocolError("the host's first batch has no handshake")
    if batch.HasField("tuples") or len(batch.commands) or len(batch.task_ids):
        raise ProtocolError("the host's handshake batch carries more than the handshake")
    hs = batch.handshake
    conf = _json(hs.conf_json, "the handshake's conf") if hs.conf_json else {}
    context = _json(hs.context_json, "the handshake's context") if hs.context_json else {}
    return {"conf": conf, "context": context, "max_message_bytes": hs.max_message_bytes}


def decode(batch, inbox):
    """Appends the multilang messages of a later :class:`HostBatch` to ``inbox``: task-id
    answers (lists) first, then tuple dicts, then spout command dicts.

    :raises ProtocolError: on a second handshake, bad JSON or ragged tuple columns.
    """
    if batch.HasField("handshake"):
        raise ProtocolError("the host sent a second handshake")
    for answer in batch.task_ids:
        inbox.append(list(answer.tasks))
    if batch.HasField("tuples"):
        _decode_tuples(batch.tuples, inbox)
    for cmd in batch.commands:
        if cmd.id_json:
            inbox.append({"command": cmd.name, "id": _json(cmd.id_json, "a command's id")})
        else:
            inbox.append({"command": cmd.name})


def _decode_tuples(tuples, inbox):
    ids = tuples.ids
    values = _json(tuples.values_json, "the tuples' values") if tuples.values_json else []
    comps, streams, tasks = tuples.components, tuples.streams, tuples.tasks
    n = len(ids)
    if not (type(values) is list and len(values) == n and len(comps) == n and len(streams) == n and len(tasks) == n):
        raise ProtocolError("ragged tuple batch from the host: %d ids, %d components, %d streams, %d tasks, %s values"
                            % (n, len(comps), len(streams), len(tasks), len(values) if type(values) is list else "no"))
    inbox.extend([{"id": i, "comp": c, "stream": s, "task": t, "tuple": v}
                  for i, c, s, t, v in zip(ids, comps, streams, tasks, values)])


def ready(pid, extensions=()):
    """The answer to the handshake."""
    batch = ComponentBatch()
    batch.ready.pid = pid
    batch.ready.extensions.extend(extensions)
    return batch


def encode(msgs, spout):
    """One :class:`ComponentBatch` holding ``msgs`` (multilang dicts, in order).

    :param spout: True for a spout's messages (emits carry message ids, never anchors).
    :raises SerializationError: if a message cannot be encoded; ``error.good`` holds the
        batch of the messages before it (or None), ``error.index`` its position.
    """
    try:
        return _Encoder(spout, _dumps, _same).run(msgs)
    except UnicodeEncodeError:
        pass  # a lone surrogate somewhere: escape it, as the stdio adapter does
    except _ENCODE_ERRORS:
        return _fail(msgs, spout)
    try:
        return _Encoder(spout, _dumps_ascii, _utf8).run(msgs)
    except _ENCODE_ERRORS:
        return _fail(msgs, spout)


def _same(text):
    return text


def _utf8(text):
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(text, str) else text


def _fail(msgs, spout):
    """Finds the first message that cannot be encoded and raises about it."""
    for i, m in enumerate(msgs):
        try:
            _Encoder(spout, _dumps_ascii, _utf8).run([m])
        except _ENCODE_ERRORS as e:
            good = _Encoder(spout, _dumps_ascii, _utf8).run(msgs[:i]) if i else None
            what = m.get("command", "?") if isinstance(m, dict) else type(m).__name__
            error = SerializationError("cannot encode a %r message (%s): %.300r; it and %d later message(s) were dropped"
                                       % (what, e, m, len(msgs) - i - 1))
            error.good, error.index = good, i
            raise error
    raise SerializationError("cannot encode a batch of %d messages" % len(msgs))  # pragma: no cover


class _Encoder(object):
    """Collects the columns of one batch; ``dumps`` encodes JSON columns, ``text`` vets
    plain strings (identity unless a lone surrogate forced the escaping retry)."""

    def __init__(self, spout, dumps, text):
        self.spout = spout
        self.dumps = dumps
        self.text = text

    def run(self, msgs):
        batch = ComponentBatch()
        streams, values, counts, anchors, ids = [], [], [], [], []
        acks, fails = [], []
        directs = needs = None  # columns created at the first emit that uses them
        syncs = 0
        spout = self.spout
        for m in msgs:
            c = m["command"]
            if c == "emit":
                values.append(m["tuple"])
                streams.append(m.get("stream") or "")
                if spout:
                    ids.append(m.get("id"))
                else:
                    a = m.get("anchors")
                    if a:
                        counts.append(len(a))
                        anchors.extend(a)
                    else:
                        counts.append(0)
                task = m.get("task")
                if task is not None or directs is not None:
                    if directs is None:
                        directs = [-1] * (len(values) - 1)
                    directs.append(-1 if task is None else task)
                if m.get("need_task_ids") or needs is not None:
                    if needs is None:
                        needs = [False] * (len(values) - 1)
                    needs.append(bool(m.get("need_task_ids")))
            elif c == "ack":
                acks.append(m["id"])
            elif c == "fail":
                fails.append(m["id"])
            elif c == "sync":
                syncs += 1
            else:
                self._side(batch, m, c)
        if values:
            self._emits(batch.emits, streams, values, counts, anchors, ids, directs, needs)
        if acks:
            self._ids(batch.acks, acks)
        if fails:
            self._ids(batch.fails, fails)
        if syncs:
            batch.syncs = syncs
        return batch

    def _emits(self, e, streams, values, counts, anchors, ids, directs, needs):
        text = self.text
        e.streams.extend([text(s) for s in streams] if text is not _same else streams)
        e.values_json = self.dumps(values)
        if self.spout:
            e.message_ids_json = self.dumps(ids)
        else:
            e.anchor_counts.extend(counts)
            self._ids(e.anchors, anchors)
        if directs is not None:
            e.direct_tasks.extend(directs)
        if needs is not None:
            e.need_task_ids.extend(needs)

    def _ids(self, field, ids):
        """Tuple ids are strings, but a user may hand back something else (an int)."""
        text = self.text
        if text is _same:
            try:
                field.extend(ids)
                return
            except TypeError:
                pass  # extend() is all or nothing
        field.extend([text(i if isinstance(i, str) else str(i)) for i in ids])

    def _side(self, batch, m, c):
        """Logs, errors and metrics: a few per batch at most."""
        if c == "log":
            batch.logs.add(msg=self.text(m["msg"]), level=m.get("level", 2))
        elif c == "error":
            batch.errors.add(msg=self.text(m["msg"]))
        elif c == "metrics":
            batch.metrics.add(name=self.text(str(m["name"])), params_json=self.dumps(m.get("params")))
        else:
            raise ValueError("no gRPC form for a %r message" % (c,))
