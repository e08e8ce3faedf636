"""The SystemMetricsNode: parameters, a timer and a publisher around the pure sampling
(chedweb_ros.sampling) and status building (chedweb_ros.status) functions.

Every `period` seconds it publishes one diagnostic_msgs/DiagnosticArray on /diagnostics
(RELIABLE, depth 10) with one DiagnosticStatus per task: CPU, Memory, Temperature, Disk,
Network, Processes.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rcl_interfaces.msg import SetParametersResult
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

from chedweb_ros.metrics_config import config_from
from chedweb_ros.params import SYSTEM_METRICS
from chedweb_ros.procfs import default_probes
from chedweb_ros.ros_parameters import declare_table, refused
from chedweb_ros.sampling import Counters, ProcessSource, default_process_source, sample_all
from chedweb_ros.status import (
    ERROR,
    TASKS,
    WARN,
    KeyValueReuse,
    LevelChanges,
    LevelFilter,
    ProcessesStatusMemo,
    build_statuses,
)

NODE_NAME = "system_metrics"
TOPIC = "/diagnostics"
QOS = QoSProfile(depth=10, history=HistoryPolicy.KEEP_LAST, reliability=ReliabilityPolicy.RELIABLE)


class SystemMetricsNode(Node):
    def __init__(self, *, ps: Any = None, processes: ProcessSource | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        """`ps`: psutil or an object with its API (tests); by default psutil's figures read the
        cheaper way on Linux (chedweb_ros.procfs.LinuxProbes)."""
        super().__init__(NODE_NAME)
        self._ps = ps if ps is not None else default_probes()
        self._processes = processes or default_process_source()
        self._monotonic = monotonic
        self._values = declare_table(self, SYSTEM_METRICS)  # raises InvalidParameters
        self._config = config_from(self._values)
        self._level_changes = LevelChanges()
        self._levels = LevelFilter(self._config.debounce)  # hold and clear margin, tick to tick
        self._processes_memo = ProcessesStatusMemo()  # built once per read of the process table
        self._reuse = KeyValueReuse()  # the KeyValues whose value did not change since the last tick
        self._name = self.get_name()  # fixed for the node's life; get_name() goes through rcl each call
        self._publisher = self.create_publisher(DiagnosticArray, TOPIC, QOS)
        self._array = DiagnosticArray()
        # One sample now, unpublished, so that the first array already carries rates.
        _, self._counters = self._sample(Counters())
        # The steady clock, not the node clock: a system monitor keeps sampling while a simulation
        # is paused (use_sim_time), or the aggregator would turn everything stale.
        self._steady = Clock(clock_type=ClockType.STEADY_TIME)
        self._timer = self.create_timer(self._config.period, self._tick, clock=self._steady)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.get_logger().info(
            f"publishing {TOPIC} every {self._config.period:g} s ({', '.join(TASKS)}) "
            f"as hardware_id '{self._hardware_id()}'")

    # ------------------------------------------------------------ parameters

    def _on_set_parameters(self, parameters: list[Parameter]) -> SetParametersResult:
        """rclpy has already refused wrong types and values out of range (the descriptors); this
        runs the rules that span parameters, then applies the change."""
        changes = [p for p in parameters if p.name in SYSTEM_METRICS]
        if not changes:
            return SetParametersResult(successful=True)
        values, result = refused(SYSTEM_METRICS, self._values, changes)
        if not result.successful:
            self.get_logger().warning(f"parameter change refused, keeping the old values: {result.reason}")
            return result
        old_period = self._config.period
        self._values = values
        self._config = config_from(values)
        self._levels.debounce = self._config.debounce
        if self._config.period != old_period:
            # A new timer rather than a changed period: the next tick comes one new period from
            # now, not at the end of the old (possibly long) one.
            self.destroy_timer(self._timer)
            self._timer = self.create_timer(self._config.period, self._tick, clock=self._steady)
        self.get_logger().info("parameters changed: " + ", ".join(f"{p.name}={p.value!r}" for p in changes))
        return SetParametersResult(successful=True)

    def close(self) -> None:
        """node_main calls it before destroy_node(): LinuxProbes keeps a socket for its ioctls,
        ProcStatReader the /proc/<pid>/stat files it reads again."""
        for resource in (self._ps, self._processes):
            close = getattr(resource, "close", None)
            if callable(close):
                close()

    # ------------------------------------------------------------ sampling

    def _hardware_id(self) -> str:
        return self._config.hardware_id or socket.gethostname()

    def _sample(self, prev: Counters) -> tuple[Any, Counters]:
        cfg = self._config
        return sample_all(self._ps, self._processes, prev, self._monotonic(),
                          disk_paths=cfg.disk_paths, interfaces=cfg.network_interfaces,
                          top_n=cfg.top_processes, period=cfg.period, process_period=cfg.process_period)

    def _tick(self) -> None:
        if not self.context.ok():  # a signal shut us down between the timer firing and now
            return
        try:
            snapshot, self._counters = self._sample(self._counters)
            msg = self._array  # one array for every tick: publish() serialises it at once
            msg.header.stamp = self.get_clock().now().to_msg()
            msg.status = build_statuses(snapshot, self._config.thresholds, self._name,
                                        self._hardware_id(), self._levels, self._monotonic(),
                                        self._processes_memo, self._reuse)
            self._publisher.publish(msg)
            self._log_level_changes(msg.status)
        except Exception as exc:  # a bug in one tick must not end the node; the next tick retries
            if self.context.ok():  # after shutdown, a failed publish is expected and not news
                self.get_logger().error(f"tick failed: {type(exc).__name__}: {exc}",
                                        throttle_duration_sec=60.0)

    def _log_level_changes(self, statuses: list[DiagnosticStatus]) -> None:
        """A log line when a task's level changes (LevelChanges keeps a flapping one quiet)."""
        for status in self._level_changes.to_log(statuses, self._monotonic()):
            if not self.context.ok():  # logging to /rosout after shutdown only adds noise
                return
            text = f"{status.name.split(': ', 1)[-1]}: {status.message}"  # the logger names the node
            if status.level == ERROR:
                self.get_logger().error(text)
            elif status.level == WARN:
                self.get_logger().warning(text)
            else:
                self.get_logger().info(text)
