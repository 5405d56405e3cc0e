"""squall.client's results: plain frozen dataclasses for what nimbus answers, and their
conversion from the generated protobuf messages (whose snake_case field names they share).
No grpc or protobuf import here: the converters read attributes. squall.client re-exports
every public name."""

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List

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


def kill_from_pb(msg):
    return KillResult(topology_id=msg.topology_id, status=_STATUS_NAMES.get(msg.status, "UNSPECIFIED"), removed=msg.removed)
