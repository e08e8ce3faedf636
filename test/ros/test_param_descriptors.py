"""The rclpy side of the parameter table (chedweb_ros/ros_parameters.py): the descriptors carry the
table's ranges and read-only flags, rclpy itself refuses exactly what the table refuses at each
bound, and a refused start-up value becomes one line that names it. Real rclpy nodes, no spinning:
inside the test namespace because a node is a DDS participant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import rclpy
from rclpy.context import Context
from rclpy.node import Node
from rclpy.parameter import Parameter

from chedweb_ros import params
from chedweb_ros.params import SYSTEM_METRICS, TABLES, WEBRTC_BRIDGE, check_value
from chedweb_ros.ros_parameters import InvalidParameters, declare_table, descriptor

pytestmark = [pytest.mark.ros]


@pytest.fixture
def node() -> Iterator[Node]:
    """An rclpy node on a context of its own, without DDS traffic to speak of (no spinning)."""
    context = Context()
    rclpy.init(context=context, args=["--ros-args", "--log-level", "fatal"])
    n = Node("params_test", context=context, start_parameter_services=False)
    yield n
    n.destroy_node()
    rclpy.shutdown(context=context)


def _boundary_values(p: params.Param) -> list[object]:
    assert p.low is not None and p.high is not None
    if p.type == params.INTEGER:
        return [int(p.low) - 1, int(p.low), int(p.high), int(p.high) + 1]
    span = p.high - p.low
    return [p.low - span * 1e-3, p.low, p.high, p.high + span * 1e-3]


RANGED = [(t, p) for t in TABLES.values() for p in t.params if p.low is not None]


@pytest.mark.parametrize(("table", "p"), RANGED, ids=[f"{t.node}.{p.name}" for t, p in RANGED])
def test_rclpy_refuses_exactly_what_the_table_refuses(node: Node, table: params.Table,
                                                      p: params.Param) -> None:
    """The descriptor carries the table's range, so rclpy's own check agrees with check_value at
    each bound and just past it (no on-set callback is registered here: rclpy alone refuses)."""
    node.declare_parameter(p.name, p.default, descriptor(p, read_only=False))
    d = node.describe_parameter(p.name)
    ranges = d.floating_point_range if p.type == params.DOUBLE else d.integer_range
    assert [(r.from_value, r.to_value) for r in ranges] == [(p.low, p.high)]
    for value in _boundary_values(p):
        result = node.set_parameters([Parameter(p.name, value=value)])[0]
        assert result.successful == (check_value(p, value) is None), (value, result.reason)


def test_descriptor_read_only_and_constraints(node: Node) -> None:
    values = declare_table(node, WEBRTC_BRIDGE)
    assert values["port"] == 8080 and values["topics"] == ["/diagnostics"] and values["ice_servers"] == []
    port = node.describe_parameter("port")
    assert port.read_only and port.additional_constraints == "0 to 65535; read-only: set at start"
    result = node.set_parameters([Parameter("port", value=9000)])[0]
    assert not result.successful and "read-only" in result.reason
    assert not node.describe_parameter("max_peers").read_only


def test_a_double_takes_an_integer_at_run_time(node: Node) -> None:
    declare_table(node, SYSTEM_METRICS)
    assert node.set_parameters([Parameter("period", value=2)])[0].successful
    assert node.get_parameter("period").value == 2.0
    refused = node.set_parameters([Parameter("period", value=0)])[0]
    assert not refused.successful and "out of range" in refused.reason


@pytest.mark.parametrize(("override", "reason"), [
    ("period:=0", "period must be from 0.01 to 3600 (got 0)"),
    ("period:=abc", "period must be a number (got str 'abc')"),
    ("top_processes:=1.5", "top_processes must be an integer (got float 1.5)"),
    ("disk_paths:=[data]", "disk_paths must be absolute paths (got 'data')"),
    ("cpu_warn_percent:=99.0", "cpu_warn_percent (99.0) must not be above cpu_error_percent (95.0)"),
])
def test_start_up_overrides_are_refused_in_one_line(override: str, reason: str) -> None:
    context = Context()
    rclpy.init(context=context, args=["--ros-args", "-p", override, "--log-level", "fatal"])
    n = Node("params_test", context=context, start_parameter_services=False)
    try:
        with pytest.raises(InvalidParameters) as caught:
            declare_table(n, SYSTEM_METRICS)
        assert str(caught.value) == reason
    finally:
        n.destroy_node()
        rclpy.shutdown(context=context)


def test_start_up_integer_for_a_double_and_an_empty_list() -> None:
    context = Context()
    rclpy.init(context=context, args=["--ros-args", "-p", "period:=2", "-p", "network_interfaces:=[]",
                                      "--log-level", "fatal"])
    n = Node("params_test", context=context, start_parameter_services=False)
    try:
        values = declare_table(n, SYSTEM_METRICS)
        assert values["period"] == 2.0 and n.get_parameter("period").type_ == Parameter.Type.DOUBLE
        assert values["network_interfaces"] == []
    finally:
        n.destroy_node()
        rclpy.shutdown(context=context)
