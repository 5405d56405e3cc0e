"""The components of python-examples/, each driven with scripted protocol input."""

import importlib.util
import json
import os
import re
import shutil
import tempfile
import unittest

from .harness import EXAMPLES, cmd, drive, frame, frames, handshake, heartbeat, line, python, spawn, tick, tup

WORDCOUNT = os.path.join(EXAMPLES, "wordcount")
RELIABLE = os.path.join(EXAMPLES, "reliable")
ANY = os.path.join(EXAMPLES, "any-language")


def load(directory, module):
    path = os.path.join(directory, module + ".py")
    spec = importlib.util.spec_from_file_location("example_%s_%s" % (os.path.basename(directory).replace("-", "_"), module), path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def have(program):
    return shutil.which(program) is not None


class Base(unittest.TestCase):
    def setUp(self):
        if not os.path.isdir(EXAMPLES):
            self.skipTest("python-examples/ not present")
        self.pid_dir = tempfile.mkdtemp(prefix="squall-ex-")
        self.addCleanup(shutil.rmtree, self.pid_dir, True)

    def hs(self, conf=None, batch=False):
        return frame(handshake(self.pid_dir, conf=conf, batch=batch))


class WordCountTests(Base):
    def test_sentence_spout_emits_once_and_replays_failures(self):
        mod = load(WORDCOUNT, "sentence_spout")
        s = mod.SentenceSpout()
        data = self.hs(conf={"wordcount.sentences": 6}) + frames(
            cmd("activate"), *[cmd("next")] * 7) + frames(cmd("fail", 3), *[cmd("ack", i) for i in range(6)])
        r = drive(s, data)
        emits = r.commands("emit")
        self.assertEqual([(m["id"], m["tuple"][0]) for m in emits],
                         [(i, mod.SENTENCES[i % 5]) for i in range(6)] + [(3, mod.SENTENCES[3])])
        self.assertEqual(r.commands("log"), [{"command": "log", "msg": "all 6 sentences acked (1 replayed)", "level": 2}])
        self.assertEqual(len(r.commands("sync")), 1 + 7 + 7)

    def test_pipeline_gives_the_counts_in_the_readme(self):
        """Spout -> split -> count in-process; the final counts must be the README's."""
        spout = load(WORDCOUNT, "sentence_spout").SentenceSpout()
        r = drive(spout, self.hs(batch=True) + frames(*[cmd("next")] * 1001))
        sentences = [m["tuple"] for m in r.commands("emit")]
        self.assertEqual(len(sentences), 1000)

        split = load(WORDCOUNT, "split_bolt").SplitBolt()
        r = drive(split, self.hs(batch=True) + frames([tup(str(i), v) for i, v in enumerate(sentences)]))
        self.assertEqual(len(r.commands("ack")), 1000)
        words = r.commands("emit")
        self.assertTrue(all(m["anchors"] for m in words))

        count = load(WORDCOUNT, "count_bolt").CountBolt()
        data = self.hs(batch=True) + frames([tup("w%d" % i, m["tuple"], comp="split") for i, m in enumerate(words)])
        r = drive(count, data + frame(tick("T")))
        self.assertEqual(len(r.commands("ack")), len(words) + 1)
        logs = [m["msg"] for m in r.commands("log")]
        self.assertEqual(len(logs), 2)
        self.assertTrue(logs[0].startswith("counts so far: a=200 "), logs[0])
        final = logs[1]
        with open(os.path.join(WORDCOUNT, "README.md")) as f:
            readme = f.read()
        expected = re.search(r"^(a=\d+ .*)$", readme, re.M).group(1)
        self.assertEqual(final, "final counts: " + expected)

    def test_count_bolt_anchors_and_acks(self):
        count = load(WORDCOUNT, "count_bolt").CountBolt()
        r = drive(count, self.hs() + frames(tup("1", ["the"]), tup("2", ["cow"]), tup("3", ["the"])))
        self.assertEqual(r.without_logs(), [
            {"command": "emit", "anchors": ["1"], "tuple": ["the", 1], "need_task_ids": False},
            {"command": "ack", "id": "1"},
            {"command": "emit", "anchors": ["2"], "tuple": ["cow", 1], "need_task_ids": False},
            {"command": "ack", "id": "2"},
            {"command": "emit", "anchors": ["3"], "tuple": ["the", 2], "need_task_ids": False},
            {"command": "ack", "id": "3"},
        ])
        self.assertEqual(r.commands("log")[-1]["msg"], "final counts: cow=1 the=2")

    def test_scripts_run_as_processes(self):
        p = spawn([python(), "split_bolt.py"], self.hs() + frames(tup("9", ["snow white"])), cwd=WORDCOUNT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.decode().endswith(
            '{"command":"emit","anchors":["9"],"tuple":["snow"],"need_task_ids":false}\nend\n'
            '{"command":"emit","anchors":["9"],"tuple":["white"],"need_task_ids":false}\nend\n'
            '{"command":"ack","id":"9"}\nend\n'), p.stdout)


class ReliableTests(Base):
    def test_spout_replays_until_everything_is_acked(self):
        s = load(RELIABLE, "reliable_spout").ReliableSpout()
        data = self.hs(conf={"reliable.messages": 3}) + frames(*[cmd("next")] * 4) + frames(
            cmd("fail", "msg-0001"), cmd("fail", "msg-0001"), cmd("ack", "msg-0000"), cmd("ack", "msg-0001"),
            cmd("ack", "msg-0002"), cmd("ack", "msg-0002"))
        r = drive(s, data)
        self.assertEqual([m["id"] for m in r.commands("emit")],
                         ["msg-0000", "msg-0001", "msg-0002", "msg-0001", "msg-0001"])
        self.assertEqual(r.commands("emit")[3]["tuple"], [1, "payload 1"])
        logs = [m["msg"] for m in r.commands("log")]
        self.assertEqual(logs[-1], "all 3 messages acked: 2 replays, at most 3 attempts for one message")

    def test_flaky_bolt(self):
        mod = load(RELIABLE, "flaky_bolt")
        r = drive(mod.FlakyBolt(), self.hs(conf={"reliable.fail.rate": 0.0}) + frames(tup("1", [1, "payload 1"])))
        self.assertEqual(r.without_logs(), [
            {"command": "emit", "anchors": ["1"], "tuple": [1, "PAYLOAD 1"], "need_task_ids": False},
            {"command": "ack", "id": "1"}])
        r = drive(mod.FlakyBolt(), self.hs(conf={"reliable.fail.rate": 1.0}) + frames(tup("1", [1, "payload 1"])))
        self.assertEqual(r.without_logs(), [{"command": "fail", "id": "1"}])
        self.assertEqual(r.commands("log")[-1]["msg"], "processed 0 tuples, failed 1 on purpose")


class AnyLanguageTests(Base):
    NDJSON = {"topology.multilang.serializer": "ndjson"}

    def test_awk_bolt(self):
        if not have("awk") or not have("sh"):
            self.skipTest("awk or sh missing")
        values = ["caf\u00e9 tab\t \"quoted\" back\\slash \u00e9\u00e9 line\nbreak", 42, None, True, {"k": "v"}]
        data = b"".join([
            line(handshake(self.pid_dir, conf=self.NDJSON)),
            line(heartbeat()),
            line(tup("-6955786537413359385", values)),
            b"[4,5]\n",
            b"\r\n",
            line(tick("T7")),
            line(tup("2", ["x"])).replace(b"\n", b"\r\n"),
        ])
        p = spawn(["sh", "upper.sh"], data, cwd=ANY)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = [json.loads(x) for x in p.stdout.decode("utf-8").splitlines()]
        pid = out[0]["pid"]
        self.assertEqual(out[0], {"pid": pid})
        self.assertEqual(os.listdir(self.pid_dir), [str(pid)])
        self.assertEqual(out[1:], [
            {"command": "sync"},
            {"command": "emit", "anchors": ["-6955786537413359385"], "need_task_ids": False,
             "tuple": ["CAF\u00e9 TAB\t \"QUOTED\" BACK\\SLASH \u00e9\u00e9 LINE\nBREAK", 42, None, True, {"K": "V"}]},
            {"command": "ack", "id": "-6955786537413359385"},
            {"command": "ack", "id": "T7"},
            {"command": "emit", "anchors": ["2"], "tuple": ["X"], "need_task_ids": False},
            {"command": "ack", "id": "2"},
        ])

    def test_python_spout_speaks_ndjson(self):
        p = spawn([python(), "words_spout.py"],
                  line(handshake(self.pid_dir, conf=self.NDJSON, batch=True)) + line(cmd("next")) + line(cmd("ack", 0)),
                  cwd=ANY)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.decode("utf-8").splitlines()
        self.assertRegex(lines[0], r'^\{"pid":\d+\}$')
        self.assertEqual(lines[1:], [
            '{"command":"log","msg":"serializer: ndjson","level":2}',
            '{"command":"emit","tuple":["hello from python",0],"id":0,"need_task_ids":false}',
            '{"command":"sync"}',
            '{"command":"sync"}',
        ])


if __name__ == "__main__":
    unittest.main()
