"""The real system_metrics executable in its own process, observed over DDS by a real rclpy
subscriber and parameter-service client in this one: publishing rate, every task present,
runtime period changes, refused parameters, probe failures, and clean exits on signals."""

from __future__ import annotations

import math
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rcl_interfaces.msg import SetParametersResult
from rcl_interfaces.srv import GetParameters, SetParameters
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter, parameter_value_to_python
from rclpy.qos import QoSProfile, ReliabilityPolicy

from chedweb_ros.status import ERROR, TASKS

if TYPE_CHECKING:  # Kilted's rclpy names the type; Jazzy's has no such name at run time
    from rclpy.parameter import AllowableParameterValue
from test.helpers.metrics_proc import QUIET_THRESHOLDS
from test.helpers.procs import REPO, NodeProcess, executable, ros_args

pytestmark = [pytest.mark.ros, pytest.mark.timeout(120)]

CONFIG = str(REPO / "config" / "chedweb.yaml")


@dataclass
class Received:
    at: float  # time.monotonic() in this process
    msg: DiagnosticArray


class Client:
    """A subscriber to /diagnostics and a parameter-service client, on a context of its own."""

    def __init__(self) -> None:
        self.context = Context()
        rclpy.init(context=self.context)
        self.node = Node(f"metrics_test_{uuid.uuid4().hex[:8]}", context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.received: list[Received] = []
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.node.create_subscription(DiagnosticArray, "/diagnostics",
                                      lambda m: self.received.append(Received(time.monotonic(), m)), qos)

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)

    def spin_until(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout} s")
            self.executor.spin_once(timeout_sec=0.05)

    def spin_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.executor.spin_once(timeout_sec=min(0.05, max(0.0, end - time.monotonic())))

    def arrays_from(self, node_name: str, since: float = 0.0) -> list[Received]:
        prefix = f"{node_name}: "
        return [r for r in self.received
                if r.at >= since and any(s.name.startswith(prefix) for s in r.msg.status)]

    def wait_first(self, node_name: str, timeout: float = 30.0) -> Received:
        self.spin_until(lambda: bool(self.arrays_from(node_name)), timeout, f"first array from {node_name}")
        return self.arrays_from(node_name)[0]

    def _call(self, srv_type: type, service: str, request: object) -> object:
        client: Any = self.node.create_client(srv_type, service)
        try:
            self.spin_until(lambda: client.service_is_ready(), 20.0, f"service {service}")
            future = client.call_async(request)
            self.spin_until(future.done, 10.0, f"answer from {service}")
            return future.result()
        finally:
            self.node.destroy_client(client)

    def set_parameter(self, node_name: str, name: str, value: AllowableParameterValue) -> SetParametersResult:
        request = SetParameters.Request()
        request.parameters = [Parameter(name, value=value).to_parameter_msg()]
        response = self._call(SetParameters, f"/{node_name}/set_parameters", request)
        return response.results[0]  # type: ignore[attr-defined]

    def get_parameter(self, node_name: str, name: str) -> object:
        request = GetParameters.Request()
        request.names = [name]
        response = self._call(GetParameters, f"/{node_name}/get_parameters", request)
        return parameter_value_to_python(response.values[0])  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    c = Client()
    yield c
    c.close()


@pytest.fixture
def started() -> Iterator[list[NodeProcess]]:
    """Node processes a test starts; any still running at the end are stopped."""
    procs: list[NodeProcess] = []
    yield procs
    for p in procs:
        p.stop()


def start(started: list[NodeProcess], *, name: str | None = None, params: dict[str, object] | None = None,
          params_file: str | None = None, log: str = "system_metrics") -> NodeProcess:
    cmd = [executable("system_metrics"), *ros_args(params, params_file, name)]
    proc = NodeProcess(cmd, log)
    started.append(proc)
    return proc


def unique_name() -> str:
    return f"metrics_{uuid.uuid4().hex[:8]}"


def rate_over(client: Client, node_name: str, seconds: float) -> int:
    """Arrays received from `node_name` during the next `seconds` seconds."""
    since = time.monotonic()
    client.spin_for(seconds)
    return len(client.arrays_from(node_name, since))


def by_task(msg: DiagnosticArray, node_name: str) -> dict[str, DiagnosticStatus]:
    return {s.name.removeprefix(f"{node_name}: "): s for s in msg.status}


# ------------------------------------------------------------------------------------------


def test_default_period_every_task_from_the_config_file(client: Client, started: list[NodeProcess]) -> None:
    start(started, params_file=CONFIG, log="system_metrics_default")
    client.wait_first("system_metrics")
    count = rate_over(client, "system_metrics", 5.0)
    assert 4 <= count <= 6, count
    for r in client.arrays_from("system_metrics")[-count:]:
        statuses = by_task(r.msg, "system_metrics")
        assert sorted(statuses) == sorted(TASKS)
        assert r.msg.header.stamp.sec > 0
        for s in statuses.values():
            assert s.level in (DiagnosticStatus.OK, DiagnosticStatus.WARN, DiagnosticStatus.ERROR)
            assert s.hardware_id and s.message
        assert "usage %" in {kv.key for kv in statuses["CPU"].values}
        # This VM reports no sensors; where there are some, their count is reported instead.
        temp = statuses["Temperature"]
        assert temp.level != DiagnosticStatus.STALE and {kv.key for kv in temp.values} >= {"sensors"}


def test_period_change_takes_effect_at_once(client: Client, started: list[NodeProcess]) -> None:
    name = unique_name()
    start(started, name=name, params={"period": 10.0}, log="system_metrics_period")
    proc_started = time.monotonic()
    # At 10 s a first array would take 10 s; after the change one must come within about 0.2 s
    # of the answer, which shows the new period applies now and not at the end of the old one.
    client.spin_until(lambda: client.node.count_publishers("/diagnostics") > 0, 20.0, "publisher")
    result = client.set_parameter(name, "period", 0.2)
    assert result.successful, result.reason
    answered = time.monotonic()
    client.wait_first(name, timeout=5.0)
    assert time.monotonic() - answered < 2.0
    assert time.monotonic() - proc_started < 10.0
    count = rate_over(client, name, 3.0)
    assert 12 <= count <= 18, count  # about 5 per second
    assert client.get_parameter(name, "period") == 0.2
    # An integer is a number of seconds too.
    assert client.set_parameter(name, "period", 1).successful
    count = rate_over(client, name, 3.0)
    assert 2 <= count <= 4, count


# Type and range are refused by rclpy itself (the descriptors built from chedweb_ros/params.py),
# in its own words; warn above error by the node's callback, in ours.
REFUSED: list[tuple[str, AllowableParameterValue, str]] = [
    ("period", -1.0, "Parameter period out of range Min: 0.01, Max: 3600.0, value: -1.0"),
    ("period", 0.0, "Parameter period out of range Min: 0.01, Max: 3600.0, value: 0.0"),
    ("period", math.nan, "Parameter period out of range Min: 0.01, Max: 3600.0, value: nan"),
    ("period", "fast", "Wrong parameter type"),  # then rclpy's type numbers or names, by distro
    ("cpu_warn_percent", 99.0, "cpu_warn_percent (99.0) must not be above cpu_error_percent (95.0)"),
]


def test_bad_values_are_refused_and_publishing_goes_on(client: Client, started: list[NodeProcess]) -> None:
    name = unique_name()
    proc = start(started, name=name, params={"period": 0.5}, log="system_metrics_refused")
    client.wait_first(name)
    for param, value, reason in REFUSED:
        before = client.get_parameter(name, param)
        result = client.set_parameter(name, param, value)
        assert not result.successful, (param, value)
        assert result.reason.startswith(reason), result.reason
        assert client.get_parameter(name, param) == before
    count = rate_over(client, name, 2.0)
    assert 3 <= count <= 5, count  # still every 0.5 s
    assert proc.proc.poll() is None
    # Only what rclpy cannot refuse reaches the node's callback, which logs it.
    assert proc.output().count("parameter change refused") == 1


def test_failed_probe_fails_only_its_task(client: Client, started: list[NodeProcess]) -> None:
    name = unique_name()
    start(started, name=name, params={**QUIET_THRESHOLDS, "disk_paths": ["/", "/no/such/mount"]},
          log="system_metrics_probe")
    client.wait_first(name)
    client.spin_for(1.5)
    statuses = by_task(client.arrays_from(name)[-1].msg, name)
    disk = statuses["Disk"]
    assert disk.level == ERROR
    assert disk.message == "probe failed: /no/such/mount: No such file or directory"
    assert "/ used %" in {kv.key for kv in disk.values}  # the path that exists is still reported
    others = {task: s.level for task, s in statuses.items() if task != "Disk"}
    assert all(level != ERROR for level in others.values()), others


def test_list_parameters_change_at_runtime(client: Client, started: list[NodeProcess]) -> None:
    """network_interfaces defaults to an empty list (all but loopback), which reads [] through the
    parameter service and can be set later; disk_paths changes the Disk keys from the next array on."""
    name = unique_name()
    start(started, name=name, params={"period": 0.3}, log="system_metrics_lists")
    client.wait_first(name)
    assert client.get_parameter(name, "network_interfaces") == []
    keys = {kv.key for kv in by_task(client.arrays_from(name)[-1].msg, name)["Network"].values}
    assert not any(k.startswith("lo ") for k in keys), keys
    assert client.set_parameter(name, "network_interfaces", ["lo"]).successful
    assert client.set_parameter(name, "disk_paths", ["/", "/tmp"]).successful
    since = time.monotonic()
    client.spin_until(lambda: len(client.arrays_from(name, since)) >= 2, 10.0, "two arrays")
    statuses = by_task(client.arrays_from(name)[-1].msg, name)
    net_keys = {kv.key for kv in statuses["Network"].values}
    assert {"lo rx packets", "lo up"} <= net_keys and not any(k.startswith("chedweb") for k in net_keys)
    assert "/tmp used %" in {kv.key for kv in statuses["Disk"].values}
    refused = client.set_parameter(name, "disk_paths", ["relative/path"])
    assert not refused.successful
    assert refused.reason == "disk_paths must be absolute paths (got 'relative/path')"


def test_invalid_start_parameters_exit_2_with_one_line(started: list[NodeProcess]) -> None:
    proc = start(started, name=unique_name(), params={"period": -2.0, "top_processes": 500},
                 log="system_metrics_invalid")
    assert proc.proc.wait(30) == 2
    lines = proc.output().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].endswith("cannot start: period must be from 0.01 to 3600 (got -2.0); "
                             "top_processes must be from 0 to 50 (got 500)"), lines


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_ends_the_node_with_exit_code_0(client: Client, started: list[NodeProcess],
                                               sig: signal.Signals) -> None:
    name = unique_name()
    proc = start(started, name=name, log=f"system_metrics_{sig.name}")
    client.wait_first(name)
    assert proc.stop(sig) == 0
    out = proc.log_path.read_text()  # stop() closed our handle on the log
    assert "Traceback" not in out and "publishing /diagnostics" in out


def _catches_sigterm(pid: int) -> bool:
    """Whether the process has installed a SIGTERM handler (SigCgt in /proc/<pid>/status)."""
    try:
        status = open(f"/proc/{pid}/status").read()  # noqa: SIM115 - one read of a proc file
    except OSError:
        return False
    caught = int(status.split("SigCgt:", 1)[1].split()[0], 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_during_start_up_also_ends_with_exit_code_0(started: list[NodeProcess],
                                                           sig: signal.Signals) -> None:
    """The signal lands while rclpy and psutil are still being imported (main() installs its
    handlers first), or while the node is being built."""
    proc = start(started, name=unique_name(), log=f"system_metrics_early_{sig.name}")
    deadline = time.monotonic() + 20.0
    while not _catches_sigterm(proc.proc.pid):
        assert time.monotonic() < deadline and proc.proc.poll() is None, proc.output()
        time.sleep(0.005)
    assert proc.stop(sig) == 0
    out = proc.log_path.read_text()
    assert "Traceback" not in out, out


def test_keeps_publishing_with_sim_time_and_no_clock(client: Client, started: list[NodeProcess]) -> None:
    """use_sim_time with no /clock publisher (a paused or not yet started simulation): the node
    samples on the steady clock, so it goes on publishing instead of leaving every status stale."""
    name = unique_name()
    start(started, name=name, params={"use_sim_time": True, "period": 0.2, **QUIET_THRESHOLDS},
          log="system_metrics_sim")
    client.wait_first(name)
    assert rate_over(client, name, 2.0) >= 7


def _memory(client: Client, node_name: str, since: float) -> list[tuple[float, DiagnosticStatus]]:
    return [(r.at, by_task(r.msg, node_name)["Memory"]) for r in client.arrays_from(node_name, since)]


def test_hold_time_and_clear_margin(client: Client, started: list[NodeProcess]) -> None:
    """The real node, its memory use against thresholds moved around it at run time: a WARN is
    raised only after hold_seconds, kept by clear_margin once the threshold moves just above the
    value, and cleared at once when the margin goes."""
    name = unique_name()
    start(started, name=name, params={**QUIET_THRESHOLDS, "period": 0.2, "hold_seconds": 1.5,
                                      "clear_margin": 0.0}, log="system_metrics_debounce")
    first = by_task(client.wait_first(name).msg, name)["Memory"]
    used = float({kv.key: kv.value for kv in first.values}["used %"])

    # Half the value, not "value - 4": a quiet machine can use under 4 % of its memory, and a
    # negative threshold is out of the parameter's range.
    assert client.set_parameter(name, "memory_warn_percent", used / 2).successful
    since = time.monotonic()
    client.spin_until(lambda: any(s.level == DiagnosticStatus.WARN for _, s in _memory(client, name, since)),
                      10.0, "Memory WARN")
    seen = _memory(client, name, since)
    raised_at = next(at for at, s in seen if s.level == DiagnosticStatus.WARN)
    held = [s for at, s in seen if at < raised_at]
    assert raised_at - since >= 1.2, raised_at - since  # 1.5 s hold, less a tick of timing slack
    assert held and all(s.level == DiagnosticStatus.OK for s in held)
    assert held[-1].message.endswith("(raised once it lasts 1.5 s)"), held[-1].message

    # The threshold moves just above the value: the clear margin keeps the WARN...
    assert client.set_parameter(name, "clear_margin", 10.0).successful
    assert client.set_parameter(name, "memory_warn_percent", used + 4.0).successful
    since = time.monotonic()
    client.spin_for(1.0)
    kept = _memory(client, name, since)
    assert kept and all(s.level == DiagnosticStatus.WARN for _, s in kept), [s.message for _, s in kept]
    assert f"warn until below {used + 4.0 - 10.0:.1f} %" in kept[-1][1].message
    # ...and without it the level clears at once (a lower level is never held).
    assert client.set_parameter(name, "clear_margin", 0.0).successful
    since = time.monotonic()
    client.spin_until(lambda: bool(_memory(client, name, since)), 5.0, "an array")
    assert _memory(client, name, since)[0][1].level == DiagnosticStatus.OK


def test_hold_and_margin_are_validated_by_rclpy(client: Client, started: list[NodeProcess]) -> None:
    name = unique_name()
    start(started, name=name, params={"period": 0.5}, log="system_metrics_debounce_refused")
    client.wait_first(name)
    refused = client.set_parameter(name, "hold_seconds", -1.0)
    assert not refused.successful and refused.reason.startswith("Parameter hold_seconds out of range")
    refused = client.set_parameter(name, "clear_margin", 101.0)
    assert not refused.successful and refused.reason.startswith("Parameter clear_margin out of range")
    assert client.get_parameter(name, "hold_seconds") == 5.0
