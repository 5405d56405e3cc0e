"""Component processes serving gRPC, as Squall launches them: ``python -m squall.grpc`` and
scripts calling ``serve()``, with the installed package (no PYTHONPATH), exit statuses and
signals."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import unittest

from .grpc_harness import SKIP, Host, commands, grpc

COMPONENTS = textwrap.dedent("""
    import os
    from squall import BasicBolt, Bolt

    class Strict(Bolt):
        def process(self, tup):
            if tup.values[0] == "boom":
                raise RuntimeError("fatal")
            self.emit(tup.values, anchors=[tup])
            self.ack(tup)

    class Upper(BasicBolt):
        def process(self, tup):
            self.emit([tup.values[0].upper()])

        def cleanup(self):
            open(os.path.join(os.environ["MARKS"], "cleanup-%s" % self.task_id), "w").close()
""")

SCRIPT = textwrap.dedent("""
    from squall.grpc import serve
    from components import Upper

    if __name__ == "__main__":
        serve(Upper, grace=1)
""")


class Process(object):
    """A component process; ``target`` is read from its "serving ... on host:port" line."""

    def __init__(self, args, cwd, env_updates):
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        env.pop("PYTHONPATH", None)  # the installed package, stubs included
        env.update(env_updates)
        self.proc = subprocess.Popen([sys.executable] + args, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, universal_newlines=True)
        self.stderr = []
        self.target = None
        for line in self.proc.stderr:
            self.stderr.append(line)
            m = re.search(r"serving \S+ on (\S+)", line)
            if m:
                self.target = m.group(1)
                break
        self._drain = threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True)
        self._drain.start()

    def wait(self, timeout=20):
        code = self.proc.wait(timeout)
        self._drain.join(5)
        return code

    def text(self):
        return "".join(self.stderr)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stderr.close()


@unittest.skipIf(SKIP, SKIP)
class ProcessTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="squall-grpc-")
        self.marks = os.path.join(self.dir, "marks")
        os.mkdir(self.marks)
        with open(os.path.join(self.dir, "components.py"), "w") as f:
            f.write(COMPONENTS)
        with open(os.path.join(self.dir, "upper_bolt.py"), "w") as f:
            f.write(SCRIPT)
        self.procs = []
        self.hosts = []

    def tearDown(self):
        for h in self.hosts:
            h.shutdown()
        for p in self.procs:
            p.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, args, **env):
        p = Process(args, self.dir, dict({"MARKS": self.marks}, **env))
        self.procs.append(p)
        self.assertIsNotNone(p.target, p.text())
        return p

    def host(self, p):
        h = Host(p.target)
        self.hosts.append(h)
        return h

    def test_a_failing_per_task_process_exits_1_after_ending_its_stream(self):
        p = self.start(["-m", "squall.grpc", "components:Strict"], SQUALL_GRPC_ADDRESS="127.0.0.1:0")
        self.assertTrue(p.target.startswith("127.0.0.1:"))
        h = self.host(p)
        h.handshake()
        h.tuples(("1", ["ok"]))
        self.assertEqual(commands(h.recv_until(lambda got: commands(got, "ack")), "ack"), [{"command": "ack", "id": "1"}])
        h.tuples(("2", ["boom"]))
        code, _ = h.wait_end()
        self.assertEqual(code, grpc.StatusCode.ABORTED)
        self.assertIn("RuntimeError: fatal", commands(h.rest, "error")[0]["msg"])
        self.assertEqual(p.wait(), 1, p.text())

    def test_a_service_at_a_given_address_outlives_a_failing_stream(self):
        p = self.start(["-m", "squall.grpc", "components:Strict", "--address", "127.0.0.1:0", "--grace", "1"])
        h = self.host(p)
        h.handshake()
        h.tuples(("1", ["boom"]))
        self.assertEqual(h.wait_end()[0], grpc.StatusCode.ABORTED)
        h2 = self.host(p)
        h2.handshake()
        h2.tuples(("2", ["ok"]))
        self.assertEqual(commands(h2.recv_until(lambda got: commands(got, "ack")), "ack"), [{"command": "ack", "id": "2"}])
        self.assertIsNone(p.proc.poll())
        p.proc.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(), 0, p.text())

    def test_sigterm_stops_gracefully_and_runs_cleanup(self):
        p = self.start(["upper_bolt.py"], SQUALL_GRPC_ADDRESS="127.0.0.1:0")
        h = self.host(p)
        h.handshake()
        h.tuples(("1", ["a"]))
        self.assertEqual(commands(h.recv_until(lambda got: commands(got, "ack")), "ack"), [{"command": "ack", "id": "1"}])
        p.proc.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(), 0, p.text())
        self.assertEqual(os.listdir(self.marks), ["cleanup-3"], "cleanup() ran for the open stream")

    def test_no_address_is_a_clear_error(self):
        p = Process(["upper_bolt.py"], self.dir, {"SQUALL_GRPC_ADDRESS": ""})
        self.procs.append(p)
        self.assertNotEqual(p.wait(), 0)
        self.assertIn("SQUALL_GRPC_ADDRESS", p.text())
        self.assertIn("no address to listen on", p.text())

    def test_launcher_errors(self):
        p = Process(["-m", "squall.grpc", "components:Nope", "--address", "127.0.0.1:0"], self.dir, {})
        self.procs.append(p)
        self.assertEqual(p.wait(), 2)
        self.assertIn("cannot load components:Nope", p.text())


class ImportTest(unittest.TestCase):
    """Runs everywhere, grpcio or not."""

    def test_the_base_adapter_needs_no_grpc_and_squall_grpc_says_what_to_install(self):
        code = ("import sys; sys.modules['grpc'] = None\n"
                "import squall, squall.bolt, squall.spout\n"
                "try:\n    import squall.grpc\nexcept ImportError as e:\n    print(e)\n")
        env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        out = subprocess.run([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("pip install './multilang/python[grpc]'", out.stdout)


if __name__ == "__main__":
    unittest.main()
