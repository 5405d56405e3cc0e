"""Bolts served over gRPC, driven by a Python stand-in for the host on a real stream."""

import json
import threading
import time
import unittest

from squall import BasicBolt, Bolt

from .grpc_harness import SKIP, Served, commands, context, grpc, pb, unpack, without_logs

EVENTS = []
CLEANED = threading.Event()


class Upper(BasicBolt):
    def initialize(self, conf, ctx):
        EVENTS.append(("init", conf.get("topology.name"), self.task_id, self.component_name))

    def process(self, tup):
        word = tup.values[0]
        if word == "boom":
            raise ValueError("no booms")
        if word == "where":
            self.emit(["ids", self.emit([word], need_task_ids=True)])
            return
        if word == "object":
            self.emit([object()])
            return
        if word == "log":
            self.logger.warning("careful")
            self.log("dbg", level="debug")
            self.report_error("not fatal")
            self.report_metric("count", {"n": 1})
            return
        self.emit([word.upper()])

    def process_tick(self, tup):
        self.emit(["tick", tup.values[0]])

    def cleanup(self):
        self.emit(["bye"])
        CLEANED.set()


class Strict(Bolt):
    """A plain Bolt: exit_on_exception is True."""

    def process(self, tup):
        if tup.values[0] == "boom":
            raise RuntimeError("fatal")
        self.emit(tup.values, anchors=[tup])
        self.ack(tup)


class Counter(BasicBolt):
    def initialize(self, conf, ctx):
        self.n = 0

    def process(self, tup):
        self.n += 1
        self.emit([self.n])


class Big(BasicBolt):
    def process(self, tup):
        for _ in range(tup.values[0]):
            self.emit(["x" * tup.values[1]])


class BadInit(BasicBolt):
    def initialize(self, conf, ctx):
        raise KeyError("missing")


@unittest.skipIf(SKIP, SKIP)
class BoltTest(unittest.TestCase):
    def setUp(self):
        del EVENTS[:]
        CLEANED.clear()

    def test_handshake_then_one_answer_per_batch(self):
        with Served(Upper) as s:
            h = s.host()
            ready = h.handshake(conf={"topology.name": "topo"}, ctx=context(task=7, component="upper"))
            self.assertGreater(ready.pid, 0)
            h.tuples(("1", ["a"]), ("2", ["b"]))
            batch = h.recv()
            self.assertEqual(EVENTS, [("init", "topo", 7, "upper")])
            self.assertEqual(json.loads(batch.emits.values_json), [["A"], ["B"]])
            self.assertEqual(list(batch.emits.anchors), ["1", "2"], "auto-anchored")
            self.assertEqual(list(batch.acks), ["1", "2"], "auto-acked after the emits")
            self.assertEqual(h.close(), (grpc.StatusCode.OK, ""))
            self.assertEqual(without_logs(h.rest), [{"command": "emit", "stream": "", "tuple": ["bye"], "anchors": []}],
                             "cleanup() ran and what it emitted was sent")
            self.assertTrue(CLEANED.is_set())

    def test_heartbeat_is_answered_with_a_sync(self):
        with Served(Upper) as s:
            h = s.host()
            h.handshake()
            h.tuples(("hb", [], "__heartbeat", -1, ""))
            self.assertEqual(without_logs(h.recv_until(lambda got: got)), [{"command": "sync"}])

    def test_tick_goes_to_process_tick_and_is_acked(self):
        with Served(Upper) as s:
            h = s.host()
            h.handshake()
            h.tuples(("t1", [2], "__tick", -1, "__system"))
            got = h.recv_until(lambda got: commands(got, "ack"))
            self.assertEqual(without_logs(got), [{"command": "emit", "stream": "", "tuple": ["tick", 2], "anchors": []},
                                                 {"command": "ack", "id": "t1"}])

    def test_basic_bolt_exception_fails_the_tuple_and_goes_on(self):
        with Served(Upper) as s:
            h = s.host()
            h.handshake()
            h.tuples(("1", ["boom"]), ("2", ["ok"]))
            got = h.recv_until(lambda got: commands(got, "ack"))
            self.assertEqual(commands(got, "fail"), [{"command": "fail", "id": "1"}])
            self.assertEqual(commands(got, "ack"), [{"command": "ack", "id": "2"}])
            [error] = commands(got, "error")
            self.assertIn("ValueError: no booms", error["msg"])
            self.assertIn("Traceback", error["msg"])
            self.assertTrue(any(m["level"] == 4 for m in commands(got, "log")))
            self.assertEqual(h.close(), (grpc.StatusCode.OK, ""))
            self.assertEqual(s.failures, [])

    def test_bolt_exception_ends_the_stream_with_an_error(self):
        with Served(Strict) as s:
            h = s.host()
            h.handshake()
            h.tuples(("1", ["fine"]))
            self.assertEqual(commands(h.recv_until(lambda got: commands(got, "ack")), "ack"), [{"command": "ack", "id": "1"}])
            h.tuples(("2", ["boom"]))
            code, details = h.wait_end()
            self.assertEqual(code, grpc.StatusCode.ABORTED)
            self.assertIn("Strict (task 3) failed", details)
            self.assertIn("RuntimeError: fatal", commands(h.rest, "error")[0]["msg"])
            self.assertEqual(commands(h.rest, "ack"), [])
            self.assertEqual(s.failures, [1], "the server heard of the failure")
            h2 = s.host()  # the server itself goes on
            h2.handshake()
            h2.tuples(("3", ["again"]))
            self.assertEqual(commands(h2.recv_until(lambda got: commands(got, "ack")), "ack"), [{"command": "ack", "id": "3"}])

    def test_values_json_cannot_encode_are_reported_and_dropped(self):
        with Served(Upper) as s:
            h = s.host()
            h.handshake()
            h.tuples(("1", ["a"]), ("2", ["object"]), ("3", ["b"]))
            got = h.recv_until(lambda got: commands(got, "error"))
            self.assertEqual(commands(got, "ack"), [{"command": "ack", "id": "1"}], "sent before the bad emit")
            self.assertIn("cannot encode a 'emit' message", commands(got, "error")[0]["msg"])
            h.tuples(("4", ["c"]))  # a BasicBolt goes on
            got = h.recv_until(lambda got: commands(got, "ack"))
            self.assertEqual(commands(got, "ack"), [{"command": "ack", "id": "4"}])

    def test_initialize_failure_is_reported_then_the_stream_fails(self):
        with Served(BadInit) as s:
            h = s.host()
            h.handshake()
            code, _ = h.wait_end()
            self.assertEqual(code, grpc.StatusCode.ABORTED)
            self.assertIn("initialize()", commands(h.rest, "error")[0]["msg"])

    def test_need_task_ids_flushes_and_waits_for_the_answer(self):
        with Served(Upper) as s:
            h = s.host()
            h.handshake()
            h.tuples(("1", ["where"]))
            got = h.recv_until(lambda got: commands(got, "emit"))
            self.assertEqual(without_logs(got), [{"command": "emit", "stream": "", "tuple": ["where"], "anchors": ["1"],
                                                  "need_task_ids": True}])
            h.task_ids([4, 5])
            got = h.recv_until(lambda got: commands(got, "ack"))
            self.assertEqual(without_logs(got), [{"command": "emit", "stream": "", "tuple": ["ids", [4, 5]], "anchors": ["1"]},
                                                 {"command": "ack", "id": "1"}])

    def test_logging_errors_and_metrics(self):
        with Served(Upper) as s:
            h = s.host()
            h.handshake(conf={"topology.name": "t", "topology.debug": True})
            h.tuples(("1", ["log"]))
            got = h.recv_until(lambda got: commands(got, "ack"))
            self.assertIn({"command": "log", "msg": "careful", "level": 3}, got)
            self.assertIn({"command": "log", "msg": "dbg", "level": 1}, got)
            self.assertIn({"command": "error", "msg": "not fatal"}, got)
            self.assertIn({"command": "metrics", "name": "count", "params": {"n": 1}}, got)

    def test_each_stream_gets_a_fresh_instance(self):
        with Served(Counter) as s:
            a, b = s.host(), s.host()
            a.handshake(ctx=context(task=1))
            b.handshake(ctx=context(task=2))
            a.tuples(("a1", ["x"]), ("a2", ["x"]))
            b.tuples(("b1", ["x"]))
            self.assertEqual(json.loads(a.recv().emits.values_json), [[1], [2]])
            self.assertEqual(json.loads(b.recv().emits.values_json), [[1]])

    def test_batches_are_split_under_the_hosts_limit(self):
        with Served(Big) as s:
            h = s.host()
            h.handshake(max_message_bytes=10000)
            h.tuples(("1", [40, 1000]))
            got, sizes = [], []
            while not commands(got, "ack"):
                batch = h.recv()
                sizes.append(batch.ByteSize())
                got.extend(without_logs(unpack(batch)))
            self.assertGreater(len(sizes), 4)
            self.assertTrue(all(n <= 10000 for n in sizes), sizes)
            self.assertEqual(len(commands(got, "emit")), 40, "nothing lost in the split")

    def test_a_single_emit_over_the_limit_is_still_sent(self):
        with Served(Big) as s:
            h = s.host()
            h.handshake(max_message_bytes=10000)
            h.tuples(("1", [1, 20000]))
            batch = h.recv()
            self.assertGreater(batch.ByteSize(), 10000)
            self.assertEqual(len(json.loads(batch.emits.values_json)[0][0]), 20000)

    def test_a_broken_stream_ends_the_instance_with_cleanup(self):
        with Served(Upper) as s:
            h = s.host()
            h.handshake()
            h.tuples(("1", ["a"]))
            h.recv()
            h.cancel()
            self.assertTrue(CLEANED.wait(10), "cleanup() ran after the host cancelled")
            h2 = s.host()
            h2.handshake()

    def test_a_host_pinging_often_on_an_idle_stream_is_not_cut_off(self):
        # grpc's default server policy answers pings more frequent than every 5 minutes
        # without data with GOAWAY "too_many_pings"; Squall pings every 10 s.
        pings = [("grpc.keepalive_time_ms", 1000), ("grpc.keepalive_permit_without_calls", 1),
                 ("grpc.http2.max_pings_without_data", 0)]
        with Served(Upper) as s:
            h = s.host(pings)
            h.handshake()
            time.sleep(4)
            h.tuples(("1", ["a"]))
            self.assertEqual(commands(h.recv_until(lambda got: commands(got, "ack")), "ack"), [{"command": "ack", "id": "1"}])

    def test_garbage_first_batch_fails_the_stream(self):
        with Served(Upper) as s:
            h = s.host()
            h.send(pb.HostBatch(commands=[pb.SpoutCommand(name="next")]))
            code, _ = h.wait_end()
            self.assertEqual(code, grpc.StatusCode.ABORTED)

    def test_a_stream_closed_before_the_handshake_is_no_failure(self):
        with Served(Upper) as s:
            h = s.host()
            self.assertEqual(h.close(), (grpc.StatusCode.OK, ""))
            self.assertEqual(s.failures, [])


if __name__ == "__main__":
    unittest.main()
