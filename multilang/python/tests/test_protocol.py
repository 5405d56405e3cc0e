"""The wire layer: framing in and out, CRLF, split reads, batches, ndjson, handshake detection."""

import os
import tempfile
import unittest
from collections import deque
from unittest import mock

import squall.protocol as protocol
from squall.protocol import Channel, ParentGone, ProtocolError, SerializationError

from .harness import frame, frames, handshake, line, load_transcript, tup

BIG = 12345678901234567890123
SAMPLE = [
    {"id": "1", "comp": "spout", "stream": "default", "task": 2, "tuple": ["caf\u00e9 \U0001f600 \u2713", BIG]},
    [4, 5],
    {"command": "next", "id": ""},
    {"command": "ack", "id": {"partition": 3, "offset": 9007199254740993}},
    [],
    {"id": "2", "comp": "s", "stream": "x", "task": 9, "tuple": ["line\nbreak", 1.5, None, True]},
]


class Pipe(object):
    """A Channel over temp files: input bytes in, output bytes out."""

    def __init__(self, data=b"", serializer="json"):
        self.fin = tempfile.TemporaryFile()
        self.fin.write(data)
        self.fin.seek(0)
        self.fout = tempfile.TemporaryFile()
        self.channel = Channel(self.fin.fileno(), self.fout.fileno(), serializer)

    def read_all(self):
        ch = self.channel
        got = list(ch.inbox)
        ch.inbox.clear()
        while ch.fill():
            got.extend(ch.inbox)
            ch.inbox.clear()
        return got

    def output(self):
        self.fout.seek(0)
        return self.fout.read()

    def close(self):
        self.fin.close()
        self.fout.close()


def read_with_chunks(data, size, serializer="json"):
    p = Pipe(data, serializer)
    try:
        with mock.patch.object(protocol, "READ_CHUNK", size):
            return p.read_all(), p.channel
    finally:
        p.close()


class Reading(unittest.TestCase):
    def test_frames_split_across_reads(self):
        data = frames(*SAMPLE)
        for size in (1, 2, 3, 4, 5, 6, 7, 11, 64, 1 << 20):
            got, _ = read_with_chunks(data, size)
            self.assertEqual(got, SAMPLE, "read size %d" % size)

    def test_big_ints_and_unicode_are_exact(self):
        got, _ = read_with_chunks(frames(*SAMPLE), 3)
        self.assertIs(type(got[0]["tuple"][1]), int)
        self.assertEqual(got[0]["tuple"][1], BIG)
        self.assertEqual(got[3]["id"]["offset"], 9007199254740993)
        self.assertEqual(got[0]["tuple"][0], "caf\u00e9 \U0001f600 \u2713")

    def test_crlf_input(self):
        data = frames(*SAMPLE).replace(b"\n", b"\r\n")
        for size in (1, 2, 3, 5, 8, 1 << 20):
            got, _ = read_with_chunks(data, size)
            self.assertEqual(got, SAMPLE, "read size %d" % size)

    def test_multiline_json_blank_lines_and_empty_frames(self):
        data = (b'{\n  "command": "next",\n  "id": ""\n}\nend\n'
                b"\nend\n"          # an empty frame
                b"\n\n[4]\nend\n"    # blank lines before a frame
                b"  \nend\n")
        got, _ = read_with_chunks(data, 1 << 20)
        self.assertEqual(got, [{"command": "next", "id": ""}, [4]])

    def test_batch_frames_are_flattened(self):
        data = frames([tup("1", ["x"]), tup("2", ["y"])], [[4], [5, 6]], [], [4, 5], [tup("3", ["z"]), [7]])
        got, _ = read_with_chunks(data, 1 << 20)
        self.assertEqual(got, [tup("1", ["x"]), tup("2", ["y"]), [4], [5, 6], [], [4, 5], tup("3", ["z"]), [7]])

    def test_conformance_batch_transcript(self):
        t = load_transcript("json-batch.json")
        if t is None:
            self.skipTest("no conformance transcripts")
        parent = [s for s in t["steps"] if s["from"] == "parent"]
        data = "".join(s["wire"] for s in parent).encode("utf-8")
        got, _ = read_with_chunks(data, 7)
        want = []
        for s in parent:
            if s["kind"] == "batch":
                want.extend(s["message"])
            else:
                want.append(s["message"])
        self.assertEqual(got, want)

    def test_ndjson_lines(self):
        data = b"".join(line(m) for m in SAMPLE[:-1]) + b"\r\n\n" + line(SAMPLE[-1]).rstrip(b"\n")
        for size in (1, 4, 1 << 20):
            got, _ = read_with_chunks(data, size, "ndjson")
            self.assertEqual(got, SAMPLE, "read size %d" % size)

    def test_truncated_frame_at_eof_is_kept_for_a_warning(self):
        got, ch = read_with_chunks(frame({"command": "next", "id": ""}) + b'{"command":"ne', 1 << 20)
        self.assertEqual(got, [{"command": "next", "id": ""}])
        self.assertEqual(ch.truncated, b'{"command":"ne')

    def test_last_frame_without_final_newline(self):
        got, ch = read_with_chunks(frame([1]) + b'{"command":"next","id":""}\nend', 1 << 20)
        self.assertEqual(got, [[1], {"command": "next", "id": ""}])
        self.assertIsNone(ch.truncated)

    def test_garbage_is_a_protocol_error(self):
        for bad in (b"oops\nend\n", b'"a string"\nend\n', b"42\nend\n"):
            with self.assertRaises(ProtocolError) as cm:
                read_with_chunks(bad, 1 << 20)
            self.assertIn(bad.split(b"\n")[0].decode(), str(cm.exception))


    def test_invalid_utf8_is_a_protocol_error(self):
        for serializer, good, bad in (("json", frame([1]), b'{"command":"next","id":"\xff"}\nend\n'),
                                      ("ndjson", line([1]), b'["\xc3"]\n')):
            p = Pipe(good + bad + good, serializer)
            self.assertTrue(p.channel.fill())
            self.assertEqual(list(p.channel.inbox), [[1]])
            with self.assertRaises(ProtocolError) as cm:
                p.channel.fill()
            self.assertIn("invalid UTF-8", str(cm.exception))
            p.close()

    def test_messages_before_garbage_are_delivered_first(self):
        p = Pipe(frames({"command": "next", "id": ""}, [4]) + b"oops\nend\n" + frame([5]))
        ch = p.channel
        self.assertTrue(ch.fill())
        self.assertEqual(list(ch.inbox), [{"command": "next", "id": ""}, [4]])
        ch.inbox.clear()
        with self.assertRaises(ProtocolError) as cm:
            ch.fill()
        self.assertIn("'oops'", str(cm.exception))
        with self.assertRaises(ProtocolError):
            ch.fill()
        p.close()


class Handshake(unittest.TestCase):
    def test_json_detected_and_rest_kept(self):
        hs = handshake("/tmp/x")
        p = Pipe(frame(hs) + frame(tup("1", ["a"])), serializer=None)
        self.assertEqual(p.channel.read_handshake(), hs)
        self.assertEqual(p.channel.serializer, "json")
        self.assertEqual(p.read_all(), [tup("1", ["a"])])
        p.close()

    def test_json_handshake_split_in_bytes(self):
        hs = handshake("/tmp/x", conf={"topology.multilang.serializer": "org.apache.storm.multilang.JsonSerializer"})
        for size in (1, 3, 10):
            p = Pipe(frame(hs) + frame([4]), serializer=None)
            with mock.patch.object(protocol, "READ_CHUNK", size):
                self.assertEqual(p.channel.read_handshake(), hs)
                self.assertEqual(p.read_all(), [[4]])
            self.assertEqual(p.channel.serializer, "json")
            p.close()

    def test_ndjson_detected_from_conf(self):
        hs = handshake("/tmp/x", conf={"topology.multilang.serializer": "ndjson"})
        p = Pipe(line(hs) + line(tup("1", ["a"])), serializer=None)
        self.assertEqual(p.channel.read_handshake(), hs)
        self.assertEqual(p.channel.serializer, "ndjson")
        self.assertEqual(p.read_all(), [tup("1", ["a"])])
        p.close()

    def test_msgpack_is_refused_clearly(self):
        p = Pipe(b"\x83\xa6pidDir\xa1x", serializer=None)
        with self.assertRaises(ProtocolError) as cm:
            p.channel.read_handshake()
        self.assertIn("msgpack", str(cm.exception))
        p.close()

    def test_eof_before_handshake(self):
        p = Pipe(b"", serializer=None)
        with self.assertRaises(ParentGone):
            p.channel.read_handshake()
        p.close()


class Writing(unittest.TestCase):
    MSGS = [{"command": "emit", "anchors": ["1"], "tuple": ["caf\u00e9"]}, {"command": "ack", "id": "1"}]

    def write(self, msgs, serializer="json", batch=False):
        p = Pipe(serializer=serializer)
        p.channel.batch = batch
        p.channel.out.extend(msgs)
        p.channel.flush()
        out = p.output()
        p.close()
        return out

    def test_plain_frames(self):
        self.assertEqual(self.write(self.MSGS),
                         '{"command":"emit","anchors":["1"],"tuple":["caf\u00e9"]}\nend\n'
                         '{"command":"ack","id":"1"}\nend\n'.encode("utf-8"))

    def test_batch_frame(self):
        self.assertEqual(self.write(self.MSGS, batch=True),
                         '[{"command":"emit","anchors":["1"],"tuple":["caf\u00e9"]},{"command":"ack","id":"1"}]\nend\n'.encode("utf-8"))

    def test_single_message_in_batch_mode_is_a_plain_frame(self):
        self.assertEqual(self.write([{"command": "sync"}], batch=True), b'{"command":"sync"}\nend\n')

    def test_ndjson(self):
        self.assertEqual(self.write(self.MSGS, serializer="ndjson", batch=True),
                         '{"command":"emit","anchors":["1"],"tuple":["caf\u00e9"]}\n{"command":"ack","id":"1"}\n'.encode("utf-8"))

    def test_nothing_to_write(self):
        self.assertEqual(self.write([]), b"")

    def test_large_batches_are_split(self):
        msgs = [{"command": "ack", "id": str(i)} for i in range(10)]
        with mock.patch.object(protocol, "MAX_BATCH", 4):
            out = self.write(msgs, batch=True)
        self.assertEqual(out.count(b"\nend\n"), 3)
        self.assertTrue(out.startswith(b'[{"command":"ack","id":"0"},'))
        with mock.patch.object(protocol, "MAX_BATCH_BYTES", 60):
            out = self.write(msgs, batch=True)
        bodies = out.split(b"\nend\n")[:-1]
        self.assertGreater(len(bodies), 3)
        self.assertTrue(all(len(b) <= 60 for b in bodies), bodies)

    def test_lone_surrogates_fall_back_to_escapes(self):
        out = self.write([{"command": "log", "msg": "bad \udc80 \u00e9", "level": 2}])
        self.assertEqual(out, b'{"command":"log","msg":"bad \\udc80 \\u00e9","level":2}\nend\n')

    def test_unencodable_message_raises_after_writing_the_good_ones(self):
        p = Pipe()
        p.channel.out.extend([{"command": "ack", "id": "1"},
                              {"command": "emit", "tuple": [object()]},
                              {"command": "ack", "id": "2"}])
        with self.assertRaises(SerializationError) as cm:
            p.channel.flush()
        self.assertIn("emit", str(cm.exception))
        self.assertIn("1 later message", str(cm.exception))
        self.assertEqual(p.output(), b'{"command":"ack","id":"1"}\nend\n')
        self.assertEqual(p.channel.out, [])
        p.close()

    def test_broken_pipe_is_parent_gone(self):
        r, w = os.pipe()
        os.close(r)
        ch = Channel(0, w, "json")
        ch.out.append({"command": "sync"})
        with self.assertRaises(ParentGone):
            ch.flush()
        os.close(w)


class TaskIds(unittest.TestCase):
    def test_pending_first_then_inbox_then_reads(self):
        p = Pipe(frames(tup("9", ["late"]), [3]))
        ch = p.channel
        pending = deque([[1]])
        ch.inbox.extend([tup("8", ["queued"]), [2]])
        self.assertEqual(ch.await_task_ids(pending), [1])
        self.assertEqual(ch.await_task_ids(pending), [2])
        self.assertEqual(ch.await_task_ids(pending), [3])
        self.assertEqual(list(ch.inbox), [tup("8", ["queued"]), tup("9", ["late"])])
        with self.assertRaises(ParentGone):
            ch.await_task_ids(pending)
        p.close()

    def test_flushes_before_waiting(self):
        p = Pipe(frame([5]))
        p.channel.out.append({"command": "emit", "tuple": ["a"]})
        self.assertEqual(p.channel.await_task_ids(deque()), [5])
        self.assertEqual(p.output(), b'{"command":"emit","tuple":["a"]}\nend\n')
        p.close()


if __name__ == "__main__":
    unittest.main()
