"""A client of a Squall cluster: submit a topology directory, list, describe, activate,
deactivate, rebalance, kill, and wait for a topology to reach a state. It speaks the cluster
API (``proto/squall/v1/cluster.proto``) to nimbus over gRPC, like the ``squall`` command does.
Packing the topology is :mod:`squall.package`'s work (no grpc needed there); a Python DSL
``topology.py`` is run here and its generated spec submitted, as ``squall submit`` does.

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

import hashlib
import json
import re
import threading
import time

from ._client_errors import SquallClientError, error_from_status, usage_error as _usage
# Results are plain dataclasses (no grpc needed); all are importable from here.
from ._client_results import (  # noqa: F401
    ActionResult, ClusterSummary, ComponentErrorInfo, ComponentStats, KillResult, NimbusSummary, SubmitResult,
    SupervisorSummary, TopologyDetails, TopologySummary, WorkerSummary, action_from_pb, cluster_from_pb,
    details_from_pb, kill_from_pb, summary_from_pb,
)
# The packer lives in squall.package (no grpc needed); these names stay importable from here.
from .package import (  # noqa: F401
    DEFAULT_SKIP, DEFINITION_NAMES, PACKAGE_MTIME, generated_spec_name, list_package_files, locate_topology,
    pack_directory, pack_topology, topology_name,
)

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

# Failures before anything reached a server: safe to send the call elsewhere, even a submit.
_NEVER_SENT = re.compile(r"Connection refused|DNS resolution failed|Name resolution|failed to connect to all addresses", re.I)


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

    def submit(self, path, name=None, config=None, inactive=False, class_name=None):
        """Packs the topology's directory (``path`` is the directory, or a topology file in it),
        uploads the package to the leader and submits it. ``config`` overrides the definition's
        config (``{"topology.workers": 2}``). Nimbus validates the definition; its problems come
        back as an E_TOPOLOGY_INVALID error naming file:line:column.

        A Python DSL topology (``topology.py``, or a directory holding one and no
        topology.yaml/yml/json) is run here, as ``squall submit`` does: the package carries
        the spec it generates as ``topology.py.json``, which is what gets submitted.
        ``class_name`` picks the Topology subclass when the file defines several."""
        try:
            overrides = {str(k): json.dumps(v) for k, v in (config or {}).items()}
        except (TypeError, ValueError) as e:
            raise _usage("config values must be JSON values: %s" % e) from None
        packed = pack_topology(path, name=name, class_name=class_name)
        package_id = self._upload(packed.name, packed.data)
        request = self._pb.SubmitTopologyRequest(name=packed.name, package_id=package_id, topology_file=packed.topology_file,
                                                 config_overrides=overrides, start_inactive=bool(inactive))
        response = self._call("SubmitTopology", request, idempotent=False)
        return SubmitResult(name=packed.name, topology_id=response.topology_id, topology_file=packed.topology_file,
                            package_bytes=len(packed.data))

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
        return kill_from_pb(response)

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
