"""squall.topology: the Python topology DSL, its YAML emitter and its command line."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

from squall.topology import (
    Bolt, Grouping, Grpc, Js, Spout, Stream, Topology, TopologyError, all_, direct, fields, global_,
    local_or_shuffle, none, partial_key, shuffle, to_yaml,
)

from .harness import EXAMPLES, PY_ROOT

HERE = os.path.abspath(__file__)


class DocumentTests(unittest.TestCase):
    def test_components_in_definition_order_with_attribute_ids(self):
        class WordCount(Topology):
            name = "wordcount"
            config = {"topology.workers": 2}
            sentences = Spout.spec("python3", "sentence_spout.py", outputs=["sentence"])
            split = Bolt.spec("python3", "split_bolt.py", inputs=[sentences], outputs=["word"], par=2, tasks=4)
            count = Bolt.spec(["python3", "count_bolt.py"], inputs={split: fields("word")}, outputs=["word", "count"],
                              config={"topology.tick.tuple.freq.secs": 2})

        self.assertEqual(WordCount.to_dict(), {
            "name": "wordcount",
            "config": {"topology.workers": 2},
            "spouts": [{"id": "sentences", "shell": ["python3", "sentence_spout.py"], "outputs": ["sentence"]}],
            "bolts": [
                {"id": "split", "shell": ["python3", "split_bolt.py"], "parallelism": 2, "numTasks": 4,
                 "outputs": ["word"], "inputs": [{"from": "sentences", "grouping": "shuffle"}]},
                {"id": "count", "shell": ["python3", "count_bolt.py"], "outputs": ["word", "count"],
                 "config": {"topology.tick.tuple.freq.secs": 2},
                 "inputs": [{"from": "split", "grouping": {"fields": ["word"]}}]},
            ],
        })
        self.assertEqual([s.id for s in WordCount.specs], ["sentences", "split", "count"])

    def test_name_defaults_to_the_class_name_and_name_kwarg_sets_the_id(self):
        class Small(Topology):
            s = Spout.spec("sh", "s.sh", name="source")
            b = Bolt.spec("sh", "b.sh", inputs=[s])

        doc = Small.to_dict()
        self.assertEqual(doc["name"], "Small")
        self.assertEqual(doc["spouts"][0]["id"], "source")
        self.assertEqual(doc["bolts"][0]["inputs"], [{"from": "source", "grouping": "shuffle"}])

    def test_every_grouping(self):
        class G(Topology):
            s = Spout.spec("sh", "s.sh", outputs=[Stream(["k"]), Stream(["k"], name="d", direct=True)])
            b = Bolt.spec("sh", "b.sh", inputs={s: shuffle, s["d"]: direct})
            c = Bolt.spec("sh", "c.sh", inputs={s: fields("k")})
            d = Bolt.spec("sh", "d.sh", inputs={s: partial_key(["k"])})
            e = Bolt.spec("sh", "e.sh", inputs={s: all_})
            f = Bolt.spec("sh", "f.sh", inputs={s: global_})
            g = Bolt.spec("sh", "g.sh", inputs={s: none})
            h = Bolt.spec("sh", "h.sh", inputs={s: local_or_shuffle})
            i = Bolt.spec("sh", "i.sh", inputs={s: Grouping.fields("k", "k2")})

        got = [b["inputs"] for b in G.to_dict()["bolts"]]
        self.assertEqual(got, [
            [{"from": "s", "grouping": "shuffle"}, {"from": "s", "stream": "d", "grouping": "direct"}],
            [{"from": "s", "grouping": {"fields": ["k"]}}],
            [{"from": "s", "grouping": {"partial_key": ["k"]}}],
            [{"from": "s", "grouping": "all"}],
            [{"from": "s", "grouping": "global"}],
            [{"from": "s", "grouping": "none"}],
            [{"from": "s", "grouping": "local_or_shuffle"}],
            [{"from": "s", "grouping": {"fields": ["k", "k2"]}}],
        ])
        self.assertEqual(G.to_dict()["spouts"][0]["outputs"], {"default": ["k"], "d": {"fields": ["k"], "direct": True}})
        self.assertIs(Grouping.SHUFFLE, shuffle)

    def test_named_streams_and_string_ids(self):
        class N(Topology):
            s = Spout.spec("sh", "s.sh", outputs=[Stream(["line"]), Stream(["msg"], name="errors")])
            log = Bolt.spec("sh", "log.sh", inputs={s["errors"]: shuffle, "s": global_})

        self.assertEqual(N.to_dict()["bolts"][0]["inputs"], [
            {"from": "s", "stream": "errors", "grouping": "shuffle"}, {"from": "s", "grouping": "global"}])

    def test_js_and_grpc_implementations_and_env(self):
        class I(Topology):
            s = Spout.spec(Js("./spout.js", export="Numbers", args=[3]), outputs=["n"])
            a = Bolt.spec(Grpc(command=["python3", "svc.py"]), inputs=[s], env={"A": "1"})
            b = Bolt.spec(Grpc(address="127.0.0.1:50051"), inputs=[s],
                          config={"topology.environment": {"A": "0", "B": "2"}}, env={"A": "1"})

        doc = I.to_dict()
        self.assertEqual(doc["spouts"][0]["js"], {"module": "./spout.js", "export": "Numbers", "args": [3]})
        self.assertEqual(doc["bolts"][0]["grpc"], {"command": ["python3", "svc.py"]})
        self.assertEqual(doc["bolts"][0]["config"], {"topology.environment": {"A": "1"}})
        self.assertEqual(doc["bolts"][1]["grpc"], {"address": "127.0.0.1:50051"})
        self.assertEqual(doc["bolts"][1]["config"], {"topology.environment": {"A": "1", "B": "2"}})

    def test_subclasses_inherit_components_and_may_add_some(self):
        class Base(Topology):
            s = Spout.spec("sh", "s.sh", outputs=["x"])

        class More(Base):
            b = Bolt.spec("sh", "b.sh", inputs=[Base.s])

        self.assertEqual([s.id for s in More.specs], ["s", "b"])

    def test_spec_lines_are_where_they_were_written(self):
        class L(Topology):
            s = Spout.spec(
                "sh", "s.sh")

        line = L.specs[0].where[1]
        with open(HERE) as f:
            self.assertIn("s = Spout.spec(", f.readlines()[line - 1])
        self.assertEqual(L.specs[0].where[0], HERE)


class MisuseTests(unittest.TestCase):
    def assertMisuse(self, pattern, build):
        with self.assertRaisesRegex(TopologyError, pattern) as ctx:
            build()
        return ctx.exception

    def test_grouping_mistakes(self):
        s = Spout.spec("sh", "s.sh")
        self.assertMisuse("fields grouping needs field names", lambda: Bolt.spec("sh", "b.sh", inputs={s: fields}))
        self.assertMisuse("not a grouping: 'fieldz'", lambda: Bolt.spec("sh", "b.sh", inputs={s: "fieldz"}))
        self.assertMisuse(r"fields\(\) needs at least one field", lambda: fields())
        self.assertMisuse("field names", lambda: fields("a", 3))

    def test_implementation_mistakes(self):
        self.assertMisuse("no implementation", lambda: Spout.spec(outputs=["x"]))
        self.assertMisuse("list of strings", lambda: Spout.spec("python3", 3))
        self.assertMisuse("exactly one", lambda: Grpc())
        self.assertMisuse("exactly one", lambda: Grpc(command=["x"], address="h:1"))

    def test_inputs_and_outputs_mistakes(self):
        s = Spout.spec("sh", "s.sh")
        self.assertMisuse("inputs must be", lambda: Bolt.spec("sh", "b.sh", inputs=3))
        self.assertMisuse("an input is", lambda: Bolt.spec("sh", "b.sh", inputs=[3]))
        self.assertMisuse("mixes field names and Stream", lambda: Spout.spec("sh", "s.sh", outputs=["a", Stream(["b"], name="x")]))
        self.assertMisuse('stream "x" is declared twice', lambda: Spout.spec("sh", "s.sh", outputs=[Stream(["a"], name="x"), Stream(["b"], name="x")]))
        self.assertMisuse("Stream fields must be a list", lambda: Stream("word"))
        with self.assertRaisesRegex(TypeError, "inputs"):
            Spout.spec("sh", "s.sh", inputs=[s])  # pylint: disable=unexpected-keyword-arg

    def test_input_from_a_spec_outside_the_topology(self):
        outside = Spout.spec("sh", "s.sh")

        def build():
            class T(Topology):
                b = Bolt.spec("sh", "b.sh", inputs=[outside])

        err = self.assertMisuse('bolt "b" has an input from a spec that is not part of topology T', build)
        self.assertEqual(err.where[0], HERE)

    def test_one_spec_under_two_names_and_reserved_names(self):
        def twice():
            class T(Topology):
                a = Spout.spec("sh", "s.sh")
                b = a

        def reserved():
            class T(Topology):
                config = Spout.spec("sh", "s.sh")

        self.assertMisuse('assigned to "a" and "b"', twice)
        self.assertMisuse('cannot be called "config"', reserved)

    def test_config_must_be_plain_data(self):
        class T(Topology):
            s = Spout.spec("sh", "s.sh", config={"x": object()})

        self.assertMisuse('config of "s" is not plain data', T.to_dict)


class YamlTests(unittest.TestCase):
    def test_scalars_are_quoted_only_when_needed(self):
        text = to_yaml({"name": "t", "config": {"a": "yes", "b": "1.5", "c": "x: y", "d": None, "e": 1.5, "f": True,
                                                "g": "./bolt.js", "h": ".5", "i": "caf\u00e9 \U0001F600"}})
        self.assertEqual(text, 'name: t\nconfig:\n  a: "yes"\n  b: "1.5"\n  c: "x: y"\n  d: null\n  e: 1.5\n  f: true\n'
                               '  g: ./bolt.js\n  h: ".5"\n  i: "caf\\u00e9 \\ud83d\\ude00"\n')

    def test_components_are_blocks_and_short_values_inline(self):
        text = to_yaml({"name": "t", "spouts": [{"id": "s", "shell": ["sh", "s.sh"], "outputs": ["a"]}]})
        self.assertEqual(text, "name: t\nspouts:\n  - id: s\n    shell: [sh, s.sh]\n    outputs: [a]\n")

    def test_non_finite_numbers_are_refused(self):
        with self.assertRaises(TopologyError):
            to_yaml({"config": {"x": float("nan")}})


def run_module(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=PY_ROOT, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, "-m", "squall.topology"] + list(args), cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=60)


class CommandLineTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="squall-dsl-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        return path

    def test_the_wordcount_example_matches_its_yaml(self):
        path = os.path.join(EXAMPLES, "wordcount", "topology.py")
        if not os.path.exists(path):
            self.skipTest("python-examples/ not present")
        r = run_module(path, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual([c["id"] for c in doc["spouts"] + doc["bolts"]], ["sentences", "split", "count"])
        self.assertEqual(doc["bolts"][1]["inputs"], [{"from": "split", "grouping": {"fields": ["word"]}}])
        yaml = run_module(path)  # YAML is the default
        self.assertEqual(yaml.returncode, 0, yaml.stderr)
        self.assertIn("  - id: count\n    shell: [python3, count_bolt.py]\n", yaml.stdout)

    def test_envelope_has_positions_and_prints_stay_off_stdout(self):
        path = self.write("t.py", """\
            from squall.topology import Spout, Topology
            print("chatter")

            class T(Topology):
                config = {"topology.workers": 1}
                s = Spout.spec("sh", "s.sh")
            """)
        r = run_module(path, "--envelope")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        self.assertEqual(out["topology"]["name"], "T")
        self.assertEqual(out["positions"], {"topology": [path, 4], "config": [path, 5], "spouts": [[path, 6]], "bolts": []})
        self.assertIn("chatter", r.stderr)

    def test_the_files_directory_is_importable(self):
        self.write("shared.py", "COMMAND = ['sh', 's.sh']\n")
        path = self.write("t.py", """\
            from squall.topology import Spout, Topology
            from shared import COMMAND

            class T(Topology):
                s = Spout.spec(COMMAND)
            """)
        r = run_module(path, "--json", cwd=tempfile.gettempdir())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["spouts"][0]["shell"], ["sh", "s.sh"])
        self.assertFalse(os.path.exists(os.path.join(self.dir, "__pycache__")), "no bytecode left beside the file")

    def error(self, path, *args):
        r = run_module(path, "--envelope", *args)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        return json.loads(r.stdout)["error"]

    def test_errors_name_the_file_and_line(self):
        syntax = self.write("syntax.py", "from squall.topology import *\nclass T(Topology:\n    pass\n")
        err = self.error(syntax)
        self.assertEqual((err["file"], err["line"]), (syntax, 2))
        self.assertTrue(err["message"].startswith("SyntaxError: "), err)

        boom = self.write("boom.py", "from squall.topology import *\n\nclass T(Topology):\n    s = Spout.spec(undefined_name)\n")
        err = self.error(boom)
        self.assertEqual((err["file"], err["line"]), (boom, 4))
        self.assertEqual(err["message"], "NameError: name 'undefined_name' is not defined")

        misuse = self.write("misuse.py", "from squall.topology import *\ns = Spout.spec('sh')\nb = Bolt.spec('sh', inputs={s: 'nope'})\n")
        err = self.error(misuse)
        self.assertEqual((err["line"], err["message"]), (3, "not a grouping: 'nope'"))
        self.assertIn("shuffle", err["hint"])

    def test_choosing_the_class(self):
        path = self.write("two.py", """\
            from squall.topology import Spout, Topology

            class A(Topology):
                s = Spout.spec("sh", "a.sh")

            class B(Topology):
                s = Spout.spec("sh", "b.sh")
            """)
        err = self.error(path)
        self.assertEqual(err["message"], "two.py defines several topologies: A, B")
        self.assertEqual(err["hint"], "choose one with --class A")
        r = run_module(path, "--json", "--class", "B")
        self.assertEqual(json.loads(r.stdout)["spouts"][0]["shell"], ["sh", "b.sh"])
        self.assertEqual(self.error(path, "--class", "C")["message"], "two.py has no Topology subclass named C")
        none = self.write("none.py", "from squall.topology import Topology\nclass Empty(Topology):\n    pass\n")
        self.assertIn("defines no Topology subclass with components", self.error(none)["message"])

    def test_human_errors_go_to_stderr(self):
        path = self.write("bad.py", "from squall.topology import *\nfields()\n")
        r = run_module(path, "--yaml")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertIn("%s:2: error: fields() needs at least one field name" % path, r.stderr)


if __name__ == "__main__":
    unittest.main()
