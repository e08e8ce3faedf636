"""Parameter validation: what is refused, with which reason, and the typed configuration of what
is accepted. Also: the defaults here and in config/chedweb.yaml agree."""

from __future__ import annotations

import math
import re

import pytest

from chedweb_ros import params
from chedweb_ros.status import Limit, Thresholds
from test.helpers.procs import REPO


def with_(**changes: object) -> dict[str, object]:
    return params.merged(params.defaults(), list(changes.items()))


def test_defaults_are_valid_and_typed() -> None:
    assert params.validate(params.defaults()) == []
    cfg = params.config_from(params.defaults())
    assert cfg == params.MetricsConfig(
        period=1.0, hardware_id="", disk_paths=("/",), network_interfaces=(), top_processes=5,
        process_period=5.0,
        thresholds=Thresholds(cpu_percent=Limit(85.0, 95.0), memory_percent=Limit(85.0, 95.0),
                              disk_percent=Limit(85.0, 95.0), temperature_celsius=Limit(80.0, 90.0)))
    assert cfg.thresholds.cpu_percent == Limit(85.0, 95.0)
    assert cfg.thresholds.temperature_celsius == Limit(80.0, 90.0)


@pytest.mark.parametrize(("period", "reason"), [
    (0.0, "period must be greater than 0 seconds (got 0.0)"),
    (-1.0, "period must be greater than 0 seconds (got -1.0)"),
    (0, "period must be greater than 0 seconds (got 0.0)"),
    (math.nan, "period must be a finite number (got nan)"),
    (math.inf, "period must be a finite number (got inf)"),
    ("fast", "period must be a number (got str 'fast')"),
    (True, "period must be a number (got bool True)"),
    (None, "period must be a number (got no value)"),
])
def test_bad_periods_are_refused_with_a_reason(period: object, reason: str) -> None:
    assert params.validate(with_(period=period)) == [reason]
    with pytest.raises(ValueError, match=re.escape(reason)):
        params.config_from(with_(period=period))


def test_process_period_must_be_positive() -> None:
    assert params.validate(with_(process_period=0.0)) == [
        "process_period must be greater than 0 seconds (got 0.0)"]
    assert params.config_from(with_(process_period=1)).process_period == 1.0


@pytest.mark.parametrize("period", [0.2, 2, 0.001, 3600.0])
def test_good_periods(period: float) -> None:
    assert params.config_from(with_(period=period)).period == float(period)


@pytest.mark.parametrize(("warn", "error"), [(p[0], p[1]) for p in params.THRESHOLD_PAIRS])
def test_warn_above_error_is_refused_for_every_pair(warn: str, error: str) -> None:
    assert params.validate(with_(**{warn: 50.0, error: 49.0})) == [
        f"{warn} (50.0) must not be above {error} (49.0)"]
    assert params.validate(with_(**{warn: 50.0, error: 50.0})) == []  # equal is allowed
    assert params.validate(with_(**{warn: 50, error: 60})) == []  # integers are numbers too


def test_threshold_must_be_a_finite_number() -> None:
    assert params.validate(with_(cpu_warn_percent="high")) == [
        "cpu_warn_percent must be a number (got str 'high')"]
    assert params.validate(with_(disk_error_percent=math.nan)) == [
        "disk_error_percent must be a finite number (got nan)"]


def test_top_processes_bounds() -> None:
    assert params.validate(with_(top_processes=0)) == []
    assert params.validate(with_(top_processes=params.MAX_TOP_PROCESSES)) == []
    assert params.validate(with_(top_processes=-1)) == [
        f"top_processes must be from 0 to {params.MAX_TOP_PROCESSES} (got -1)"]
    assert params.validate(with_(top_processes=2.5)) == ["top_processes must be an integer (got float 2.5)"]


def test_lists() -> None:
    assert params.validate(with_(disk_paths=["data"])) == ["disk_paths must be absolute paths (got 'data')"]
    assert params.validate(with_(disk_paths=["/", ""])) == ["disk_paths must not contain empty names"]
    assert params.validate(with_(network_interfaces="eth0")) == [
        "network_interfaces must be a list of strings (got str 'eth0')"]
    cfg = params.config_from(with_(disk_paths=["/", "/data"], network_interfaces=["eth0"]))
    assert cfg.disk_paths == ("/", "/data") and cfg.network_interfaces == ("eth0",)


def test_every_problem_is_reported_at_once() -> None:
    reasons = params.validate(with_(period=-2.0, top_processes=-1))
    assert len(reasons) == 2


def test_missing_value_is_a_reason() -> None:
    values = params.defaults()
    del values["hardware_id"]
    assert params.validate(values) == ["hardware_id is missing"]


def test_merged_does_not_touch_the_current_values() -> None:
    current = params.defaults()
    new = params.merged(current, [("period", 0.5)])
    assert current["period"] == 1.0 and new["period"] == 0.5


def test_config_file_matches_the_declared_defaults() -> None:
    """config/chedweb.yaml is the one file the launch file and `make run` use: its
    system_metrics section must name only declared parameters, with valid values."""
    text = (REPO / "config" / "chedweb.yaml").read_text()
    section = text.split("system_metrics:", 1)[1].split("\nwebrtc_bridge:", 1)[0]
    names = re.findall(r"^ {4}([a-z_]+):", section, flags=re.MULTILINE)
    assert names and set(names) <= set(params.SPECS), set(names) - set(params.SPECS)
    for name, raw in re.findall(r"^ {4}([a-z_]+): *([^#\n]+)", section, flags=re.MULTILINE):
        default = params.SPECS[name].default
        if isinstance(default, float):
            assert float(raw) == default, name
