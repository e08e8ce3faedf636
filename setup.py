"""ament_python setup for chedweb_ros: installs both Python packages, the two executables, and the
launch file, default config and built page that `ros2 launch chedweb_ros bringup.launch.py` needs."""

import os
from glob import glob

from setuptools import find_packages, setup

package_name = "chedweb_ros"


def tree(src: str, dest: str) -> list[tuple[str, list[str]]]:
    """data_files entries that mirror the directory `src` under `dest`, keeping subfolders."""
    entries = []
    for root, _dirs, files in os.walk(src):
        if files:
            rel = os.path.relpath(root, src)
            target = dest if rel == "." else os.path.join(dest, rel)
            entries.append((target, [os.path.join(root, f) for f in files]))
    return entries


share = os.path.join("share", package_name)

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(include=["chedweb_ros", "chedweb_ros.*", "chedweb_bridge", "chedweb_bridge.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + package_name]),
        (share, ["package.xml"]),
        (os.path.join(share, "launch"), glob("launch/*.launch.py")),
        (os.path.join(share, "config"), glob("config/*.yaml")),
        # The page is built by `npm run build` (make web) before colcon build; absent, the bridge
        # serves a page that says how to build it.
        *tree("web/dist", os.path.join(share, "web", "dist")),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="ChedWeb developers",
    maintainer_email="dev@chedweb.invalid",
    description="Robot health in any browser, live over WebRTC.",
    license="Apache-2.0",
    extras_require={"test": ["pytest"]},
    entry_points={
        "console_scripts": [
            "system_metrics = chedweb_ros.system_metrics_node:main",
            "webrtc_bridge = chedweb_bridge.main:main",
        ],
    },
)
