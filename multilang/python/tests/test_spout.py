"""Spouts driven in-process: one sync per command, ids echoed verbatim, batch acks."""

import os
import unittest

from squall import Spout

from .harness import PidDirTestCase as Base, cmd, drive, frames, handshake, line

BIG = 2 ** 70 + 1                                   # beyond int64
DICT_ID = {"partition": 3, "offset": 9007199254740993}  # beyond 2^53 inside an object


class Recorder(Spout):
    def __init__(self, emits=None):
        super(Recorder, self).__init__()
        self.emits = list(emits or [])
        self.events = []
        self.results = []

    def next_tuple(self):
        self.events.append(("next",))
        if self.emits:
            values, kwargs = self.emits.pop(0)
            self.results.append(self.emit(values, **kwargs))

    def ack(self, tup_id):
        self.events.append(("ack", tup_id))

    def fail(self, tup_id):
        self.events.append(("fail", tup_id))

    def activate(self):
        self.events.append(("activate",))

    def deactivate(self):
        self.events.append(("deactivate",))


class SpoutTests(Base):
    def test_each_command_gets_its_emits_then_one_sync(self):
        s = Recorder([(["w"], {"tup_id": 1}), (["x", 2], {"stream": "side"})])
        data = self.hs() + frames(cmd("activate"), cmd("next"), cmd("next"), cmd("next"),
                                  cmd("ack", 1), cmd("fail", 1), cmd("deactivate"))
        r = drive(s, data)
        self.assertEqual(r.code, 0)
        self.assertEqual(r.bodies[1:], [
            '{"command":"sync"}',
            '{"command":"emit","tuple":["w"],"id":1,"need_task_ids":false}', '{"command":"sync"}',
            '{"command":"emit","tuple":["x",2],"stream":"side","need_task_ids":false}', '{"command":"sync"}',
            '{"command":"sync"}',
            '{"command":"sync"}', '{"command":"sync"}', '{"command":"sync"}',
        ])
        self.assertEqual(s.events, [("activate",), ("next",), ("next",), ("next",), ("ack", 1), ("fail", 1),
                                    ("deactivate",)])
        self.assertEqual(os.listdir(self.pid_dir), [str(os.getpid())])

    def test_big_int_and_dict_ids_are_echoed_exactly(self):
        s = Recorder([(["a"], {"tup_id": BIG}), (["b"], {"tup_id": DICT_ID}), (["c"], {"tup_id": "17"}),
                      (["d"], {"tup_id": 17}), (["e"], {"tup_id": ["topic", 0, -42]})])
        data = self.hs() + frames(*[cmd("next")] * 5) + frames(
            cmd("ack", BIG), cmd("fail", DICT_ID), cmd("ack", "17"), cmd("fail", 17), cmd("ack", ["topic", 0, -42]))
        r = drive(s, data, read_size=5)
        self.assertIn('{"command":"emit","tuple":["a"],"id":1180591620717411303425,"need_task_ids":false}', r.bodies)
        self.assertIn('{"command":"emit","tuple":["b"],"id":{"partition":3,"offset":9007199254740993},'
                      '"need_task_ids":false}', r.bodies)
        self.assertIn('{"command":"emit","tuple":["c"],"id":"17","need_task_ids":false}', r.bodies)
        self.assertEqual(s.events[5:], [("ack", BIG), ("fail", DICT_ID), ("ack", "17"), ("fail", 17),
                                        ("ack", ["topic", 0, -42])])
        self.assertIs(type(s.events[5][1]), int)
        self.assertIs(type(s.events[7][1]), str)
        self.assertIs(type(s.events[8][1]), int)

    def test_need_task_ids(self):
        s = Recorder([(["a"], {"tup_id": 1, "need_task_ids": True}), (["b"], {"direct_task": 9, "need_task_ids": True}),
                      (["c"], {})])
        r = drive(s, self.hs() + frames(cmd("next"), [4, 5], cmd("next"), cmd("next")))
        self.assertEqual(s.results, [[4, 5], [9], None])
        self.assertEqual(r.bodies[1:], [
            '{"command":"emit","tuple":["a"],"id":1}', '{"command":"sync"}',
            '{"command":"emit","tuple":["b"],"task":9,"need_task_ids":false}', '{"command":"sync"}',
            '{"command":"emit","tuple":["c"],"need_task_ids":false}', '{"command":"sync"}',
        ])

    def test_emits_from_initialize_ack_and_fail(self):
        class Replaying(Spout):
            def initialize(self, conf, context):
                self.emit(["early"])

            def fail(self, tup_id):
                self.emit(["again"], tup_id=tup_id)
        r = drive(Replaying(), self.hs() + frames(cmd("fail", "m1")))
        self.assertEqual(r.messages, [
            {"command": "emit", "tuple": ["early"], "need_task_ids": False},
            {"command": "emit", "tuple": ["again"], "id": "m1", "need_task_ids": False},
            {"command": "sync"},
        ])

    def test_unknown_command_is_synced(self):
        r = drive(Recorder(), self.hs() + frames(cmd("wiggle")))
        self.assertEqual(r.messages[-1], {"command": "sync"})
        self.assertEqual(r.messages[0]["level"], 3)
        self.assertIn("wiggle", r.messages[0]["msg"])

    def test_exception_reports_and_exits(self):
        class Broken(Spout):
            def next_tuple(self):
                self.emit(["partial"])
                raise RuntimeError("source down")
        r = drive(Broken(), self.hs() + frames(cmd("next"), cmd("next")))
        self.assertEqual(r.code, 1)
        self.assertEqual([m["command"] for m in r.messages], ["emit", "error", "log"])
        self.assertIn("Python RuntimeError raised in next_tuple()", r.messages[1]["msg"])
        self.assertIn("source down", r.messages[1]["msg"])

    def test_exception_without_exit_still_syncs(self):
        class Lenient(Spout):
            exit_on_exception = False

            def ack(self, tup_id):
                raise ValueError(tup_id)
        r = drive(Lenient(), self.hs() + frames(cmd("ack", 5), cmd("next")))
        self.assertEqual(r.code, 0)
        self.assertEqual([m["command"] for m in r.messages], ["error", "log", "sync", "sync"])
        self.assertIn("raised in ack()", r.messages[0]["msg"])

    def test_cleanup_on_eof(self):
        class Closing(Spout):
            def cleanup(self):
                self.log("closing")
        r = drive(Closing(), self.hs() + frames(cmd("next")))
        self.assertEqual(r.code, 0)
        self.assertEqual(r.messages, [{"command": "sync"}, {"command": "log", "msg": "closing", "level": 2}])


class SpoutBatchTests(Base):
    def test_batch_acks_get_one_sync_each_in_one_frame(self):
        s = Recorder()
        r = drive(s, self.hs(batch=True) + frames([cmd("ack", 1), cmd("ack", 2), cmd("fail", 3)]))
        self.assertEqual(r.bodies[1], '[{"command":"sync"},{"command":"sync"},{"command":"sync"}]')
        self.assertEqual(s.events, [("ack", 1), ("ack", 2), ("fail", 3)])

    def test_batch_emits(self):
        class Many(Spout):
            def next_tuple(self):
                for i in range(3):
                    self.emit([i], tup_id=i)
        r = drive(Many(), self.hs(batch=True) + frames(cmd("next")))
        self.assertEqual(r.bodies[1], '[{"command":"emit","tuple":[0],"id":0},{"command":"emit","tuple":[1],"id":1},'
                                      '{"command":"emit","tuple":[2],"id":2},{"command":"sync"}]')

    def test_batch_need_task_ids(self):
        s = Recorder([(["a"], {"tup_id": 1, "need_task_ids": True})])
        r = drive(s, self.hs(batch=True) + frames(cmd("next"), [[7]]))
        self.assertEqual(s.results, [[7]])
        self.assertEqual(r.bodies[1:], ['{"command":"emit","tuple":["a"],"id":1,"need_task_ids":true}',
                                        '{"command":"sync"}'])


class SpoutNdjsonTests(Base):
    def test_ndjson_spout(self):
        conf = {"topology.multilang.serializer": "ndjson"}
        s = Recorder([(["a"], {"tup_id": BIG})])
        data = line(handshake(self.pid_dir, conf=conf)) + line(cmd("next")) + line(cmd("ack", BIG))
        r = drive(s, data)
        self.assertEqual(r.raw.decode(), '{"pid":%d}\n{"command":"emit","tuple":["a"],"id":%d,"need_task_ids":false}\n'
                         '{"command":"sync"}\n{"command":"sync"}\n' % (os.getpid(), BIG))
        self.assertEqual(s.events[-1], ("ack", BIG))


if __name__ == "__main__":
    unittest.main()
