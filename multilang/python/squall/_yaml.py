"""The YAML emitter of :mod:`squall.topology`: a topology document (plain data) as the YAML a
person would write, so ``python3 -m squall.topology topology.py --yaml`` gives something fit
to check in. Block style, short lists and maps inline, strings quoted only when YAML could
read them as something else. Standard library only: no YAML library is needed to write it.
"""

import json
import math
import re

_PLAIN = re.compile(r"^(?:[A-Za-z_]|\./|/)[A-Za-z0-9_./-]*$")
_YAML_WORDS = frozenset(["true", "false", "null", "yes", "no", "on", "off", "y", "n"])
_FLOW_WIDTH = 60


class UnrepresentableValue(ValueError):
    """A value neither YAML nor JSON can carry (NaN, infinities); squall.topology reports it
    as a TopologyError."""


def dump(doc):
    """``doc`` (a topology document: a dict) as YAML text; its spouts and bolts are list items
    of block maps, one per component."""
    lines = []
    for key, value in doc.items():
        if key in ("spouts", "bolts") and isinstance(value, list) and value:
            lines.append("%s:" % key)
            for component in value:
                block = _block(component, 4)
                lines.append("  - " + block[0][4:])
                lines.extend(block[1:])
        else:
            lines.extend(_block({key: value}, 0))
    return "\n".join(lines) + "\n"


def _scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UnrepresentableValue("%r cannot be written as YAML or JSON" % value)
        return repr(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text)  # JSON strings are YAML double-quoted strings


def _flow(value):
    """The value on one line, or None when it is better written as a block."""
    if isinstance(value, dict):
        items = [(_scalar(str(k)), _flow(v)) for k, v in value.items()]
        text = None if any(v is None for _, v in items) else "{%s}" % ", ".join("%s: %s" % kv for kv in items)
    elif isinstance(value, (list, tuple)):
        items = [_flow(v) for v in value]
        text = None if any(v is None for v in items) else "[%s]" % ", ".join(items)
    else:
        return _scalar(value)
    return text if text is not None and len(text) <= _FLOW_WIDTH else None


def _block(value, indent):
    pad = " " * indent
    out = []
    if isinstance(value, dict):
        for key, item in value.items():
            flow = _flow(item)
            if flow is not None:
                out.append("%s%s: %s" % (pad, _scalar(str(key)), flow))
            else:
                out.append("%s%s:" % (pad, _scalar(str(key))))
                out.extend(_block(item, indent + 2))
        return out
    for item in value:
        flow = _flow(item)
        if flow is not None:
            out.append("%s- %s" % (pad, flow))
        else:
            block = _block(item, indent + 2)
            out.append("%s- %s" % (pad, block[0][indent + 2:]))
            out.extend(block[1:])
    return out
