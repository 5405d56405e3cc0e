"""A Python stand-in for Squall's gRPC host: opens Run streams to a served component, sends
HostBatches and reads the ComponentBatches back, flattened into multilang-like dicts.

Importing this module never fails: without grpcio (the stdlib suite's plain python3)
``SKIP`` says why and the gRPC tests skip themselves.
"""

import json
import queue
import threading

try:
    import grpc
    from squall import _grpc_codec as codec
    from squall.grpc import start
    from squall._grpc_codec import pb
    SKIP = None
except ImportError as e:  # no grpcio, or a source tree without its generated stubs
    grpc = codec = start = pb = None
    SKIP = "squall.grpc is not importable here: %s" % e

_END = object()
RUN = "/squall.v1.Component/Run"
TIMEOUT = 15


def context(task=3, component="comp", extra=None):
    ctx = {"taskid": task, "componentid": component, "task->component": {"2": "spout", str(task): component},
           "source->stream->fields": {"spout": {"default": ["word"]}}}
    ctx.update(extra or {})
    return ctx


class Host(object):
    """One Run stream to ``target`` (``host:port``)."""

    def __init__(self, target, options=None):
        self.channel = grpc.insecure_channel(target, options=options)
        run = self.channel.stream_stream(RUN, request_serializer=pb.HostBatch.SerializeToString,
                                         response_deserializer=pb.ComponentBatch.FromString)
        self._requests = queue.Queue()
        self._responses = queue.Queue()
        self.call = run(iter(self._requests.get, _END))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.ended = None  # (StatusCode, details) once the stream ended

    def _read(self):
        try:
            for batch in self.call:
                self._responses.put(batch)
        except grpc.RpcError:
            pass
        self._responses.put(_END)

    # ------------------------------------------------------------------ sending

    def send(self, batch):
        self._requests.put(batch)

    def handshake(self, conf=None, ctx=None, max_message_bytes=0):
        """Sends the handshake; returns the Ready message."""
        hs = pb.Handshake(conf_json=json.dumps(conf if conf is not None else {"topology.name": "t"}),
                          context_json=json.dumps(ctx if ctx is not None else context()),
                          max_message_bytes=max_message_bytes)
        self.send(pb.HostBatch(handshake=hs))
        first = self.recv()
        assert first is not None and first.HasField("ready"), "no ready: %r" % (first,)
        return first.ready

    def tuples(self, *rows, **kw):
        """Sends tuples ``(id, values)`` or ``(id, values, stream, task, comp)`` in one batch."""
        batch = pb.HostBatch()
        add_tuples(batch, rows)
        for tasks in kw.get("task_ids", ()):
            batch.task_ids.add(tasks=tasks)
        self.send(batch)

    def commands(self, *cmds, **kw):
        """Sends spout commands (``"next"`` or ``("ack", id)``) in one batch."""
        batch = pb.HostBatch()
        for c in cmds:
            name, mid = (c, None) if isinstance(c, str) else c
            batch.commands.add(name=name, id_json="" if mid is None else json.dumps(mid))
        for tasks in kw.get("task_ids", ()):
            batch.task_ids.add(tasks=tasks)
        self.send(batch)

    def task_ids(self, *lists):
        batch = pb.HostBatch()
        for tasks in lists:
            batch.task_ids.add(tasks=tasks)
        self.send(batch)

    # ------------------------------------------------------------------ receiving

    def recv(self, timeout=TIMEOUT):
        """The next ComponentBatch, or None once the stream ended."""
        try:
            item = self._responses.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no batch from the component within %ss" % timeout)
        if item is _END:
            self._responses.put(_END)
            return None
        return item

    def recv_until(self, pred, timeout=TIMEOUT):
        """Flattened messages of the batches received until ``pred(messages so far)``."""
        got = []
        while not pred(got):
            batch = self.recv(timeout)
            if batch is None:
                raise AssertionError("stream ended while waiting; got %r" % (got,))
            got.extend(unpack(batch))
        return got

    def close(self):
        """Closes the host's side; returns (code, details) once the component ended."""
        self._requests.put(_END)
        return self.wait_end()

    def wait_end(self, timeout=TIMEOUT):
        """Drains batches until the stream ends; returns (code, details)."""
        self.rest = []
        while True:
            batch = self.recv(timeout)
            if batch is None:
                break
            self.rest.extend(unpack(batch))
        self._reader.join(timeout)
        self.ended = (self.call.code(), self.call.details())
        return self.ended

    def cancel(self):
        self.call.cancel()
        self._requests.put(_END)

    def shutdown(self):
        self._requests.put(_END)
        self.call.cancel()
        self.channel.close()


def add_tuples(batch, rows):
    tb = batch.tuples
    values = []
    for row in rows:
        tid, vals = row[0], row[1]
        stream = row[2] if len(row) > 2 else "default"
        task = row[3] if len(row) > 3 else 2
        comp = row[4] if len(row) > 4 else "spout"
        tb.ids.append(tid)
        tb.components.append(comp)
        tb.streams.append(stream)
        tb.tasks.append(task)
        values.append(vals)
    tb.values_json = json.dumps(values)


def unpack(batch):
    """A ComponentBatch as the multilang-style dicts it stands for, in the proto's order:
    logs, errors, metrics, emits, acks, fails, syncs."""
    out = [{"command": "log", "msg": l.msg, "level": l.level} for l in batch.logs]
    out += [{"command": "error", "msg": e.msg} for e in batch.errors]
    out += [{"command": "metrics", "name": m.name, "params": json.loads(m.params_json)} for m in batch.metrics]
    if batch.HasField("emits"):
        out += _unpack_emits(batch.emits)
    out += [{"command": "ack", "id": i} for i in batch.acks]
    out += [{"command": "fail", "id": i} for i in batch.fails]
    out += [{"command": "sync"}] * batch.syncs
    return out


def _unpack_emits(e):
    values = json.loads(e.values_json)
    ids = json.loads(e.message_ids_json) if e.message_ids_json else None
    counts = list(e.anchor_counts)
    anchors = list(e.anchors)
    emits = []
    for i, v in enumerate(values):
        m = {"command": "emit", "stream": e.streams[i], "tuple": v}
        if counts:
            m["anchors"], anchors = anchors[:counts[i]], anchors[counts[i]:]
        if ids is not None:
            m["id"] = ids[i]
        if len(e.direct_tasks) and e.direct_tasks[i] != -1:
            m["task"] = e.direct_tasks[i]
        if len(e.need_task_ids) and e.need_task_ids[i]:
            m["need_task_ids"] = True
        emits.append(m)
    return emits


def commands(msgs, name):
    return [m for m in msgs if m["command"] == name]


def without_logs(msgs):
    return [m for m in msgs if m["command"] != "log"]


class Served(object):
    """A component class served in this process on a free port, for a ``with`` block."""

    def __init__(self, cls, **kw):
        self.failures = []
        self.running = start(cls, "127.0.0.1:0", on_failure=lambda: self.failures.append(1), **kw)
        self.target = "127.0.0.1:%d" % self.running.port
        self.hosts = []

    def host(self, options=None):
        h = Host(self.target, options)
        self.hosts.append(h)
        return h

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for h in self.hosts:
            h.shutdown()
        self.running.stop(0)
