"""The node's parameters (pure): defaults, descriptions, and validation with a reason.

The node declares each one with a descriptor built from this table and refuses any value for
which `check` returns a reason. READ_ONLY_AFTER_START ones are fixed once the server runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chedweb_bridge.ice import parse_ice_servers


@dataclass(frozen=True)
class Spec:
    default: object
    description: str
    constraints: str
    kind: str  # "string", "integer", "double", "string_array"


SPECS: dict[str, Spec] = {
    "host": Spec("0.0.0.0", "address the HTTP/WebSocket server listens on", "read-only after start",
                 "string"),
    "port": Spec(8080, "TCP port of the page, /ws, /config and /healthz; 0 picks a free port, which "
                 "is logged and then readable as this parameter", "0..65535; read-only after start",
                 "integer"),
    "topics": Spec(["/diagnostics"], "diagnostic_msgs/DiagnosticArray topics to forward",
                   "at least one valid topic name; read-only after start", "string_array"),
    "qos_depth": Spec(1000, "KEEP_LAST depth of each RELIABLE topic subscription: every publisher on a "
                      "topic shares this one queue, so it must hold a burst from all of them while the "
                      "bridge is busy (diagnostic_aggregator's history_depth is 1000 too)",
                      "1..100000; read-only after start", "integer"),
    "history_seconds": Spec(3600.0, "seconds of history per status sent to a browser that connects "
                            "(also capped at 3600 samples per status and 256 statuses)", ">= 0 (0: none)",
                            "double"),
    "ice_servers": Spec([], "ICE servers for new peers; each 'URL' or 'URL|username|credential' "
                        "(stun:, stuns:, turn:, turns:)", "every entry in one of the two forms",
                        "string_array"),
    "max_peers": Spec(16, "browsers connected at once; the next one is refused with an error",
                      "1..1000", "integer"),
    "auth_token": Spec("", "token a browser must give as ?token= on /ws and /config; empty: open",
                       "any string", "string"),
    "allowed_origins": Spec([], "Origins allowed to open /ws, e.g. 'https://robot.example.org', or "
                            "'*'; empty: same origin as the page only", "scheme://host[:port] or '*'",
                            "string_array"),
    "metrics_max_series": Spec(10_000, "most series GET /metrics exposes (the rest are left out and "
                               "counted in chedweb_metrics_series_dropped); 0 turns /metrics off",
                               "0..1000000", "integer"),
    "web_root": Spec("", "directory holding the built page (index.html); empty: the installed "
                     "share dir of chedweb_ros, else web/dist in the source tree", "read-only after start",
                     "string"),
}

READ_ONLY_AFTER_START = frozenset({"host", "port", "topics", "qos_depth", "web_root"})

# The integer parameters and their inclusive bounds (bool, an int subclass, is refused).
_INT_RANGES = {"port": (0, 65535), "qos_depth": (1, 100_000), "max_peers": (1, 1000),
               "metrics_max_series": (0, 1_000_000)}

# ROS 2 topic names: absolute or relative, tokens of [A-Za-z0-9_] not starting with a digit.
_TOPIC = re.compile(r"^(/|~/)?[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")
_ORIGIN = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s]+$", re.IGNORECASE)


def check(name: str, value: object) -> str | None:
    """None when `value` is acceptable for parameter `name`, else the reason it is not."""
    if name == "host":
        return None if isinstance(value, str) and value.strip() else "host must be a non-empty address"
    if name in _INT_RANGES:
        low, high = _INT_RANGES[name]
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"{name} must be {low}..{high}, got {value!r}"
    if name == "topics":
        if not isinstance(value, (list, tuple)) or not value:
            return "topics must list at least one topic"
        bad = [t for t in value if not isinstance(t, str) or not _TOPIC.match(t)]
        return f"invalid topic name(s): {bad}" if bad else None
    if name == "history_seconds":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1e9
        return None if ok else f"history_seconds must be >= 0, got {value!r}"
    if name == "ice_servers":
        if not isinstance(value, (list, tuple)):
            return "ice_servers must be a list of strings"
        try:
            parse_ice_servers([str(v) for v in value])
        except ValueError as exc:
            return str(exc)
        return None
    if name in ("auth_token", "web_root"):
        return None if isinstance(value, str) else f"{name} must be a string"
    if name == "allowed_origins":
        if not isinstance(value, (list, tuple)):
            return "allowed_origins must be a list of strings"
        bad = [o for o in value if not isinstance(o, str) or not (o == "*" or _ORIGIN.match(o.rstrip("/")))]
        return f"allowed_origins entries must be scheme://host[:port] or '*': {bad}" if bad else None
    return None
