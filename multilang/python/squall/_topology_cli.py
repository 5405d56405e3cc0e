"""Loading a Python topology file, and ``python3 -m squall.topology``: prints the topology a
file defines in Squall's native format (``--yaml``, ``--json``), or, for ``squall run`` and
``squall submit`` (src/local/load-python-topology.ts), an envelope with the document and where
each part was written, or the error with its file and line. :mod:`squall.package` loads
topologies in-process through the same functions. The DSL itself is :mod:`squall.topology`.
"""

import argparse
import importlib.util
import json
import os
import sys
import traceback

from . import _specs, _yaml, topology
from .topology import Topology, TopologyError, _attribute_where as attribute_where

# Frames in these files are Squall's, never where the user went wrong.
_OWN_FILES = frozenset([__file__, topology.__file__, _specs.__file__, _yaml.__file__])


def load_topology(path, class_name=None):
    """The Topology subclass defined in the file at ``path`` (``class_name`` when several).
    The file's directory goes first on ``sys.path``, so it can import its neighbours."""
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location("__squall_topology__", path)
    if spec is None or spec.loader is None:
        raise TopologyError("cannot load %s as Python" % path, hint="name a .py file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return _pick_class(module, path, class_name)


def _pick_class(module, path, class_name):
    found = [v for v in vars(module).values()
             if isinstance(v, type) and issubclass(v, Topology) and v is not Topology and v.specs]
    if class_name is not None:
        cls = getattr(module, class_name, None)
        if isinstance(cls, type) and issubclass(cls, Topology):
            return cls
        names = ", ".join(c.__name__ for c in found) or "none"
        raise TopologyError("%s has no Topology subclass named %s" % (os.path.basename(path), class_name), (path, None),
                            "topologies in the file: %s" % names)
    if not found:
        raise TopologyError("%s defines no Topology subclass with components" % os.path.basename(path), (path, None),
                            "define class MyTopology(Topology): with Spout.spec(...) and Bolt.spec(...) attributes")
    if len(found) > 1:
        names = ", ".join(c.__name__ for c in found)
        raise TopologyError("%s defines several topologies: %s" % (os.path.basename(path), names), (path, None),
                            "choose one with --class %s" % found[0].__name__)
    return found[0]


def _positions(cls):
    """Where each part of the document was written, for messages about it."""
    spouts = [s.where for s in cls.specs if s.kind == "spout"]
    bolts = [s.where for s in cls.specs if s.kind == "bolt"]
    return {"topology": cls._squall_where, "config": attribute_where(cls, "config"), "spouts": spouts, "bolts": bolts}


def describe_error(exc, path):
    """{message, file, line, hint} for an exception raised while loading ``path``."""
    if isinstance(exc, TopologyError):
        where = exc.where or _user_frame(exc, path)
        return _error(str(exc), where, exc.hint)
    if isinstance(exc, SyntaxError):
        hint = (exc.text or "").strip() or None
        return _error("%s: %s" % (type(exc).__name__, exc.msg), (exc.filename or path, exc.lineno), hint and "at: %s" % hint)
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return _error(text, _user_frame(exc, path), None)


def _error(message, where, hint):
    err = {"message": message}
    if where:
        err["file"] = where[0]
        if where[1] is not None:
            err["line"] = where[1]
    if hint:
        err["hint"] = hint
    return err


def _user_frame(exc, path):
    """The innermost frame in the topology file, else the innermost outside Squall's DSL."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename not in _OWN_FILES]
    in_file = [f for f in frames if os.path.abspath(f.filename) == path]
    best = (in_file or frames or [None])[-1]
    return (best.filename, best.lineno) if best is not None else (path, None)


def _arguments(argv):
    p = argparse.ArgumentParser(prog="python3 -m squall.topology",
                                description="Print a Python topology in Squall's native format.")
    p.add_argument("file", help="a .py file defining a Topology subclass")
    p.add_argument("--class", dest="class_name", help="the Topology subclass, when the file defines several")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--yaml", action="store_const", const="yaml", dest="format", help="YAML, for people (default)")
    out.add_argument("--json", action="store_const", const="json", dest="format", help="JSON, for programs")
    out.add_argument("--envelope", action="store_const", const="envelope", dest="format",
                     help="for squall run/submit: one JSON object, {topology, positions} or {error}")
    return p.parse_args(argv)


def main(argv=None):
    args = _arguments(sys.argv[1:] if argv is None else argv)
    path = os.path.abspath(args.file)
    # Loading a topology must leave no __pycache__ in the user's directory.
    sys.dont_write_bytecode = True
    stdout = sys.stdout
    try:
        # What the topology file prints must not corrupt the document on stdout.
        sys.stdout = sys.stderr
        try:
            cls = load_topology(path, args.class_name)
            doc = cls.to_dict()
            positions = _positions(cls)
        finally:
            sys.stdout = stdout
    except Exception as exc:  # noqa: BLE001 - every failure of the user's file is reported
        return _fail(describe_error(exc, path), args.format == "envelope", exc)
    if args.format == "envelope":
        stdout.write(json.dumps({"topology": doc, "positions": positions}) + "\n")
    elif args.format == "json":
        stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        stdout.write(cls.to_yaml())
    return 0


def _fail(err, envelope, exc):
    if envelope:
        sys.stdout.write(json.dumps({"error": err}) + "\n")
        return 1
    if not isinstance(exc, (TopologyError, SyntaxError)):
        traceback.print_exception(type(exc), exc, exc.__traceback__)
    where = "%s:%s: " % (err["file"], err["line"]) if "line" in err else "%s: " % err["file"] if "file" in err else ""
    sys.stderr.write("%serror: %s\n" % (where, err["message"]))
    if "hint" in err:
        sys.stderr.write("  hint: %s\n" % err["hint"])
    return 1
