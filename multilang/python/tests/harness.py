"""Helpers for driving components with scripted protocol input."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

import squall.protocol

PY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # multilang/python
REPO = os.path.dirname(os.path.dirname(PY_ROOT))
CONFORMANCE = os.path.join(REPO, "multilang", "conformance")
EXAMPLES = os.path.join(REPO, "python-examples")


def enc(msg):
    return json.dumps(msg, separators=(",", ":"), ensure_ascii=False)


def frame(msg):
    """One Storm JSON frame, as the parent writes it."""
    return (enc(msg) + "\nend\n").encode("utf-8")


def frames(*msgs):
    return b"".join(frame(m) for m in msgs)


def line(msg):
    """One ndjson line."""
    return (enc(msg) + "\n").encode("utf-8")


def handshake(pid_dir, conf=None, context=None, batch=False):
    ctx = {"taskid": 3, "componentid": "comp", "task->component": {"2": "spout", "3": "comp"},
           "streams": ["default"], "source->stream->fields": {"spout": {"default": ["sentence"]}}}
    if context:
        ctx.update(context)
    if batch:
        ctx["squall"] = {"version": 1, "extensions": ["batch"]}
    return {"pidDir": pid_dir, "conf": dict(conf or {"topology.name": "t"}), "context": ctx}


def tup(id, values, comp="spout", stream="default", task=2):
    return {"id": id, "comp": comp, "stream": stream, "task": task, "tuple": values}


def heartbeat(id="hb"):
    return {"id": id, "comp": None, "stream": "__heartbeat", "task": -1, "tuple": []}


def tick(id="tick", secs=2):
    return {"id": id, "comp": "__system", "stream": "__tick", "task": -1, "tuple": [secs]}


def cmd(name, id=""):
    return {"command": name, "id": id}


class PidDirTestCase(unittest.TestCase):
    """A test with a fresh pid directory, ``self.pid_dir``, and :meth:`hs` to frame a
    handshake naming it."""

    def setUp(self):
        self.pid_dir = tempfile.mkdtemp(prefix="squall-test-")
        self.addCleanup(shutil.rmtree, self.pid_dir, True)

    def hs(self, **kw):
        return frame(handshake(self.pid_dir, **kw))


class Result(object):
    def __init__(self, code, raw, serializer):
        self.code = code
        self.raw = raw
        if serializer == "ndjson":
            bodies = [b for b in raw.decode("utf-8").split("\n") if b]
            assert raw.endswith(b"\n") or not raw, raw
        else:
            text = raw.decode("utf-8")
            assert text.endswith("\nend\n") or not text, text
            bodies = text.split("\nend\n")[:-1]
        self.bodies = bodies
        self.frames = [json.loads(b) for b in bodies]
        self.pid_reply = self.frames[0] if self.frames else None
        #: every message after the pid reply, batches flattened
        self.messages = []
        for f in self.frames[1:]:
            if isinstance(f, list):
                self.messages.extend(f)
            else:
                self.messages.append(f)

    def commands(self, name):
        return [m for m in self.messages if m.get("command") == name]

    def without_logs(self):
        return [m for m in self.messages if m.get("command") != "log"]


def drive(component, data, serializer=None, read_size=None):
    """Runs ``component`` in-process on ``data`` (bytes) until EOF; returns a Result."""
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout:
        fin.write(data)
        fin.seek(0)
        if read_size:
            with mock.patch.object(squall.protocol, "READ_CHUNK", read_size):
                code = component.run(input_fd=fin.fileno(), output_fd=fout.fileno(),
                                     serializer=serializer, exit=False)
        else:
            code = component.run(input_fd=fin.fileno(), output_fd=fout.fileno(),
                                 serializer=serializer, exit=False)
        fout.seek(0)
        raw = fout.read()
    detected = serializer or getattr(component, "_channel").serializer
    return Result(code, raw, detected)


def spawn(args, data, cwd=None, timeout=30, env_updates=None):
    """Runs a subprocess with the adapter on PYTHONPATH; returns CompletedProcess (bytes).
    ``env_updates``: variables to set (a None value removes the variable)."""
    env = dict(os.environ)
    for k, v in (env_updates or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    env["PYTHONPATH"] = PY_ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.run(args, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          cwd=cwd, env=env, timeout=timeout)


def python():
    return sys.executable or "python3"


def load_transcript(name):
    path = os.path.join(CONFORMANCE, name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)
