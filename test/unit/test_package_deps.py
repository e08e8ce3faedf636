"""Every third-party module the nodes and the launch file import is declared in package.xml, so that
`rosdep install` on a robot brings it (numpy once reached the bridge only as a dependency of a
dependency). The module -> rosdep key table is the one place that says which key brings which
module; an import of a module it does not know fails here until it is added, with its key in
package.xml."""

from __future__ import annotations

import ast
import sys
import xml.etree.ElementTree as ET

from test.helpers.procs import REPO

# Top-level module -> the rosdep key that installs it (ROS packages are their own keys).
ROSDEP_KEYS = {
    "rclpy": "rclpy",
    "rcl_interfaces": "rcl_interfaces",
    "diagnostic_msgs": "diagnostic_msgs",
    "ament_index_python": "ament_index_python",
    "launch": "launch",
    "launch_ros": "launch_ros",
    "psutil": "python3-psutil",
    "numpy": "python3-numpy",
    "flask": "python3-flask",
    "werkzeug": "python3-werkzeug",
    "aiortc": "python3-aiortc",
    "aioice": "python3-aioice",  # consent.py (rosdep/chedweb.yaml: the distribution's package)
    "prometheus_client": "python3-prometheus-client",
    "flask_sock": "python3-flask-sock-pip",
    "simple_websocket": "python3-simple-websocket-pip",
}
_OWN = {"chedweb_ros", "chedweb_bridge"}


def _imported_modules() -> set[str]:
    found: set[str] = set()
    files = [*(REPO / "chedweb_ros").glob("*.py"), *(REPO / "chedweb_bridge").rglob("*.py"),
             *(REPO / "launch").glob("*.py")]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in _OWN}


def _exec_depends() -> set[str]:
    root = ET.parse(REPO / "package.xml").getroot()
    return {e.text.strip() for tag in ("exec_depend", "depend") for e in root.iter(tag) if e.text}


def test_every_imported_module_has_a_known_rosdep_key() -> None:
    unknown = sorted(_imported_modules() - ROSDEP_KEYS.keys())
    assert not unknown, f"imported but not in ROSDEP_KEYS (add it with its rosdep key): {unknown}"


def test_every_imported_module_is_an_exec_depend_of_package_xml() -> None:
    declared = _exec_depends()
    missing = sorted(ROSDEP_KEYS[m] for m in _imported_modules() if m in ROSDEP_KEYS
                     and ROSDEP_KEYS[m] not in declared)
    assert not missing, f"package.xml lacks <exec_depend> for: {missing}"
