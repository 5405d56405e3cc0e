"""Spouts served over gRPC: commands in, emits with message ids and one sync per command out."""

import json
import unittest

from squall import Spout

from .grpc_harness import SKIP, Served, commands, grpc, without_logs

SEEN = []


class Numbers(Spout):
    def initialize(self, conf, ctx):
        self.n = 0

    def next_tuple(self):
        self.n += 1
        if self.n == 3:
            self.emit(["unreliable"])
        elif self.n == 4:
            self.emit(["where"], tup_id="w", need_task_ids=False)
            SEEN.append(("ids", self.emit(["where"], tup_id="w2", need_task_ids=True)))
        elif self.n == 5:
            self.emit(["direct"], tup_id=5, direct_task=9)
        else:
            self.emit([self.n], tup_id={"n": self.n, "big": 2 ** 70})

    def ack(self, tup_id):
        SEEN.append(("ack", tup_id))

    def fail(self, tup_id):
        SEEN.append(("fail", tup_id))
        if tup_id == "fatal":
            raise RuntimeError("cannot replay")

    def activate(self):
        SEEN.append(("activate",))

    def deactivate(self):
        SEEN.append(("deactivate",))


class Lenient(Numbers):
    exit_on_exception = False


@unittest.skipIf(SKIP, SKIP)
class SpoutTest(unittest.TestCase):
    def setUp(self):
        del SEEN[:]

    def test_next_emits_with_message_ids_then_syncs(self):
        with Served(Numbers) as s:
            h = s.host()
            h.handshake()
            h.commands("next", "next", "next")
            got = without_logs(h.recv_until(lambda got: len(commands(got, "sync")) == 3))
            self.assertEqual(got, [
                {"command": "emit", "stream": "", "tuple": [1], "id": {"n": 1, "big": 2 ** 70}},
                {"command": "emit", "stream": "", "tuple": [2], "id": {"n": 2, "big": 2 ** 70}},
                {"command": "emit", "stream": "", "tuple": ["unreliable"], "id": None},
                {"command": "sync"}, {"command": "sync"}, {"command": "sync"},
            ])

    def test_acks_fails_and_activation_reach_the_spout_with_ids_intact(self):
        with Served(Numbers) as s:
            h = s.host()
            h.handshake()
            h.commands("activate", ("ack", {"n": 1, "big": 2 ** 70}), ("fail", [1, "x"]), "deactivate", "unknown")
            got = without_logs(h.recv_until(lambda got: len(commands(got, "sync")) == 5))
            self.assertEqual(got, [{"command": "sync"}] * 5)
            self.assertEqual(SEEN, [("activate",), ("ack", {"n": 1, "big": 2 ** 70}), ("fail", [1, "x"]), ("deactivate",)])

    def test_need_task_ids_and_direct_emits(self):
        with Served(Numbers) as s:
            h = s.host()
            h.handshake()
            h.commands("next", "next", "next", "next")
            got = without_logs(h.recv_until(lambda got: commands(got, "emit") and commands(got, "emit")[-1].get("need_task_ids")))
            self.assertEqual(commands(got, "emit")[-2:], [
                {"command": "emit", "stream": "", "tuple": ["where"], "id": "w"},
                {"command": "emit", "stream": "", "tuple": ["where"], "id": "w2", "need_task_ids": True},
            ])
            h.commands("next", task_ids=[[3, 4]])
            got = without_logs(h.recv_until(lambda got: len(commands(got, "sync")) >= 2))
            self.assertEqual(SEEN, [("ids", [3, 4])])
            self.assertEqual(commands(got, "emit"), [{"command": "emit", "stream": "", "tuple": ["direct"], "id": 5, "task": 9}])

    def test_an_exception_ends_the_stream_by_default(self):
        with Served(Numbers) as s:
            h = s.host()
            h.handshake()
            h.commands(("fail", "fatal"), "next")
            code, details = h.wait_end()
            self.assertEqual(code, grpc.StatusCode.ABORTED)
            self.assertIn("Numbers (task 3) failed", details)
            self.assertIn("RuntimeError: cannot replay", commands(h.rest, "error")[0]["msg"])
            self.assertEqual(commands(h.rest, "sync"), [], "no sync for the failed command, nothing after it")

    def test_an_exception_is_reported_and_answered_when_exit_on_exception_is_off(self):
        with Served(Lenient) as s:
            h = s.host()
            h.handshake()
            h.commands(("fail", "fatal"), "next")
            got = h.recv_until(lambda got: len(commands(got, "sync")) == 2)
            self.assertEqual(len(commands(got, "error")), 1)
            self.assertEqual(json.dumps(commands(got, "emit")[0]["tuple"]), "[1]")
            self.assertEqual(h.close(), (grpc.StatusCode.OK, ""))


if __name__ == "__main__":
    unittest.main()
