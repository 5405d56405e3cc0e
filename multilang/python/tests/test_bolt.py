"""Bolts driven in-process with scripted parent input; exact protocol output checked."""

import io
import logging
import os
import sys
import unittest
from unittest import mock

import squall.bolt
from squall import BasicBolt, Bolt, Tuple

from .harness import PidDirTestCase as Base, drive, frame, frames, handshake, heartbeat, line, tick, tup


class Recorder(Bolt):
    """A Bolt that records what it sees and runs a per-test action."""

    def __init__(self, action=None, tick_action=None):
        super(Recorder, self).__init__()
        self.action = action
        self.tick_action = tick_action
        self.seen = []
        self.ticks = []
        self.results = []
        self.cleaned = False

    def process(self, t):
        self.seen.append(t)
        if self.action:
            self.action(self, t)

    def process_tick(self, t):
        self.ticks.append(t)
        if self.tick_action:
            self.tick_action(self, t)

    def cleanup(self):
        self.cleaned = True


class Basic(BasicBolt):
    def initialize(self, conf, context):
        self.seen = []

    def process(self, t):
        self.seen.append(t)
        if t.values[0] == "boom":
            raise ValueError("bad input")
        for word in t.values[0].split():
            self.emit([word])


class HandshakeTests(Base):
    def test_pid_file_and_plain_pid_reply(self):
        r = drive(Recorder(), self.hs())
        self.assertEqual(r.code, 0)
        self.assertEqual(os.listdir(self.pid_dir), [str(os.getpid())])
        self.assertEqual(os.path.getsize(os.path.join(self.pid_dir, str(os.getpid()))), 0)
        self.assertEqual(r.raw, ('{"pid":%d}\nend\n' % os.getpid()).encode())

    def test_pid_reply_accepts_the_batch_offer(self):
        r = drive(Recorder(), self.hs(batch=True))
        self.assertEqual(r.raw, ('{"pid":%d,"squall":{"extensions":["batch"]}}\nend\n' % os.getpid()).encode())

    def test_batch_offer_can_be_declined(self):
        class Plain(Recorder):
            accept_extensions = ()
        r = drive(Plain(), self.hs(batch=True) + frames(tup("1", ["a"])))
        self.assertEqual(r.pid_reply, {"pid": os.getpid()})

    def test_unknown_extensions_are_not_accepted(self):
        r = drive(Recorder(), self.hs(context={"squall": {"version": 9, "extensions": ["warp"]}}))
        self.assertEqual(r.pid_reply, {"pid": os.getpid()})

    def test_component_attributes(self):
        b = Recorder()
        drive(b, self.hs(conf={"topology.name": "wc", "topology.debug": True}))
        self.assertEqual((b.topology_name, b.task_id, b.component_name, b.debug), ("wc", 3, "comp", True))
        self.assertEqual(b.storm_conf["topology.name"], "wc")
        self.assertEqual(b.logger.name, "squall.comp")

    def test_missing_pid_dir_is_a_warning(self):
        with mock.patch("sys.stderr", new=io.StringIO()) as err:
            r = drive(Recorder(), frame(handshake(os.path.join(self.pid_dir, "missing"))))
        self.assertIn("cannot create the pid file", err.getvalue())
        self.assertEqual(r.code, 0)
        self.assertEqual(r.pid_reply, {"pid": os.getpid()})
        self.assertEqual(r.messages[0]["level"], 3)
        self.assertIn("cannot create the pid file", r.messages[0]["msg"])

    def test_initialize_exception_reports_and_exits_1(self):
        class Broken(Bolt):
            def initialize(self, conf, context):
                self.log("starting")
                raise RuntimeError("no database")
        r = drive(Broken(), self.hs() + frames(tup("1", ["a"])))
        self.assertEqual(r.code, 1)
        self.assertEqual(r.messages[0], {"command": "log", "msg": "starting", "level": 2})
        err = r.commands("error")[0]["msg"]
        self.assertIn("Python RuntimeError raised in initialize()", err)
        self.assertIn("Traceback (most recent call last)", err)
        self.assertIn("no database", err)
        self.assertEqual(r.commands("log")[-1]["level"], 4)

    def test_eof_before_handshake(self):
        with mock.patch("sys.stderr", new=io.StringIO()) as err:
            r = drive(Recorder(), b"", serializer="json")
        self.assertEqual((r.code, r.raw), (1, b""))
        self.assertIn("stdin closed before the handshake", err.getvalue())


class OutputTests(Base):
    def test_print_becomes_log(self):
        class Printer(Bolt):
            def initialize(self, conf, context):
                print("hello", "world")
                print()

            def process(self, t):
                print("got", t.values[0], end="")
                sys.stdout.flush()
                print("multi\nline")
                sys.stdout.write("partial")
                self.ack(t)
        saved = sys.stdout
        r = drive(Printer(), self.hs() + frames(tup("1", ["a"])))
        self.assertIs(sys.stdout, saved)
        self.assertEqual(r.messages, [
            {"command": "log", "msg": "hello world", "level": 2},
            {"command": "log", "msg": "got a", "level": 2},
            {"command": "log", "msg": "multi", "level": 2},
            {"command": "log", "msg": "line", "level": 2},
            {"command": "ack", "id": "1"},
            {"command": "log", "msg": "partial", "level": 2},
        ])

    def test_logger_levels(self):
        def act(b, t):
            b.logger.debug("hidden")
            b.logger.info("info %d", 1)
            b.logger.warning("careful")
            b.logger.error("bad")
            try:
                raise KeyError("k")
            except KeyError:
                b.logger.exception("caught")
            b.log("plain")
            b.log("w", level="warn")
            b.log("t", level="trace")
            b.log("d", level=1)
        r = drive(Recorder(act), self.hs() + frames(tup("1", ["a"])))
        logs = [(m["msg"].splitlines()[0], m["level"]) for m in r.commands("log")]
        self.assertEqual(logs, [("info 1", 2), ("careful", 3), ("bad", 4), ("caught", 4),
                                ("plain", 2), ("w", 3), ("t", 0), ("d", 1)])
        self.assertIn("KeyError: 'k'", r.commands("log")[3]["msg"])

    def test_debug_logging_with_topology_debug(self):
        r = drive(Recorder(lambda b, t: b.logger.debug("shown")),
                  self.hs(conf={"topology.debug": True}) + frames(tup("1", ["a"])))
        self.assertEqual(r.commands("log"), [{"command": "log", "msg": "shown", "level": 1}])

    def test_root_logger_reaches_the_parent(self):
        if logging.getLogger().handlers:
            self.skipTest("the root logger is configured by the test runner")
        r = drive(Recorder(lambda b, t: logging.getLogger("somelib").warning("lib says %s", "hi")),
                  self.hs() + frames(tup("1", ["a"])))
        self.assertEqual(r.commands("log"), [{"command": "log", "msg": "somelib: lib says hi", "level": 3}])
        self.assertEqual(logging.getLogger().handlers, [])

    def test_report_error_and_metrics(self):
        def act(b, t):
            b.report_error("something odd")
            b.report_metric("my-metric", 3)
        r = drive(Recorder(act), self.hs() + frames(tup("1", ["a"])))
        self.assertEqual(r.messages, [{"command": "error", "msg": "something odd"},
                                      {"command": "metrics", "name": "my-metric", "params": 3}])


class BoltTests(Base):
    def test_bolt_anchors_and_acks_only_when_told(self):
        def act(b, t):
            b.emit(["free"])
            b.emit(["anchored"], anchors=[t])
            b.emit(["by id"], anchors=[t.id, "other"], stream="side")
            b.ack(t)
        r = drive(Recorder(act), self.hs() + frames(tup("7", ["a"]), tup("8", ["b"])))
        self.assertEqual(r.bodies[1:5], [
            '{"command":"emit","tuple":["free"],"need_task_ids":false}',
            '{"command":"emit","anchors":["7"],"tuple":["anchored"],"need_task_ids":false}',
            '{"command":"emit","anchors":["7","other"],"tuple":["by id"],"stream":"side","need_task_ids":false}',
            '{"command":"ack","id":"7"}',
        ])
        self.assertEqual(len(r.messages), 8)

    def test_tuple_fields(self):
        b = Recorder()
        drive(b, self.hs() + frames(tup("7", ["a", 1], comp="src", stream="s1", task=5)))
        t = b.seen[0]
        self.assertIsInstance(t, Tuple)
        self.assertEqual((t.id, t.component, t.stream, t.task, t.values), ("7", "src", "s1", 5, ["a", 1]))
        self.assertFalse(t.is_tick_tuple())
        self.assertFalse(t.is_heartbeat_tuple())

    def test_named_values(self):
        class Named(Recorder):
            named_values = True
        b = Named()
        drive(b, self.hs() + frames(tup("1", ["the cow"]), tup("2", ["x", "y"]), tup("3", [1], comp="other")))
        self.assertEqual(b.seen[0].values.sentence, "the cow")
        self.assertEqual(b.seen[1].values, ["x", "y"])  # field count does not match: left alone
        self.assertEqual(b.seen[2].values, [1])

    def test_basic_bolt_auto_anchor_ack_fail(self):
        b = Basic()
        r = drive(b, self.hs() + frames(tup("1", ["a b"]), tup("2", ["boom"]), tup("3", ["c"])))
        self.assertEqual(r.code, 0)
        self.assertEqual(r.without_logs(), [
            {"command": "emit", "anchors": ["1"], "tuple": ["a"], "need_task_ids": False},
            {"command": "emit", "anchors": ["1"], "tuple": ["b"], "need_task_ids": False},
            {"command": "ack", "id": "1"},
            {"command": "error", "msg": r.commands("error")[0]["msg"]},
            {"command": "fail", "id": "2"},
            {"command": "emit", "anchors": ["3"], "tuple": ["c"], "need_task_ids": False},
            {"command": "ack", "id": "3"},
        ])
        err = r.commands("error")[0]["msg"]
        self.assertTrue(err.startswith("Python ValueError raised while processing tuple Tuple(id='2'"), err)
        self.assertIn("bad input", err)
        self.assertEqual(r.commands("log"), [{"command": "log", "level": 4,
                                              "msg": "processing tuple 2 raised ValueError: 'bad input'"}])
        self.assertEqual([t.id for t in b.seen], ["1", "2", "3"])

    def test_basic_bolt_does_not_ack_twice(self):
        class Manual(BasicBolt):
            def process(self, t):
                if t.id == "1":
                    self.ack(t)
                else:
                    self.fail(t.id)
        r = drive(Manual(), self.hs() + frames(tup("1", ["a"]), tup("2", ["b"])))
        self.assertEqual(r.messages, [{"command": "ack", "id": "1"}, {"command": "fail", "id": "2"}])

    def test_bolt_exception_reports_and_exits(self):
        def act(b, t):
            b.emit(["before"], anchors=[t])
            raise KeyError("missing")
        b = Recorder(act)
        r = drive(b, self.hs() + frames(tup("1", ["a"]), tup("2", ["b"])))
        self.assertEqual(r.code, 1)
        self.assertEqual([t.id for t in b.seen], ["1"])
        self.assertEqual([m["command"] for m in r.messages], ["emit", "error", "log"])  # not failed: auto_fail is off
        self.assertFalse(b.cleaned)

    def test_bolt_exception_with_auto_fail_and_no_exit(self):
        class Lenient(Recorder):
            auto_fail = True
            exit_on_exception = False
        b = Lenient(lambda b, t: 1 / 0)
        r = drive(b, self.hs() + frames(tup("1", ["a"]), tup("2", ["b"])))
        self.assertEqual(r.code, 0)
        self.assertEqual([m["command"] for m in r.messages], ["error", "log", "fail", "error", "log", "fail"])
        self.assertTrue(b.cleaned)

    def test_emit_values_are_copied(self):
        def act(b, t):
            row = ["x"]
            b.emit(row)
            row.append("y")
            b.emit(("t", 1))
            with self.assertRaises(TypeError):
                b.emit("not a list")
        r = drive(Recorder(act), self.hs() + frames(tup("1", ["a"])))
        self.assertEqual([m["tuple"] for m in r.messages], [["x"], ["t", 1]])

    def test_unserializable_values_are_reported(self):
        def act(b, t):
            b.emit([object()])
            b.ack(t)
        r = drive(Recorder(act), self.hs() + frames(tup("1", ["a"])))
        self.assertEqual(r.code, 1)
        self.assertEqual([m["command"] for m in r.messages], ["error", "log"])
        self.assertIn("cannot encode a 'emit' message as JSON", r.messages[0]["msg"])


class ProtocolErrorTests(Base):
    def test_malformed_tuple_is_fatal(self):
        with mock.patch("sys.stderr", new=io.StringIO()):
            r = drive(Basic(), self.hs() + frames({"id": "1", "tuple": ["a"]}, tup("2", ["b"])))
        self.assertEqual(r.code, 1)
        self.assertEqual([m["command"] for m in r.messages], ["error"])
        self.assertIn("a tuple without 'stream'", r.messages[0]["msg"])

    def test_garbage_while_waiting_for_task_ids_is_fatal_even_for_lenient_bolts(self):
        class Lenient(BasicBolt):
            def process(self, t):
                self.emit(["w"], need_task_ids=True)
        with mock.patch("sys.stderr", new=io.StringIO()) as err:
            r = drive(Lenient(), self.hs() + frames(tup("1", ["a"])) + b"oops\nend\n" + frames([4], tup("2", ["b"])))
        self.assertEqual(r.code, 1)
        self.assertEqual([m["command"] for m in r.messages], ["emit", "error"])
        self.assertIn("cannot parse a message from the parent", r.messages[1]["msg"])
        self.assertIn("'oops'", err.getvalue())


class TaskIdTests(Base):
    def test_need_task_ids_false_plain(self):
        r = drive(Recorder(lambda b, t: b.results.append(b.emit(["w"]))), self.hs() + frames(tup("1", ["a"])))
        self.assertEqual(r.bodies[1], '{"command":"emit","tuple":["w"],"need_task_ids":false}')

    def test_need_task_ids_false_batch(self):
        b = Recorder(lambda b, t: b.results.append(b.emit(["w"])))
        r = drive(b, self.hs(batch=True) + frames(tup("1", ["a"])))
        self.assertEqual(r.bodies[1], '{"command":"emit","tuple":["w"]}')
        self.assertEqual(b.results, [None])

    def test_need_task_ids_true_waits_and_queues_tuples(self):
        def act(b, t):
            if t.id == "1":
                b.results.append(b.emit(["w"], anchors=[t], need_task_ids=True))
            b.ack(t)
        b = Recorder(act)
        # Robustness: a tuple and a heartbeat arrive before the task ids.
        data = self.hs() + frames(tup("1", ["a"]), tup("2", ["b"]), heartbeat(), [4, 5], tup("3", ["c"]))
        r = drive(b, data, read_size=1)
        self.assertEqual(b.results, [[4, 5]])
        self.assertEqual([t.id for t in b.seen], ["1", "2", "3"])
        self.assertEqual(r.bodies[1], '{"command":"emit","anchors":["1"],"tuple":["w"]}')
        self.assertEqual(r.messages[1:], [{"command": "ack", "id": "1"}, {"command": "ack", "id": "2"},
                                          {"command": "sync"}, {"command": "ack", "id": "3"}])

    def test_need_task_ids_true_batch_mode(self):
        b = Recorder(lambda b, t: b.results.append(b.emit(["w"], need_task_ids=True)))
        r = drive(b, self.hs(batch=True) + frames([tup("1", ["a"]), [6]]))
        self.assertEqual(b.results, [[6]])
        self.assertEqual(r.bodies[1], '{"command":"emit","tuple":["w"],"need_task_ids":true}')

    def test_direct_emit_needs_no_round_trip(self):
        b = Recorder(lambda b, t: b.results.append(b.emit(["w"], direct_task=5, need_task_ids=True)))
        r = drive(b, self.hs() + frames(tup("1", ["a"])))
        self.assertEqual(b.results, [[5]])
        self.assertEqual(r.messages, [{"command": "emit", "tuple": ["w"], "task": 5, "need_task_ids": False}])

    def test_eof_while_waiting_for_task_ids_is_a_graceful_end(self):
        b = Recorder(lambda b, t: b.emit(["w"], need_task_ids=True))
        r = drive(b, self.hs() + frames(tup("1", ["a"])))
        self.assertEqual(r.code, 0)
        self.assertTrue(b.cleaned)

    def test_unrequested_task_ids_are_kept_in_order(self):
        def act(b, t):
            b.results.append(b.emit(["w"], need_task_ids=True))
        b = Recorder(act)
        drive(b, self.hs(batch=True) + frames([[4], [5, 6]], [], tup("1", ["a"]), tup("2", ["a"]), tup("3", ["a"])))
        self.assertEqual(b.results, [[4], [5, 6], []])


class HeartbeatAndTickTests(Base):
    def test_heartbeat_is_answered_with_sync_at_once(self):
        b = Basic()
        r = drive(b, self.hs(batch=True) + frames([tup("1", ["a"]), heartbeat(), tup("2", ["b"])]))
        self.assertEqual(len(b.seen), 2)
        self.assertEqual(r.frames[1], [{"command": "emit", "anchors": ["1"], "tuple": ["a"]},
                                       {"command": "ack", "id": "1"}, {"command": "sync"}])
        self.assertEqual(r.frames[2], [{"command": "emit", "anchors": ["2"], "tuple": ["b"]},
                                       {"command": "ack", "id": "2"}])

    def test_tick_goes_to_process_tick_and_is_acked(self):
        class TickBolt(BasicBolt):
            def process(self, t):
                self.emit(["n"])

            def process_tick(self, t):
                self.emit(["from tick"])
                self.emit(["explicit"], anchors=[t])
                self.emit(["by id"], anchors=[t.id])
        r = drive(TickBolt(), self.hs() + frames(tick("T"), tup("1", ["a"])))
        self.assertEqual(r.without_logs(), [
            {"command": "emit", "tuple": ["from tick"], "need_task_ids": False},
            {"command": "emit", "tuple": ["explicit"], "need_task_ids": False},
            {"command": "emit", "tuple": ["by id"], "need_task_ids": False},
            {"command": "ack", "id": "T"},
            {"command": "emit", "anchors": ["1"], "tuple": ["n"], "need_task_ids": False},
            {"command": "ack", "id": "1"},
        ])

    def test_plain_bolt_ticks_are_acked_once(self):
        b = Recorder(tick_action=lambda b, t: b.ack(t))
        r = drive(b, self.hs() + frames(tick("T1"), tick("T2")))
        self.assertEqual(r.messages, [{"command": "ack", "id": "T1"}, {"command": "ack", "id": "T2"}])
        self.assertTrue(b.ticks[0].is_tick_tuple())
        self.assertEqual(b.seen, [])

    def test_failing_tick_is_failed(self):
        class Lenient(Recorder):
            exit_on_exception = False
        r = drive(Lenient(tick_action=lambda b, t: [][1]), self.hs() + frames(tick("T1")))
        self.assertEqual([m["command"] for m in r.messages], ["error", "log", "fail"])


class BatchTests(Base):
    def test_batch_in_batch_out(self):
        r = drive(Basic(), self.hs(batch=True) + frames([tup("1", ["a b"]), tup("2", ["c"])], tup("3", ["d"])))
        self.assertEqual(len(r.frames), 2)  # pid reply + one batch frame for everything read at once
        self.assertEqual(r.bodies[1], '[{"command":"emit","anchors":["1"],"tuple":["a"]},'
                                      '{"command":"emit","anchors":["1"],"tuple":["b"]},{"command":"ack","id":"1"},'
                                      '{"command":"emit","anchors":["2"],"tuple":["c"]},{"command":"ack","id":"2"},'
                                      '{"command":"emit","anchors":["3"],"tuple":["d"]},{"command":"ack","id":"3"}]')

    def test_one_write_per_chunk_read(self):
        data = self.hs(batch=True) + frames(tup("1", ["a"]), tup("2", ["b"]))
        r = drive(Basic(), data, read_size=len(data) - 10)  # the second tuple comes in a second read
        self.assertEqual(r.frames[1:], [
            [{"command": "emit", "anchors": ["1"], "tuple": ["a"]}, {"command": "ack", "id": "1"}],
            [{"command": "emit", "anchors": ["2"], "tuple": ["b"]}, {"command": "ack", "id": "2"}],
        ])

    def test_output_is_flushed_when_many_messages_are_queued(self):
        with mock.patch.object(squall.bolt, "FLUSH_MESSAGES", 4):
            r = drive(Basic(), self.hs(batch=True) + frames(*[tup(str(i), ["w"]) for i in range(5)]))
        self.assertEqual([len(f) for f in r.frames[1:]], [4, 4, 2])

    def test_output_is_flushed_after_slow_processing(self):
        import time

        class Slow(BasicBolt):
            def process(self, t):
                time.sleep(0.03)
        r = drive(Slow(), self.hs(batch=True) + frames(tup("1", ["a"]), tup("2", ["b"])))
        self.assertEqual(r.frames[1:], [{"command": "ack", "id": "1"}, {"command": "ack", "id": "2"}])


class NdjsonTests(Base):
    def test_ndjson_bolt(self):
        conf = {"topology.multilang.serializer": "ndjson"}
        data = line(handshake(self.pid_dir, conf=conf, batch=True)) + line(heartbeat()) + line(tup("1", ["a b"]))
        r = drive(Basic(), data)
        self.assertEqual(r.raw.decode(), '{"pid":%d}\n{"command":"sync"}\n'
                         '{"command":"emit","anchors":["1"],"tuple":["a"],"need_task_ids":false}\n'
                         '{"command":"emit","anchors":["1"],"tuple":["b"],"need_task_ids":false}\n'
                         '{"command":"ack","id":"1"}\n' % os.getpid())


class CleanupTests(Base):
    def test_cleanup_on_eof_is_flushed(self):
        class Counting(BasicBolt):
            def initialize(self, conf, context):
                self.n = 0

            def process(self, t):
                self.n += 1

            def cleanup(self):
                self.logger.info("final: %d", self.n)
                self.emit(["total", self.n])
        r = drive(Counting(), self.hs() + frames(tup("1", ["a"]), tup("2", ["b"])))
        self.assertEqual(r.code, 0)
        self.assertEqual(r.messages[-2:], [{"command": "log", "msg": "final: 2", "level": 2},
                                           {"command": "emit", "tuple": ["total", 2], "need_task_ids": False}])

    def test_cleanup_exception_exits_1(self):
        class BadCleanup(Bolt):
            def cleanup(self):
                raise IOError("disk full")
        r = drive(BadCleanup(), self.hs())
        self.assertEqual(r.code, 1)
        self.assertIn("raised in cleanup()", r.commands("error")[0]["msg"])

    def test_truncated_input_is_logged(self):
        r = drive(Recorder(), self.hs() + b'{"id":"1"')
        self.assertEqual(r.code, 0)
        self.assertIn("stdin ended inside a frame", r.commands("log")[0]["msg"])


if __name__ == "__main__":
    unittest.main()
