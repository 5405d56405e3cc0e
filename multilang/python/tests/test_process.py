"""Components run as real subprocesses: stdio protection, exit codes, the -m runner."""

import json
import os
import shutil
import tempfile
import textwrap
import unittest

from .harness import frames, handshake, line, load_transcript, python, spawn, tup, heartbeat


def parse_json_frames(raw):
    text = raw.decode("utf-8")
    assert text.endswith("\nend\n"), text
    out = []
    for body in text.split("\nend\n")[:-1]:
        value = json.loads(body)
        out.extend(value if isinstance(value, list) and value and isinstance(value[0], dict) else [value])
    return out


class ProcessTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="squall-proc-")
        self.pid_dir = os.path.join(self.dir, "pids")
        os.mkdir(self.pid_dir)
        self.addCleanup(shutil.rmtree, self.dir, True)

    def script(self, name, body):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(body))
        return path

    def test_stdout_is_protected_and_pid_file_written(self):
        self.script("bolt.py", """
            import os, subprocess, sys
            from squall import BasicBolt
            print("printed at import time")

            class B(BasicBolt):
                def initialize(self, conf, context):
                    print("printed in initialize")
                    os.write(1, b"written to fd 1\\n")
                    subprocess.run([sys.executable, "-c", "print('from a subprocess')"], check=True)
                    self.stdin_text = sys.stdin.read()

                def process(self, tup):
                    self.emit([tup.values[0].upper(), len(self.stdin_text)])

            if __name__ == "__main__":
                B().run()
            """)
        data = frames(handshake(self.pid_dir), heartbeat(), tup("1", ["abc"]))
        # buffered stdout (the default for a pipe): the import-time print is rescued to stderr
        p = spawn([python(), "bolt.py"], data, cwd=self.dir, env_updates={"PYTHONUNBUFFERED": None})
        self.assertEqual(p.returncode, 0, p.stderr)
        msgs = parse_json_frames(p.stdout)
        pid = msgs[0]["pid"]
        self.assertEqual(msgs[0], {"pid": pid})
        self.assertEqual(os.listdir(self.pid_dir), [str(pid)])
        self.assertEqual(msgs[1:], [
            {"command": "log", "msg": "printed in initialize", "level": 2},
            {"command": "sync"},
            {"command": "emit", "anchors": ["1"], "tuple": ["ABC", 0], "need_task_ids": False},
            {"command": "ack", "id": "1"},
        ])
        err = p.stderr.decode()
        for text in ("printed at import time", "written to fd 1", "from a subprocess"):
            self.assertIn(text, err)

    def test_batch_and_ndjson_in_a_real_process(self):
        self.script("bolt.py", """
            from squall import BasicBolt
            class B(BasicBolt):
                def process(self, tup):
                    self.emit(tup.values[::-1])
            B().run()
            """)
        p = spawn([python(), "bolt.py"], frames(handshake(self.pid_dir, batch=True), [tup("1", [1, 2]), tup("2", [3, 4])]),
                  cwd=self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        text = p.stdout.decode()
        self.assertRegex(text, r'^\{"pid":\d+,"squall":\{"extensions":\["batch"\]\}\}\nend\n\[')
        self.assertTrue(text.endswith('{"command":"ack","id":"2"}]\nend\n'), text)
        conf = {"topology.multilang.serializer": "ndjson"}
        p = spawn([python(), "bolt.py"], line(handshake(self.pid_dir, conf=conf, batch=True)) + line(tup("1", [1, 2])),
                  cwd=self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout.decode(), r'^\{"pid":\d+\}\n\{"command":"emit","anchors":\["1"\],"tuple":\[2,1\],'
                                            r'"need_task_ids":false\}\n\{"command":"ack","id":"1"\}\n$')

    def test_exit_status_after_a_fatal_exception(self):
        self.script("bolt.py", """
            from squall import Bolt
            class B(Bolt):
                def process(self, tup):
                    raise ZeroDivisionError("oops")
            B().run()
            """)
        p = spawn([python(), "bolt.py"], frames(handshake(self.pid_dir), tup("1", ["a"])), cwd=self.dir)
        self.assertEqual(p.returncode, 1)
        msgs = parse_json_frames(p.stdout)
        self.assertEqual([m.get("command") for m in msgs[1:]], ["error", "log"])
        self.assertIn("ZeroDivisionError: oops", msgs[1]["msg"])

    def test_threads_do_not_keep_the_process_alive(self):
        self.script("bolt.py", """
            import threading, time
            from squall import Bolt
            class B(Bolt):
                def initialize(self, conf, context):
                    threading.Thread(target=time.sleep, args=(60,)).start()
                def process(self, tup):
                    self.ack(tup)
                def cleanup(self):
                    self.log("bye")
            B().run()
            """)
        p = spawn([python(), "bolt.py"], frames(handshake(self.pid_dir), tup("1", ["a"])), cwd=self.dir, timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(parse_json_frames(p.stdout)[-1], {"command": "log", "msg": "bye", "level": 2})

    def test_module_runner(self):
        self.script("components.py", """
            from squall import Spout
            class Counter(Spout):
                def initialize(self, conf, context):
                    self.n = 0
                def next_tuple(self):
                    self.n += 1
                    self.emit([self.n], tup_id=self.n)
            """)
        p = spawn([python(), "-m", "squall", "components:Counter"],
                  frames(handshake(self.pid_dir), {"command": "next", "id": ""}), cwd=self.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(parse_json_frames(p.stdout)[1:], [
            {"command": "emit", "tuple": [1], "id": 1, "need_task_ids": False}, {"command": "sync"}])
        bad = spawn([python(), "-m", "squall", "components:Nope"], b"", cwd=self.dir)
        self.assertEqual(bad.returncode, 2)
        self.assertIn(b"cannot load components:Nope", bad.stderr)

    def test_protect_stdio_with_unbuffered_stdout(self):
        self.script("components.py", """
            print("printed at import time")
            from squall import Bolt
            class B(Bolt):
                pass
            """)
        self.script("script.py", """
            import squall
            squall.protect_stdio()
            print("printed at import time")
            squall.run(squall.Bolt)
            """)
        for args in ([python(), "-m", "squall", "components:B"], [python(), "script.py"]):
            p = spawn(args, frames(handshake(self.pid_dir)), cwd=self.dir, env_updates={"PYTHONUNBUFFERED": "1"})
            self.assertEqual(p.returncode, 0, p.stderr)
            msgs = parse_json_frames(p.stdout)
            self.assertEqual(msgs[1:], [{"command": "log", "msg": "printed at import time", "level": 2}])

    def test_msgpack_handshake_is_refused(self):
        t = load_transcript("msgpack-bolt.json")
        data = bytes.fromhex(t["steps"][0]["wireHex"]) if t else b"\x83\xa6pidDir\xa1x"
        self.script("bolt.py", """
            from squall import Bolt
            Bolt().run()
            """)
        p = spawn([python(), "bolt.py"], data, cwd=self.dir)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, b"")
        self.assertIn(b"msgpack", p.stderr)


if __name__ == "__main__":
    unittest.main()
