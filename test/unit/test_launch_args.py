"""The launch file's argument check (chedweb_ros/launch_args.py), which runs before any node
starts: `period:=0` and `port:=abc` end the launch once, with the argument, the value and the rule,
instead of a node that exits and is respawned forever or an `int()` error that names nothing."""

from __future__ import annotations

import re

import pytest

from chedweb_ros.launch_args import InvalidLaunchArgument, overrides


def test_given_arguments_become_typed_overrides_for_their_node() -> None:
    typed, delay = overrides({"port": "9000", "period": "0.5", "ice_servers": "stun:a:3478, stun:b",
                              "host": "", "auth_token": "s3cret", "respawn_delay": "1"})
    assert typed == {"system_metrics": {"period": 0.5},
                     "webrtc_bridge": {"port": 9000, "ice_servers": ["stun:a:3478", "stun:b"],
                                       "auth_token": "s3cret"}}
    assert delay == 1.0


def test_empty_arguments_keep_the_params_file() -> None:
    assert overrides({"port": "", "period": " "}) == ({"system_metrics": {}, "webrtc_bridge": {}}, 2.0)


@pytest.mark.parametrize(("given", "line"), [
    ({"period": "0"}, "invalid launch argument period:=0: period must be from 0.01 to 3600 (got 0.0)"),
    ({"port": "abc"}, "invalid launch argument port:=abc: port must be an integer (got 'abc')"),
    ({"port": "70000"}, "invalid launch argument port:=70000: port must be from 0 to 65535 (got 70000)"),
    ({"ice_servers": "turn:x"}, "invalid launch argument ice_servers:=turn:x: ice_servers entry 'turn:x': "
                                "a TURN URL needs 'URL|username|credential'"),
    ({"respawn_delay": "-1"}, "invalid launch argument respawn_delay:=-1: respawn_delay must be a number "
                              "of seconds >= 0"),
    ({"params_file": "/no/such.yaml"}, "invalid launch argument params_file:=/no/such.yaml: no such file"),
])
def test_a_bad_argument_is_one_line_with_argument_value_and_rule(given: dict[str, str], line: str) -> None:
    with pytest.raises(InvalidLaunchArgument, match=f"^{re.escape(line)}$"):
        overrides(given)


def test_every_bad_argument_is_named_at_once() -> None:
    with pytest.raises(InvalidLaunchArgument) as caught:
        overrides({"period": "0", "port": "abc"})
    assert "period:=0" in str(caught.value) and "port:=abc" in str(caught.value)


def test_forward_agg_adds_the_aggregator_topic() -> None:
    typed, _ = overrides({"forward_agg": "true"})
    assert typed["webrtc_bridge"]["topics"] == ["/diagnostics", "/diagnostics_agg"]
    typed, _ = overrides({"forward_agg": "true", "topics": "/robot/diagnostics"})
    assert typed["webrtc_bridge"]["topics"] == ["/robot/diagnostics", "/diagnostics_agg"]
    typed, _ = overrides({"forward_agg": "true", "topics": "/diagnostics,/diagnostics_agg"})
    assert typed["webrtc_bridge"]["topics"] == ["/diagnostics", "/diagnostics_agg"]
    typed, _ = overrides({"forward_agg": "false"})
    assert "topics" not in typed["webrtc_bridge"]
    with pytest.raises(InvalidLaunchArgument, match="forward_agg:=maybe"):
        overrides({"forward_agg": "maybe"})
    with pytest.raises(InvalidLaunchArgument, match="topics:=not a topic"):
        overrides({"topics": "not a topic"})
