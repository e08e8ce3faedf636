"""Bring up ChedWeb: the system_metrics node and the webrtc_bridge node, with config/chedweb.yaml.

    ros2 launch chedweb_ros bringup.launch.py
    ros2 launch chedweb_ros bringup.launch.py port:=9000 auth_token:=s3cret
    ros2 launch chedweb_ros bringup.launch.py params_file:=/path/to/my.yaml period:=0.5

Every launch argument left empty keeps the value from `params_file`. A given one is checked
against the parameter table (chedweb_ros/params.py) before any node starts: a bad one ends the
launch at once with one line naming the argument, the value and the rule.

A node is restarted after `respawn_delay` seconds when it crashes (any exit code but 0 and 2, or
a signal such as `kill -9`). It is not restarted after a clean stop (0) or when it exits 2
(node_main.EXIT_CONFIG: it cannot start with its parameters, and would fail the same way again);
exit code 2 ends the launch, with the reason. Only launch and launch_ros APIs present in Humble,
Jazzy and Kilted are used.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from launch import LaunchContext, LaunchDescription
from launch.actions import (
    DeclareLaunchArgument,
    LogInfo,
    OpaqueFunction,
    RegisterEventHandler,
    Shutdown,
    TimerAction,
)
from launch.event_handlers import OnProcessExit
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from chedweb_ros.launch_args import ARGUMENTS, overrides
from chedweb_ros.node_main import EXIT_CONFIG, EXIT_OK
from chedweb_ros.params import SYSTEM_METRICS, WEBRTC_BRIDGE, Table

PACKAGE = "chedweb_ros"
# The launch file sits in launch/ next to config/ both in the source tree and in
# share/chedweb_ros after `colcon build`, so this finds the default parameters in either.
DEFAULT_PARAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "config", "chedweb.yaml")

def _supervised(name: str, make: Callable[[], Node], delay: float) -> list[Any]:
    """`make()`'s node, restarted after a crash but not after exit code 0 or 2 (see the module
    docstring); launch_ros' own `respawn` restarts on every exit code."""
    node = make()

    def on_exit(event: Any, context: LaunchContext) -> list[Any] | None:
        code = event.returncode
        if context.is_shutdown or code == EXIT_OK:
            return None
        if code == EXIT_CONFIG:
            # launch logs no Shutdown reason of its own: say it, after the node's one-line why.
            reason = f"{name} cannot start with its parameters (exit code {code}): not restarted"
            return [LogInfo(msg=f"{reason}; ending the launch"), Shutdown(reason=reason)]
        return [LogInfo(msg=f"{name} exited with code {code}: restarting in {delay:g} s"),
                TimerAction(period=delay, actions=_supervised(name, make, delay))]

    return [node, RegisterEventHandler(OnProcessExit(target_action=node, on_exit=on_exit))]


def _nodes(context: LaunchContext) -> list[Any]:
    given = {name: LaunchConfiguration(name).perform(context) for name in ["params_file", *ARGUMENTS]}
    typed, delay = overrides(given)  # raises before any node starts
    params_file = given["params_file"]
    actions: list[Any] = []
    for table, executable in ((SYSTEM_METRICS, "system_metrics"), (WEBRTC_BRIDGE, "webrtc_bridge")):
        def make(table: Table = table, executable: str = executable) -> Node:
            return Node(package=PACKAGE, executable=executable, name=table.node, output="screen",
                        parameters=[params_file, typed[table.node]])
        actions += _supervised(table.node, make, delay)
    return actions


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription([
        DeclareLaunchArgument("params_file", default_value=DEFAULT_PARAMS,
                              description="YAML parameter file for both nodes"),
        *(DeclareLaunchArgument(name, default_value=default, description=doc)
          for name, (default, doc) in ARGUMENTS.items()),
        OpaqueFunction(function=_nodes),
    ])
