"""The values a :mod:`squall.topology` class is built from: groupings (``shuffle``,
``fields("word")``), output streams (``Stream``), stream references (``spec["errors"]``) and
implementations (a command, ``Js(...)``, ``Grpc(...)``), with the DSL's error type. Private:
import them from squall.topology, which re-exports each. Standard library only.
"""

import os
import sys

DEFAULT_STREAM = "default"

# Frames in the DSL's own files are never where the user wrote the call.
_DSL_FILES = frozenset([__file__, os.path.join(os.path.dirname(__file__), "topology.py")])


class TopologyError(ValueError):
    """The DSL was misused. ``where`` is ``(file, line)`` of the definition at fault, when
    known; ``hint`` says what to do instead."""

    def __init__(self, message, where=None, hint=None):
        super().__init__(message)
        self.where = where
        self.hint = hint


def _caller():
    """(file, line) of the first frame outside the DSL's files: where the user wrote the call."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename in _DSL_FILES:
        frame = frame.f_back
    return (frame.f_code.co_filename, frame.f_lineno) if frame is not None else None


# ------------------------------------------------------------------------------ groupings

class Grouping(object):
    """How a subscribed stream is split among the bolt's tasks. Use the module constants
    (``shuffle``, ``all_``, ``global_``, ``none``, ``direct``, ``local_or_shuffle``) and
    ``fields("word")`` / ``partial_key("user")``; streamparse's spellings
    ``Grouping.SHUFFLE`` and ``Grouping.fields("word")`` work too."""

    __slots__ = ("type", "field_names")

    def __init__(self, type_, field_names=()):
        self.type = type_
        self.field_names = tuple(field_names)

    def to_native(self):
        return {self.type: list(self.field_names)} if self.field_names else self.type

    def __eq__(self, other):
        return isinstance(other, Grouping) and (self.type, self.field_names) == (other.type, other.field_names)

    def __hash__(self):
        return hash((self.type, self.field_names))

    def __repr__(self):
        if self.field_names:
            return "%s(%s)" % (self.type, ", ".join(repr(f) for f in self.field_names))
        return _CONSTANT_NAMES.get(self.type, self.type)

    @staticmethod
    def fields(*names):
        """Tuples with equal values of these fields go to the same task."""
        return Grouping("fields", _grouping_fields("fields", names))

    @staticmethod
    def partial_key(*names):
        """Like ``fields`` but each key is spread over two tasks, the less loaded one chosen."""
        return Grouping("partial_key", _grouping_fields("partial_key", names))


def _grouping_fields(kind, names):
    # fields("a", "b") and fields(["a", "b"]) both read naturally; accept either.
    if len(names) == 1 and isinstance(names[0], (list, tuple)):
        names = tuple(names[0])
    if not names:
        raise TopologyError("%s() needs at least one field name" % kind, _caller(), "e.g. %s(\"word\")" % kind)
    for name in names:
        if not isinstance(name, str) or not name:
            raise TopologyError("%s() takes field names (non-empty strings), got %r" % (kind, name), _caller())
    return names


shuffle = Grouping.SHUFFLE = Grouping("shuffle")
all_ = Grouping.ALL = Grouping("all")
global_ = Grouping.GLOBAL = Grouping("global")
none = Grouping.NONE = Grouping("none")
direct = Grouping.DIRECT = Grouping("direct")
local_or_shuffle = Grouping.LOCAL_OR_SHUFFLE = Grouping("local_or_shuffle")
fields = Grouping.fields
partial_key = Grouping.partial_key
_CONSTANT_NAMES = {"shuffle": "shuffle", "all": "all_", "global": "global_", "none": "none",
                   "direct": "direct", "local_or_shuffle": "local_or_shuffle"}


def _grouping(grouping, where):
    if isinstance(grouping, Grouping):
        return grouping
    if grouping is Grouping.fields or grouping is Grouping.partial_key:
        name = grouping.__name__
        raise TopologyError("%s grouping needs field names" % name, where, "write %s(\"word\")" % name)
    if isinstance(grouping, str) and grouping in _CONSTANT_NAMES:
        return Grouping(grouping)
    raise TopologyError("not a grouping: %r" % (grouping,), where,
                        "use shuffle, fields(\"f\"), partial_key(\"f\"), all_, global_, none, direct or local_or_shuffle")


# ------------------------------------------------------------------------------ streams

class Stream(object):
    """An output stream: ``Stream(["word"])`` is the default stream,
    ``Stream(["msg"], name="errors")`` a named one, ``direct=True`` a direct stream."""

    def __init__(self, fields=(), name=DEFAULT_STREAM, direct=False):
        if isinstance(fields, str):
            raise TopologyError("Stream fields must be a list of names, got the string %r" % fields, _caller(),
                                "write Stream([%r])" % fields)
        if not isinstance(name, str):
            raise TopologyError("Stream name must be a string, got %r" % (name,), _caller())
        self.fields = list(fields)
        self.name = name
        self.direct = bool(direct)

    def __repr__(self):
        return "Stream(%r, name=%r%s)" % (self.fields, self.name, ", direct=True" if self.direct else "")


class StreamRef(object):
    """One stream of a component, for ``inputs``: ``split["errors"]``."""

    __slots__ = ("component", "stream")

    def __init__(self, component, stream):
        self.component = component
        self.stream = stream

    def __eq__(self, other):
        return isinstance(other, StreamRef) and (self.component, self.stream) == (other.component, other.stream)

    def __hash__(self):
        return hash((id(self.component), self.stream))

    def __repr__(self):
        return "%r[%r]" % (self.component, self.stream)


# ------------------------------------------------------------------------------ implementations

class Js(object):
    """An in-process JavaScript component: ``Js("./bolt.js", export="Upper", args=[...])``;
    a path relative to the topology file, or a package name."""

    def __init__(self, module, export=None, args=None):
        if not isinstance(module, str) or not module:
            raise TopologyError("Js() needs a module path or package name, got %r" % (module,), _caller())
        self.module = module
        self.export = export
        self.args = args

    def to_native(self):
        js = {"module": self.module}
        if self.export is not None:
            js["export"] = self.export
        if self.args is not None:
            js["args"] = list(self.args)
        return "js", js


class Grpc(object):
    """A gRPC component service: ``Grpc(command=["python3", "svc.py"])`` is started by
    Squall for each task; ``Grpc(address="host:port")`` is already running."""

    def __init__(self, command=None, address=None):
        if (command is None) == (address is None):
            raise TopologyError("Grpc() takes command=[...] or address=\"host:port\", exactly one", _caller())
        self.command = _command(command) if command is not None else None
        self.address = address

    def to_native(self):
        return "grpc", ({"command": self.command} if self.command is not None else {"address": self.address})


class _Shell(object):
    def __init__(self, command):
        self.command = command

    def to_native(self):
        return "shell", self.command


def _command(command):
    if isinstance(command, str):
        command = [command]
    if not isinstance(command, (list, tuple)) or not all(isinstance(a, str) for a in command):
        raise TopologyError("a command is a list of strings (the program and its arguments), got %r" % (command,),
                            _caller(), "e.g. [\"python3\", \"bolt.py\"]; commands run without a shell")
    return list(command)


def _implementation(args):
    """The positional arguments of spec(): a command (strings, or one list) or one Js/Grpc."""
    if len(args) == 1 and isinstance(args[0], (Js, Grpc)):
        return args[0]
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        return _Shell(_command(args[0]))
    if not args:
        raise TopologyError("no implementation: give a command, Js(...) or Grpc(...)", _caller(),
                            "e.g. Bolt.spec(\"python3\", \"bolt.py\", ...); Bolt.spec(Grpc(address=\"host:port\"), ...)")
    return _Shell(_command(list(args)))


# Documented, printed in tracebacks and pickled as squall.topology's, where users import them.
for _cls in (TopologyError, Grouping, Stream, StreamRef, Js, Grpc):
    _cls.__module__ = "squall.topology"
del _cls
