"""Topologies in Python, streamparse style: a class whose attributes are the components.

.. code-block:: python

    from squall.topology import Bolt, Spout, Topology, fields, shuffle

    class WordCount(Topology):
        name = "wordcount"
        config = {"topology.max.spout.pending": 500}

        sentences = Spout.spec("python3", "sentence_spout.py", outputs=["sentence"])
        split = Bolt.spec("python3", "split_bolt.py", inputs={sentences: shuffle},
                          outputs=["word"], par=2)
        count = Bolt.spec("python3", "count_bolt.py", inputs={split: fields("word")},
                          outputs=["word", "count"], par=2)

``squall run topology.py`` and ``squall submit topology.py`` read such a file, and so does
``squall.client.Client.submit``; ``python3 -m squall.topology topology.py --yaml`` (or
``--json``) prints the topology in Squall's native format (squall._topology_cli), and so does
``WordCount.to_yaml()`` (the emitter is squall._yaml).

This module only builds the document and catches misuse of the DSL itself (a grouping that
is not a grouping, an input from a spec that is not in the topology); Squall validates the
topology (ids, streams, grouped fields, config keys) when it loads the document, so each rule
has one home. Standard library only.
"""

import ast
import json
import os
import sys

from . import _yaml
# Groupings, streams and implementations live in _specs; they are public here, in __all__.
from ._specs import (
    DEFAULT_STREAM, Grouping, Grpc, Js, Stream, StreamRef, TopologyError, _caller, _grouping, _implementation,
    all_, direct, fields, global_, local_or_shuffle, none, partial_key, shuffle,
)

__all__ = [
    "Topology", "Spout", "Bolt", "Stream", "Js", "Grpc", "Grouping", "TopologyError",
    "shuffle", "fields", "partial_key", "all_", "global_", "none", "direct", "local_or_shuffle",
    "to_yaml",
]


# ------------------------------------------------------------------------------ component specs

class ComponentSpec(object):
    """A spout or bolt of a topology, made by ``Spout.spec()`` / ``Bolt.spec()``; its id is
    the class attribute it is assigned to (or ``name=``)."""

    def __init__(self, kind, impl, name, inputs, outputs, par, tasks, config, env):
        self.where = _caller()
        self.kind = kind
        self.impl = impl
        self.name = name
        self.id = None
        self.inputs = _inputs(inputs, self.where) if kind == "bolt" else []
        self.outputs = _outputs(outputs, self.where)
        self.par = par
        self.tasks = tasks
        self.config = _component_config(config, env, self.where)

    def __getitem__(self, stream):
        """``spec["errors"]``: the component's stream named errors, for another bolt's inputs."""
        if not isinstance(stream, str) or not stream:
            raise TopologyError("a stream is named by a non-empty string, got %r" % (stream,), _caller())
        return StreamRef(self, stream)

    def __repr__(self):
        return "<%s %s>" % (self.kind, self.id or self.name or "(not in a topology)")

    def to_native(self):
        kind, impl = self.impl.to_native()
        out = {"id": self.id, kind: impl}
        if self.par is not None:
            out["parallelism"] = self.par
        if self.tasks is not None:
            out["numTasks"] = self.tasks
        if self.outputs is not None:
            out["outputs"] = self.outputs
        if self.config:
            out["config"] = _json_value(self.config, 'config of "%s"' % self.id, self.where)
        if self.kind == "bolt":
            out["inputs"] = [self._input(source, grouping) for source, grouping in self.inputs]
        return out

    def _input(self, source, grouping):
        component, stream = (source.component, source.stream) if isinstance(source, StreamRef) else (source, DEFAULT_STREAM)
        ref = component if isinstance(component, str) else component.id
        native = {"from": ref}
        if stream != DEFAULT_STREAM:
            native["stream"] = stream
        native["grouping"] = grouping.to_native()
        return native


def _inputs(inputs, where):
    """[(source, Grouping)] from a list (shuffle for each) or a {source: grouping} dict."""
    if inputs is None:
        return []
    if isinstance(inputs, (ComponentSpec, StreamRef, str)):
        inputs = [inputs]
    if isinstance(inputs, dict):
        pairs = list(inputs.items())
    elif isinstance(inputs, (list, tuple)):
        pairs = [(source, shuffle) for source in inputs]
    else:
        raise TopologyError("inputs must be a list of components or a {component: grouping} dict, got %r" % (inputs,), where)
    out = []
    for source, grouping in pairs:
        if not isinstance(source, (ComponentSpec, StreamRef, str)):
            raise TopologyError("an input is a component spec, spec[\"stream\"] or a component id, got %r" % (source,), where,
                                "e.g. inputs={sentences: shuffle} or inputs={split[\"errors\"]: shuffle}")
        out.append((source, _grouping(grouping, where)))
    return out


def _outputs(outputs, where):
    """The native "outputs": a list of fields (default stream only) or a map of streams."""
    if outputs is None:
        return None
    if isinstance(outputs, (str, Stream)):
        outputs = [outputs]
    if not isinstance(outputs, (list, tuple)):
        raise TopologyError("outputs must be a list of field names or of Stream(...), got %r" % (outputs,), where)
    streams = [o for o in outputs if isinstance(o, Stream)]
    if not streams:
        return list(outputs)
    if len(streams) != len(outputs):
        raise TopologyError("outputs mixes field names and Stream(...)", where,
                            "declare the default stream as Stream([...]) too")
    if len(streams) == 1 and streams[0].name == DEFAULT_STREAM and not streams[0].direct:
        return list(streams[0].fields)
    native = {}
    for s in streams:
        if s.name in native:
            raise TopologyError("stream \"%s\" is declared twice" % s.name, where)
        native[s.name] = {"fields": s.fields, "direct": True} if s.direct else s.fields
    return native


def _component_config(config, env, where):
    if config is not None and not isinstance(config, dict):
        raise TopologyError("config must be a dict, got %r" % (config,), where)
    config = dict(config or {})
    if env is not None:
        if not isinstance(env, dict):
            raise TopologyError("env must be a dict of strings, got %r" % (env,), where)
        # Squall's hosts add topology.environment to a component's subprocess environment.
        merged = dict(config.get("topology.environment") or {})
        merged.update(env)
        config["topology.environment"] = merged
    return config


class Spout(object):
    """``Spout.spec(...)`` declares a spout of a topology."""

    @classmethod
    def spec(cls, *command, name=None, outputs=None, par=None, tasks=None, config=None, env=None):
        """A spout. ``command``: the program and its arguments (``"python3", "spout.py"``, or
        one list), or ``Js(...)`` / ``Grpc(...)``. ``outputs``: field names of the default
        stream, or ``Stream(...)``s. ``par``: executors (parallelism hint); ``tasks``: tasks
        (default ``par``). ``config``: per-component config. ``env``: environment variables
        for the component's process. ``name``: the id, when not the attribute name."""
        return ComponentSpec("spout", _implementation(command), name, None, outputs, par, tasks, config, env)


class Bolt(object):
    """``Bolt.spec(...)`` declares a bolt of a topology."""

    @classmethod
    def spec(cls, *command, name=None, inputs=None, outputs=None, par=None, tasks=None, config=None, env=None):
        """A bolt; as :meth:`Spout.spec`, plus ``inputs``: a list of specs (shuffle grouping),
        or a dict ``{spec: grouping}``; ``spec["stream"]`` subscribes to a named stream."""
        return ComponentSpec("bolt", _implementation(command), name, inputs, outputs, par, tasks, config, env)


# ------------------------------------------------------------------------------ topologies

_RESERVED = frozenset(["name", "config", "specs", "to_dict", "to_json", "to_yaml"])


class Topology(object):
    """Subclass it; each ``Spout.spec`` / ``Bolt.spec`` class attribute is a component, in
    definition order. ``name`` (default: the class name) and ``config`` are the topology's."""

    name = None
    config = {}
    #: The components, in definition order (base classes' first).
    specs = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._squall_where = _caller()
        cls.specs = tuple(_collect_specs(cls))

    @classmethod
    def to_dict(cls):
        """The topology in Squall's native format, as plain data."""
        doc = {"name": cls.name if cls.name is not None else cls.__name__}
        if cls.config:
            doc["config"] = _json_value(cls.config, "config", _attribute_where(cls, "config"))
        doc["spouts"] = [s.to_native() for s in cls.specs if s.kind == "spout"]
        bolts = [s.to_native() for s in cls.specs if s.kind == "bolt"]
        if bolts:
            doc["bolts"] = bolts
        return doc

    @classmethod
    def to_json(cls, indent=2):
        return json.dumps(cls.to_dict(), indent=indent)

    @classmethod
    def to_yaml(cls):
        where = getattr(cls, "_squall_where", None)
        source = " from %s" % os.path.basename(where[0]) if where else ""
        return "# generated by squall.topology%s (class %s)\n%s" % (source, cls.__name__, to_yaml(cls.to_dict()))


def _collect_specs(cls):
    names = []
    for klass in reversed(cls.__mro__):
        names.extend(k for k, v in vars(klass).items() if isinstance(v, ComponentSpec) and k not in names)
    specs = [(k, getattr(cls, k)) for k in names if isinstance(getattr(cls, k), ComponentSpec)]
    for attr, spec in specs:
        if attr in _RESERVED:
            raise TopologyError("a component cannot be called \"%s\" (a Topology attribute)" % attr, spec.where,
                                "rename the attribute, or keep it and pass name=\"%s\"" % attr)
        component_id = spec.name if spec.name is not None else attr
        if spec.id is not None and spec.id != component_id:
            raise TopologyError("the same spec is assigned to \"%s\" and \"%s\"" % (spec.id, component_id), spec.where,
                                "call Spout.spec()/Bolt.spec() once per component")
        spec.id = component_id
    members = set(id(s) for _, s in specs)
    for _, spec in specs:
        for source, _ in spec.inputs:
            target = source.component if isinstance(source, StreamRef) else source
            if isinstance(target, ComponentSpec) and id(target) not in members:
                raise TopologyError("bolt \"%s\" has an input from a spec that is not part of topology %s"
                                    % (spec.id, cls.__name__), spec.where,
                                    "assign every spec to an attribute of the topology class")
    return [s for _, s in specs]


def _attribute_where(cls, attr):
    """(file, line) of ``attr = ...`` in the class body, else of the class statement."""
    where = getattr(cls, "_squall_where", None)
    if not where:
        return None
    try:
        with open(where[0], encoding="utf-8") as f:
            tree = ast.parse(f.read(), where[0])
    except (OSError, SyntaxError, ValueError):
        return where
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            for stmt in node.body:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
                if any(isinstance(t, ast.Name) and t.id == attr for t in targets):
                    return (where[0], stmt.lineno)
    return where


def _json_value(value, what, where):
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TopologyError("%s is not plain data (JSON): %s" % (what, e), where,
                            "use strings, numbers, booleans, None, lists and dicts with string keys")
    return value


# ------------------------------------------------------------------------------ YAML and files

def to_yaml(doc):
    """A topology document (``Topology.to_dict()``) as YAML: block style, short lists and
    maps inline, strings quoted only when YAML could read them as something else."""
    try:
        return _yaml.dump(doc)
    except _yaml.UnrepresentableValue as e:
        raise TopologyError(str(e)) from None


def load_topology(path, class_name=None):
    """The Topology subclass defined in the file at ``path`` (``class_name`` when several).
    The file's directory goes first on ``sys.path``, so it can import its neighbours."""
    from ._topology_cli import load_topology as load  # it imports this module: not at the top
    return load(path, class_name)


def main(argv=None):
    """``python3 -m squall.topology``; see :mod:`squall._topology_cli`."""
    from ._topology_cli import main as cli_main
    return cli_main(argv)


if __name__ == "__main__":
    # Run as a module this file is __main__; the user's file imports squall.topology, and the
    # classes must be the same, so use that module's command line.
    from squall._topology_cli import main as _main
    sys.exit(_main())
