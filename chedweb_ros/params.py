"""The system_metrics parameters: their defaults and descriptions, and validation. Pure: no ROS
import, so the rules are unit-tested directly and the node only wires them to rclpy.

Validation looks at the whole set of values at once, because some rules span two parameters
(a warn threshold above its error threshold is refused whichever of the two is changed).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chedweb_ros.status import Limit, Thresholds

MAX_TOP_PROCESSES = 50  # keeps one DiagnosticArray well below the bridge's 64 KiB messages


@dataclass(frozen=True)
class ParamSpec:
    name: str
    default: object
    kind: str  # "number" (int or float accepted), "integer", "string", "string_array"
    description: str
    constraints: str = ""


THRESHOLD_PAIRS: tuple[tuple[str, str, str], ...] = (
    # (warn parameter, error parameter, what it is compared with)
    ("cpu_warn_percent", "cpu_error_percent", "total CPU usage in percent"),
    ("memory_warn_percent", "memory_error_percent", "memory used in percent"),
    ("disk_warn_percent", "disk_error_percent", "used space of each disk path in percent"),
    ("temperature_warn_celsius", "temperature_error_celsius", "each temperature sensor in degC"),
)

_THRESHOLD_DEFAULTS = {
    "cpu_warn_percent": 85.0, "cpu_error_percent": 95.0,
    "memory_warn_percent": 85.0, "memory_error_percent": 95.0,
    "disk_warn_percent": 85.0, "disk_error_percent": 95.0,
    "temperature_warn_celsius": 80.0, "temperature_error_celsius": 90.0,
}


def _threshold_specs() -> list[ParamSpec]:
    specs = []
    for warn, error, compared in THRESHOLD_PAIRS:
        specs.append(ParamSpec(warn, _THRESHOLD_DEFAULTS[warn], "number",
                               f"WARN when {compared} is at or above this value",
                               f"finite number, not above {error}"))
        specs.append(ParamSpec(error, _THRESHOLD_DEFAULTS[error], "number",
                               f"ERROR when {compared} is at or above this value",
                               f"finite number, not below {warn}"))
    return specs


PARAMETERS: tuple[ParamSpec, ...] = (
    ParamSpec("period", 1.0, "number", "seconds between two samples (and two published arrays)",
              "finite number > 0; a new value takes effect at once"),
    ParamSpec("hardware_id", "", "string",
              "DiagnosticStatus.hardware_id; empty: this machine's hostname"),
    ParamSpec("disk_paths", ["/"], "string_array",
              "mount points (or any path on them) whose usage is reported", "absolute paths"),
    ParamSpec("network_interfaces", [], "string_array",
              "interfaces to report; empty: every interface but loopback", "interface names"),
    ParamSpec("top_processes", 5, "integer", "how many processes to list, by CPU use",
              f"integer from 0 to {MAX_TOP_PROCESSES}"),
    ParamSpec("process_period", 5.0, "number",
              "seconds between two reads of the process table, the window each process's CPU % is "
              "averaged over; between reads the last list is repeated. The read costs one file per "
              "process, the largest part of a tick: a value at or below period reads it every tick",
              "finite number > 0"),
    *_threshold_specs(),
)

SPECS: dict[str, ParamSpec] = {s.name: s for s in PARAMETERS}


def defaults() -> dict[str, object]:
    return {s.name: s.default for s in PARAMETERS}


@dataclass(frozen=True)
class MetricsConfig:
    """The validated values in the types the node uses; built by config_from (the defaults live
    in PARAMETERS only)."""

    period: float
    hardware_id: str
    disk_paths: tuple[str, ...]
    network_interfaces: tuple[str, ...]
    top_processes: int
    process_period: float
    thresholds: Thresholds


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _shown(value: object) -> str:
    if value is None:
        return "no value"
    return f"{type(value).__name__} {value!r}"


def _check_one(spec: ParamSpec, value: object) -> str | None:
    name = spec.name
    if spec.kind == "number":
        if not _is_number(value):
            return f"{name} must be a number (got {_shown(value)})"
        number = float(value)  # type: ignore[arg-type]
        if not math.isfinite(number):
            return f"{name} must be a finite number (got {number})"
        if name in ("period", "process_period") and number <= 0.0:
            return f"{name} must be greater than 0 seconds (got {number})"
    elif spec.kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return f"{name} must be an integer (got {_shown(value)})"
        if name == "top_processes" and not 0 <= value <= MAX_TOP_PROCESSES:
            return f"top_processes must be from 0 to {MAX_TOP_PROCESSES} (got {value})"
    elif spec.kind == "string":
        if not isinstance(value, str):
            return f"{name} must be a string (got {_shown(value)})"
    elif spec.kind == "string_array":
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            return f"{name} must be a list of strings (got {_shown(value)})"
        if any(not v.strip() for v in value):
            return f"{name} must not contain empty names"
        if name == "disk_paths":
            relative = [v for v in value if not v.startswith("/")]
            if relative:
                return f"disk_paths must be absolute paths (got {', '.join(map(repr, relative))})"
    return None


def validate(values: Mapping[str, object]) -> list[str]:
    """Every reason the whole set of values is refused; empty when it is acceptable."""
    reasons = []
    for spec in PARAMETERS:
        if spec.name not in values:
            reasons.append(f"{spec.name} is missing")
            continue
        problem = _check_one(spec, values[spec.name])
        if problem:
            reasons.append(problem)
    if reasons:
        return reasons
    for warn, error, _ in THRESHOLD_PAIRS:
        if float(values[warn]) > float(values[error]):  # type: ignore[arg-type]
            reasons.append(f"{warn} ({float(values[warn])}) must not be above "  # type: ignore[arg-type]
                           f"{error} ({float(values[error])})")  # type: ignore[arg-type]
    return reasons


def config_from(values: Mapping[str, object]) -> MetricsConfig:
    """The typed configuration of a set of values that `validate` accepted."""
    if reasons := validate(values):
        raise ValueError("; ".join(reasons))

    def number(name: str) -> float:
        return float(values[name])  # type: ignore[arg-type]

    def strings(name: str) -> tuple[str, ...]:
        return tuple(str(v).strip() for v in values[name])  # type: ignore[attr-defined]

    def limit(warn: str, error: str) -> Limit:
        return Limit(number(warn), number(error))

    pairs = [limit(w, e) for w, e, _ in THRESHOLD_PAIRS]
    return MetricsConfig(
        period=number("period"),
        hardware_id=str(values["hardware_id"]),
        disk_paths=strings("disk_paths"),
        network_interfaces=strings("network_interfaces"),
        top_processes=int(values["top_processes"]),  # type: ignore[call-overload]
        process_period=number("process_period"),
        thresholds=Thresholds(*pairs),
    )


def merged(current: Mapping[str, object], changes: Sequence[tuple[str, object]]) -> dict[str, object]:
    """The values that would be in force after `changes` (name, value) are applied."""
    out = dict(current)
    out.update(changes)
    return out
