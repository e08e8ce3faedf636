"""system_metrics' parameter values in the types the node uses. Pure (the table and its checks are
chedweb_ros/params.py; the defaults live there only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chedweb_ros.params import SYSTEM_METRICS, THRESHOLD_PAIRS
from chedweb_ros.status import Debounce, Limit, Thresholds


@dataclass(frozen=True)
class MetricsConfig:
    period: float
    hardware_id: str
    disk_paths: tuple[str, ...]
    network_interfaces: tuple[str, ...]
    top_processes: int
    process_period: float
    thresholds: Thresholds
    debounce: Debounce


def config_from(values: Mapping[str, object]) -> MetricsConfig:
    """The typed configuration of a set of values that SYSTEM_METRICS.validate accepts."""
    if reasons := SYSTEM_METRICS.validate(values):
        raise ValueError("; ".join(reasons))

    def number(name: str) -> float:
        return float(values[name])  # type: ignore[arg-type]

    def strings(name: str) -> tuple[str, ...]:
        return tuple(str(v).strip() for v in values[name])  # type: ignore[attr-defined]

    return MetricsConfig(
        period=number("period"),
        hardware_id=str(values["hardware_id"]),
        disk_paths=strings("disk_paths"),
        network_interfaces=strings("network_interfaces"),
        top_processes=int(values["top_processes"]),  # type: ignore[call-overload]
        process_period=number("process_period"),
        thresholds=Thresholds(*(Limit(number(w), number(e)) for w, e, _ in THRESHOLD_PAIRS)),
        debounce=Debounce(hold=number("hold_seconds"), margin=number("clear_margin")),
    )
