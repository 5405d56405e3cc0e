#!/usr/bin/env python3
"""Regenerates the golden multilang transcripts in this folder.

Child -> parent bytes are produced the way the Python adapters produce them (``json.dumps``
with default separators, as storm.py and pystorm do; ``msgpack.packb`` as pystorm's msgpack
serializer does), so the TypeScript decoders are checked against an independent writer.
Parent -> child bytes are the exact bytes Squall's encoders must produce (compact JSON, LF,
fixed key order), so the TypeScript encoders are checked byte for byte.

Usage: python3 generate.py   (needs the ``msgpack`` package for the msgpack transcripts)
"""
import json
import os

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))

HANDSHAKE = {
    "pidDir": "/var/squall/workers/5d8c1c5e-1f0b-4d3e-9c66-2a9e5a1c0f11/pids",
    "conf": {
        "topology.name": "wordcount-wörter",
        "topology.debug": False,
        "topology.message.timeout.secs": 30,
        "topology.tick.tuple.freq.secs": None,
        "supervisor.worker.timeout.secs": 30,
        "topology.shellbolt.max.pending": 100,
        "topology.multilang.serializer": "org.apache.storm.multilang.JsonSerializer",
    },
    "context": {
        "taskid": 3,
        "componentid": "split",
        "task->component": {"1": "__acker", "2": "sentence-spout", "3": "split", "4": "split", "5": "count"},
        "streams": ["default"],
        "stream->outputfields": {"default": ["word"]},
        "stream->target->grouping": {"default": {"count": {"type": "FIELDS", "fields": ["word"]}}},
        "source->stream->grouping": {"sentence-spout": {"default": {"type": "SHUFFLE"}}},
        "source->stream->fields": {"sentence-spout": {"default": ["sentence"]}},
    },
}


def spout_handshake():
    hs = json.loads(json.dumps(HANDSHAKE))
    hs["context"].update({"taskid": 2, "componentid": "sentence-spout", "streams": ["default"],
                          "stream->outputfields": {"default": ["word"]},
                          "stream->target->grouping": {"default": {"split": {"type": "SHUFFLE"}}},
                          "source->stream->grouping": {}, "source->stream->fields": {}})
    return hs


def tuple_msg(id_, comp, stream, task, values):
    return {"id": id_, "comp": comp, "stream": stream, "task": task, "tuple": values}


# Each step: (from, kind, message)
BOLT_STORM_PY = [
    ("parent", "handshake", HANDSHAKE),
    ("child", "pid", {"pid": 4242}),
    ("parent", "heartbeat", tuple_msg("5022370943017265917", None, "__heartbeat", -1, [])),
    ("child", "command", {"command": "sync"}),
    ("parent", "tuple", tuple_msg("77", "spout", "default", 2, ["a b"])),
    ("child", "command", {"command": "emit", "anchors": ["77"], "tuple": ["a"]}),
    ("parent", "task_ids", [4]),
    ("child", "command", {"command": "ack", "id": "77"}),
    ("parent", "tick", tuple_msg("311948562238176101", "__system", "__tick", -1, [10])),
    ("child", "command", {"command": "log", "msg": "tick: ünïcødé ✓ 😀", "level": 2}),
    ("child", "command", {"command": "ack", "id": "311948562238176101"}),
]

SPOUT_PYSTORM = [
    ("parent", "handshake", spout_handshake()),
    ("child", "pid", {"pid": 777}),
    ("parent", "command", {"command": "activate", "id": ""}),
    ("child", "command", {"command": "sync"}),
    ("parent", "command", {"command": "next", "id": ""}),
    ("child", "command", {"command": "emit", "tuple": ["w"], "id": 1, "need_task_ids": False}),
    ("child", "command", {"command": "sync"}),
    ("parent", "command", {"command": "ack", "id": 1}),
    ("child", "command", {"command": "sync"}),
]

BIG = 12345678901234567890123
LOSSLESS_IDS = [
    ("parent", "command", {"command": "next", "id": ""}),
    ("child", "command", {"command": "emit", "tuple": ["a"], "id": BIG}),
    ("child", "command", {"command": "emit", "tuple": ["b"], "id": 17, "need_task_ids": False}),
    ("child", "command", {"command": "emit", "tuple": ["c"], "id": "17", "need_task_ids": False}),
    ("child", "command", {"command": "emit", "tuple": ["d"], "id": {"partition": 3, "offset": 9007199254740993}, "need_task_ids": False}),
    ("child", "command", {"command": "emit", "tuple": ["e"], "id": ["topic", 0, -42], "need_task_ids": False}),
    ("child", "command", {"command": "sync"}),
    ("parent", "task_ids", [4]),
    ("parent", "command", {"command": "ack", "id": BIG}),
    ("parent", "command", {"command": "fail", "id": 17}),
    ("parent", "command", {"command": "ack", "id": "17"}),
    ("parent", "command", {"command": "ack", "id": {"partition": 3, "offset": 9007199254740993}}),
    ("parent", "command", {"command": "fail", "id": ["topic", 0, -42]}),
]

MSGPACK_LOSSLESS_IDS = [
    ("child", "command", {"command": "emit", "tuple": ["a", 1712345678901, -5000000000], "id": 18446744073709551615, "need_task_ids": False}),
    ("child", "command", {"command": "emit", "tuple": ["b"], "id": -9223372036854775808, "need_task_ids": False}),
    ("child", "command", {"command": "sync"}),
    ("parent", "command", {"command": "ack", "id": 18446744073709551615}),
    ("parent", "command", {"command": "fail", "id": -9223372036854775808}),
    ("parent", "tuple", tuple_msg("-6955786537413359385", "spout", "default", 2, [1712345678901, -5000000000, 2 ** 53 + 1])),
]

def batch_handshake():
    hs = json.loads(json.dumps(HANDSHAKE))
    hs["context"]["squall"] = {"version": 1, "extensions": ["batch"]}
    return hs


BATCH = [
    ("parent", "handshake", batch_handshake()),
    ("child", "pid", {"pid": 4242, "squall": {"extensions": ["batch"]}}),
    ("parent", "batch", [tuple_msg("1", "spout", "default", 2, ["x"]), tuple_msg("2", "spout", "default", 2, ["y"])]),
    ("child", "batch", [{"command": "emit", "anchors": ["1"], "tuple": ["X"]}, {"command": "ack", "id": "1"},
                        {"command": "emit", "anchors": ["2"], "tuple": ["Y"]}, {"command": "ack", "id": "2"}]),
    ("parent", "batch", [[4], [5, 6]]),
    ("parent", "task_ids", []),
    ("parent", "task_ids", [4, 5]),
]


def parent_json(msg):
    return json.dumps(msg, separators=(",", ":"), ensure_ascii=False)


def child_json(msg):
    return json.dumps(msg)


def json_wire(frm, msg):
    return (parent_json(msg) if frm == "parent" else child_json(msg)) + "\nend\n"


def ndjson_wire(frm, msg):
    return (parent_json(msg) if frm == "parent" else json.dumps(msg, separators=(",", ":"))) + "\n"


def msgpack_wire(_frm, msg):
    return msgpack.packb(msg).hex()


def with_serializer(steps, name):
    """The same steps with the handshake's conf naming the serializer in use."""
    out = []
    for frm, kind, msg in steps:
        if kind == "handshake":
            msg = json.loads(json.dumps(msg))
            msg["conf"]["topology.multilang.serializer"] = name
        out.append((frm, kind, msg))
    return out


def write(name, description, source, serializer, steps):
    encode = {"json": json_wire, "ndjson": ndjson_wire, "msgpack": msgpack_wire}[serializer]
    wire_key = "wireHex" if serializer == "msgpack" else "wire"
    out = {
        "description": description,
        "source": source,
        "serializer": serializer,
        "steps": [{"from": frm, "kind": kind, wire_key: encode(frm, msg), "message": msg} for frm, kind, msg in steps],
    }
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main():
    write("json-bolt-storm-py.json", "storm.py BasicBolt: handshake, heartbeat/sync, tuple, anchored emit with task ids, ack, tick",
          "MULTILANG-PROTOCOL.md §3.6 (+ §3.3 tick)", "json", BOLT_STORM_PY)
    write("json-spout-pystorm.json", "pystorm spout: activate, next with an int-id emit (need_task_ids false), ack",
          "MULTILANG-PROTOCOL.md §4.5", "json", SPOUT_PYSTORM)
    write("json-lossless-ids.json", "spout message ids of every JSON type echoed back verbatim, including integers beyond 2^53",
          "MULTILANG-PROTOCOL.md §2.3", "json", LOSSLESS_IDS)
    write("msgpack-bolt.json", "the §3.6 bolt transcript with pystorm's msgpack serializer (handshake included)",
          "MULTILANG-PROTOCOL.md §3.6, §6.3", "msgpack", with_serializer(BOLT_STORM_PY, "msgpack"))
    write("msgpack-spout-pystorm.json", "the §4.5 spout transcript with pystorm's msgpack serializer",
          "MULTILANG-PROTOCOL.md §4.5, §6.3", "msgpack", with_serializer(SPOUT_PYSTORM, "msgpack"))
    write("msgpack-lossless-ids.json", "64-bit integers (ids and tuple values) keep their exact value and int type in msgpack",
          "MULTILANG-PROTOCOL.md §2.3, §6.3", "msgpack", MSGPACK_LOSSLESS_IDS)
    write("ndjson-bolt.json", "the §3.6 bolt transcript with Squall's ndjson serializer",
          "MULTILANG-PROTOCOL.md §11", "ndjson", with_serializer(BOLT_STORM_PY, "ndjson"))
    write("json-batch.json", "Squall's batch-frame extension: negotiation, batches both ways, task ids inside a batch, plain task-id replies",
          "multilang/EXTENSIONS.md", "json", BATCH)


if __name__ == "__main__":
    main()
