"""A client of a Squall cluster: submit a topology directory, list, describe, activate,
deactivate, rebalance, kill, and wait for a topology to reach a state. It speaks the cluster
API (``proto/squall/v1/cluster.proto``) to nimbus over gRPC, like the ``squall`` command does.

Part of the optional gRPC extra: ``pip install 'squall[grpc]'``.

.. code-block:: python

    from squall.client import Client

    with Client("127.0.0.1:6627") as squall:
        squall.submit("python-examples/wordcount", config={"topology.workers": 2})
        done = squall.wait_for("wordcount", lambda t: t.spout_acked >= 1000, timeout=60)
        print(done.status, done.spout_acked)
        squall.kill("wordcount", wait_secs=0)

Calls follow a non-leader nimbus to the leader it names (trailing metadata ``squall-leader``)
and try the next configured address when one cannot be reached. Failures raise
:class:`SquallClientError` carrying Squall's stable code (``squall-error-code``) and hint.
"""

import gzip
import hashlib
import io
import json
import os
import re
import stat
import tarfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List
from urllib.parse import unquote

__all__ = [
    "Client", "SquallClientError", "DEFAULT_NIMBUS", "pack_directory", "list_package_files", "locate_topology",
    "TopologySummary", "TopologyDetails", "WorkerSummary", "ComponentStats", "ComponentErrorInfo",
    "NimbusSummary", "SupervisorSummary", "ClusterSummary", "SubmitResult", "ActionResult", "KillResult",
]

#: Where the ``squall`` command goes without a config: nimbus.seeds' default host on port 6627.
DEFAULT_NIMBUS = "localhost:6627"
DEFAULT_PORT = 6627
#: Seconds a unary call may take (the TypeScript client's 10 s).
DEFAULT_TIMEOUT = 10.0
#: Seconds an upload may take.
DEFAULT_UPLOAD_TIMEOUT = 600.0
#: Leader redirects per call: enough for a leader change during the call, not a loop.
MAX_REDIRECTS = 2
CHUNK_BYTES = 64 * 1024
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
#: Storm's topology.message.timeout.secs: the kill wait when neither the call nor the topology says.
DEFAULT_MESSAGE_TIMEOUT_SECS = 30
#: Seconds a kill waiting for removal gets beyond its wait: stopping workers is not instant.
REMOVAL_SLACK_SECS = 60

# ---------------------------------------------------------------- errors

# gRPC status -> Squall code, for statuses that arrive without squall-error-code (src/rpc/errors.ts).
_STATUS_TO_CODE = {
    "CANCELLED": "E_RPC_CANCELLED", "UNKNOWN": "E_RPC_INTERNAL", "INVALID_ARGUMENT": "E_USAGE",
    "DEADLINE_EXCEEDED": "E_RPC_DEADLINE", "NOT_FOUND": "E_NOT_FOUND", "ALREADY_EXISTS": "E_ALREADY_EXISTS",
    "PERMISSION_DENIED": "E_PERMISSION_DENIED", "RESOURCE_EXHAUSTED": "E_RPC_TOO_LARGE",
    "FAILED_PRECONDITION": "E_RPC_FAILED_PRECONDITION", "ABORTED": "E_RPC_ABORTED", "OUT_OF_RANGE": "E_RPC_OUT_OF_RANGE",
    "UNIMPLEMENTED": "E_RPC_UNIMPLEMENTED", "INTERNAL": "E_RPC_INTERNAL", "UNAVAILABLE": "E_NIMBUS_UNREACHABLE",
    "DATA_LOSS": "E_RPC_INTERNAL", "UNAUTHENTICATED": "E_UNAUTHENTICATED",
}
_RETRIABLE_STATUSES = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED"}
_UNREACHABLE_REASONS = [
    (re.compile(r"Connection refused|ECONNREFUSED"), "connection refused"),
    (re.compile(r"DNS resolution failed|Name resolution|ENOTFOUND|not known"), "host name not found"),
    (re.compile(r"timed out|Timeout", re.I), "connection timed out"),
    (re.compile(r"No route to host|Network is unreachable"), "host unreachable"),
    (re.compile(r"Connection reset|Socket closed|GOAWAY", re.I), "connection lost"),
]
# Failures before anything reached a server: safe to send the call elsewhere, even a submit.
_NEVER_SENT = re.compile(r"Connection refused|DNS resolution failed|Name resolution|failed to connect to all addresses", re.I)


class SquallClientError(Exception):
    """A failed call or a refused input. ``code`` is Squall's stable code (``E_TOPOLOGY_NOT_FOUND``,
    ``E_NIMBUS_UNREACHABLE``, ...), ``hint`` a next step when there is one, ``status`` the gRPC
    status name (None for errors raised before any call), ``leader`` the leader's address a
    non-leader named."""

    def __init__(self, code, message, hint=None, status=None, retriable=False, leader=None, context=None, rpc=None, address=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.status = status
        self.retriable = retriable
        self.leader = leader
        self.context = context or {}
        self.rpc = rpc
        self.address = address

    def __str__(self):
        return self.message if not self.hint else "%s (hint: %s)" % (self.message, self.hint)


def _metadata_text(metadata, key):
    for k, v in metadata or ():
        if k == key and v:
            return unquote(v if isinstance(v, str) else v.decode("utf-8", "replace"))
    return None


def error_from_status(status_name, details, metadata, rpc, address, timeout):
    """The SquallClientError for a failed call, from its status name, details and trailing
    metadata (a sequence of (key, value) pairs)."""
    sent = _metadata_text(metadata, "squall-error-code")
    code = sent or _STATUS_TO_CODE.get(status_name, "E_RPC_STATUS_%s" % status_name)
    try:
        context = json.loads(_metadata_text(metadata, "squall-context") or "{}")
    except ValueError:
        context = {}
    return SquallClientError(
        code, details if sent else _describe_status(status_name, details, rpc, address, timeout),
        hint=_metadata_text(metadata, "squall-hint") or _default_hint(status_name, sent),
        status=status_name,
        retriable=_metadata_text(metadata, "squall-retriable") == "1" or status_name in _RETRIABLE_STATUSES,
        leader=_metadata_text(metadata, "squall-leader"),
        context=context if isinstance(context, dict) else {}, rpc=rpc, address=address,
    )


def _describe_status(status_name, details, rpc, address, timeout):
    first = (details or "").split("\n", 1)[0].strip()
    if status_name == "UNAVAILABLE":
        reason = next((r for pattern, r in _UNREACHABLE_REASONS if pattern.search(details or "")), first or "unavailable")
        return "cannot reach nimbus at %s: %s \u2014 is `squall nimbus` running?" % (address, reason)
    if status_name == "DEADLINE_EXCEEDED":
        return "nimbus at %s did not answer %s within %g s" % (address, rpc, timeout)
    return "%s to nimbus at %s failed: %s: %s" % (rpc, address, status_name, first)


def _default_hint(status_name, sent):
    if sent:
        return None
    if status_name == "DEADLINE_EXCEEDED":
        return "nimbus may be busy or stuck; retry, or give the call a longer timeout"
    return None


def _usage(message, hint=None):
    return SquallClientError("E_USAGE", message, hint=hint)


# ---------------------------------------------------------------- packages

#: Directory names never packed, at any depth (as ``squall submit`` does).
DEFAULT_SKIP = ("node_modules", ".git", "__pycache__", ".cache")
#: The mtime of every entry (2000-01-01T00:00:00Z), so packing is reproducible.
PACKAGE_MTIME = 946684800
MAX_ENTRIES = 10000
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_PATH_BYTES = 1024
MAX_SEGMENT_BYTES = 255
MAX_DEPTH = 64
_CONTROL = re.compile(u"[\u0000-\u001f\u007f-\u009f]")
DEFINITION_NAMES = ("topology.yaml", "topology.yml", "topology.json")


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


def list_package_files(directory, skip=DEFAULT_SKIP):
    """The relative paths :func:`pack_directory` packs, in archive order (a directory before its
    contents; directories end with '/'). Raises SquallClientError (E_USAGE) listing every
    symlink, special file or unacceptable name, since nimbus would refuse the package."""
    root = os.path.abspath(directory)
    if not os.path.isdir(root):
        raise _usage("%s is not a directory" % root)
    paths, problems, totals = [], [], [0, 0]

    def walk(rel):
        names = sorted(os.listdir(os.path.join(root, rel) if rel else root), key=_code_unit_order)
        for name in names:
            if name in skip:
                continue
            path = rel + "/" + name if rel else name
            problem = _name_problem(path)
            if problem:
                problems.append(problem)
                continue
            st = os.lstat(os.path.join(root, path))
            if stat.S_ISLNK(st.st_mode):
                problems.append("%s is a symbolic link (packages may not contain links; copy the file instead)" % json.dumps(path))
            elif stat.S_ISDIR(st.st_mode):
                _count(root, totals, 0)
                paths.append(path + "/")
                walk(path)
            elif stat.S_ISREG(st.st_mode):
                _count(root, totals, st.st_size)
                paths.append(path)
            else:
                problems.append("%s is not a regular file or directory" % json.dumps(path))

    walk("")
    if problems:
        more = "\n  and %d more" % (len(problems) - 10) if len(problems) > 10 else ""
        raise _usage("cannot package %s:\n  %s%s" % (root, "\n  ".join(problems[:10]), more),
                     hint="remove or replace these entries, or move them out of the topology directory")
    return paths


def _count(root, totals, size):
    totals[0] += 1
    totals[1] += size
    if totals[0] > MAX_ENTRIES:
        raise _usage("cannot package %s: more than %d files and directories" % (root, MAX_ENTRIES))
    if totals[1] > MAX_TOTAL_BYTES:
        raise _usage("cannot package %s: more than %d bytes" % (root, MAX_TOTAL_BYTES))


def pack_directory(directory, skip=DEFAULT_SKIP):
    """The tar.gz of ``directory``'s contents, deterministically: sorted entries, fixed mtime, no
    owners, modes 0644/0755, a gzip header without time or name. Only regular files and
    directories; see :func:`list_package_files` for what is refused."""
    root = os.path.abspath(directory)
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for rel in list_package_files(root, skip):
                _add_entry(tar, root, rel)
    return out.getvalue()


def _add_entry(tar, root, rel):
    is_dir = rel.endswith("/")
    path = os.path.join(root, rel.rstrip("/"))
    st = os.lstat(path)
    info = tarfile.TarInfo(rel.rstrip("/"))
    info.mtime = PACKAGE_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if is_dir:
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
        return
    info.type, info.size = tarfile.REGTYPE, st.st_size
    info.mode = 0o755 if st.st_mode & 0o111 else 0o644
    with open(path, "rb") as f:
        tar.addfile(info, f)


def locate_topology(target):
    """(package root, definition path inside it) for a topology directory or file."""
    path = os.path.abspath(target)
    if not os.path.exists(path):
        raise _usage("no such file or directory: %s" % target)
    if not os.path.isdir(path):
        return os.path.dirname(path), os.path.basename(path)
    for name in DEFINITION_NAMES:
        if os.path.isfile(os.path.join(path, name)):
            return path, name
    raise _usage("%s has no %s" % (target, " / ".join(DEFINITION_NAMES)), hint="name the topology file instead of the directory")


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


# ---------------------------------------------------------------- results

_STATUS_NAMES = {1: "ACTIVE", 2: "INACTIVE", 3: "KILLED", 4: "REBALANCING"}
_KIND_NAMES = {1: "spout", 2: "bolt"}


@dataclass(frozen=True)
class TopologySummary:
    """One topology, as ``squall list`` prints it. ``status`` is ACTIVE, INACTIVE, KILLED or REBALANCING."""
    id: str
    name: str
    status: str
    uptime_secs: int
    num_workers: int
    num_executors: int
    num_tasks: int
    schedule_message: str


@dataclass(frozen=True)
class WorkerSummary:
    host: str
    port: int
    supervisor_id: str
    uptime_secs: int
    num_executors: int
    num_tasks: int


@dataclass(frozen=True)
class ComponentErrorInfo:
    time_ms: int
    task: int
    host: str
    port: int
    message: str


@dataclass(frozen=True)
class ComponentStats:
    """A component's counters since the topology started. ``kind`` is "spout" or "bolt"; spouts'
    ``acked`` counts completed tuple trees."""
    id: str
    kind: str
    num_executors: int
    num_tasks: int
    emitted: int
    transferred: int
    executed: int
    acked: int
    failed: int
    complete_latency_ms: float
    execute_latency_ms: float
    errors_count: int
    last_errors: List[ComponentErrorInfo] = field(default_factory=list)


@dataclass(frozen=True)
class TopologyDetails:
    id: str
    name: str
    status: str
    uptime_secs: int
    workers: List[WorkerSummary]
    components: List[ComponentStats]
    #: The topology's effective config.
    config: Dict[str, Any]
    schedule_message: str

    @property
    def spout_acked(self):
        """Tuple trees completed so far: the spouts' acked counts summed."""
        return sum(c.acked for c in self.components if c.kind == "spout")

    def component(self, component_id):
        """The stats of one component, or None."""
        return next((c for c in self.components if c.id == component_id), None)


@dataclass(frozen=True)
class NimbusSummary:
    host: str
    port: int
    is_leader: bool
    uptime_secs: int
    version: str


@dataclass(frozen=True)
class SupervisorSummary:
    id: str
    host: str
    slots_total: int
    slots_used: int
    slots_free: int
    uptime_secs: int


@dataclass(frozen=True)
class ClusterSummary:
    nimbuses: List[NimbusSummary]
    supervisors: List[SupervisorSummary]


@dataclass(frozen=True)
class SubmitResult:
    name: str
    topology_id: str
    #: The definition's path inside the package.
    topology_file: str
    package_bytes: int


@dataclass(frozen=True)
class ActionResult:
    """What activate, deactivate and rebalance answer: the topology and its status after the call."""
    topology_id: str
    status: str


@dataclass(frozen=True)
class KillResult:
    topology_id: str
    status: str
    #: True when the topology was already removed when nimbus answered.
    removed: bool


def _plain(cls, msg, **overrides):
    """A dataclass from a message whose fields have the same names (proto fields are snake_case)."""
    names = [f for f in cls.__dataclass_fields__ if f not in overrides]
    return cls(**{n: getattr(msg, n) for n in names}, **overrides)


def summary_from_pb(msg):
    return _plain(TopologySummary, msg, status=_STATUS_NAMES.get(msg.status, "UNSPECIFIED"))


def details_from_pb(msg):
    components = [
        _plain(ComponentStats, c, kind=_KIND_NAMES.get(c.kind, "unspecified"), last_errors=[_plain(ComponentErrorInfo, e) for e in c.last_errors])
        for c in msg.components
    ]
    return TopologyDetails(
        id=msg.id, name=msg.name, status=_STATUS_NAMES.get(msg.status, "UNSPECIFIED"), uptime_secs=msg.uptime_secs,
        workers=[_plain(WorkerSummary, w) for w in msg.workers], components=components,
        config=json.loads(msg.config_json) if msg.config_json else {}, schedule_message=msg.schedule_message,
    )


def cluster_from_pb(msg):
    return ClusterSummary(nimbuses=[_plain(NimbusSummary, n) for n in msg.nimbuses], supervisors=[_plain(SupervisorSummary, s) for s in msg.supervisors])


def action_from_pb(msg):
    return ActionResult(topology_id=msg.topology_id, status=_STATUS_NAMES.get(msg.status, "UNSPECIFIED"))


# ---------------------------------------------------------------- addresses

def normalize_address(text, default_port=DEFAULT_PORT):
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` as ``host:port``."""
    trimmed = text.strip()
    match = re.match(r"^\[([^\]]+)\](?::(\d+))?$", trimmed) or re.match(r"^([^:\[\]]+)(?::(\d+))?$", trimmed)
    port = int(match.group(2)) if match and match.group(2) else default_port
    if not match or not 1 <= port <= 65535:
        raise _usage("invalid nimbus address %s: expected host:port with a port from 1 to 65535" % json.dumps(text),
                     hint="write it as host:port, e.g. 127.0.0.1:6627")
    host = match.group(1)
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def _load_grpc():
    try:
        import grpc
    except ImportError:
        raise SquallClientError("E_GRPC_MISSING", "squall.client needs grpcio and protobuf", hint="pip install 'squall[grpc]'") from None
    try:
        from .v1 import cluster_pb2, cluster_pb2_grpc
    except ImportError:
        raise SquallClientError(
            "E_GRPC_MISSING", "the generated gRPC stubs (squall.v1) are missing: this squall is a source tree, not an installed package",
            hint="pip install './multilang/python[grpc]' (the build generates the stubs), and run from outside multilang/python",
        ) from None
    return grpc, cluster_pb2, cluster_pb2_grpc


# ---------------------------------------------------------------- the client

class Client:
    """A client of the cluster's nimbus(es). ``nimbus`` is one ``host:port`` or a list of them
    (port 6627 when omitted). Connections are made by the first call; use as a context manager,
    or call :meth:`close`. Timeouts are seconds."""

    def __init__(self, nimbus=DEFAULT_NIMBUS, timeout=DEFAULT_TIMEOUT, upload_timeout=DEFAULT_UPLOAD_TIMEOUT, max_redirects=MAX_REDIRECTS):
        given = [nimbus] if isinstance(nimbus, str) else list(nimbus)
        self.addresses = list(dict.fromkeys(normalize_address(a) for a in given))
        if not self.addresses:
            raise _usage("no nimbus address given", hint="pass host:port, e.g. 127.0.0.1:6627")
        self.timeout = timeout
        self.upload_timeout = upload_timeout
        self.max_redirects = max_redirects
        self._grpc, self._pb, self._pb_grpc = _load_grpc()
        self._channels = {}
        self._lock = threading.Lock()
        self._preferred = self.addresses[0]
        self._closed = False

    @property
    def current_address(self):
        """Where calls go first: the last nimbus that answered (after a redirect, the leader)."""
        return self._preferred

    def submit(self, path, name=None, config=None, inactive=False):
        """Packs the topology's directory (``path`` is the directory, or a topology file in it),
        uploads the package to the leader and submits it. ``config`` overrides the definition's
        config (``{"topology.workers": 2}``). Nimbus validates the definition; its problems come
        back as an E_TOPOLOGY_INVALID error naming file:line:column."""
        directory, file = locate_topology(path)
        name = name or topology_name(os.path.join(directory, file))
        if not name:
            raise _usage("%s has no top-level name" % os.path.join(directory, file), hint="pass name=...")
        try:
            overrides = {str(k): json.dumps(v) for k, v in (config or {}).items()}
        except (TypeError, ValueError) as e:
            raise _usage("config values must be JSON values: %s" % e) from None
        data = pack_directory(directory)
        package_id = self._upload(name, data)
        request = self._pb.SubmitTopologyRequest(name=name, package_id=package_id, topology_file=file.replace(os.sep, "/"),
                                                 config_overrides=overrides, start_inactive=bool(inactive))
        response = self._call("SubmitTopology", request, idempotent=False)
        return SubmitResult(name=name, topology_id=response.topology_id, topology_file=file, package_bytes=len(data))

    def list(self):
        """The topologies on the cluster, sorted by name: a list of :class:`TopologySummary`."""
        return [summary_from_pb(t) for t in self._call("ListTopologies", self._pb.ListTopologiesRequest()).topologies]

    def describe(self, name):
        """A topology's status, workers and component stats (:class:`TopologyDetails`);
        E_TOPOLOGY_NOT_FOUND for an unknown name."""
        return details_from_pb(self._call("DescribeTopology", self._pb.DescribeTopologyRequest(name=name)))

    def activate(self, name):
        return action_from_pb(self._call("ActivateTopology", self._pb.ActivateTopologyRequest(name=name)))

    def deactivate(self, name):
        return action_from_pb(self._call("DeactivateTopology", self._pb.DeactivateTopologyRequest(name=name)))

    def rebalance(self, name, workers=None, executors=None, wait_secs=None):
        """Spreads the topology over ``workers`` workers and/or new executor counts
        (``{"split": 3}``), after ``wait_secs`` (default: its topology.message.timeout.secs)."""
        request = self._pb.RebalanceTopologyRequest(name=name, executors=dict(executors or {}))
        if workers is not None:
            request.num_workers = workers
        if wait_secs is not None:
            request.wait_secs = wait_secs
        return action_from_pb(self._call("RebalanceTopology", request, idempotent=False))

    def kill(self, name, wait_secs=None, wait_for_removal=True):
        """Storm's kill: spouts stop at once, in-flight tuples get ``wait_secs`` (default: the
        topology's topology.message.timeout.secs), then the workers go. By default returns once
        the topology is removed."""
        request = self._pb.KillTopologyRequest(name=name, wait_for_removal=bool(wait_for_removal))
        if wait_secs is not None:
            request.wait_secs = wait_secs
        timeout = self.timeout
        if wait_for_removal:
            # Waiting for removal outlasts a unary timeout: allow the wait plus some slack.
            wait = wait_secs if wait_secs is not None else self._message_timeout_secs(name)
            timeout = wait + REMOVAL_SLACK_SECS
        response = self._call("KillTopology", request, timeout=timeout)
        return KillResult(topology_id=response.topology_id, status=_STATUS_NAMES.get(response.status, "UNSPECIFIED"), removed=response.removed)

    def cluster_summary(self):
        """The nimbuses and supervisors of the cluster (:class:`ClusterSummary`)."""
        return cluster_from_pb(self._call("ClusterSummary", self._pb.ClusterSummaryRequest()))

    def wait_for(self, name, predicate, timeout=60.0, interval=0.5):
        """Describes the topology every ``interval`` seconds until ``predicate(details)`` is true,
        and returns those details; raises E_TIMEOUT after ``timeout`` seconds."""
        end = time.monotonic() + timeout
        while True:
            details = self.describe(name)
            if predicate(details):
                return details
            if time.monotonic() + interval > end:
                raise SquallClientError(
                    "E_TIMEOUT", "topology %s did not reach the awaited state within %g s (status %s, %d workers)"
                    % (json.dumps(name), timeout, details.status, len(details.workers)),
                    hint="wait longer, or run `squall describe %s` to see what it is doing" % name, retriable=True)
            time.sleep(interval)

    def close(self):
        """Closes every connection; later calls raise E_ILLEGAL_STATE. Idempotent."""
        with self._lock:
            self._closed = True
            channels, self._channels = list(self._channels.values()), {}
        for channel in channels:
            channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ------------------------------------------------------------ plumbing

    def _message_timeout_secs(self, name):
        value = self.describe(name).config.get("topology.message.timeout.secs")
        return value if isinstance(value, (int, float)) and value >= 0 else DEFAULT_MESSAGE_TIMEOUT_SECS

    def _call(self, rpc, request, idempotent=True, timeout=None):
        return self._invoke(rpc, lambda stub, remaining: getattr(stub, rpc)(request, timeout=remaining), idempotent, timeout or self.timeout)

    def _upload(self, name, data):
        metadata = self._pb.PackageMetadata(name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest())
        attempt = lambda stub, remaining: self._upload_attempt(stub, metadata, data, remaining)  # noqa: E731
        return self._invoke("UploadPackage", attempt, False, self.upload_timeout).package_id

    def _upload_attempt(self, stub, metadata, data, remaining):
        """The metadata, then - only once nimbus has sent its response headers, i.e. accepted the
        upload - the chunks. A refusing nimbus (not the leader) never gets the bytes."""
        accepted, go = [False], threading.Event()

        def requests():
            yield self._pb.UploadPackageRequest(metadata=metadata)
            go.wait()
            if not accepted[0]:
                return
            for start in range(0, len(data), CHUNK_BYTES):
                yield self._pb.UploadPackageRequest(chunk=data[start:start + CHUNK_BYTES])

        call = stub.UploadPackage.future(requests(), timeout=remaining)
        try:
            call.initial_metadata()  # returns once headers arrive, or the call has ended
            accepted[0] = not call.done()
        finally:
            go.set()
        return call.result()

    def _invoke(self, rpc, attempt, idempotent, timeout):
        """Runs attempts until one succeeds or no redirect or failover applies; one deadline for all."""
        deadline = time.monotonic() + timeout
        tried, redirects, address = [], 0, self._preferred
        while True:
            tried.append(address)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SquallClientError("E_RPC_DEADLINE", "%s got no answer within %g s (tried %s)" % (rpc, timeout, ", ".join(tried)), retriable=True)
            try:
                result = attempt(self._stub(address), remaining)
                self._preferred = address
                return result
            except self._grpc.RpcError as raw:
                code = raw.code()
                details = raw.details() or ""
                err = error_from_status(code.name if code else "UNKNOWN", details, raw.trailing_metadata(), rpc, address, timeout)
            nxt = self._next_address(err, details, idempotent, tried, redirects)
            if nxt is None:
                raise err
            address, redirected = nxt
            redirects += redirected

    def _next_address(self, err, details, idempotent, tried, redirects):
        """Where to send the call next as (address, is_redirect), or None to give up."""
        if err.code == "E_NOT_LEADER" and err.leader:
            try:
                leader = normalize_address(err.leader)
            except SquallClientError:
                leader = None
            if leader and redirects < self.max_redirects and leader != tried[-1]:
                return leader, 1
            if leader:
                return None
        elif not (err.status == "UNAVAILABLE" and (idempotent or _NEVER_SENT.search(details))):
            return None
        untried = [a for a in self.addresses if a not in tried]
        return (untried[0], 0) if untried else None

    def _stub(self, address):
        with self._lock:
            if self._closed:
                raise SquallClientError("E_ILLEGAL_STATE", "call on a closed squall client")
            channel = self._channels.get(address)
            if channel is None:
                options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES), ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                           ("grpc.keepalive_time_ms", 30000), ("grpc.keepalive_timeout_ms", 10000)]
                channel = self._channels[address] = self._grpc.insecure_channel(address, options=options)
        return self._pb_grpc.NimbusStub(channel)
