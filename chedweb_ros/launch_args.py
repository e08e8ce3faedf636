"""The launch arguments of launch/bringup.launch.py and their check. Pure (no launch import), so it
is unit-tested directly and the launch file refuses a bad argument before any node starts: one
line with the argument, the value and the rule, which is the node parameter's rule from the one
table (chedweb_ros/params.py)."""

from __future__ import annotations

import math
import os

from chedweb_ros.params import SYSTEM_METRICS, WEBRTC_BRIDGE, Table, check_value, parse_argument

# Launch arguments that set one node parameter: (node's table, parameter). Their rule is the
# parameter's, from the one table.
PARAMETER_ARGUMENTS: dict[str, tuple[Table, str]] = {
    "port": (WEBRTC_BRIDGE, "port"),
    "host": (WEBRTC_BRIDGE, "host"),
    "period": (SYSTEM_METRICS, "period"),
    "auth_token": (WEBRTC_BRIDGE, "auth_token"),
    "ice_servers": (WEBRTC_BRIDGE, "ice_servers"),
    "topics": (WEBRTC_BRIDGE, "topics"),
}

# diagnostic_aggregator's output: forward_agg:=true adds it to the bridge's topics, so the page's
# aggregator tree has something to show (issue 11 item 1).
AGGREGATOR_TOPIC = "/diagnostics_agg"

ARGUMENTS = {
    "port": ("", "webrtc_bridge HTTP port (0 picks a free one); empty: from params_file"),
    "host": ("", "webrtc_bridge listen address; empty: from params_file"),
    "period": ("", "system_metrics sample period in seconds; empty: from params_file"),
    "auth_token": ("", "token the page must present; empty: from params_file"),
    "ice_servers": ("", "comma-separated STUN/TURN URLs for the bridge; empty: from params_file"),
    "topics": ("", "comma-separated DiagnosticArray topics the bridge forwards; empty: from params_file"),
    "forward_agg": ("false", "true: the bridge also forwards /diagnostics_agg (diagnostic_aggregator's "
                    "tree, shown by the page's 'Aggregator tree' view)"),
    "respawn_delay": ("2.0", "seconds before a crashed node is restarted"),
}


class InvalidLaunchArgument(Exception):
    """A launch argument is refused before any node starts; launch prints the message."""


def overrides(given: dict[str, str]) -> tuple[dict[str, dict[str, object]], float]:
    """The parameter overrides per node name, typed (so `port:=9000` reaches the bridge as an
    integer and `ice_servers:=a,b` as a string array), and the respawn delay, from the launch
    arguments' text. Raises InvalidLaunchArgument naming every bad argument."""
    out: dict[str, dict[str, object]] = {SYSTEM_METRICS.node: {}, WEBRTC_BRIDGE.node: {}}
    reasons = []
    for argument, (table, name) in PARAMETER_ARGUMENTS.items():
        text = given.get(argument, "").strip()
        if not text:
            continue
        try:
            value = parse_argument(table[name], text)
            reason = check_value(table[name], value)
        except ValueError as exc:
            reason = str(exc)
        if reason is None:
            out[table.node][name] = value
        else:
            reasons.append(f"{argument}:={text}: {reason}")
    forward_agg = given.get("forward_agg", "false").strip().lower()
    if forward_agg in ("true", "1", "yes"):
        topics = out[WEBRTC_BRIDGE.node].get("topics", ["/diagnostics"])
        assert isinstance(topics, list)
        if AGGREGATOR_TOPIC not in topics:
            out[WEBRTC_BRIDGE.node]["topics"] = [*topics, AGGREGATOR_TOPIC]
    elif forward_agg not in ("false", "0", "no", ""):
        reasons.append(f"forward_agg:={forward_agg}: forward_agg must be true or false")
    params_file = given.get("params_file", "")
    if params_file and not os.path.isfile(params_file):
        reasons.append(f"params_file:={params_file}: no such file")
    delay_text = given.get("respawn_delay", "2.0").strip()
    try:
        delay = float(delay_text)
    except ValueError:
        delay = math.nan
    if not (math.isfinite(delay) and delay >= 0.0):
        reasons.append(f"respawn_delay:={delay_text}: respawn_delay must be a number of seconds >= 0")
    if reasons:
        raise InvalidLaunchArgument("invalid launch argument " + "; ".join(reasons))
    return out, delay
