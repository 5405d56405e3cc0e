"""squall.client's errors: :class:`SquallClientError` and how a failed gRPC call becomes one.
Apart from the client so that the packer (squall.package), which needs no grpc, can raise it
too; squall.client re-exports everything public here."""

import json
import re
from urllib.parse import unquote

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


# Tracebacks and reprs name the class where users import it from.
SquallClientError.__module__ = "squall.client"


def usage_error(message, hint=None, context=None):
    """A refused input (E_USAGE): raised before anything is sent."""
    return SquallClientError("E_USAGE", message, hint=hint, context=context)


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
