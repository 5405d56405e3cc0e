"""The gRPC codec alone: HostBatch -> multilang dicts, multilang dicts -> ComponentBatch."""

import json
import unittest
from collections import deque

from squall.protocol import ProtocolError, SerializationError

from .grpc_harness import SKIP, add_tuples, codec, pb, unpack


@unittest.skipIf(SKIP, SKIP)
class DecodeTest(unittest.TestCase):
    def test_handshake(self):
        hs = pb.HostBatch(handshake=pb.Handshake(conf_json='{"topology.name":"t"}', context_json='{"taskid":4}',
                                                 max_message_bytes=1000))
        self.assertEqual(codec.read_handshake(hs), {"conf": {"topology.name": "t"}, "context": {"taskid": 4},
                                                     "max_message_bytes": 1000})

    def test_handshake_must_come_first_and_alone(self):
        with self.assertRaisesRegex(ProtocolError, "no handshake"):
            codec.read_handshake(pb.HostBatch(commands=[pb.SpoutCommand(name="next")]))
        crowded = pb.HostBatch(handshake=pb.Handshake(conf_json="{}"), commands=[pb.SpoutCommand(name="next")])
        with self.assertRaisesRegex(ProtocolError, "more than the handshake"):
            codec.read_handshake(crowded)
        with self.assertRaisesRegex(ProtocolError, "invalid JSON"):
            codec.read_handshake(pb.HostBatch(handshake=pb.Handshake(conf_json="{")))

    def test_tuples_become_stdio_tuple_dicts(self):
        batch = pb.HostBatch()
        add_tuples(batch, [("a", ["x", 1], "default", 2, "spout"), ("b", [{"k": [None]}], "s2", -1, "__system")])
        inbox = deque()
        codec.decode(batch, inbox)
        self.assertEqual(list(inbox), [
            {"id": "a", "comp": "spout", "stream": "default", "task": 2, "tuple": ["x", 1]},
            {"id": "b", "comp": "__system", "stream": "s2", "task": -1, "tuple": [{"k": [None]}]},
        ])

    def test_task_ids_come_before_tuples_and_commands_after(self):
        batch = pb.HostBatch(task_ids=[pb.TaskIds(tasks=[5, 6]), pb.TaskIds()],
                             commands=[pb.SpoutCommand(name="ack", id_json='{"n":12345678901234567890}'),
                                       pb.SpoutCommand(name="next")])
        add_tuples(batch, [("a", [1])])
        inbox = deque()
        codec.decode(batch, inbox)
        self.assertEqual(list(inbox), [[5, 6], [], {"id": "a", "comp": "spout", "stream": "default", "task": 2, "tuple": [1]},
                                       {"command": "ack", "id": {"n": 12345678901234567890}}, {"command": "next"}])

    def test_ragged_columns_are_a_protocol_error(self):
        batch = pb.HostBatch()
        add_tuples(batch, [("a", [1]), ("b", [2])])
        batch.tuples.tasks.pop()
        with self.assertRaisesRegex(ProtocolError, "ragged"):
            codec.decode(batch, deque())
        batch = pb.HostBatch()
        add_tuples(batch, [("a", [1])])
        batch.tuples.values_json = "[[1],[2]]"
        with self.assertRaisesRegex(ProtocolError, "ragged"):
            codec.decode(batch, deque())

    def test_second_handshake_is_a_protocol_error(self):
        with self.assertRaisesRegex(ProtocolError, "second handshake"):
            codec.decode(pb.HostBatch(handshake=pb.Handshake()), deque())


@unittest.skipIf(SKIP, SKIP)
class EncodeTest(unittest.TestCase):
    def test_bolt_messages(self):
        msgs = [
            {"command": "emit", "anchors": ["a"], "tuple": ["x"]},
            {"command": "ack", "id": "a"},
            {"command": "log", "msg": "hello", "level": 3},
            {"command": "emit", "tuple": ["y", 2], "stream": "s2"},
            {"command": "emit", "anchors": ["b", "c"], "tuple": []},
            {"command": "fail", "id": "b"},
            {"command": "sync"},
            {"command": "error", "msg": "boom"},
            {"command": "metrics", "name": "m", "params": {"v": 1}},
            {"command": "sync"},
        ]
        batch = codec.encode(msgs, spout=False)
        self.assertEqual(list(batch.emits.anchor_counts), [1, 0, 2])
        self.assertEqual(batch.emits.message_ids_json, "")
        self.assertEqual(len(batch.emits.direct_tasks), 0, "no direct emits: no column")
        self.assertEqual(len(batch.emits.need_task_ids), 0)
        self.assertEqual(batch.emits.values_json, '[["x"],["y",2],[]]', "one JSON array for all values")
        self.assertEqual(unpack(batch), [
            {"command": "log", "msg": "hello", "level": 3},
            {"command": "error", "msg": "boom"},
            {"command": "metrics", "name": "m", "params": {"v": 1}},
            {"command": "emit", "stream": "", "tuple": ["x"], "anchors": ["a"]},
            {"command": "emit", "stream": "s2", "tuple": ["y", 2], "anchors": []},
            {"command": "emit", "stream": "", "tuple": [], "anchors": ["b", "c"]},
            {"command": "ack", "id": "a"},
            {"command": "fail", "id": "b"},
            {"command": "sync"}, {"command": "sync"},
        ])

    def test_direct_and_need_task_ids_columns_are_padded(self):
        msgs = [{"command": "emit", "tuple": [1]},
                {"command": "emit", "tuple": [2], "task": 7},
                {"command": "emit", "tuple": [3], "need_task_ids": True},
                {"command": "emit", "tuple": [4]}]
        e = codec.encode(msgs, spout=False).emits
        self.assertEqual(list(e.direct_tasks), [-1, 7, -1, -1])
        self.assertEqual(list(e.need_task_ids), [False, False, True, False])

    def test_spout_emits_carry_message_ids(self):
        msgs = [{"command": "emit", "tuple": ["x"], "id": {"k": [1, 2]}},
                {"command": "emit", "tuple": ["y"]},
                {"command": "emit", "tuple": ["z"], "id": 2 ** 70},
                {"command": "sync"}]
        batch = codec.encode(msgs, spout=True)
        self.assertEqual(json.loads(batch.emits.message_ids_json), [{"k": [1, 2]}, None, 2 ** 70])
        self.assertEqual(len(batch.emits.anchor_counts), 0)
        self.assertEqual(batch.syncs, 1)

    def test_ids_that_are_not_strings_are_sent_as_strings(self):
        batch = codec.encode([{"command": "ack", "id": 12}, {"command": "emit", "tuple": [], "anchors": [7]}], spout=False)
        self.assertEqual(list(batch.acks), ["12"])
        self.assertEqual(list(batch.emits.anchors), ["7"])

    def test_lone_surrogates_are_escaped(self):
        batch = codec.encode([{"command": "emit", "tuple": ["a\udc80"]}, {"command": "log", "msg": "b\udc81", "level": 2}],
                             spout=False)
        self.assertEqual(json.loads(batch.emits.values_json), [["a\udc80"]])
        self.assertEqual(batch.logs[0].msg, "b\\udc81")

    def test_unencodable_values_raise_with_the_batch_before_them(self):
        msgs = [{"command": "emit", "tuple": [1]}, {"command": "ack", "id": "a"},
                {"command": "emit", "tuple": [object()]}, {"command": "ack", "id": "b"}]
        with self.assertRaises(SerializationError) as cm:
            codec.encode(msgs, spout=False)
        self.assertEqual(cm.exception.index, 2)
        self.assertIn("1 later message", str(cm.exception))
        self.assertEqual(unpack(cm.exception.good), [{"command": "emit", "stream": "", "tuple": [1], "anchors": []},
                                                     {"command": "ack", "id": "a"}])

    def test_ready(self):
        self.assertEqual(codec.ready(42).ready.pid, 42)


if __name__ == "__main__":
    unittest.main()
