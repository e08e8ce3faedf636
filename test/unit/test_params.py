"""The parameter table of both nodes (chedweb_ros/params.py): what is refused, with which reason,
the typed configuration of what is accepted, and that the rclpy descriptors built from it make
rclpy itself refuse what the table refuses, at the same boundaries. Also: the defaults here, in
config/chedweb.yaml and in the README's tables agree. The rclpy side of the table (descriptors, rclpy
refusing at the same boundaries) is test/ros/test_param_descriptors.py."""

from __future__ import annotations

import math
import re

import pytest

from chedweb_ros import params
from chedweb_ros.metrics_config import MetricsConfig, config_from
from chedweb_ros.params import SYSTEM_METRICS, TABLES, WEBRTC_BRIDGE, check_value, parse_argument
from chedweb_ros.status import Debounce, Limit, Thresholds
from test.helpers.procs import REPO


def with_(**changes: object) -> dict[str, object]:
    return params.merged(SYSTEM_METRICS.defaults(), list(changes.items()))


def bridge_with(**changes: object) -> dict[str, object]:
    return params.merged(WEBRTC_BRIDGE.defaults(), list(changes.items()))


def test_defaults_are_valid_and_typed() -> None:
    for table in TABLES.values():
        assert table.validate(table.defaults()) == [], table.node
    cfg = config_from(SYSTEM_METRICS.defaults())
    assert cfg == MetricsConfig(
        period=1.0, hardware_id="", disk_paths=("/",), network_interfaces=(), top_processes=5,
        process_period=5.0,
        thresholds=Thresholds(cpu_percent=Limit(85.0, 95.0), memory_percent=Limit(85.0, 95.0),
                              disk_percent=Limit(85.0, 95.0), temperature_celsius=Limit(80.0, 90.0)),
        debounce=Debounce(hold=5.0, margin=5.0))


@pytest.mark.parametrize(("period", "reason"), [
    (0.0, "period must be from 0.01 to 3600 (got 0.0)"),
    (-1.0, "period must be from 0.01 to 3600 (got -1.0)"),
    (0, "period must be from 0.01 to 3600 (got 0)"),
    (0.0099, "period must be from 0.01 to 3600 (got 0.0099)"),
    (3600.5, "period must be from 0.01 to 3600 (got 3600.5)"),
    (math.nan, "period must be a finite number (got nan)"),
    (math.inf, "period must be a finite number (got inf)"),
    ("fast", "period must be a number (got str 'fast')"),
    (True, "period must be a number (got bool True)"),
    (None, "period must be a number (got no value)"),
])
def test_bad_periods_are_refused_with_a_reason(period: object, reason: str) -> None:
    assert SYSTEM_METRICS.validate(with_(period=period)) == [reason]
    with pytest.raises(ValueError, match=re.escape(reason)):
        config_from(with_(period=period))


@pytest.mark.parametrize("period", [0.01, 0.2, 2, 3600.0])
def test_good_periods_including_both_bounds(period: float) -> None:
    assert config_from(with_(period=period)).period == float(period)


@pytest.mark.parametrize(("warn", "error"), [(p[0], p[1]) for p in params.THRESHOLD_PAIRS])
def test_warn_above_error_is_refused_for_every_pair(warn: str, error: str) -> None:
    assert SYSTEM_METRICS.validate(with_(**{warn: 50.0, error: 49.0})) == [
        f"{warn} (50.0) must not be above {error} (49.0)"]
    assert SYSTEM_METRICS.validate(with_(**{warn: 50.0, error: 50.0})) == []  # equal is allowed
    assert SYSTEM_METRICS.validate(with_(**{warn: 50, error: 60})) == []  # integers are numbers too
    # The cross-parameter rule is one of the few things the callback still runs.
    assert SYSTEM_METRICS.beyond_descriptor(with_(**{warn: 50.0, error: 49.0})) != []


def test_top_processes_bounds() -> None:
    assert SYSTEM_METRICS.validate(with_(top_processes=0)) == []
    assert SYSTEM_METRICS.validate(with_(top_processes=params.MAX_TOP_PROCESSES)) == []
    assert SYSTEM_METRICS.validate(with_(top_processes=-1)) == [
        f"top_processes must be from 0 to {params.MAX_TOP_PROCESSES} (got -1)"]
    assert SYSTEM_METRICS.validate(with_(top_processes=2.5)) == [
        "top_processes must be an integer (got float 2.5)"]


def test_lists() -> None:
    assert SYSTEM_METRICS.validate(with_(disk_paths=["data"])) == [
        "disk_paths must be absolute paths (got 'data')"]
    assert SYSTEM_METRICS.validate(with_(disk_paths=["/", ""])) == ["disk_paths must not contain empty names"]
    assert SYSTEM_METRICS.validate(with_(network_interfaces="eth0")) == [
        "network_interfaces must be a list of strings (got str 'eth0')"]
    cfg = config_from(with_(disk_paths=["/", "/data"], network_interfaces=["eth0"]))
    assert cfg.disk_paths == ("/", "/data") and cfg.network_interfaces == ("eth0",)


def test_every_problem_is_reported_at_once_and_a_missing_value_is_one() -> None:
    assert len(SYSTEM_METRICS.validate(with_(period=-2.0, top_processes=-1))) == 2
    values = SYSTEM_METRICS.defaults()
    del values["hardware_id"]
    assert SYSTEM_METRICS.validate(values) == ["hardware_id is missing"]


@pytest.mark.parametrize(("name", "value", "ok"), [
    ("port", 0, True), ("port", 65535, True), ("port", 65536, False), ("port", -1, False),
    ("port", True, False), ("port", "abc", False),
    ("host", "", False), ("host", "198.18.0.1", True),
    ("topics", [], False), ("topics", ["/diagnostics", "/robot/diag"], True),
    ("topics", ["bad topic"], False), ("topics", ["/9lives"], False),
    ("history_seconds", 0.0, True), ("history_seconds", -1.0, False),
    ("max_peers", 0, False), ("max_peers", 16, True),
    ("qos_depth", 0, False), ("qos_depth", 1, True), ("qos_depth", 1000, True),
    ("qos_depth", 100_001, False), ("qos_depth", 10.0, False),
    ("ice_servers", ["stun:a:3478"], True), ("ice_servers", ["turn:a"], False),
    ("allowed_origins", ["https://a.example:8443", "*"], True), ("allowed_origins", ["a.example"], False),
    ("auth_token", "x", True), ("web_root", "", True),
])
def test_bridge_parameter_checks(name: str, value: object, ok: bool) -> None:
    reason = check_value(WEBRTC_BRIDGE[name], value)
    assert (reason is None) == ok, reason
    if reason is not None:
        assert reason.startswith(name), reason  # every refusal names its parameter


def test_parse_argument_types_launch_text() -> None:
    assert parse_argument(WEBRTC_BRIDGE["port"], " 9000 ") == 9000
    assert parse_argument(SYSTEM_METRICS["period"], "0.5") == 0.5
    assert parse_argument(WEBRTC_BRIDGE["ice_servers"], "stun:a, stun:b,") == ["stun:a", "stun:b"]
    with pytest.raises(ValueError, match=re.escape("port must be an integer (got 'abc')")):
        parse_argument(WEBRTC_BRIDGE["port"], "abc")


def test_config_file_matches_the_declared_defaults() -> None:
    """config/chedweb.yaml is the one file the launch file and `make run` use: each section names
    only declared parameters, with the declared defaults."""
    text = (REPO / "config" / "chedweb.yaml").read_text()
    for table in TABLES.values():
        section = text.split(f"\n{table.node}:", 1)[1].split("\n\n", 1)[0]
        for name, raw in re.findall(r"^ {4}([a-z_]+): *([^#\n]+)", section, flags=re.MULTILINE):
            assert name in table, (table.node, name)
            default = table[name].default
            if isinstance(default, (float, int)):
                assert float(raw) == default, name


def test_readme_lists_every_parameter() -> None:
    """The README's parameter tables are generated from this table: add an entry, then paste
    `python -m chedweb_ros.params` into the README's Parameters section."""
    readme = (REPO / "README.md").read_text()
    for table in TABLES.values():
        assert params.readme_table(table) in readme, f"README's {table.node} table is out of date"
