"""Replays the golden multilang transcripts (multilang/conformance/*.json) against the adapter.

Parent steps are fed as their exact wire bytes; the adapter's output must decode to the
transcript's child messages, in order. Child bytes need not match (the transcripts were
written by json.dumps with default separators), except where noted.
"""

import json
import os
import re
import shutil
import tempfile
import unittest

from squall import BasicBolt, Spout

from .harness import drive, enc, load_transcript

TICK_LOG = "tick: \u00fcn\u00efc\u00f8d\u00e9 \u2713 \U0001f600"


def parent_wire(transcript, pid_dir=None):
    """The parent's bytes, with the handshake's pidDir pointed at a writable directory."""
    out = []
    for step in transcript["steps"]:
        if step["from"] != "parent":
            continue
        if step["kind"] == "handshake" and pid_dir:
            msg = dict(step["message"], pidDir=pid_dir)
            end = "\nend\n" if step["wire"].endswith("\nend\n") else "\n"
            out.append(enc(msg) + end)
        else:
            out.append(step["wire"])
    return "".join(out).encode("utf-8")


def child_messages(transcript):
    msgs = []
    for step in transcript["steps"]:
        if step["from"] != "child" or step["kind"] == "pid":
            continue
        if step["kind"] == "batch":
            msgs.extend(step["message"])
        else:
            msgs.append(step["message"])
    return msgs


class StormPyLikeBolt(BasicBolt):
    """Does what the transcripts' bolt did: emit the first word (asking for task ids, as
    storm.py always does) and log a Unicode message on ticks."""

    def initialize(self, conf, context):
        self.task_ids = []

    def process(self, tup):
        self.task_ids.append(self.emit([tup.values[0].split()[0]], need_task_ids=True))

    def process_tick(self, tup):
        self.log(TICK_LOG)


class Upper(BasicBolt):
    def process(self, tup):
        self.emit([tup.values[0].upper()])


class Base(unittest.TestCase):
    def setUp(self):
        self.pid_dir = tempfile.mkdtemp(prefix="squall-conf-")
        self.addCleanup(shutil.rmtree, self.pid_dir, True)

    def transcript(self, name):
        t = load_transcript(name)
        if t is None:
            self.skipTest("conformance transcript %s not present" % name)
        return t


class BoltTranscripts(Base):
    def test_json_bolt_storm_py(self):
        t = self.transcript("json-bolt-storm-py.json")
        bolt = StormPyLikeBolt()
        r = drive(bolt, parent_wire(t, self.pid_dir), read_size=13)
        self.assertEqual(r.code, 0)
        self.assertEqual(r.pid_reply, {"pid": os.getpid()})
        self.assertEqual(r.messages, child_messages(t))
        self.assertEqual(bolt.task_ids, [[4]])
        self.assertTrue(os.path.exists(os.path.join(self.pid_dir, str(os.getpid()))))

    def test_ndjson_bolt(self):
        t = self.transcript("ndjson-bolt.json")
        r = drive(StormPyLikeBolt(), parent_wire(t, self.pid_dir))
        self.assertEqual(r.code, 0)
        self.assertRegex(r.raw.decode("utf-8"), r'^\{"pid":\d+\}\n')
        self.assertEqual(r.messages, child_messages(t))
        # compact JSON, one object per line: byte-identical to the transcript except for the
        # log line (the transcript escapes non-ASCII, the adapter writes UTF-8)
        want = [s["wire"] for s in t["steps"] if s["from"] == "child" and s["kind"] != "pid"]
        got = [b + "\n" for b in r.bodies[1:]]
        for w, g in zip(want, got):
            if '"log"' not in w:
                self.assertEqual(g, w)

    def test_json_batch(self):
        t = self.transcript("json-batch.json")
        steps = t["steps"]
        data = parent_wire(t, self.pid_dir)
        if steps[0]["kind"] != "handshake":  # older transcripts start after the handshake
            hs = {"pidDir": self.pid_dir, "conf": {},
                  "context": {"taskid": 1, "squall": {"version": 1, "extensions": ["batch"]}}}
            data = (enc(hs) + "\nend\n").encode("utf-8") + data
        bolt = Upper()
        r = drive(bolt, data)
        self.assertEqual(r.code, 0)
        self.assertEqual(r.pid_reply, {"pid": os.getpid(), "squall": {"extensions": ["batch"]}})
        child_batch = [s_["message"] for s_ in steps if s_["from"] == "child" and s_["kind"] == "batch"][0]
        self.assertEqual(len(r.frames), 2, "one batch frame out for the batch frame in")
        self.assertEqual(r.frames[1], child_batch)
        # the task-id replies nobody asked for are kept, in order
        self.assertEqual(list(bolt._pending_task_ids), [[4], [5, 6], [], [4, 5]])


class SpoutTranscripts(Base):
    def test_json_spout_pystorm(self):
        t = self.transcript("json-spout-pystorm.json")

        class W(Spout):
            acked = []

            def next_tuple(self):
                self.emit(["w"], tup_id=1)

            def ack(self, tup_id):
                self.acked.append(tup_id)
        s = W()
        r = drive(s, parent_wire(t, self.pid_dir))
        self.assertEqual(r.messages, child_messages(t))
        self.assertEqual(s.acked, [1])

    def test_json_lossless_ids(self):
        t = self.transcript("json-lossless-ids.json")
        children = child_messages(t)
        emits = [m for m in children if m["command"] == "emit"]

        class Ids(Spout):
            def initialize(self, conf, context):
                self.events = []
                self.task_ids = []

            def next_tuple(self):
                for m in emits:
                    ids = self.emit(m["tuple"], tup_id=m["id"], need_task_ids=m.get("need_task_ids", True))
                    if ids is not None:
                        self.task_ids.append(ids)

            def ack(self, tup_id):
                self.events.append(("ack", tup_id))

            def fail(self, tup_id):
                self.events.append(("fail", tup_id))
        hs = {"pidDir": self.pid_dir, "conf": {}, "context": {"taskid": 1}}
        s = Ids()
        r = drive(s, (enc(hs) + "\nend\n").encode("utf-8") + parent_wire(t))
        n = len(children)
        self.assertEqual(r.messages[:n], children)
        self.assertEqual(r.messages[n:], [{"command": "sync"}] * 5)
        self.assertEqual(s.task_ids, [[4]])
        want = [(s_["message"]["command"], s_["message"]["id"]) for s_ in t["steps"]
                if s_["from"] == "parent" and s_["kind"] == "command" and s_["message"]["command"] in ("ack", "fail")]
        self.assertEqual(s.events, want)
        self.assertEqual([type(i) for _, i in s.events], [type(i) for _, i in want])
        # the big integer goes out as the same digits
        self.assertIn('"id":12345678901234567890123', r.raw.decode())


if __name__ == "__main__":
    unittest.main()
