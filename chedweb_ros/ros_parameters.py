"""Declaring a parameter on an rclpy node with its default, shared by both nodes.

One rclpy quirk needs care: an empty list default has no element type that rclpy or a YAML file
could infer, so `declare_parameter(name, [])` fails. Such a parameter is declared as a string
array by type, then set to [] when nothing overrode it, so that it reads [] through the parameter
service too rather than "not set".
"""

from __future__ import annotations

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from rclpy.parameter import Parameter


def declare_with_default(node: Node, name: str, default: object, descriptor: ParameterDescriptor) -> object:
    """Declares `name` and returns its value: an override (launch file, params file, -p), else
    `default`. Lists come back as lists."""
    if isinstance(default, (list, tuple)) and not default:
        node.declare_parameter(name, Parameter.Type.STRING_ARRAY, descriptor)
        if node.get_parameter_or(name, None).value is None:
            node.set_parameters([Parameter(name, Parameter.Type.STRING_ARRAY, [])])
    else:
        node.declare_parameter(name, default, descriptor)
    value = node.get_parameter(name).value
    return list(value) if isinstance(value, (list, tuple)) else value
