"""The parameters of both nodes, system_metrics and webrtc_bridge: one table, one checker. Pure: no
rclpy import, so the launch file can check its arguments with it before any node starts and the
rules are unit-tested directly. chedweb_ros/ros_parameters.py turns each entry into an rclpy
ParameterDescriptor (type, floating_point_range / integer_range, read_only, description), so that
`ros2 param describe` shows the rule and rclpy itself refuses a value of the wrong type or out of
range, at start-up and at run time.

Adding a parameter is a one-entry change: append one `Param(...)` to SYSTEM_METRICS or
WEBRTC_BRIDGE below. Give it
- `type`: DOUBLE, INTEGER, STRING or STRING_ARRAY (a DOUBLE also takes an integer, as seconds do);
- `low`/`high`: inclusive bounds of a number, enforced by rclpy through the descriptor's range;
- `read_only=True` when the node reads it only at start (`ros2 param set` is then refused);
- `check`: a function (value -> reason or None) for a rule no range can express (topic names,
  absolute paths, URLs), with `rule` saying it in words for `ros2 param describe`.
The node then declares it with its descriptor, the README's parameter table lists it (the unit test
test_readme_lists_every_parameter fails until it does), and the node reads it from its values dict.
A rule that spans two parameters (a warn threshold not above its error threshold) goes in the
table's `rules`: those, and `check`, are all that the nodes' on-set-parameters callbacks still run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DOUBLE, INTEGER, STRING, STRING_ARRAY = "double", "integer", "string", "string_array"

MAX_TOP_PROCESSES = 50  # keeps one DiagnosticArray well below the bridge's 64 KiB messages

Check = Callable[[Any], "str | None"]
Rule = Callable[[Mapping[str, Any]], "str | None"]


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: object
    description: str
    low: float | None = None  # inclusive; the descriptor's floating_point_range / integer_range
    high: float | None = None
    read_only: bool = False  # read once at start: the descriptor's read_only
    check: Check | None = None  # a rule a range cannot express; runs in the on-set callback too
    rule: str = ""  # `check` in words

    def constraints(self) -> str:
        """The rules in words: ParameterDescriptor.additional_constraints and the README."""
        parts = []
        if self.low is not None and self.high is not None:
            parts.append(f"{_num(self.low)} to {_num(self.high)}")
        if self.rule:
            parts.append(self.rule)
        if self.read_only:
            parts.append("read-only: set at start")
        return "; ".join(parts)


@dataclass(frozen=True)
class Table:
    """One node's parameters, in declaration order, and its cross-parameter rules."""

    node: str
    params: tuple[Param, ...]
    rules: tuple[Rule, ...] = field(default=())

    def __getitem__(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(p.name == name for p in self.params)

    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def defaults(self) -> dict[str, object]:
        return {p.name: p.default for p in self.params}

    def validate(self, values: Mapping[str, object]) -> list[str]:
        """Every reason the whole set of values is refused; empty when it is acceptable."""
        reasons = []
        for p in self.params:
            if p.name not in values:
                reasons.append(f"{p.name} is missing")
            elif (reason := check_value(p, values[p.name])) is not None:
                reasons.append(reason)
        if reasons:  # the cross-parameter rules assume each value is valid on its own
            return reasons
        return [r for rule in self.rules if (r := rule(values)) is not None]

    def beyond_descriptor(self, values: Mapping[str, object]) -> list[str]:
        """What an rclpy ParameterDescriptor cannot enforce: each `check`, then the cross-parameter
        rules. The nodes run this at start-up and in their on-set-parameters callback, where rclpy
        has already refused a wrong type, a value out of range and a change to a read-only one."""
        reasons = [r for p in self.params if p.check is not None and p.name in values
                   and (r := p.check(values[p.name])) is not None]
        if reasons:
            return reasons
        return [r for rule in self.rules if (r := rule(values)) is not None]


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _shown(value: object) -> str:
    if value is None:
        return "no value"
    return f"{type(value).__name__} {value!r}"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_value(p: Param, value: object) -> str | None:
    """None when `value` is acceptable for `p` on its own, else one sentence that names the
    parameter, the value and the rule. Mirrors what rclpy enforces from the descriptor (type,
    range), so a refusal reads the same wherever it is found: launch argument, start-up, run time."""
    if p.type in (DOUBLE, INTEGER):
        ok_type = _is_int(value) or (p.type == DOUBLE and isinstance(value, float))
        if not ok_type:
            kind = "a number" if p.type == DOUBLE else "an integer"
            return f"{p.name} must be {kind} (got {_shown(value)})"
        number = float(value)  # type: ignore[arg-type]
        if not math.isfinite(number):
            return f"{p.name} must be a finite number (got {value})"
        if p.low is not None and p.high is not None and not p.low <= number <= p.high:
            return f"{p.name} must be from {_num(p.low)} to {_num(p.high)} (got {value})"
    elif p.type == STRING:
        if not isinstance(value, str):
            return f"{p.name} must be a string (got {_shown(value)})"
    elif p.type == STRING_ARRAY and (
            not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value)):
        return f"{p.name} must be a list of strings (got {_shown(value)})"
    return p.check(value) if p.check is not None else None


def merged(current: Mapping[str, object], changes: Sequence[tuple[str, object]]) -> dict[str, object]:
    """The values that would be in force after `changes` (name, value) are applied."""
    out = dict(current)
    out.update(changes)
    return out


def parse_argument(p: Param, text: str) -> object:
    """A launch argument's text in the parameter's type: '9000' -> 9000, 'a,b' -> ['a', 'b'].
    Raises ValueError with the rule when the text is not of the type at all."""
    text = text.strip()
    if p.type == INTEGER:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{p.name} must be an integer (got {text!r})") from None
    if p.type == DOUBLE:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{p.name} must be a number (got {text!r})") from None
    if p.type == STRING_ARRAY:
        return [s.strip() for s in text.split(",") if s.strip()]
    return text


# ------------------------------------------------------------------------------ system_metrics

THRESHOLD_PAIRS: tuple[tuple[str, str, str], ...] = (
    # (warn parameter, error parameter, what it is compared with)
    ("cpu_warn_percent", "cpu_error_percent", "total CPU usage in percent"),
    ("memory_warn_percent", "memory_error_percent", "memory used in percent"),
    ("disk_warn_percent", "disk_error_percent", "used space of each disk path in percent"),
    ("temperature_warn_celsius", "temperature_error_celsius", "each temperature sensor in degC"),
)

# Percent thresholds go past 100 on purpose: a value there never triggers, which is how a test
# machine or a robot that never wants a CPU alarm says "off".
_THRESHOLDS = {
    "cpu_warn_percent": (85.0, 0.0, 1000.0), "cpu_error_percent": (95.0, 0.0, 1000.0),
    "memory_warn_percent": (85.0, 0.0, 1000.0), "memory_error_percent": (95.0, 0.0, 1000.0),
    "disk_warn_percent": (85.0, 0.0, 1000.0), "disk_error_percent": (95.0, 0.0, 1000.0),
    "temperature_warn_celsius": (80.0, -273.15, 1000.0), "temperature_error_celsius": (90.0, -273.15, 1000.0),
}


def _threshold_params() -> list[Param]:
    out = []
    for warn, error, compared in THRESHOLD_PAIRS:
        for name, level, other, relation in ((warn, "WARN", error, "not above"),
                                             (error, "ERROR", warn, "not below")):
            default, low, high = _THRESHOLDS[name]
            out.append(Param(name, DOUBLE, default, f"{level} when {compared} is at or above this value",
                             low=low, high=high, rule=f"{relation} {other}"))
    return out


def _warn_not_above_error(warn: str, error: str) -> Rule:
    def rule(values: Mapping[str, Any]) -> str | None:
        w, e = float(values[warn]), float(values[error])
        return f"{warn} ({w}) must not be above {error} ({e})" if w > e else None
    return rule


def _no_empty_names(name: str) -> Check:
    def check(value: Sequence[str]) -> str | None:
        return f"{name} must not contain empty names" if any(not v.strip() for v in value) else None
    return check


def _absolute_paths(value: Sequence[str]) -> str | None:
    if any(not v.strip() for v in value):
        return "disk_paths must not contain empty names"
    relative = [v for v in value if not v.startswith("/")]
    return f"disk_paths must be absolute paths (got {', '.join(map(repr, relative))})" if relative else None


SYSTEM_METRICS = Table("system_metrics", (
    Param("period", DOUBLE, 1.0, "seconds between two samples (and two published arrays); a new value "
          "takes effect at once", low=0.01, high=3600.0),
    Param("hardware_id", STRING, "", "DiagnosticStatus.hardware_id; empty: this machine's hostname"),
    Param("disk_paths", STRING_ARRAY, ["/"], "mount points (or any path on them) whose usage is reported",
          check=_absolute_paths, rule="absolute paths"),
    Param("network_interfaces", STRING_ARRAY, [], "interfaces to report; empty: every interface but "
          "loopback", check=_no_empty_names("network_interfaces"), rule="interface names"),
    Param("top_processes", INTEGER, 5, "how many processes to list, by CPU use", low=0,
          high=MAX_TOP_PROCESSES),
    Param("process_period", DOUBLE, 5.0, "seconds between two reads of the process table, the window "
          "each process's CPU % is averaged over; between reads the last list is repeated. The read "
          "costs one file per process, the largest part of a tick: a value at or below period reads "
          "it every tick", low=0.01, high=3600.0),
    *_threshold_params(),
    Param("hold_seconds", DOUBLE, 5.0, "seconds a threshold level (WARN, ERROR) must last before it is "
          "raised, so that a value near a threshold does not flap; a lower level is reported at "
          "once", low=0.0, high=3600.0),
    Param("clear_margin", DOUBLE, 5.0, "hysteresis: a threshold level, once raised, clears only when "
          "the value falls more than this below its threshold (percent points, or degC)",
          low=0.0, high=100.0),
), rules=tuple(_warn_not_above_error(w, e) for w, e, _ in THRESHOLD_PAIRS))


# ------------------------------------------------------------------------------ webrtc_bridge

# ROS 2 topic names: absolute or relative, tokens of [A-Za-z0-9_] not starting with a digit.
_TOPIC = re.compile(r"^(/|~/)?[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")
_ORIGIN = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s]+$", re.IGNORECASE)


def _topics(value: Sequence[str]) -> str | None:
    if not value:
        return "topics must list at least one topic"
    bad = [t for t in value if not _TOPIC.match(t)]
    return f"topics has invalid topic name(s): {bad}" if bad else None


def _ice_servers(value: Sequence[str]) -> str | None:
    from chedweb_bridge.ice import parse_ice_server  # aiortc is heavy: only when there is an entry

    for entry in value:
        if entry.strip():
            try:
                parse_ice_server(entry)
            except ValueError as exc:
                return str(exc)
    return None


def _origins(value: Sequence[str]) -> str | None:
    bad = [o for o in value if not (o == "*" or _ORIGIN.match(o.rstrip("/")))]
    return f"allowed_origins entries must be scheme://host[:port] or '*': {bad}" if bad else None


def _fleet(value: Sequence[str]) -> str | None:
    from chedweb_bridge.fleet import check  # the bridge's own rule, in one place

    return check(value)


def _hosts(value: Sequence[str]) -> str | None:
    from chedweb_bridge.access import host_entry_ok

    bad = [h for h in value if not host_entry_ok(h)]
    return f"allowed_hosts entries must be a host name or address without a port, or '*': {bad}" \
        if bad else None


def _non_empty(name: str) -> Check:
    def check(value: str) -> str | None:
        return None if value.strip() else f"{name} must not be empty"
    return check


WEBRTC_BRIDGE = Table("webrtc_bridge", (
    Param("host", STRING, "0.0.0.0", "address the HTTP/WebSocket server listens on", read_only=True,
          check=_non_empty("host"), rule="an address"),
    Param("port", INTEGER, 8080, "TCP port of the page, /ws, /config and /healthz; 0 picks a free port, "
          "which is logged and then readable as this parameter", low=0, high=65535, read_only=True),
    Param("topics", STRING_ARRAY, ["/diagnostics"], "diagnostic_msgs/DiagnosticArray topics to forward",
          read_only=True, check=_topics, rule="at least one valid topic name"),
    Param("qos_depth", INTEGER, 1000, "KEEP_LAST depth of each RELIABLE topic subscription: every "
          "publisher on a topic shares this one queue, so it must hold a burst from all of them while "
          "the bridge is busy (diagnostic_aggregator's history_depth is 1000 too)", low=1, high=100_000,
          read_only=True),
    Param("history_seconds", DOUBLE, 3600.0, "seconds of history per status sent to a browser that "
          "connects, kept at the snapshot's resolution (two points per 1/150 of it, whatever the rate; "
          "at most 256 statuses); 0: none",
          low=0.0, high=1e9),
    Param("stale_seconds", DOUBLE, 5.0, "a status not updated for this long is shown as STALE "
          "(given to version-2 pages in hello; a page that connects after a change gets the new "
          "value)", low=0.5, high=86_400.0),
    Param("ice_servers", STRING_ARRAY, [], "ICE servers for new peers; each 'URL' or "
          "'URL|username|credential' (stun:, stuns:, turn:, turns:)", check=_ice_servers,
          rule="every entry in one of the two forms"),
    Param("max_peers", INTEGER, 16, "browsers connected at once; the next one is refused with an error",
          low=1, high=1000),
    Param("auth_token", STRING, "", "token a browser must give as ?token= on /ws and /config; empty: "
          "open"),
    Param("allowed_origins", STRING_ARRAY, [], "Origins allowed to open /ws, and to read /config "
          "cross-origin (fleet.html served by another bridge), e.g. 'https://robot.example.org', or "
          "'*'; empty: same origin as the page only (a list replaces that: include this bridge's own "
          "origin)", check=_origins,
          rule="scheme://host[:port] or '*'"),
    Param("fleet", STRING_ARRAY, [], "bridge URLs that fleet.html lists besides the ones its user "
          "adds, e.g. 'http://robot2.local:8080/' ('?token=...' for a bridge with an auth_token); "
          "each of them lists this page's origin in its allowed_origins", check=_fleet,
          rule="http:// or https:// URLs"),
    Param("allowed_hosts", STRING_ARRAY, [], "Host names or addresses, besides this machine's own (its "
          "host name, <host name>.local, every interface address, localhost, 127.0.0.1, ::1), that a "
          "request's Host header may carry, on any port: a DNS name of the robot, a reverse proxy's "
          "name. Other Hosts get 403 on every route (DNS rebinding); '*' allows any", check=_hosts,
          rule="host names or addresses without a port, or '*'"),
    Param("max_connections", INTEGER, 128, "HTTP connections (page, /config, /healthz, /metrics, /ws "
          "until its offer is accepted; a peer's socket then counts against max_peers only) served at "
          "once; more are answered 503 at once", low=1, high=10_000),
    Param("max_connections_per_address", INTEGER, 32, "HTTP connections from one remote address served "
          "at once; more are answered 503 at once, so one host cannot take every place", low=1,
          high=10_000),
    Param("header_timeout", DOUBLE, 5.0, "seconds a connection has to send its whole request head "
          "(request line and headers); then 408 and closed", low=0.1, high=3600.0),
    Param("idle_timeout", DOUBLE, 15.0, "seconds a connection may send nothing at all before its request, "
          "and the longest wait for any later read or write of a request; then closed", low=0.1,
          high=3600.0),
    Param("max_pending_sockets", INTEGER, 32, "/ws sockets without an accepted offer at once (they hold "
          "no max_peers place); more are refused (1013)", low=1, high=10_000),
    Param("max_pending_per_address", INTEGER, 8, "/ws sockets without an accepted offer from one remote "
          "address at once; more are refused (1013)", low=1, high=10_000),
    Param("offer_deadline", DOUBLE, 5.0, "seconds a /ws socket has to send an offer that is accepted; "
          "then closed (1008)", low=0.1, high=3600.0),
    Param("answer_timeout", DOUBLE, 10.0, "seconds the bridge may take to answer an offer; then the "
          "socket is refused (1013) and whatever the offer opened is closed", low=0.1, high=3600.0),
    Param("metrics_max_series", INTEGER, 10_000, "most series GET /metrics exposes (the rest are left "
          "out and counted in chedweb_metrics_series_dropped); 0 turns /metrics off", low=0,
          high=1_000_000),
    Param("history_path", STRING, "$ROS_HOME/chedweb/history.sqlite3", "file of the durable history "
          "(SQLite); $ROS_HOME is the ROS_HOME variable, else ~/.ros; a directory gets history.sqlite3 "
          "in it; empty: memory only, lost at restart (also when the directory cannot be written)",
          read_only=True),
    Param("history_budget_mb", INTEGER, 512, "disk budget of the history file (and its WAL) in MB: the "
          "oldest data goes first, and the file never grows past it", low=1, high=1_000_000,
          read_only=True),
    Param("history_raw_days", DOUBLE, 3.0, "days every sample is kept at full resolution", low=0.001,
          high=36_500.0, read_only=True),
    Param("history_minute_days", DOUBLE, 30.0, "days the per-minute min/avg/max are kept", low=0.001,
          high=36_500.0, read_only=True),
    Param("history_hour_days", DOUBLE, 365.0, "days the per-hour min/avg/max are kept", low=0.001,
          high=36_500.0, read_only=True),
    Param("web_root", STRING, "", "directory holding the built page (index.html); empty: the installed "
          "share dir of chedweb_ros, else web/dist in the source tree", read_only=True),
))

TABLES: dict[str, Table] = {t.node: t for t in (SYSTEM_METRICS, WEBRTC_BRIDGE)}


# ------------------------------------------------------------------------------ README

def readme_table(table: Table) -> str:
    """The README's parameter table of one node, generated from its entries (test_params checks
    that the README holds exactly this: `python -m chedweb_ros.params` prints both)."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    rows = ["| parameter | type | default | what it does | accepted |", "|---|---|---|---|---|"]
    for p in table.params:
        rows.append(f"| `{p.name}` | {p.type} | `{p.default!r}` | {cell(p.description)} | "
                    f"{cell(p.constraints())} |")
    return "\n".join(rows)


if __name__ == "__main__":
    for t in TABLES.values():
        print(f"#### {t.node}\n\n{readme_table(t)}\n")
