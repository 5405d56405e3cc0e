"""Packing a topology for submission, as ``squall submit`` does (src/packages/create-package.ts):
the tar.gz of the topology's directory, deterministic (sorted entries, fixed mtime, no owners,
modes 0644/0755, a gzip header without time or name), with the same entries in the same order
as the TypeScript packer. Entries nimbus's safe extraction would refuse are refused here, all
named at once, so the user hears about them before anything is uploaded.

A Python DSL topology (``topology.py``, see :mod:`squall.topology`) is run here, in this
process, and the package carries the spec it generates as ``<file>.json`` beside it: the
cluster never runs the user's Python to learn the topology.

Standard library only: :mod:`squall.client` uses it, and so can code without grpcio.
"""

import gzip
import io
import json
import os
import re
import stat
import sys
import tarfile
from dataclasses import dataclass

from ._client_errors import SquallClientError, usage_error

__all__ = [
    "pack_directory", "list_package_files", "locate_topology", "topology_name", "pack_topology",
    "python_topology_spec", "generated_spec_name", "PackedTopology", "DEFINITION_NAMES", "DEFAULT_SKIP",
    "SquallClientError",
]

#: Directory names never packed, at any depth (as ``squall submit`` does).
DEFAULT_SKIP = ("node_modules", ".git", "__pycache__", ".cache")
#: The mtime of every entry (2000-01-01T00:00:00Z), so packing is reproducible.
PACKAGE_MTIME = 946684800
MAX_ENTRIES = 10000
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_PATH_BYTES = 1024
MAX_SEGMENT_BYTES = 255
MAX_DEPTH = 64
#: How many refused entries an error lists before "and N more".
MAX_LISTED = 10
_CONTROL = re.compile(u"[\u0000-\u001f\u007f-\u009f]")
#: Definition files looked for, in order, in a directory (the ``.py`` one is the Python DSL).
DEFINITION_NAMES = ("topology.yaml", "topology.yml", "topology.json", "topology.py")


# ---------------------------------------------------------------- packing

def _name_problem(rel):
    """Why nimbus's safe extraction would refuse this entry path, or None."""
    if _CONTROL.search(rel):
        return "%s: path contains a control character" % json.dumps(rel)
    if "\\" in rel:
        return "%s: path contains a backslash (a separator on Windows)" % json.dumps(rel)
    if len(rel.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
        return "%s: path longer than %d bytes" % (json.dumps(rel), MAX_PATH_BYTES)
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return "%s: path is not valid UTF-8" % json.dumps(rel)
    segments = rel.split("/")
    if any(len(s.encode("utf-8")) > MAX_SEGMENT_BYTES for s in segments):
        return "%s: path segment longer than %d bytes" % (json.dumps(rel), MAX_SEGMENT_BYTES)
    if len(segments) > MAX_DEPTH:
        return "%s: path deeper than %d levels" % (json.dumps(rel), MAX_DEPTH)
    return None


def _code_unit_order(name):
    # The TypeScript packer sorts by UTF-16 code units; the same order gives the same bytes.
    return name.encode("utf-16-be", "surrogatepass")


class _Walk(object):
    """One walk of a topology directory: the paths in archive order and every problem found,
    to report them all at once (limits raise at once instead: no point walking on)."""

    def __init__(self, root, skip):
        self.root, self.skip = root, frozenset(skip)
        self.paths, self.problems = [], []
        self.entries = self.bytes = 0

    def directory(self, rel):
        names = sorted(os.listdir(os.path.join(self.root, rel) if rel else self.root), key=_code_unit_order)
        for name in names:
            if name not in self.skip:
                self.entry(rel + "/" + name if rel else name)

    def entry(self, path):
        problem = _name_problem(path)
        if problem:
            self.problems.append(problem)
            return
        st = os.lstat(os.path.join(self.root, path))
        if stat.S_ISLNK(st.st_mode):
            self.problems.append("%s is a symbolic link (packages may not contain links; copy the file instead)" % json.dumps(path))
        elif stat.S_ISDIR(st.st_mode):
            self.count(0)
            self.paths.append(path + "/")
            self.directory(path)
        elif stat.S_ISREG(st.st_mode):
            self.count(st.st_size)
            self.paths.append(path)
        else:
            self.problems.append("%s is not a regular file or directory" % json.dumps(path))

    def extra(self, rel, size):
        """A file packed from memory: checked like the others, and against them."""
        problem = _name_problem(rel)
        parent = rel.rsplit("/", 1)[0] + "/" if "/" in rel else None
        if problem:
            self.problems.append(problem)
        elif rel in self.paths or rel + "/" in self.paths:
            self.problems.append("%s would be packed twice: the directory already has it (rename or move that file)" % json.dumps(rel))
        elif parent is not None and parent not in self.paths:
            self.problems.append("%s is in a directory that is not packed" % json.dumps(rel))
        else:
            self.count(size)
            self.paths.append(rel)

    def count(self, size):
        self.entries += 1
        self.bytes += size
        if self.entries > MAX_ENTRIES:
            raise usage_error("cannot package %s: more than %d files and directories" % (self.root, MAX_ENTRIES))
        if self.bytes > MAX_TOTAL_BYTES:
            raise usage_error("cannot package %s: more than %d bytes" % (self.root, MAX_TOTAL_BYTES))

    def raise_problems(self):
        if not self.problems:
            return
        listed = self.problems[:MAX_LISTED]
        more = "\n  and %d more" % (len(self.problems) - len(listed)) if len(self.problems) > len(listed) else ""
        raise usage_error("cannot package %s:\n  %s%s" % (self.root, "\n  ".join(listed), more),
                          hint="remove or replace these entries, or move them out of the topology directory")


def _extras(extra_files):
    """[(path, bytes)] from a {path: content} dict or (path, content) pairs; str content is UTF-8."""
    pairs = extra_files.items() if isinstance(extra_files, dict) else extra_files
    return [(path, content.encode("utf-8") if isinstance(content, str) else bytes(content)) for path, content in pairs]


def _walk(directory, skip, extras):
    root = os.path.abspath(directory)
    if not os.path.isdir(root):
        raise usage_error("%s is not a directory" % root)
    walk = _Walk(root, skip)
    walk.directory("")
    for path, data in extras:
        walk.extra(path, len(data))
    walk.raise_problems()
    return root, walk.paths


def list_package_files(directory, skip=DEFAULT_SKIP, extra_files=()):
    """The relative paths :func:`pack_directory` packs, in archive order (a directory before its
    contents, directories ending with '/'; then the ``extra_files``). Raises SquallClientError
    (E_USAGE) listing every symlink, special file or unacceptable name, since nimbus would
    refuse the package."""
    return _walk(directory, skip, _extras(extra_files))[1]


def pack_directory(directory, skip=DEFAULT_SKIP, extra_files=()):
    """The tar.gz of ``directory``'s contents, then of ``extra_files`` (``{path: str or bytes}``
    or pairs: files packed from memory, e.g. a generated spec; each in a packed directory or
    at the top, and not one of the directory's own files). Only regular files and
    directories; see :func:`list_package_files` for what is refused."""
    extras = _extras(extra_files)
    root, paths = _walk(directory, skip, extras)
    on_disk = paths[:len(paths) - len(extras)]
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for rel in on_disk:
                _add_entry(tar, root, rel)
            for rel, data in extras:
                tar.addfile(_header(rel, tarfile.REGTYPE, 0o644, len(data)), io.BytesIO(data))
    return out.getvalue()


def _header(name, kind, mode, size=0):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size = kind, mode, size
    info.mtime = PACKAGE_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _add_entry(tar, root, rel):
    path = os.path.join(root, rel.rstrip("/"))
    if rel.endswith("/"):
        tar.addfile(_header(rel.rstrip("/"), tarfile.DIRTYPE, 0o755))
        return
    st = os.lstat(path)
    with open(path, "rb") as f:
        tar.addfile(_header(rel, tarfile.REGTYPE, 0o755 if st.st_mode & 0o111 else 0o644, st.st_size), f)


# ---------------------------------------------------------------- what a submit packs

def locate_topology(target):
    """(package root, definition path inside it) for a topology directory or file."""
    path = os.path.abspath(target)
    if not os.path.exists(path):
        raise usage_error("no such file or directory: %s" % target)
    if not os.path.isdir(path):
        return os.path.dirname(path), os.path.basename(path)
    for name in DEFINITION_NAMES:
        if os.path.isfile(os.path.join(path, name)):
            return path, name
    raise usage_error("%s has no %s" % (target, " / ".join(DEFINITION_NAMES)), hint="name the topology file instead of the directory")


def topology_name(path):
    """The top-level ``name`` of a topology file (YAML or JSON), or None when it has none.
    Only the name is read here; nimbus validates the whole definition at submit."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json"):
        try:
            value = json.loads(text).get("name")
        except (ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None
    match = re.search(r"^name:[ \t]*(?:\"([^\"]*)\"|'([^']*)'|([^\s#]+))[ \t]*(?:#.*)?$", text, re.M)
    return next((g for g in match.groups() if g is not None), None) if match else None


def generated_spec_name(python_file):
    """The package entry holding the spec generated from a Python topology file: beside it,
    so relative paths in it resolve alike."""
    return python_file + ".json"


def python_topology_spec(path, class_name=None):
    """(document, JSON text) of the topology the Python DSL file at ``path`` defines
    (``class_name`` when it defines several). Runs the file in this process, with its
    directory on ``sys.path`` and no bytecode written beside it. The text is what
    ``squall submit`` packs: the document indented by 2, then a newline."""
    from ._topology_cli import describe_error, load_topology  # the DSL only when a .py is submitted

    path = os.path.abspath(path)
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        doc = load_topology(path, class_name).to_dict()
    except Exception as exc:  # noqa: BLE001 - every failure of the user's file is reported
        raise _python_failure(describe_error(exc, path)) from exc
    finally:
        sys.dont_write_bytecode = dont_write
    return doc, json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _python_failure(err):
    where = "%s:%s" % (err["file"], err["line"]) if "line" in err else err.get("file", "")
    context = {k: err[k] for k in ("file", "line") if k in err}
    return usage_error("cannot load Python topology%s: %s" % (" " + where if where else "", err["message"]),
                       hint=err.get("hint"), context=context)


@dataclass(frozen=True)
class PackedTopology:
    """A topology ready to upload: what :func:`pack_topology` made."""
    name: str
    #: The directory that was packed, absolute.
    directory: str
    #: The definition's path inside the package ('/'-separated): the generated spec for a .py.
    topology_file: str
    data: bytes


def pack_topology(target, name=None, class_name=None):
    """Locates the definition (``target`` is a topology file or a directory holding one of
    :data:`DEFINITION_NAMES`), finds its name (unless ``name`` is given) and packs its
    directory. A ``.py`` definition is run (:func:`python_topology_spec`) and its spec packed
    as ``<file>.json``, the definition then submitted."""
    directory, file = locate_topology(target)
    definition = os.path.join(directory, file)
    extras = ()
    if file.endswith(".py"):
        doc, text = python_topology_spec(definition, class_name)
        file = generated_spec_name(file)
        extras = [(file, text)]
        found = doc.get("name") if isinstance(doc.get("name"), str) else None
    elif class_name is not None:
        raise usage_error("class_name applies to Python topologies only", hint="%s is not a .py file" % definition)
    else:
        found = topology_name(definition)
    name = name or found
    if not name:
        raise usage_error("%s has no top-level name" % definition, hint="pass name=...")
    data = pack_directory(directory, extra_files=extras)
    return PackedTopology(name=name, directory=directory, topology_file=file.replace(os.sep, "/"), data=data)

