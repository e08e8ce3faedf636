"""Bring up ChedWeb: the system_metrics node and the webrtc_bridge node, with config/chedweb.yaml.

    ros2 launch chedweb_ros bringup.launch.py
    ros2 launch chedweb_ros bringup.launch.py port:=9000 auth_token:=s3cret
    ros2 launch chedweb_ros bringup.launch.py params_file:=/path/to/my.yaml period:=0.5

Every launch argument left empty keeps the value from `params_file`. Only launch and launch_ros
APIs present in Humble, Jazzy and Kilted are used.
"""

from __future__ import annotations

import os

from launch import LaunchContext, LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

PACKAGE = "chedweb_ros"
# The launch file sits in launch/ next to config/ both in the source tree and in
# share/chedweb_ros after `colcon build`, so this finds the default parameters in either.
DEFAULT_PARAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "config", "chedweb.yaml")

ARGUMENTS = {
    "params_file": (DEFAULT_PARAMS, "YAML parameter file for both nodes"),
    "port": ("", "webrtc_bridge HTTP port (0 picks a free one); empty: from params_file"),
    "host": ("", "webrtc_bridge listen address; empty: from params_file"),
    "period": ("", "system_metrics sample period in seconds; empty: from params_file"),
    "auth_token": ("", "token the page must present; empty: from params_file"),
    "ice_servers": ("", "comma-separated STUN/TURN URLs for the bridge; empty: from params_file"),
    "respawn_delay": ("2.0", "seconds before a crashed node is restarted"),
}


def _overrides(context: LaunchContext) -> tuple[dict[str, object], dict[str, object]]:
    """Parameter overrides for (system_metrics, webrtc_bridge) from the launch arguments that
    were given. Typed here, in Python, so that `port:=9000` reaches the node as an integer and
    `ice_servers:=a,b` as a string array, the types the nodes declare."""
    def arg(name: str) -> str:
        return LaunchConfiguration(name).perform(context).strip()

    metrics: dict[str, object] = {}
    bridge: dict[str, object] = {}
    if arg("period"):
        metrics["period"] = float(arg("period"))
    if arg("port"):
        bridge["port"] = int(arg("port"))
    if arg("host"):
        bridge["host"] = arg("host")
    if arg("auth_token"):
        bridge["auth_token"] = arg("auth_token")
    if arg("ice_servers"):
        bridge["ice_servers"] = [s.strip() for s in arg("ice_servers").split(",") if s.strip()]
    return metrics, bridge


def _nodes(context: LaunchContext) -> list[Node]:
    params_file = LaunchConfiguration("params_file").perform(context)
    respawn_delay = float(LaunchConfiguration("respawn_delay").perform(context))
    metrics, bridge = _overrides(context)
    common = {"package": PACKAGE, "output": "screen", "respawn": True, "respawn_delay": respawn_delay}
    return [
        Node(executable="system_metrics", name="system_metrics",
             parameters=[params_file, metrics], **common),
        Node(executable="webrtc_bridge", name="webrtc_bridge",
             parameters=[params_file, bridge], **common),
    ]


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription([
        *(DeclareLaunchArgument(name, default_value=default, description=doc)
          for name, (default, doc) in ARGUMENTS.items()),
        OpaqueFunction(function=_nodes),
    ])
