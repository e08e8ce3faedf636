"""The system_metrics node as its own process, sampling fast, with thresholds no test machine
reaches: its statuses stay OK however busy a CI machine is, so the browser tests' banner only ever
shows what a test published. QUIET_THRESHOLDS also serves the ROS tests that start the node their
own way. The bridge process is test.helpers.bridge_proc.Bridge."""

from __future__ import annotations

from test.helpers.procs import NodeProcess, executable, ros_args

NEVER = 1000.0
QUIET_THRESHOLDS = {f"{what}_{level}_{unit}": NEVER
                    for what, unit in (("cpu", "percent"), ("memory", "percent"), ("disk", "percent"),
                                       ("temperature", "celsius"))
                    for level in ("warn", "error")}


def start_system_metrics(log_name: str, period: float = 0.5, name: str | None = None,
                         hardware_id: str = "") -> NodeProcess:
    params: dict[str, object] = {"period": period, "hardware_id": hardware_id, **QUIET_THRESHOLDS}
    return NodeProcess([executable("system_metrics"), *ros_args(params, name=name)], log_name)
