"""squall.client's parts that need no server: packing a topology directory the way nimbus's
safe extraction accepts (squall.package), finding the definition and its name, packing a Python
DSL topology with its generated spec, addresses, error metadata and result conversion.
Standard library only, so these run with plain python3 too."""

import gzip
import io
import json
import os
import shutil
import tarfile
import tempfile
import unittest
from types import SimpleNamespace as NS
from urllib.parse import quote

from squall import client
from squall.client import SquallClientError


def write(root, rel, text="x", mode=None):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)
    return path


class Packing(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="squall-client-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_sorted_entries_directories_first_skipping_caches(self):
        write(self.dir, "topology.yaml", "name: t\n")
        write(self.dir, "b/z.py")
        write(self.dir, "b/a.py")
        write(self.dir, "A.txt")
        write(self.dir, "node_modules/dep/index.js")
        write(self.dir, "b/__pycache__/a.cpython-311.pyc")
        write(self.dir, ".git/HEAD")
        self.assertEqual(client.list_package_files(self.dir), ["A.txt", "b/", "b/a.py", "b/z.py", "topology.yaml"])

    def test_archive_is_deterministic_with_portable_headers(self):
        write(self.dir, "topology.yaml", "name: t\n")
        write(self.dir, "run.sh", "#!/bin/sh\n", mode=0o775)
        write(self.dir, "lib/data.txt", "hello", mode=0o600)
        first = client.pack_directory(self.dir)
        os.utime(os.path.join(self.dir, "lib/data.txt"), (1, 1))
        self.assertEqual(client.pack_directory(self.dir), first, "mtimes do not change the bytes")
        self.assertEqual(first[4:8], b"\0\0\0\0", "gzip header without a time")
        with tarfile.open(fileobj=io.BytesIO(first), mode="r:gz") as tar:
            members = {m.name: m for m in tar.getmembers()}
            self.assertEqual([m.name for m in tar.getmembers()], ["lib", "lib/data.txt", "run.sh", "topology.yaml"])
            self.assertTrue(members["lib"].isdir())
            self.assertEqual(members["lib"].mode, 0o755)
            self.assertEqual(members["run.sh"].mode, 0o755)
            self.assertEqual(members["lib/data.txt"].mode, 0o644)
            for m in members.values():
                self.assertEqual((m.mtime, m.uid, m.gid, m.uname, m.gname), (client.PACKAGE_MTIME, 0, 0, "", ""))
            self.assertEqual(tar.extractfile("lib/data.txt").read(), b"hello")

    def test_symlinks_and_special_files_are_refused_naming_each(self):
        write(self.dir, "topology.yaml", "name: t\n")
        os.symlink("topology.yaml", os.path.join(self.dir, "link.yaml"))
        os.symlink(self.dir, os.path.join(self.dir, "loop"))
        os.mkfifo(os.path.join(self.dir, "pipe"))
        with self.assertRaises(SquallClientError) as caught:
            client.pack_directory(self.dir)
        err = caught.exception
        self.assertEqual(err.code, "E_USAGE")
        self.assertIn('"link.yaml" is a symbolic link', err.message)
        self.assertIn('"loop" is a symbolic link', err.message)
        self.assertIn('"pipe" is not a regular file or directory', err.message)
        self.assertIn("remove or replace", err.hint)

    def test_names_nimbus_would_refuse_are_refused_here(self):
        write(self.dir, "topology.yaml", "name: t\n")
        write(self.dir, "bad\nname.txt")
        write(self.dir, "back\\slash.txt")
        with self.assertRaises(SquallClientError) as caught:
            client.list_package_files(self.dir)
        self.assertIn("control character", caught.exception.message)
        self.assertIn("backslash", caught.exception.message)

    def test_not_a_directory(self):
        with self.assertRaises(SquallClientError) as caught:
            client.pack_directory(write(self.dir, "file.txt"))
        self.assertIn("is not a directory", caught.exception.message)


class Locating(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="squall-client-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_directory_file_and_missing(self):
        path = write(self.dir, "topology.yml", "# comment\nname: 'word-count'  # the name\nconfig: {}\n")
        self.assertEqual(client.locate_topology(self.dir), (self.dir, "topology.yml"))
        self.assertEqual(client.locate_topology(path), (self.dir, "topology.yml"))
        self.assertEqual(client.topology_name(path), "word-count")
        with self.assertRaises(SquallClientError):
            client.locate_topology(os.path.join(self.dir, "nope"))
        empty = tempfile.mkdtemp(dir=self.dir)
        with self.assertRaises(SquallClientError) as caught:
            client.locate_topology(empty)
        self.assertIn("topology.yaml / topology.yml / topology.json / topology.py", caught.exception.message)

    def test_names_from_yaml_and_json(self):
        self.assertEqual(client.topology_name(write(self.dir, "a.yaml", "spouts: []\nname: wc\n")), "wc")
        self.assertEqual(client.topology_name(write(self.dir, "b.yaml", '  name: nested\nname: "quoted"\n')), "quoted")
        self.assertIsNone(client.topology_name(write(self.dir, "c.yaml", "spouts:\n  - name: x\n")))
        self.assertEqual(client.topology_name(write(self.dir, "d.json", json.dumps({"name": "js"}))), "js")
        self.assertIsNone(client.topology_name(write(self.dir, "e.json", "[1]")))


DSL_TOPOLOGY = """\
from squall.topology import Bolt, Spout, Topology, fields

class WordCount(Topology):
    name = "wordcount"
    config = {"topology.workers": 2, "greeting": "grüß"}
    sentences = Spout.spec("python3", "spout.py", outputs=["sentence"])
    count = Bolt.spec("python3", "count.py", inputs={sentences: fields("sentence")}, outputs=["word", "n"])
"""


class PythonTopologies(unittest.TestCase):
    """As `squall submit topology.py`: the file runs here and its spec is packed beside it."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="squall-client-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_the_generated_spec_is_packed_beside_the_file_as_the_definition(self):
        write(self.dir, "topology.py", DSL_TOPOLOGY)
        write(self.dir, "spout.py")
        packed = client.pack_topology(self.dir)
        self.assertEqual((packed.name, packed.topology_file, packed.directory), ("wordcount", "topology.py.json", self.dir))
        self.assertEqual(client.list_package_files(self.dir, extra_files={"topology.py.json": "{}"}),
                         ["spout.py", "topology.py", "topology.py.json"], "the generated spec comes last")
        with tarfile.open(fileobj=io.BytesIO(packed.data), mode="r:gz") as tar:
            self.assertEqual(tar.getnames(), ["spout.py", "topology.py", "topology.py.json"])
            member = tar.getmember("topology.py.json")
            self.assertEqual((member.mode, member.mtime, member.uid, member.uname), (0o644, client.PACKAGE_MTIME, 0, ""))
            text = tar.extractfile(member).read().decode("utf-8")
        doc = json.loads(text)
        self.assertEqual(text, json.dumps(doc, indent=2, ensure_ascii=False) + "\n", "squall submit's layout: JSON.stringify(doc, null, 2)")
        self.assertEqual(doc["config"], {"topology.workers": 2, "greeting": "grüß"})
        self.assertEqual(doc["bolts"][0]["inputs"], [{"from": "sentences", "grouping": {"fields": ["sentence"]}}])
        self.assertEqual(client.pack_topology(os.path.join(self.dir, "topology.py"), name="other").name, "other")
        self.assertEqual(client.pack_topology(self.dir).data, packed.data, "deterministic")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "__pycache__")), "no bytecode left beside the file")

    def test_a_native_definition_wins_in_a_directory(self):
        write(self.dir, "topology.py", DSL_TOPOLOGY)
        write(self.dir, "topology.json", json.dumps({"name": "native"}))
        packed = client.pack_topology(self.dir)
        self.assertEqual((packed.name, packed.topology_file), ("native", "topology.json"))
        with self.assertRaises(SquallClientError) as caught:
            client.pack_topology(self.dir, class_name="WordCount")
        self.assertIn("Python topologies only", caught.exception.message)

    def test_a_spec_file_already_there_is_refused(self):
        write(self.dir, "topology.py", DSL_TOPOLOGY)
        write(self.dir, "topology.py.json", "{}")
        with self.assertRaises(SquallClientError) as caught:
            client.pack_topology(self.dir)
        self.assertIn('"topology.py.json" would be packed twice', caught.exception.message)

    def test_a_failing_file_names_its_line(self):
        path = write(self.dir, "t.py", "from squall.topology import *\n\nclass T(Topology):\n    s = Spout.spec(undefined_name)\n")
        with self.assertRaises(SquallClientError) as caught:
            client.pack_topology(path)
        err = caught.exception
        self.assertEqual((err.code, err.context), ("E_USAGE", {"file": path, "line": 4}))
        self.assertEqual(err.message, "cannot load Python topology %s:4: NameError: name 'undefined_name' is not defined" % path)
        two = write(self.dir, "two.py", "from squall.topology import *\nclass A(Topology):\n    s = Spout.spec('a')\n"
                                        "class B(Topology):\n    s = Spout.spec('b')\n")
        with self.assertRaises(SquallClientError) as caught:
            client.pack_topology(two)
        self.assertEqual(caught.exception.hint, "choose one with --class A")
        self.assertEqual(client.pack_topology(two, class_name="B").name, "B")


class Addresses(unittest.TestCase):
    def test_normalized_with_the_default_port(self):
        self.assertEqual(client.DEFAULT_NIMBUS, "localhost:6627")
        self.assertEqual(client.normalize_address("nimbus1"), "nimbus1:6627")
        self.assertEqual(client.normalize_address(" 127.0.0.1:7000 "), "127.0.0.1:7000")
        self.assertEqual(client.normalize_address("[::1]"), "[::1]:6627")
        for bad in ["", "host:0", "host:70000", "a:b:c"]:
            with self.assertRaises(SquallClientError, msg=bad):
                client.normalize_address(bad)


class Errors(unittest.TestCase):
    def test_squall_metadata_becomes_code_hint_and_leader(self):
        metadata = (("squall-error-code", "E_NOT_LEADER"), ("squall-leader", quote("10.0.0.2:6627")),
                    ("squall-hint", quote("send the request to 10.0.0.2:6627")), ("squall-retriable", "1"),
                    ("squall-context", quote(json.dumps({"topology": "wc"}))))
        err = client.error_from_status("FAILED_PRECONDITION", "this nimbus is not the leader", metadata, "KillTopology", "10.0.0.1:6627", 10)
        self.assertEqual((err.code, err.leader, err.status, err.retriable, err.context), ("E_NOT_LEADER", "10.0.0.2:6627", "FAILED_PRECONDITION", True, {"topology": "wc"}))
        self.assertEqual(err.hint, "send the request to 10.0.0.2:6627")
        self.assertEqual(str(err), "this nimbus is not the leader (hint: send the request to 10.0.0.2:6627)")

    def test_grpc_own_failures_get_a_code_and_a_sentence(self):
        err = client.error_from_status("UNAVAILABLE", "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:1: Failed to connect to remote host: Connection refused", (), "ListTopologies", "127.0.0.1:1", 10)
        self.assertEqual(err.code, "E_NIMBUS_UNREACHABLE")
        self.assertEqual(err.message, "cannot reach nimbus at 127.0.0.1:1: connection refused \u2014 is `squall nimbus` running?")
        self.assertTrue(err.retriable)
        late = client.error_from_status("DEADLINE_EXCEEDED", "Deadline Exceeded", None, "DescribeTopology", "h:1", 2.5)
        self.assertEqual((late.code, late.message), ("E_RPC_DEADLINE", "nimbus at h:1 did not answer DescribeTopology within 2.5 s"))
        self.assertIn("longer timeout", late.hint)


class Results(unittest.TestCase):
    def test_details_from_a_message(self):
        spout = NS(id="sentences", kind=1, num_executors=1, num_tasks=1, emitted=10, transferred=10, executed=0, acked=8, failed=1,
                   complete_latency_ms=2.5, execute_latency_ms=0.0, errors_count=1,
                   last_errors=[NS(time_ms=1700000000000, task=3, host="h", port=6700, message="boom")])
        bolt = NS(id="split", kind=2, num_executors=2, num_tasks=2, emitted=80, transferred=80, executed=8, acked=8, failed=0,
                  complete_latency_ms=0.0, execute_latency_ms=0.1, errors_count=0, last_errors=[])
        msg = NS(id="wc-1-1", name="wc", status=2, uptime_secs=5, schedule_message="", config_json='{"topology.workers": 2}',
                 workers=[NS(host="h", port=6700, supervisor_id="s", uptime_secs=4, num_executors=3, num_tasks=3)], components=[spout, bolt])
        d = client.details_from_pb(msg)
        self.assertEqual((d.status, d.config, d.spout_acked), ("INACTIVE", {"topology.workers": 2}, 8))
        self.assertEqual(d.component("sentences").kind, "spout")
        self.assertEqual(d.component("sentences").last_errors[0].message, "boom")
        self.assertEqual(d.component("split").kind, "bolt")
        self.assertIsNone(d.component("nope"))
        self.assertEqual(d.workers[0].supervisor_id, "s")
        s = client.summary_from_pb(NS(id="i", name="n", status=4, uptime_secs=1, num_workers=1, num_executors=2, num_tasks=3, schedule_message="m"))
        self.assertEqual(s.status, "REBALANCING")


if __name__ == "__main__":
    unittest.main()
