"""The thin rclpy side of the parameter table (chedweb_ros/params.py), shared by both nodes: each
entry becomes a ParameterDescriptor, so that rclpy itself refuses a value of the wrong type or out of
range (at declaration and on every `ros2 param set`) and `ros2 param describe` shows the rule. What
a descriptor cannot say (topic names, paths, URLs, warn <= error) runs in the on-set callback.

Two rclpy quirks need care here:
- An empty list default has no element type that rclpy or a YAML file could infer, so
  `declare_parameter(name, [])` fails. Such a parameter is declared as a string array by type,
  then set to [] when nothing overrode it, so that it reads [] through the parameter service too.
- rclpy's refusal at declaration names the parameter but words it its own way, without our rule.
  A refused declaration stores nothing, so the parameter is declared again without constraints
  to read the value that was given, and the table's check words the one-line reason.
"""

from __future__ import annotations

from collections.abc import Iterable

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.exceptions import ParameterException, ParameterUninitializedException
from rclpy.node import Node
from rclpy.parameter import Parameter

from chedweb_ros.node_main import StartupError
from chedweb_ros.params import DOUBLE, INTEGER, STRING, STRING_ARRAY, Param, Table, check_value, merged

TYPES: dict[str, Parameter.Type] = {
    DOUBLE: Parameter.Type.DOUBLE,
    INTEGER: Parameter.Type.INTEGER,
    STRING: Parameter.Type.STRING,
    STRING_ARRAY: Parameter.Type.STRING_ARRAY,
}


class InvalidParameters(StartupError):
    """The node cannot start with the values it was given; the message is one line that names
    each refused parameter, its value and the rule."""


def descriptor(p: Param, *, read_only: bool | None = None) -> ParameterDescriptor:
    d = ParameterDescriptor(name=p.name, type=TYPES[p.type].value, description=p.description,
                            additional_constraints=p.constraints(),
                            read_only=p.read_only if read_only is None else read_only)
    if p.low is not None and p.high is not None:
        if p.type == DOUBLE:
            d.floating_point_range = [FloatingPointRange(from_value=float(p.low), to_value=float(p.high),
                                                         step=0.0)]
        elif p.type == INTEGER:
            d.integer_range = [IntegerRange(from_value=int(p.low), to_value=int(p.high), step=1)]
    return d


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _given(node: Node, p: Param) -> object:
    """The value given for `p` (override or default), read through an unconstrained declaration
    that is removed again at once."""
    node.declare_parameter(p.name, p.default if p.default != [] else None,
                           ParameterDescriptor(dynamic_typing=True))
    value = node.get_parameter(p.name).value
    node.undeclare_parameter(p.name)
    return list(value) if isinstance(value, (list, tuple)) else value


def _declare_one(node: Node, p: Param, read_only: bool | None) -> object:
    try:
        if isinstance(p.default, (list, tuple)) and not p.default:
            node.declare_parameter(p.name, TYPES[p.type], descriptor(p, read_only=read_only))
            if node.get_parameter_or(p.name, None).value is None:
                node.set_parameters([Parameter(p.name, TYPES[p.type], [])])
        else:
            node.declare_parameter(p.name, p.default, descriptor(p, read_only=read_only))
    except ParameterException as exc:
        given = _given(node, p)
        if p.type == DOUBLE and _is_int(given) and check_value(p, given) is None:
            # `period:=1` in a launch file or YAML is an integer: a number of seconds all the same.
            node.declare_parameter(p.name, float(given),  # type: ignore[arg-type]
                                   descriptor(p, read_only=read_only), ignore_override=True)
        else:
            raise InvalidParameters(check_value(p, given) or f"{p.name}: {exc}") from None
    try:
        value = node.get_parameter(p.name).value
    except ParameterUninitializedException:
        # `-p topics:=[]` or `topics: []` in YAML: an empty list, of no type rcl could tell.
        value = []
        if (reason := check_value(p, value)) is not None:
            raise InvalidParameters(reason) from None
        node.set_parameters([Parameter(p.name, TYPES[p.type], value)])  # not read-only: see README
    return list(value) if isinstance(value, (list, tuple)) else value


def declare_table(node: Node, table: Table, *,
                  writable_until_started: Iterable[str] = ()) -> dict[str, object]:
    """Declares every parameter of `table` on `node` and returns their values. Raises
    InvalidParameters with every refused parameter in one line. Names in `writable_until_started`
    stay writable until `fix_read_only` is called: the node sets their final value itself
    (the bridge's port 0 becomes the port it got)."""
    late = set(writable_until_started)
    values: dict[str, object] = {}
    reasons = []
    for p in table.params:
        try:
            values[p.name] = _declare_one(node, p, False if p.name in late else None)
        except InvalidParameters as exc:
            reasons.append(str(exc))
    if not reasons:
        reasons = table.beyond_descriptor(values)
    if reasons:
        raise InvalidParameters("; ".join(reasons))
    node.add_pre_set_parameters_callback(lambda changes: _numbers_as_doubles(table, changes))
    return values


def fix_read_only(node: Node, p: Param, value: object) -> None:
    """Sets `value` on a parameter declared writable_until_started and makes it read-only."""
    node.undeclare_parameter(p.name)
    node.declare_parameter(p.name, value, descriptor(p), ignore_override=True)


def _numbers_as_doubles(table: Table, changes: list[Parameter]) -> list[Parameter]:
    """`ros2 param set /system_metrics period 2` sends an integer: a number of seconds all the
    same, made a double before rclpy checks it against the descriptor."""
    out = []
    for c in changes:
        if c.name in table and table[c.name].type == DOUBLE and c.type_ == Parameter.Type.INTEGER:
            c = Parameter(c.name, Parameter.Type.DOUBLE, float(c.value))
        out.append(c)
    return out


def refused(table: Table, current: dict[str, object],
            changes: list[Parameter]) -> tuple[dict[str, object], SetParametersResult]:
    """For an on-set-parameters callback: the values after `changes` and the result to return.
    rclpy has already applied each descriptor (type, range, read-only); this runs what it cannot."""
    ours = [(c.name, list(c.value) if isinstance(c.value, (list, tuple)) else c.value)
            for c in changes if c.name in table]
    values = merged(current, ours)
    reasons = table.beyond_descriptor(values)
    if reasons:
        return current, SetParametersResult(successful=False, reason="; ".join(reasons))
    return values, SetParametersResult(successful=True)
